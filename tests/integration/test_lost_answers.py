"""UpdateTable answers lost on the way back: the local endpoint applies the request and then
answers HTTP 500 (its ``lost`` fault). A careful client re-reads the table instead of
resending, so DynamoDB never has a reason to refuse anything. Real HTTP to the local
endpoint through the clients the CLI and the Lambda build; nothing is mocked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from multigsi import Ownership, parse_table_spec
from multigsi.cli.options import AwsTarget
from multigsi.cli.run import reconcilers
from multigsi.local import LocalDynamoDB, Timing
from multigsi.local.cloudformation import Stack
from multigsi.local.cloudformation.cloudformation import LocalCloudFormation
from multigsi.local.dynamodb.control_plane import EndpointEvent
from multigsi.local.dynamodb.faults import FaultInjector, FaultRates
from tests.conftest import create_table, gsi, make_client

LOST = FaultRates(lost=1.0)  # every UpdateTable: applied, then answered 500


@pytest.fixture
def lossy() -> Iterator[LocalDynamoDB]:
    timing = Timing(build_seconds=0.5, min_jitter_seconds=0.2, delete_seconds=0.2, update_seconds=0.2)
    with LocalDynamoDB(timing=timing, faults=FaultInjector(LOST, seed=1)) as endpoint:
        yield endpoint


def spec(table: str) -> Any:
    return parse_table_spec(
        {
            "TableName": table,
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in "ab"],
            "GlobalSecondaryIndexes": [gsi("by-a", "a"), gsi("by-b", "b")],
        }
    )


def after_each_lost_answer(events: list[EndpointEvent], table: str) -> list[str]:
    """What the endpoint saw next on ``table`` after each UpdateTable whose answer it lost:
    "describe" (re-read), "UpdateTable" (resent without looking) or "nothing"."""
    mine = [e for e in events if e.table == table and e.kind in ("describe", "fault", "refused")]
    following = []
    for position, event in enumerate(mine):
        if event.kind == "fault" and event.detail == "UpdateTable: lost":
            rest = mine[position + 1 :]
            following.append(
                "nothing" if not rest else "describe" if rest[0].kind == "describe" else "UpdateTable"
            )
    return following


def test_the_cli_re_reads_after_a_lost_update_table_answer_instead_of_resending(
    lossy: LocalDynamoDB,
) -> None:
    create_table(make_client(lossy.url), "lossy-cli")
    target = AwsTarget("us-east-1", None, lossy.url, local_credentials=True)
    the_spec = spec("lossy-cli")
    result = reconcilers(target)(the_spec).apply(the_spec, Ownership.everything())

    assert result.converged
    events = lossy.plane.events
    assert after_each_lost_answer(events, "lossy-cli") == ["describe", "describe"], (
        "each lost answer is followed by a DescribeTable, never by the same UpdateTable again"
    )
    assert [e.detail for e in events if e.kind == "refused"] == [], "DynamoDB refused nothing"
    assert [e.index for e in events if e.kind == "started"] == ["by-a", "by-b"], "each step sent once"
    # The re-read shows that each unanswered step took effect: both count as issued.
    assert [s.index_name for s in result.steps_issued] == ["by-a", "by-b"]


def test_the_custom_resource_re_reads_after_a_lost_update_table_answer(lossy: LocalDynamoDB) -> None:
    create_table(make_client(lossy.url), "lossy-cfn")
    with LocalCloudFormation(dynamodb_url=lossy.url, lambda_timeout=30.0) as cloudformation:
        response = Stack(cloudformation).create(
            {
                "TableName": "lossy-cfn",
                "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in "ab"],
                "GlobalSecondaryIndexes": [gsi("by-a", "a"), gsi("by-b", "b")],
            }
        )
        cloudformation.lambda_service.wait_idle(10)
    assert response.status == "SUCCESS", response.reason
    events = lossy.plane.events
    assert after_each_lost_answer(events, "lossy-cfn") == ["describe", "describe"]
    assert [e.detail for e in events if e.kind == "refused"] == []
    assert [e.index for e in events if e.kind == "started"] == ["by-a", "by-b"]
