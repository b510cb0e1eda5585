"""Developers' commands: local, demo, cfn-local (multigsi's own local endpoints)."""

from __future__ import annotations

import sys

import click

from multigsi.cli.console import out


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (keep it on loopback). Requests must name a loopback host, or this address, with the port: others get 403 (no DNS rebinding from a web page).",
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
    help="Inject faults, e.g. throttle=0.05,error500=0.02,reset=0.01,latency=0.1:0.3,limit=0.05,inuse=0.02,lost=0.05 "
    "(rates per request; limit/inuse/lost on UpdateTable only, lost = applied then answered 500; "
    "latency=RATE:SECONDS).",
)
@click.option("--fault-seed", default=0, show_default=True, type=int, help="Seed of the fault injection.")
@click.option(
    "--table-seconds",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0.0, 3600.0),
    help="How long a table stays CREATING, UPDATING (throughput/billing change) or DELETING.",
)
@click.option(
    "--max-table-operations",
    default=500,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Account limit: tables being created/updated/deleted plus index creates/deletes at once.",
)
@click.option(
    "--control-plane-rate",
    default=None,
    type=click.FloatRange(min=1.0),
    help="Account limit: control-plane requests a second (ThrottlingException above). Default: none.",
)
@click.option("--allow-reset", is_flag=True, help="Serve POST /moto-api/reset, which drops every table.")
def local(
    host: str,
    port: int,
    index_build_seconds: float,
    seconds_per_item: float,
    faults: str,
    fault_seed: int,
    table_seconds: float,
    max_table_operations: int,
    control_plane_rate: float | None,
    allow_reset: bool,
) -> None:
    """Serve a local DynamoDB endpoint whose index builds behave like AWS's.

    Tables and items are moto's; tables go CREATING → ACTIVE and DELETING → gone over
    --table-seconds, index creates go CREATING (allocating, then backfilling) → ACTIVE over
    the build time, deletes go DELETING → gone, and a second create or delete while one
    is in flight gets AWS's LimitExceededException. Requests are validated as DynamoDB
    does. Only DynamoDB is served. Point any SDK at it, e.g.
    AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000.
    """
    from multigsi.local import Limits, LocalDynamoDB, Timing
    from multigsi.local.dynamodb.faults import FaultInjector, FaultRates, FaultSpecError

    try:
        injector = FaultInjector(FaultRates.parse(faults), fault_seed) if faults else None
    except FaultSpecError as error:
        raise click.BadParameter(str(error), param_hint="--faults") from None
    timing = Timing(
        build_seconds=index_build_seconds, seconds_per_item=seconds_per_item, table_seconds=table_seconds
    )
    limits = Limits(max_table_operations=max_table_operations, control_plane_rate=control_plane_rate)
    endpoint = LocalDynamoDB(host, port, timing, faults=injector, limits=limits, allow_reset=allow_reset)
    out.print(
        f"Local DynamoDB on [bold]{endpoint.url}[/] (index builds take {index_build_seconds:g}s). Ctrl-C stops it.",
        soft_wrap=True,
    )
    # One logical line even in a narrow terminal: pasted, it must stay one command.
    out.print(
        f"  export AWS_ENDPOINT_URL_DYNAMODB={endpoint.url} AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local",
        soft_wrap=True,
    )
    try:
        endpoint.serve_forever()
    except KeyboardInterrupt:
        out.print("Stopped.")


@click.command()
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


@click.command("cfn-local")
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
