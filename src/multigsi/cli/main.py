"""The `multigsi` command line: plan, apply, status, local, demo."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from botocore.exceptions import BotoCoreError
from rich.text import Text

from multigsi import __version__
from multigsi.cli import render
from multigsi.cli.console import err, out, print_table
from multigsi.cli.exits import Exit, help_epilog
from multigsi.cli.failures import explain
from multigsi.cli.options import AwsTarget, aws_options, spec_options
from multigsi.cli.run import execute_apply, missing_table, plans_for, report_retry
from multigsi.engine.fleet.account import DEFAULT_CALLS_PER_SECOND
from multigsi.engine.fleet.slots import DEFAULT_MAX_OPERATIONS
from multigsi.engine.ownership.record import Claims, owners_of
from multigsi.engine.ownership.scope import Ownership
from multigsi.engine.reconcile import Reconciler
from multigsi.errors import MultigsiError, TableNotFoundError
from multigsi.model.live import LiveTable
from multigsi.model.table import TableSpec


class MultigsiGroup(click.Group):
    """Turns expected failures, in any command or its options, into one clear message and
    exit status 1: never a traceback for a bad spec, a missing table or missing credentials.
    A usage error is an error like any other (1), so that 2 keeps one meaning."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as error:
            error.exit_code = Exit.ERROR  # type: ignore[misc]  # per instance, on purpose
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            error.exit_code = Exit.ERROR  # type: ignore[misc]  # per instance, on purpose
            raise
        except (MultigsiError, BotoCoreError) as error:
            err.print(Text.assemble(("Error:", "red"), " ", explain(error)))
        ctx.exit(Exit.ERROR)


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


@cli.command(epilog=help_epilog("plan"))
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


@cli.command(epilog=help_epilog("apply"))
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
    "table operations per account). Tables beyond it queue, first come first served.",
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
    """Show the live indexes of the tables in SPEC, or of --table NAME, with each index's
    owner: the CloudFormation stack and logical id that created or adopted it, or
    "unmanaged"."""
    from multigsi.cli.spec_files import load_specs

    if not spec and not tables:
        raise click.UsageError("give a SPEC file or --table NAME")
    specs = load_specs(spec, logical_id=logical_id) if spec else ()
    names = [s.table_name for s in specs] + list(tables)
    reconciler = Reconciler(target.clients().dynamodb, observer=report_retry)
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
    type=click.Path(dir_okay=False),
    help="Where to write the zip (default: dist/multigsi-lambda.zip, or "
    "dist/multigsi-resource-type.zip with --resource-type).",
)
@click.option(
    "--python",
    "python",
    type=click.Path(dir_okay=False),
    help="The CPython to compile bytecode with; its version becomes the runtime "
    "(default: find a CPython 3.12 on PATH or under pyenv).",
)
@click.option(
    "--resource-type",
    is_flag=True,
    help="Build the schema handler package of the Multigsi::DynamoDB::GlobalSecondaryIndexes "
    "resource type (for `multigsi register-type`) instead of the custom resource's zip.",
)
def package(output: str | None, python: str | None, resource_type: bool) -> None:
    """Build the Lambda deployment zip for the custom resource, or with --resource-type the
    resource type's schema handler package.

    The zip contains the handler (multigsi.cloudformation.custom_resource.lambda_handler) with the modules it imports, a
    pinned recent boto3/botocore (installed by hash) trimmed to the services the handler
    calls, and bytecode compiled by a CPython of the runtime's version. Needs PyPI access
    (pip). `multigsi template --package ZIP` declares the runtime the zip was built for.

    \b
    The resource type's package is what `cfn submit --dry-run` writes: .rpdk-config,
    schema.json and ResourceProvider.zip (multigsi.cloudformation.resource_type.handlers.resource with the
    modules it imports, cloudformation-cli-python-lib and boto3, pinned by hash).
    """
    from pathlib import Path

    if resource_type:
        from multigsi.deploy.bytecode import DEFAULT_VERSION, find_interpreter, given_interpreter
        from multigsi.deploy.type_package import build_type_package, report

        interpreter = given_interpreter(python) if python else find_interpreter(DEFAULT_VERSION)
        built = build_type_package(Path(output or "dist/multigsi-resource-type.zip"), interpreter=interpreter)
        click.echo(report(built, interpreter))
        return
    from multigsi.deploy.package import build_and_report

    click.echo(build_and_report(Path(output or "dist/multigsi-lambda.zip"), python))


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
    "--package",
    "package_zip",
    type=click.Path(exists=True, dir_okay=False),
    help="A zip from `multigsi package`: declare the runtime it was compiled for (default python3.12).",
)
@click.option(
    "--reserved-concurrency",
    default="5",
    show_default=True,
    help="The function's reserved concurrency (1-1000), so a runaway chain cannot starve the "
    "account; 'none' leaves it unreserved (for accounts with a small concurrency quota).",
)
@click.option(
    "--resource-type",
    is_flag=True,
    help="Use the registered Multigsi::DynamoDB::GlobalSecondaryIndexes resource type (builds of any "
    "length, up to 36 hours) instead of the custom resource (no registration, up to one hour).",
)
def template(
    spec: str | None,
    logical_id: str | None,
    table_name: str | None,
    create_table: bool,
    code_uri: str,
    service_timeout: int,
    package_zip: str | None,
    reserved_concurrency: str,
    resource_type: bool,
) -> None:
    """Print a SAM template that adds SPEC's indexes to a table with the multigsi custom
    resource (a least-privilege role, the function, its log group and the resource).

    \b
    Without SPEC: three demo indexes. Deploy with:
      multigsi package && multigsi template SPEC > template.yaml
      sam deploy --template-file template.yaml --guided
    With --resource-type, only the table (with --create-table) and the type's resource,
    once the type is registered (multigsi register-type):
      multigsi template --resource-type SPEC > template.yaml
      aws cloudformation deploy --template-file template.yaml --stack-name NAME
    """
    from cfn_flip import dump_yaml

    from multigsi.cli.demo import demo_spec
    from multigsi.cli.spec_files import load_specs
    from multigsi.deploy.template import DEFAULT_RUNTIME, check_table_name, ordered, reserved
    from multigsi.deploy.template import template as build
    from multigsi.model.parse import parse_table_spec

    if table_name is not None:
        check_table_name(table_name, "--table-name")
    concurrency = reserved(reserved_concurrency)
    if spec:
        (table_spec,) = load_specs(spec, logical_id=logical_id, table_name=table_name)
    else:
        raw = demo_spec(3)
        raw["TableName"] = table_name or "multigsi-demo-orders"
        table_spec = parse_table_spec(raw)
    command = " ".join(["multigsi template", *sys.argv[2:]]) if len(sys.argv) > 1 else "multigsi template"
    if resource_type:
        from multigsi.deploy.template import type_template

        if package_zip or service_timeout != 3600:
            raise click.UsageError(
                "--package and --service-timeout are for the custom resource, not --resource-type"
            )
        document = type_template(table_spec, create_table=create_table)
        click.echo(
            f"# Generated by `{command}`.\n" + dump_yaml(ordered(document), clean_up=False, long_form=False),
            nl=False,
        )
        return
    runtime = DEFAULT_RUNTIME
    if package_zip:
        from pathlib import Path

        from multigsi.deploy.package import runtime_of

        runtime = runtime_of(Path(package_zip)) or ""
        if not runtime:
            raise click.BadParameter("not a zip from `multigsi package`", param_hint="--package")
    document = build(
        table_spec,
        create_table=create_table,
        code_uri=code_uri,
        service_timeout=service_timeout,
        runtime=runtime,
        reserved_concurrency=concurrency,
    )
    click.echo(
        f"# Generated by `{command}`.\n" + dump_yaml(ordered(document), clean_up=False, long_form=False),
        nl=False,
    )


@cli.command("register-type")
@click.option(
    "--package",
    "package_zip",
    default="dist/multigsi-resource-type.zip",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The schema handler package from `multigsi package --resource-type`.",
)
@click.option("--bucket", help="The S3 bucket to upload the package to (in the same region).")
@click.option(
    "--bucket-owner",
    help="The account that owns the bucket (default: this account, from sts:GetCallerIdentity); "
    "S3 refuses the upload to a bucket anyone else owns.",
)
@click.option("--key", help="The object key (default: multigsi/resource-type-<sha256 of the package>.zip).")
@click.option(
    "--execution-role-arn",
    help="The role CloudFormation assumes to run the handlers (make one with --role-template).",
)
@click.option("--log-group", help="A CloudWatch Logs group for the handlers' logs (with --log-role-arn).")
@click.option("--log-role-arn", help="The role CloudFormation assumes to write those logs.")
@click.option("--no-set-default", is_flag=True, help="Register the version without making it the default.")
@click.option("--poll-seconds", default=5.0, show_default=True, type=click.FloatRange(min=0.01))
@click.option(
    "--timeout", default=1800.0, show_default=True, type=click.FloatRange(min=1), help="Seconds to wait."
)
@click.option("--role-template", is_flag=True, help="Print a template for the execution role and stop.")
@click.option(
    "--stackset-template",
    "stackset_template",
    type=click.Path(dir_okay=False, writable=True),
    help="Write a template that registers the type (with its execution role and log configuration) "
    "in every account and region of a service-managed StackSet, from the package in S3, and stop.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--region", help="AWS region (default: boto3's configuration).")
@click.option("--profile", help="AWS profile (default: boto3's configuration).")
def register_type(
    package_zip: str,
    bucket: str | None,
    bucket_owner: str | None,
    key: str | None,
    execution_role_arn: str | None,
    log_group: str | None,
    log_role_arn: str | None,
    no_set_default: bool,
    poll_seconds: float,
    timeout: float,
    role_template: bool,
    stackset_template: str | None,
    as_json: bool,
    region: str | None,
    profile: str | None,
) -> None:
    """Register the Multigsi::DynamoDB::GlobalSecondaryIndexes resource type in this
    account and region: upload the package to S3, RegisterType, wait for the registration,
    and make the new version the default.

    \b
    Once per account and region (and again for each new version):
      multigsi package --resource-type
      multigsi register-type --role-template > role.yaml   # deploy it; note ExecutionRoleArn
      multigsi register-type --bucket BUCKET --execution-role-arn ARN \\
          --log-group multigsi-type --log-role-arn ARN
    Every account and region of an organisation, through a service-managed StackSet:
      multigsi register-type --stackset-template register-type.yaml
      (then aws s3 cp and aws cloudformation create-stack-set, as it prints)
    AWS_ENDPOINT_URL_CLOUDFORMATION, AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_STS are
    honoured, as by boto3.
    """
    import hashlib
    from pathlib import Path

    from cfn_flip import dump_yaml

    from multigsi.deploy import register_type as register
    from multigsi.deploy.template import ordered
    from multigsi.engine import clients as aws

    path = Path(package_zip)
    data = register.check_package(path)
    default_key = key or f"multigsi/resource-type-{hashlib.sha256(data).hexdigest()[:20]}.zip"
    if stackset_template:
        document = register.stackset_template(register.schema_of(path), default_key)
        Path(stackset_template).write_text(dump_yaml(ordered(document), clean_up=False, long_form=False))
        err.print(
            Text(
                f"Wrote {stackset_template}. Upload the package where the organisation can read it:\n"
                f"  aws s3 cp {path} s3://BUCKET/{default_key}\n"
                "then deploy it (docs/registry-type.md, 'Every account of an organisation'):\n"
                f"  aws cloudformation create-stack-set --stack-set-name multigsi-resource-type "
                f"--template-body file://{stackset_template} --permission-model SERVICE_MANAGED "
                "--auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false "
                "--capabilities CAPABILITY_IAM --parameters ParameterKey=PackageBucket,ParameterValue=BUCKET\n"
                "  aws cloudformation create-stack-instances --stack-set-name multigsi-resource-type "
                "--deployment-targets OrganizationalUnitIds=ou-xxxx-xxxxxxxx --regions us-east-1 eu-west-1"
            )
        )
        return
    if role_template:
        document = register.role_template(register.schema_of(path))
        click.echo(dump_yaml(ordered(document), clean_up=False, long_form=False), nl=False)
        return
    if not bucket:
        raise click.UsageError("--bucket is required (the S3 bucket to upload the package to)")
    if (log_group is None) != (log_role_arn is None):
        raise click.UsageError("--log-group and --log-role-arn go together")
    logging = register.LoggingConfig(log_role_arn, log_group) if log_group and log_role_arn else None
    if not execution_role_arn:
        raise click.UsageError("--execution-role-arn is required (make the role with --role-template)")
    session = aws.session(profile, region)
    account = register.caller_account(session.client("sts", config=aws.CLIENT_CONFIG))
    result = register.register_type(
        cloudformation=session.client("cloudformation", config=aws.CLIENT_CONFIG),
        s3=session.client("s3", config=aws.CLIENT_CONFIG),
        package=path,
        bucket=bucket,
        key=default_key,
        execution_role_arn=execution_role_arn,
        logging=logging,
        bucket_owner=bucket_owner or account,
        account=account,
        set_default=not no_set_default,
        poll_seconds=poll_seconds,
        timeout_seconds=timeout,
        on_progress=lambda line: err.print(Text(line)),
    )
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        click.echo(f"Registered {result.type_name}: {result.type_version_arn}")


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
