"""Operators' commands: plan, apply, status (the job itself, on AWS or any endpoint)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from multigsi.cli import render
from multigsi.cli.console import err, out, print_table
from multigsi.cli.exits import Exit, help_epilog
from multigsi.cli.options import AwsTarget, aws_options, spec_options
from multigsi.cli.run import execute_apply, missing_table, plans_for, report_retry
from multigsi.engine.fleet.account import DEFAULT_CALLS_PER_SECOND
from multigsi.engine.fleet.slots import DEFAULT_MAX_OPERATIONS
from multigsi.engine.ownership.record import Claims, owners_of
from multigsi.engine.ownership.scope import Ownership
from multigsi.engine.reconcile import Reconciler
from multigsi.errors import TableNotFoundError
from multigsi.model.live import LiveTable
from multigsi.model.table import TableSpec


@click.command(epilog=help_epilog("plan"))
@spec_options
@aws_options
@click.option(
    "--json", "as_json", is_flag=True, help="Print the plan as JSON (with each UpdateTable request)."
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there are no changes, 2 when there are, 1 on error (as Terraform does).",
)
def plan(
    specs: tuple[TableSpec, ...],
    ownership: Ownership,
    target: AwsTarget,
    as_json: bool,
    detailed_exitcode: bool,
) -> None:
    """Show what `apply` would change, without changing anything.

    \b
    Symbols:  + create   - delete   ~ update throughput   -/+ replace (delete, then create)
    A key schema or projection change can only be made by replacing the index.
    """
    plans = plans_for(target, specs, ownership)
    changes = sum(len(p.steps) for _, p in plans)
    if as_json:
        click.echo(
            json.dumps(
                {"tables": [render.plan_json(live, p) for live, p in plans], "changes": changes}, indent=2
            )
        )
    else:
        for live, p in plans:
            render.plan_text(out, live, p)
        out.print(render.plan_summary([p for _, p in plans]), style="bold")
    if detailed_exitcode and changes:
        sys.exit(Exit.CHANGES)


@click.command(epilog=help_epilog("apply"))
@spec_options
@aws_options
@click.option("--yes", "-y", is_flag=True, help="Do not ask before deleting or replacing indexes.")
@click.option("--json", "as_json", is_flag=True, help="No live display; print the result as JSON.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    help="Stop cleanly before this many seconds and report what is left (default: no limit).",
)
@click.option(
    "--max-calls-per-second",
    type=click.FloatRange(min=1, max=2500),
    default=DEFAULT_CALLS_PER_SECOND,
    show_default=True,
    metavar="N",
    help="Control-plane calls (DescribeTable, UpdateTable, GetMetricData) this run may make per "
    "second, shared by all its tables. DynamoDB allows 2,500/s per account for every caller "
    "together; the default leaves almost all of it to them and still looks at a thousand tables "
    "every 20 s. Halved for a while whenever DynamoDB throttles.",
)
@click.option(
    "--max-operations",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_OPERATIONS,
    show_default=True,
    metavar="N",
    help="Index creates/deletes/updates in flight at once across all tables (DynamoDB allows 500 "
    "table operations per account). Tables beyond it queue, the most builds left first.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Delete or replace indexes a CloudFormation resource owns (drift the stack will not know about).",
)
def apply(
    specs: tuple[TableSpec, ...],
    ownership: Ownership,
    target: AwsTarget,
    yes: bool,
    as_json: bool,
    timeout: float | None,
    max_calls_per_second: float,
    max_operations: int,
    force: bool,
) -> None:
    """Make the tables' indexes match SPEC, one index change at a time.

    All tables are applied at once, each table serially, within the account's limits
    (--max-calls-per-second, --max-operations). Deletes and replacements ask for
    confirmation unless --yes (without a terminal to ask, apply refuses them and changes
    nothing). Safe to interrupt (Ctrl-C) and to re-run: it continues from whatever the
    table shows.

    An index a CloudFormation resource owns (see `multigsi status`) is never deleted or
    replaced unless --force: change the stack's template instead.
    """
    sys.exit(
        execute_apply(
            target,
            specs,
            ownership,
            yes=yes,
            as_json=as_json,
            timeout=timeout,
            calls_per_second=max_calls_per_second,
            max_operations=max_operations,
            force=force,
        )
    )


@click.command()
@click.argument("spec", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--table", "tables", multiple=True, metavar="NAME", help="A table to show (repeatable) instead of SPEC."
)
@click.option("--logical-id", help="In a CloudFormation template: the resource to use.")
@aws_options
@click.option("--json", "as_json", is_flag=True, help="Print the live state as JSON.")
def status(
    spec: str | None, tables: tuple[str, ...], logical_id: str | None, target: AwsTarget, as_json: bool
) -> None:
    """Show the live indexes of the tables in SPEC, or of --table NAME, with each index's
    owner: the CloudFormation stack and logical id that created or adopted it, or
    "unmanaged"."""
    from multigsi.cli.spec_files import load_specs

    if not spec and not tables:
        raise click.UsageError("give a SPEC file or --table NAME")
    specs = load_specs(spec, logical_id=logical_id) if spec else ()
    names = [s.table_name for s in specs] + list(tables)
    clients = target.clients()
    reconciler = Reconciler(clients.dynamodb, observer=report_retry, regions=clients.regions)
    try:
        lives = [reconciler.read(name) for name in names]
    except TableNotFoundError as error:
        raise missing_table(error, reconciler.client) from None
    owners = [_owners(reconciler.client, live) for live in lives]
    if as_json:
        documents = [render.status_json(live, o) for live, o in zip(lives, owners, strict=True)]
        click.echo(json.dumps({"tables": documents}, indent=2))
        return
    for position, live in enumerate(lives):
        wanted = {index.name for index in specs[position].indexes} if position < len(specs) else None
        print_table(out, render.status_table(live, wanted, owners[position]))


def _owners(client: Any, live: LiveTable) -> Claims | None:
    """The ownership record, or None when it cannot be read (no ListTagsOfResource permission)."""
    try:
        return owners_of(client, live.arn, [index.name for index in live.indexes])
    except Exception as error:
        err.print(f"[yellow]Owners unknown for {live.name}:[/] {error}", highlight=False)
        return None
