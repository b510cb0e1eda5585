"""The `multigsi` command line: plan, apply, status, local, demo."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from botocore.exceptions import BotoCoreError, NoCredentialsError, NoRegionError

from multigsi import __version__
from multigsi.cli import render
from multigsi.cli.console import err, out
from multigsi.cli.options import AwsTarget, aws_options, spec_options
from multigsi.cli.run import EXIT_CHANGES, EXIT_ERROR, execute_apply, plans_for
from multigsi.engine.ownership import Ownership
from multigsi.engine.reconcile import Reconciler
from multigsi.errors import MultigsiError
from multigsi.spec.model import TableSpec


class MultigsiGroup(click.Group):
    """Turns expected failures, in any command or its options, into one clear message and
    exit status 1: never a traceback for a bad spec, a missing table or missing credentials."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MultigsiError as error:
            err.print(f"[red]Error:[/] {error}", markup=True, highlight=False)
        except NoRegionError:
            err.print("[red]Error:[/] no AWS region: pass --region or set AWS_DEFAULT_REGION.")
        except NoCredentialsError:
            err.print(
                "[red]Error:[/] no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
                "AWS_SECRET_ACCESS_KEY, or use --profile. (For `multigsi local`, any values will do.)"
            )
        except BotoCoreError as error:
            err.print(f"[red]Error:[/] {error}", highlight=False)
        ctx.exit(EXIT_ERROR)


@click.group(
    cls=MultigsiGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="multigsi")
def cli() -> None:
    """Apply several DynamoDB global secondary index changes, one at a time.

    Describe the indexes a table should have (the shapes of CloudFormation's
    AWS::DynamoDB::Table); multigsi plans the creates, deletes, replacements and
    throughput changes, and applies them one UpdateTable at a time, waiting exactly as
    long as DynamoDB needs. Interrupt it at any time: a re-run continues from the live
    state.

    \b
    Start here:
      multigsi demo                         the whole job on a built-in local endpoint
      multigsi plan  orders.yaml            what would change
      multigsi apply orders.yaml            change it, with live progress
      multigsi status --table orders        what the table has now
      multigsi local --port 8000            a local DynamoDB whose index builds behave like AWS's

    \b
    SPEC is a YAML or JSON file with one table or a list of tables:
      TableName: orders
      AttributeDefinitions: [{AttributeName: customer, AttributeType: S}]
      GlobalSecondaryIndexes:
        - IndexName: by-customer
          KeySchema: [{AttributeName: customer, KeyType: HASH}]
          Projection: {ProjectionType: ALL}
    or a CloudFormation template (with --logical-id when it has several tables).
    """


@cli.command()
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
        sys.exit(EXIT_CHANGES)


@cli.command()
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
def apply(
    specs: tuple[TableSpec, ...],
    ownership: Ownership,
    target: AwsTarget,
    yes: bool,
    as_json: bool,
    timeout: float | None,
) -> None:
    """Make the tables' indexes match SPEC, one index change at a time.

    Several tables are applied concurrently; each table serially. Deletes and
    replacements ask for confirmation unless --yes. Safe to interrupt (Ctrl-C) and to
    re-run: it continues from whatever the table shows.

    \b
    Exit status: 0 converged, 1 error, 3 stopped by --timeout with work left,
    130 interrupted.
    """
    sys.exit(execute_apply(target, specs, ownership, yes=yes, as_json=as_json, timeout=timeout))


@cli.command()
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
    """Show the live indexes of the tables in SPEC, or of --table NAME."""
    from multigsi.spec.files import load_specs

    if not spec and not tables:
        raise click.UsageError("give a SPEC file or --table NAME")
    specs = load_specs(spec, logical_id=logical_id) if spec else ()
    names = [s.table_name for s in specs] + list(tables)
    reconciler = Reconciler(target.clients()[0])
    lives = [reconciler.read(name) for name in names]
    if as_json:
        click.echo(json.dumps({"tables": [render.status_json(live) for live in lives]}, indent=2))
        return
    for position, live in enumerate(lives):
        wanted = {index.name for index in specs[position].indexes} if position < len(specs) else None
        out.print(render.status_table(live, wanted))


@cli.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it on loopback)."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--index-build-seconds",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="How long an index build takes.",
)
@click.option(
    "--seconds-per-item",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Extra build time per item in the table.",
)
@click.option(
    "--faults",
    default="",
    metavar="RATES",
    help="Inject faults, e.g. throttle=0.05,error500=0.02,reset=0.01,latency=0.1:0.3,limit=0.05,inuse=0.02 "
    "(rates per request; limit/inuse on UpdateTable only; latency=RATE:SECONDS).",
)
@click.option("--fault-seed", default=0, show_default=True, type=int, help="Seed of the fault injection.")
def local(
    host: str, port: int, index_build_seconds: float, seconds_per_item: float, faults: str, fault_seed: int
) -> None:
    """Serve a local DynamoDB endpoint whose index builds behave like AWS's.

    Tables and items are moto's; index creates go CREATING (allocating, then
    backfilling) → ACTIVE over the build time, deletes go DELETING → gone, and a second
    create or delete while one is in flight gets AWS's LimitExceededException. Point any
    SDK at it, e.g. AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000.
    """
    from multigsi.local import LocalDynamoDB, Timing
    from multigsi.local.faults import FaultInjector, FaultRates, FaultSpecError

    try:
        injector = FaultInjector(FaultRates.parse(faults), fault_seed) if faults else None
    except FaultSpecError as error:
        raise click.BadParameter(str(error), param_hint="--faults") from None
    timing = Timing(build_seconds=index_build_seconds, seconds_per_item=seconds_per_item)
    endpoint = LocalDynamoDB(host, port, timing, faults=injector)
    out.print(
        f"Local DynamoDB on [bold]{endpoint.url}[/] (index builds take {index_build_seconds:g}s). Ctrl-C stops it."
    )
    out.print(
        f"  export AWS_ENDPOINT_URL_DYNAMODB={endpoint.url} AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local"
    )
    try:
        endpoint.serve_forever()
    except KeyboardInterrupt:
        out.print("Stopped.")


@cli.command()
@click.option(
    "--indexes", default=5, show_default=True, type=click.IntRange(1, 20), help="How many indexes to add."
)
@click.option(
    "--items",
    default=500,
    show_default=True,
    type=click.IntRange(0, 100_000),
    help="Items in the demo table.",
)
@click.option("--index-build-seconds", default=4.0, show_default=True, type=click.FloatRange(min=0.1))
def demo(indexes: int, items: int, index_build_seconds: float) -> None:
    """Run the whole job on a built-in local endpoint: a table with data gets several
    indexes, applied one at a time, with live progress. Needs no AWS account."""
    from multigsi.cli.demo import run_demo

    sys.exit(run_demo(out, indexes=indexes, items=items, build_seconds=index_build_seconds))


@cli.command()
@click.option(
    "--output",
    "-o",
    default="dist/multigsi-lambda.zip",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to write the zip.",
)
def package(output: str) -> None:
    """Build the Lambda deployment zip for the custom resource.

    It contains the handler (multigsi.cfn.lambda_handler) and a pinned recent
    boto3/botocore, since the runtime's bundled boto3 may predate OnDemandThroughput,
    WarmThroughput and multi-attribute keys. Needs PyPI access (pip).
    """
    from pathlib import Path

    from multigsi.cli.package import build_zip

    names = build_zip(Path(output))
    size = Path(output).stat().st_size
    out.print(
        f"Wrote {output} ({size / 1_000_000:.1f} MB, {len(names)} files). Handler: multigsi.cfn.lambda_handler"
    )


@cli.command()
@click.argument("spec", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--logical-id", help="In a CloudFormation template SPEC: the resource to take the indexes from."
)
@click.option("--table-name", help="The table (default: the one in SPEC, or a demo table).")
@click.option(
    "--create-table", is_flag=True, help="Include an AWS::DynamoDB::Table in the template (a demo stack)."
)
@click.option(
    "--code-uri",
    default="../dist/multigsi-lambda.zip",
    show_default=True,
    help="Where the zip from `multigsi package` is.",
)
@click.option("--service-timeout", default=3600, show_default=True, type=click.IntRange(1, 3600))
@click.option(
    "--reserved-concurrency",
    default="5",
    show_default=True,
    help="The function's reserved concurrency (1-1000), so a runaway chain cannot starve the "
    "account; 'none' leaves it unreserved (for accounts with a small concurrency quota).",
)
def template(
    spec: str | None,
    logical_id: str | None,
    table_name: str | None,
    create_table: bool,
    code_uri: str,
    service_timeout: int,
    reserved_concurrency: str,
) -> None:
    """Print a SAM template that adds SPEC's indexes to a table with the multigsi custom
    resource (a least-privilege role, the function, its log group and the resource).

    \b
    Without SPEC: three demo indexes. Deploy with:
      multigsi package && multigsi template SPEC > template.yaml
      sam deploy --template-file template.yaml --guided
    """
    from cfn_flip import dump_yaml

    from multigsi.cli.demo import demo_spec
    from multigsi.cli.template import check_table_name, ordered, reserved
    from multigsi.cli.template import template as build
    from multigsi.spec.files import load_specs
    from multigsi.spec.parse import parse_table_spec

    if table_name is not None:
        check_table_name(table_name, "--table-name")
    concurrency = reserved(reserved_concurrency)
    if spec:
        (table_spec,) = load_specs(spec, logical_id=logical_id, table_name=table_name)
    else:
        raw = demo_spec(3)
        raw["TableName"] = table_name or "multigsi-demo-orders"
        table_spec = parse_table_spec(raw)
    document = build(
        table_spec,
        create_table=create_table,
        code_uri=code_uri,
        service_timeout=service_timeout,
        reserved_concurrency=concurrency,
    )
    command = " ".join(["multigsi template", *sys.argv[2:]]) if len(sys.argv) > 1 else "multigsi template"
    click.echo(
        f"# Generated by `{command}`.\n" + dump_yaml(ordered(document), clean_up=False, long_form=False),
        nl=False,
    )


@cli.command("cfn-local")
@click.argument("events", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--lambda-timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=3),
    help="The function's timeout; work longer than this is handed off.",
)
@click.option("--index-build-seconds", default=5.0, show_default=True, type=click.FloatRange(min=0))
@click.option(
    "--create-table",
    is_flag=True,
    help="Create each table the events name first (on-demand, with a few items).",
)
def cfn_local(
    events: tuple[str, ...], lambda_timeout: float, index_build_seconds: float, create_table: bool
) -> None:
    """Play CloudFormation and Lambda locally: deliver EVENTS (files with RequestType and
    ResourceProperties, in order) to the custom resource, against the built-in local
    DynamoDB, and print each answer CloudFormation would receive.

    \b
    A failed Create is followed by a Delete and a failed Update by the rollback Update,
    as CloudFormation does. Try:
      multigsi cfn-local examples/cfn-events/*.json --create-table
    """
    from multigsi.cli.cfn_local import run_events

    sys.exit(
        run_events(
            out,
            events,
            lambda_timeout=lambda_timeout,
            build_seconds=index_build_seconds,
            create_table=create_table,
        )
    )


def main() -> None:
    cli()
