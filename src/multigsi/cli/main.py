"""The `multigsi` command line: the group, its help, and one error policy for every command
(the commands themselves are in ``multigsi.cli.commands``)."""

from __future__ import annotations

from typing import Any

import click
from botocore.exceptions import BotoCoreError
from rich.text import Text

from multigsi import __version__
from multigsi.cli.commands import deploy, develop, operate
from multigsi.cli.console import err
from multigsi.cli.exits import Exit
from multigsi.cli.failures import explain
from multigsi.errors import MultigsiError


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


for _command in (
    operate.plan,
    operate.apply,
    operate.status,
    develop.local,
    develop.demo,
    develop.cfn_local,
    deploy.package,
    deploy.template,
    deploy.register_type,
):
    cli.add_command(_command)


def main() -> None:
    cli()
