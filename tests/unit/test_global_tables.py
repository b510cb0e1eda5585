"""A global table in the model, the plan and the rules: when it is settled, which
per-replica steps it needs, and what is refused. Pure data, from DescribeTable answers
shaped as AWS documents them (the end-to-end runs are tests/integration/test_global_tables.py)."""

from __future__ import annotations

from typing import Any

import pytest

from multigsi.engine.ownership.scope import Ownership
from multigsi.engine.plan import Action, make_plan
from multigsi.engine.reconcile import Reconciler
from multigsi.engine.rules import problems_against_live
from multigsi.errors import TableUnavailableError
from multigsi.model.live import LiveTable
from multigsi.model.parse import parse_table_spec
from multigsi.model.wire import live_table_from_describe

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"


def index(name: str, status: str = "ACTIVE", backfilling: bool = False) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
        "IndexStatus": status,
        "Backfilling": backfilling,
    }


def described(
    indexes: list[dict[str, Any]], replicas: list[dict[str, Any]] | None = None, region: str = "us-east-1"
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "TableName": "orders",
        "TableArn": ARN.replace("us-east-1", region),
        "TableStatus": "ACTIVE",
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": indexes,
    }
    if replicas is not None:
        answer["Replicas"] = replicas
    return answer


def replica(region: str, status: str = "ACTIVE", **extra: Any) -> dict[str, Any]:
    return {"RegionName": region, "ReplicaStatus": status, **extra}


def with_replica_tables(home: dict[str, Any], tables: dict[str, list[dict[str, Any]]]) -> LiveTable:
    """The home answer with each replica region's own answer read in, as the loop does."""
    live = live_table_from_describe(home)
    seen = []
    for item in live.replicas:
        own = tables.get(item.region)
        seen.append(
            item
            if own is None
            else type(item)(
                item.region,
                item.status,
                item.status_description,
                item.overrides,
                live_table_from_describe(described(own, region=item.region)),
            )
        )
    return LiveTable(**{**live.__dict__, "replicas": tuple(seen)})


def test_a_global_table_is_settled_only_when_every_replica_region_is() -> None:
    home = described([index("by-a")], [replica("eu-west-1"), replica("ap-south-1")])
    settled = with_replica_tables(home, {"eu-west-1": [index("by-a")], "ap-south-1": [index("by-a")]})
    backfilling = with_replica_tables(
        home, {"eu-west-1": [index("by-a")], "ap-south-1": [index("by-a", "CREATING", True)]}
    )
    on_its_way = with_replica_tables(home, {"eu-west-1": [index("by-a")], "ap-south-1": []})
    unread = with_replica_tables(home, {"eu-west-1": [index("by-a")]})
    updating = with_replica_tables(
        described([index("by-a")], [replica("eu-west-1", "UPDATING")]), {"eu-west-1": [index("by-a")]}
    )

    assert not settled.busy and settled.region == "us-east-1"
    for busy in (backfilling, on_its_way, unread, updating):
        assert busy.busy and not busy.home_busy


def test_a_replicas_own_replica_list_does_not_keep_it_busy() -> None:
    home = described([index("by-a")], [replica("eu-west-1")])
    # The replica's own DescribeTable lists the other members, unread from there.
    own = described([index("by-a")], [replica("us-east-1")], region="eu-west-1")
    live = live_table_from_describe(home)
    item = live.replicas[0]
    read = type(item)(item.region, item.status, None, (), live_table_from_describe(own))
    assert not LiveTable(**{**live.__dict__, "replicas": (read,)}).busy


SPEC = {
    "TableName": "orders",
    "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "by-a",
            "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
}


def replicas_spec(*replicas: dict[str, Any]) -> Any:
    return parse_table_spec({**SPEC, "Replicas": list(replicas)})


def reads(region: str, units: int) -> dict[str, Any]:
    return {
        "Region": region,
        "GlobalSecondaryIndexes": [
            {"IndexName": "by-a", "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": units}}
        ],
    }


def test_per_replica_read_overrides_are_planned_last_one_replica_at_a_time() -> None:
    live = live_table_from_describe(
        described(
            [],
            [
                replica("eu-west-1", GlobalSecondaryIndexes=[{"IndexName": "by-a"}]),
                replica(
                    "ap-south-1",
                    GlobalSecondaryIndexes=[
                        {"IndexName": "by-a", "OnDemandThroughputOverride": {"MaxReadRequestUnits": 9}}
                    ],
                ),
            ],
        )
    )
    spec = replicas_spec(reads("eu-west-1", 50), reads("ap-south-1", 9), {"Region": "us-east-1"})

    plan = make_plan(live, spec, Ownership.everything())

    assert [(step.action, step.index_name, step.region) for step in plan.steps] == [
        (Action.CREATE, "by-a", None),
        (Action.UPDATE, "by-a", "eu-west-1"),  # ap-south-1 already has its 9; us-east-1 is home
    ]
    assert plan.steps[1].request("orders") == {
        "TableName": "orders",
        "ReplicaUpdates": [
            {
                "Update": {
                    "RegionName": "eu-west-1",
                    "GlobalSecondaryIndexes": [
                        {"IndexName": "by-a", "OnDemandThroughputOverride": {"MaxReadRequestUnits": 50}}
                    ],
                }
            }
        ],
    }
    assert "GlobalSecondaryIndexUpdates" not in plan.steps[1].request("orders")


@pytest.mark.parametrize(
    ("replicas", "expected"),
    [
        (
            [reads("sa-east-1", 5)],
            "Replicas[0].Region: 'sa-east-1' is not a replica of table 'orders' in us-east-1 (its replicas: "
            "eu-west-1); add the replica to the table first",
        ),
        (
            [reads("us-east-1", 5)],
            "Replicas[0].GlobalSecondaryIndexes: us-east-1 is the region multigsi works in",
        ),
        (
            [
                {
                    "Region": "eu-west-1",
                    "GlobalSecondaryIndexes": [
                        {"IndexName": "by-a", "ReadProvisionedThroughputSettings": {"ReadCapacityUnits": 5}}
                    ],
                }
            ],
            "Replicas[0].GlobalSecondaryIndexes[0].ReadProvisionedThroughputSettings: is only allowed on "
            "PROVISIONED tables",
        ),
    ],
)
def test_replica_settings_that_cannot_apply_are_refused_naming_where(
    replicas: list[dict[str, Any]], expected: str
) -> None:
    live = live_table_from_describe(described([index("by-a")], [replica("eu-west-1")]))
    problems = [
        str(problem)
        for problem in problems_against_live(replicas_spec(*replicas), live, Ownership.everything())
    ]
    assert any(problem.startswith(expected) for problem in problems), problems


class OneAnswer:
    """Stands in for DynamoDB where the state cannot be made locally: no local endpoint can
    disable a region. Answers DescribeTable with a fixed, documented shape."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer

    def describe_table(self, TableName: str) -> dict[str, Any]:  # boto3's argument name
        return {"Table": self.answer}


@pytest.mark.parametrize(
    "status", ["REGION_DISABLED", "INACCESSIBLE_ENCRYPTION_CREDENTIALS", "CREATION_FAILED"]
)
def test_a_replica_that_cannot_recover_by_itself_stops_the_plan_with_its_state(status: str) -> None:
    answer = described(
        [index("by-a")], [replica("eu-west-1", status, ReplicaStatusDescription="the region is disabled")]
    )
    reconciler = Reconciler(OneAnswer(answer))  # never read there: the replica cannot answer

    with pytest.raises(TableUnavailableError) as raised:
        reconciler.plan(parse_table_spec(SPEC), Ownership.everything())

    assert f"replica in eu-west-1 is {status} (the region is disabled)" in str(raised.value)


def test_replica_region_clients_are_made_once_each_and_prepared_once() -> None:
    """A run over many tables passes its call budget as ``prepare``: attaching it twice to
    one client would count every replica read twice."""
    from multigsi.engine.clients import Regions

    made: list[tuple[str, str]] = []
    prepared: list[object] = []

    def make(service: str, region: str) -> object:
        made.append((service, region))
        return object()

    def prepare(client: object) -> object:
        prepared.append(client)
        return client

    regions = Regions(make).prepared(prepare)
    first = regions.dynamodb("eu-west-1")
    assert regions.dynamodb("eu-west-1") is first
    assert regions.cloudwatch("eu-west-1") is not first
    regions.dynamodb("ap-south-1")
    assert made == [("dynamodb", "eu-west-1"), ("cloudwatch", "eu-west-1"), ("dynamodb", "ap-south-1")]
    assert len(prepared) == 3
