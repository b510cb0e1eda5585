"""Deployers' commands: package, template, register-type (shipping the CloudFormation front doors)."""

from __future__ import annotations

import json
import sys

import click
from rich.text import Text

from multigsi.cli.console import err


@click.command()
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


@click.command()
@click.argument("spec", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--logical-id", help="In a CloudFormation template SPEC: the resource to take the indexes from."
)
@click.option("--table-name", help="The table (default: the one in SPEC, or a demo table).")
@click.option(
    "--create-table", is_flag=True, help="Include an AWS::DynamoDB::Table in the template (a demo stack)."
)
@click.option(
    "--replica-region",
    "replica_regions",
    multiple=True,
    metavar="REGION",
    help="With --create-table: make it an AWS::DynamoDB::GlobalTable with a replica in REGION "
    "besides the stack's own region (repeatable).",
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
    replica_regions: tuple[str, ...],
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
    from multigsi.cli.demo import demo_spec
    from multigsi.cli.spec_files import load_specs
    from multigsi.deploy.template import (
        DEFAULT_RUNTIME,
        check_replica_regions,
        check_table_name,
        reserved,
        template_yaml,
    )
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
    if replica_regions and not create_table:
        raise click.UsageError("--replica-region is for the table --create-table makes")
    regions = check_replica_regions(replica_regions, table_spec)
    command = " ".join(["multigsi template", *sys.argv[2:]]) if len(sys.argv) > 1 else "multigsi template"
    if resource_type:
        from multigsi.deploy.template import type_template

        if package_zip or service_timeout != 3600:
            raise click.UsageError(
                "--package and --service-timeout are for the custom resource, not --resource-type"
            )
        document = type_template(table_spec, create_table=create_table, replica_regions=regions)
        click.echo(
            f"# Generated by `{command}`.\n" + template_yaml(document),
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
        replica_regions=regions,
    )
    click.echo(
        f"# Generated by `{command}`.\n" + template_yaml(document),
        nl=False,
    )


@click.command("register-type")
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
    from pathlib import Path

    from multigsi.deploy import register_type as register
    from multigsi.deploy.template import template_yaml
    from multigsi.engine import clients as aws

    path = Path(package_zip)
    data = register.check_package(path)
    default_key = key or register.default_key(data)
    if stackset_template:
        document = register.stackset_template(register.schema_of(path), default_key)
        Path(stackset_template).write_text(template_yaml(document))
        err.print(
            Text(
                f"Wrote {stackset_template}. Upload the package where the organisation can read it:\n"
                f"  aws s3 cp {path} s3://BUCKET/{default_key}\n"
                "then deploy it (docs/resource-type.md, 'Every account of an organisation (StackSets)'):\n"
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
        click.echo(template_yaml(document), nl=False)
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
