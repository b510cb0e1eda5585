"""Options shared by the commands, and the clients they configure.

boto3 conventions throughout: --region, --profile and --endpoint-url map onto the session
and client; AWS_* environment variables (AWS_ENDPOINT_URL_DYNAMODB included) work as usual.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from multigsi.engine import aws
from multigsi.engine.ownership import Ownership
from multigsi.spec.files import load_specs
from multigsi.spec.model import TableSpec


@dataclass(frozen=True)
class AwsTarget:
    region: str | None
    profile: str | None
    endpoint_url: str | None
    # Only for the built-in local endpoint, which accepts any credentials.
    local_credentials: bool = False

    def clients(self) -> tuple[Any, Any, Any]:
        """(dynamodb, dynamodb for UpdateTable without automatic retries, cloudwatch) clients.
        One session: boto3 sessions are not thread-safe to create clients from concurrently,
        clients are safe to share."""
        session = aws.session(self.profile, self.region, local_credentials=self.local_credentials)
        dynamodb = aws.dynamodb_client(session, self.endpoint_url)
        steps = aws.dynamodb_step_client(session, self.endpoint_url)
        cloudwatch = aws.cloudwatch_client(session, self.endpoint_url)
        return dynamodb, steps, cloudwatch


def aws_options(command: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--region", help="AWS region (default: AWS_DEFAULT_REGION, then the profile).")
    @click.option("--profile", help="Named profile from ~/.aws/config.")
    @click.option(
        "--endpoint-url",
        help="Endpoint for DynamoDB (and the CloudWatch progress reads), e.g. http://127.0.0.1:8000 for "
        "`multigsi local` (default: AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_CLOUDWATCH, then AWS).",
    )
    @functools.wraps(command)
    def wrapper(region: str | None, profile: str | None, endpoint_url: str | None, **kwargs: Any) -> Any:
        return command(target=AwsTarget(region, profile, endpoint_url), **kwargs)

    return wrapper


def spec_options(command: Callable[..., Any]) -> Callable[..., Any]:
    @click.argument("spec", type=click.Path(dir_okay=False))
    @click.option(
        "--logical-id",
        help="In a CloudFormation template: the AWS::DynamoDB::Table or Custom::MultiGsi resource to use.",
    )
    @click.option("--table-name", help="Use this table name instead of the one in the file.")
    @click.option(
        "--parameter",
        "parameters",
        multiple=True,
        metavar="NAME=VALUE",
        help="Value for a template parameter or pseudo parameter (repeatable).",
    )
    @click.option(
        "--keep-unlisted",
        is_flag=True,
        help="Change only the indexes the spec lists; leave every other index on the table alone. "
        "Without it the spec is the table's full index set and unlisted indexes are deleted.",
    )
    @functools.wraps(command)
    def wrapper(
        spec: str,
        logical_id: str | None,
        table_name: str | None,
        parameters: tuple[str, ...],
        keep_unlisted: bool,
        **kwargs: Any,
    ) -> Any:
        values = {}
        for item in parameters:
            name, separator, value = item.partition("=")
            if not separator:
                raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--parameter")
            values[name] = value
        specs = load_specs(spec, logical_id=logical_id, table_name=table_name, parameters=values)
        ownership = Ownership.listed_only() if keep_unlisted else Ownership.everything()
        return command(specs=specs, ownership=ownership, **kwargs)

    return wrapper


SpecList = tuple[TableSpec, ...]
