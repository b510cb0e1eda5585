"""`multigsi cfn-local`: custom resource events through the local CloudFormation harness."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from multigsi.cli.options import AwsTarget
from multigsi.cli.spec_files import read_document
from multigsi.local import LocalDynamoDB, Timing
from multigsi.local.cloudformation import LocalCloudFormation, Stack
from multigsi.local.dynamodb.waiting import wait_for_table
from multigsi.model import wire


def run_events(
    console: Console, paths: Sequence[str], *, lambda_timeout: float, build_seconds: float, create_table: bool
) -> int:
    documents = [(path, read_document(Path(path))) for path in paths]
    with LocalDynamoDB(timing=Timing(build_seconds=build_seconds)) as endpoint:
        client = AwsTarget("us-east-1", None, endpoint.url, local_credentials=True).clients().dynamodb
        if create_table:
            for table in sorted(
                {str(d.get("ResourceProperties", {}).get("TableName")) for _, d in documents}
            ):
                _create(client, table)
        console.print(
            f"Local DynamoDB {endpoint.url}; Lambda timeout {lambda_timeout:g}s; index builds {build_seconds:g}s."
        )
        failures = 0
        with LocalCloudFormation(dynamodb_url=endpoint.url, lambda_timeout=lambda_timeout) as cloudformation:
            stack = Stack(cloudformation)
            for path, document in documents:
                kind = document.get("RequestType")
                properties = dict(document.get("ResourceProperties", {}))
                console.print(f"\n[bold]{kind}[/] from {path}")
                seen = len(stack.history)
                if kind == "Create":
                    stack.create(properties)
                elif kind == "Update":
                    stack.update(properties)
                elif kind == "Delete":
                    stack.delete()
                else:
                    console.print(f"[red]{path}: RequestType must be Create, Update or Delete[/]")
                    return 1
                for what, response in stack.history[seen:]:
                    colour = "green" if response.status == "SUCCESS" else "red"
                    console.print(
                        f"  {what}: [{colour}]{response.status}[/] after {response.elapsed:.1f}s — {response.reason}",
                        highlight=False,
                    )
                    console.print(f"    PhysicalResourceId: {response.physical_resource_id}", highlight=False)
                failures += stack.history[seen][1].status != "SUCCESS"
            cloudformation.lambda_service.wait_idle(lambda_timeout)
            invocations = cloudformation.lambda_service.invocations
            console.print(
                f"\nLambda invocations: {len(invocations)} (hand-offs included); the longest chain: {max((i.hop for i in invocations), default=0) + 1} hop(s)."
            )
        return 1 if failures else 0


def _create(client: Any, table: str) -> None:
    client.create_table(**wire.bare_table_request(table))
    wait_for_table(client, table)  # CreateTable answers CREATING, as on AWS
    for number in range(20):
        item = {"pk": {"S": f"item-{number}"}, "customer": {"S": f"c{number % 4}"}, "status": {"S": "placed"}}
        client.put_item(TableName=table, Item=item)
