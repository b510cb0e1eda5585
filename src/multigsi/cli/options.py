"""Options shared by the commands, and the clients they configure.

boto3 conventions throughout: --region, --profile and --endpoint-url map onto the session
and client; AWS_* environment variables (AWS_ENDPOINT_URL_DYNAMODB included) work as usual.
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import click

from multigsi.cli import failures
from multigsi.cli.spec_files import load_specs
from multigsi.engine import clients as aws
from multigsi.engine.ownership.scope import Ownership
from multigsi.model.table import TableSpec

# A loopback endpoint answers at once or not at all.
LOCAL_CONNECT_SECONDS = 2.0


@dataclass(frozen=True)
class AwsTarget:
    region: str | None
    profile: str | None
    endpoint_url: str | None
    # Only for the built-in local endpoint, which accepts any credentials.
    local_credentials: bool = False

    def clients(self) -> aws.Clients:
        """The clients of one session (``multigsi.engine.clients.Clients``).

        A local endpoint that refuses connections fails here at once, instead of after
        botocore's and the loop's retries (about 15 s) meant for a remote service."""
        session = aws.session(self.profile, self.region, local_credentials=self.local_credentials)
        try:
            clients = aws.Clients.build(session, endpoint_url=self.endpoint_url)
        except ValueError as error:  # botocore: "Invalid endpoint: ..." from AWS_ENDPOINT_URL_*
            raise click.ClickException(
                f"{error}: an endpoint URL needs http:// or https:// "
                "(check --endpoint-url, AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL)"
            ) from None
        _refuse_closed_local_port(clients.dynamodb.meta.endpoint_url)
        return clients


def _refuse_closed_local_port(url: str) -> None:
    if not failures.is_loopback(url):
        return
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=LOCAL_CONNECT_SECONDS).close()
    except OSError as error:
        reason = "connection refused" if isinstance(error, ConnectionRefusedError) else str(error)
        raise click.ClickException(
            f"nothing answers at {url} ({reason}): start it with `multigsi local --port {port}`, "
            "or point --endpoint-url / AWS_ENDPOINT_URL_DYNAMODB elsewhere"
        ) from None


def _endpoint_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    problem = failures.endpoint_problem(value) if value is not None else None
    if problem:
        raise click.BadParameter(problem, ctx=ctx, param=param)
    return value


def aws_options(command: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--region", help="AWS region (default: AWS_DEFAULT_REGION, then the profile).")
    @click.option("--profile", help="Named profile from ~/.aws/config.")
    @click.option(
        "--endpoint-url",
        callback=_endpoint_url,
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
        # aws_options (applied inside this one) still holds --region: a global table's home
        region = kwargs.get("region")
        specs = load_specs(
            spec,
            logical_id=logical_id,
            table_name=table_name,
            parameters=values,
            region=region,
            profile=kwargs.get("profile"),
        )
        ownership = Ownership.listed_only() if keep_unlisted else Ownership.everything()
        return command(specs=specs, ownership=ownership, **kwargs)

    return wrapper


SpecList = tuple[TableSpec, ...]
