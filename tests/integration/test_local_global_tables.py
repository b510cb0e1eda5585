"""Global tables (version 2019.11.21) at the local endpoint, over HTTP with boto3: a table in
a home region with two replicas, each region chosen by the client's region (its signature).

Builds are given per region (``build_time``): short in the home region, longer in the
replicas, so that "the replica is still building" is a fact the tests can count on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from multigsi.local import IndexStart, LocalDynamoDB, ReplicaRules, Timing
from multigsi.local.dynamodb import messages
from tests.conftest import create_table

HOME, WEST, SOUTH = "us-east-1", "eu-west-1", "ap-south-1"
HOME_BUILD, REPLICA_BUILD = 0.4, 1.2
TIMING = Timing(
    table_seconds=0.1, replica_seconds=0.3, replication_seconds=0.3, delete_seconds=0.3, update_seconds=0.2
)


def build_time(key: tuple[str, str], index: str, items: int) -> float:
    return HOME_BUILD if key[0] == HOME else REPLICA_BUILD


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalDynamoDB]:
    with LocalDynamoDB(timing=TIMING, build_time=build_time) as local:
        yield local


def client_in(endpoint: LocalDynamoDB, region: str) -> Any:
    """No retries and no client-side validation: sees exactly what the endpoint answers."""
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint.url,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"total_max_attempts": 1}, parameter_validation=False),
    )


@pytest.fixture
def clients(endpoint: LocalDynamoDB) -> dict[str, Any]:
    return {region: client_in(endpoint, region) for region in (HOME, WEST, SOUTH)}


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def table(client: Any, name: str) -> dict[str, Any]:
    return dict(client.describe_table(TableName=name)["Table"])


def replicas(client: Any, name: str) -> dict[str, str]:
    return {r["RegionName"]: r["ReplicaStatus"] for r in table(client, name).get("Replicas", [])}


def index_status(client: Any, name: str, index: str) -> str | None:
    for item in table(client, name).get("GlobalSecondaryIndexes", []):
        if item["IndexName"] == index:
            return str(item["IndexStatus"])
    return None


def error_of(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def add_replica(clients: dict[str, Any], name: str, region: str) -> None:
    clients[HOME].update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": region}}])
    wait_until(lambda: replicas(clients[HOME], name).get(region) == "ACTIVE")
    wait_until(lambda: table(clients[HOME], name)["TableStatus"] == "ACTIVE")


def global_table(clients: dict[str, Any], name: str, items: int = 3) -> None:
    create_table(clients[HOME], name, items=items)
    add_replica(clients, name, WEST)
    add_replica(clients, name, SOUTH)


def gsi_create(name: str, attribute: str) -> list[dict[str, Any]]:
    return [
        {
            "Create": {
                "IndexName": name,
                "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        }
    ]


def test_replicas_appear_creating_then_active(clients: dict[str, Any], table_name: str) -> None:
    create_table(clients[HOME], table_name, items=3)
    answer = clients[HOME].update_table(
        TableName=table_name, ReplicaUpdates=[{"Create": {"RegionName": WEST}}]
    )
    assert answer["TableDescription"]["TableStatus"] == "UPDATING"  # the source, while it adds one
    assert replicas(clients[HOME], table_name) == {WEST: "CREATING"}
    assert table(clients[WEST], table_name)["TableStatus"] == "CREATING"
    wait_until(lambda: table(clients[WEST], table_name)["TableStatus"] == "ACTIVE")
    wait_until(lambda: replicas(clients[HOME], table_name) == {WEST: "ACTIVE"})
    add_replica(clients, table_name, SOUTH)
    # Every member lists the others, and is a 2019.11.21 replica.
    for region in (HOME, WEST, SOUTH):
        described = table(clients[region], table_name)
        assert described["GlobalTableVersion"] == "2019.11.21"
        assert {r["RegionName"] for r in described["Replicas"]} == {HOME, WEST, SOUTH} - {region}
        assert described["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert clients[region].scan(TableName=table_name)["Count"] == 3  # the source's items


def test_an_index_created_at_home_builds_later_in_each_replica(
    clients: dict[str, Any], table_name: str
) -> None:
    global_table(clients, table_name)
    clients[HOME].update_table(
        TableName=table_name,
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=gsi_create("by-a", "a"),
    )
    assert index_status(clients[HOME], table_name, "by-a") == "CREATING"
    for region in (WEST, SOUTH):  # not started there yet: the replica's table reads UPDATING
        assert index_status(clients[region], table_name, "by-a") is None
        assert table(clients[region], table_name)["TableStatus"] == "UPDATING"
    wait_until(lambda: index_status(clients[WEST], table_name, "by-a") == "CREATING")
    wait_until(lambda: index_status(clients[HOME], table_name, "by-a") == "ACTIVE")
    for region in (WEST, SOUTH):  # each replica builds its own copy, and is not done yet
        described = table(clients[region], table_name)
        (index,) = described["GlobalSecondaryIndexes"]
        assert (index["IndexStatus"], index["Backfilling"]) == ("CREATING", True)
        assert replicas(clients[HOME], table_name)[region] == "ACTIVE"  # ReplicaStatus stays ACTIVE
    # The home region's view names the index for every replica (no status there).
    for replica in table(clients[HOME], table_name)["Replicas"]:
        assert replica["GlobalSecondaryIndexes"] == [{"IndexName": "by-a"}]
    # Meanwhile a second create is refused: a replica still builds the first (ReplicaRules).
    code, message = error_of(
        clients[HOME].update_table,
        TableName=table_name,
        AttributeDefinitions=[{"AttributeName": "b", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=gsi_create("by-b", "b"),
    )
    assert (code, message) == ("LimitExceededException", messages.ONE_AT_A_TIME)
    for region in (WEST, SOUTH):
        wait_until(lambda region=region: index_status(clients[region], table_name, "by-a") == "ACTIVE")
        assert clients[region].query(
            TableName=table_name,
            IndexName="by-a",
            KeyConditionExpression="a = :a",
            ExpressionAttributeValues={":a": {"S": "a-0"}},
        )["Count"]


def test_an_index_delete_propagates(clients: dict[str, Any], table_name: str) -> None:
    global_table(clients, table_name, items=1)
    clients[HOME].update_table(
        TableName=table_name,
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=gsi_create("by-a", "a"),
    )
    for region in (HOME, WEST, SOUTH):
        wait_until(lambda region=region: index_status(clients[region], table_name, "by-a") == "ACTIVE")
    clients[WEST].update_table(  # issued at a replica's endpoint: it propagates all the same
        TableName=table_name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-a"}}]
    )
    for region in (HOME, WEST, SOUTH):
        assert index_status(clients[region], table_name, "by-a") == "DELETING"
    for region in (HOME, WEST, SOUTH):
        wait_until(lambda region=region: index_status(clients[region], table_name, "by-a") is None)


def test_writes_reach_the_other_regions_after_a_delay(clients: dict[str, Any], table_name: str) -> None:
    global_table(clients, table_name, items=0)
    key = {"pk": {"S": "written-in-west"}}
    clients[WEST].put_item(TableName=table_name, Item={**key, "v": {"S": "1"}})
    assert "Item" not in clients[HOME].get_item(TableName=table_name, Key=key)  # not yet
    for region in (HOME, SOUTH):
        wait_until(lambda region=region: "Item" in clients[region].get_item(TableName=table_name, Key=key))
    clients[HOME].update_item(
        TableName=table_name,
        Key=key,
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"S": "2"}},
    )
    wait_until(lambda: clients[SOUTH].get_item(TableName=table_name, Key=key)["Item"]["v"]["S"] == "2")
    clients[SOUTH].batch_write_item(
        RequestItems={
            table_name: [
                {"DeleteRequest": {"Key": key}},
                {"PutRequest": {"Item": {"pk": {"S": "batch"}}}},
            ]
        }
    )
    for region in (HOME, WEST):
        wait_until(
            lambda region=region: (
                clients[region].scan(TableName=table_name)["Items"] == [{"pk": {"S": "batch"}}]
            )
        )
    clients[HOME].delete_item(TableName=table_name, Key={"pk": {"S": "batch"}})
    for region in (WEST, SOUTH):
        wait_until(lambda region=region: clients[region].scan(TableName=table_name)["Count"] == 0)


def test_a_replica_delete_propagates(clients: dict[str, Any], table_name: str) -> None:
    global_table(clients, table_name, items=1)
    clients[WEST].update_table(TableName=table_name, ReplicaUpdates=[{"Delete": {"RegionName": SOUTH}}])
    assert table(clients[SOUTH], table_name)["TableStatus"] == "DELETING"
    assert replicas(clients[HOME], table_name)[SOUTH] == "DELETING"
    wait_until(lambda: SOUTH not in replicas(clients[HOME], table_name))
    assert replicas(clients[HOME], table_name) == {WEST: "ACTIVE"}
    assert table_name not in clients[SOUTH].list_tables()["TableNames"]
    wait_until(lambda: table(clients[HOME], table_name)["TableStatus"] == "ACTIVE")
    clients[HOME].update_table(TableName=table_name, ReplicaUpdates=[{"Delete": {"RegionName": WEST}}])
    wait_until(lambda: "Replicas" not in table(clients[HOME], table_name))  # a regional table again
    assert "GlobalTableVersion" not in table(clients[HOME], table_name)


def test_refusals_answer_dynamodbs_errors(clients: dict[str, Any], table_name: str) -> None:
    create_table(clients[HOME], table_name, items=0)
    update = clients[HOME].update_table
    assert error_of(
        update,
        TableName=table_name,
        ReplicaUpdates=[{"Create": {"RegionName": WEST}}, {"Create": {"RegionName": SOUTH}}],
    ) == ("ValidationException", messages.REPLICA_ONE_AT_A_TIME)
    assert error_of(
        update,
        TableName=table_name,
        ReplicaUpdates=[{"Create": {"RegionName": WEST}}],
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=gsi_create("by-a", "a"),
    ) == ("ValidationException", messages.REPLICA_ONLY_OPERATION)
    assert error_of(update, TableName=table_name, ReplicaUpdates=[{"Create": {"RegionName": HOME}}]) == (
        "ValidationException",
        messages.REPLICA_LOCAL_REGION,
    )
    assert error_of(update, TableName=table_name, ReplicaUpdates=[{"Delete": {"RegionName": WEST}}]) == (
        "ValidationException",
        messages.REPLICA_NOT_MEMBER.format(regions=WEST),
    )
    update(TableName=table_name, ReplicaUpdates=[{"Create": {"RegionName": WEST}}])
    # One replica change at a time: the next one waits for the first to finish.
    assert error_of(update, TableName=table_name, ReplicaUpdates=[{"Create": {"RegionName": SOUTH}}]) == (
        "ResourceInUseException",
        messages.REPLICA_IN_USE,
    )
    wait_until(lambda: replicas(clients[HOME], table_name) == {WEST: "ACTIVE"})
    assert error_of(update, TableName=table_name, ReplicaUpdates=[{"Create": {"RegionName": WEST}}]) == (
        "ValidationException",
        messages.REPLICA_EXISTS.format(name=table_name),
    )
    assert error_of(update, TableName=table_name, StreamSpecification={"StreamEnabled": False}) == (
        "ValidationException",
        messages.REPLICA_STREAM_DISABLE,
    )


def test_a_stream_can_be_required_before_a_replica(table_name: str) -> None:
    rules = ReplicaRules(require_stream=True)
    with LocalDynamoDB(timing=TIMING, build_time=build_time, replica_rules=rules) as local:
        home = client_in(local, HOME)
        create_table(home, table_name, items=0)
        assert error_of(
            home.update_table, TableName=table_name, ReplicaUpdates=[{"Create": {"RegionName": WEST}}]
        ) == (
            "ValidationException",
            messages.REPLICA_STREAM_REQUIRED,
        )
        home.update_table(
            TableName=table_name,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        wait_until(lambda: table(home, table_name)["TableStatus"] == "ACTIVE")
        home.update_table(TableName=table_name, ReplicaUpdates=[{"Create": {"RegionName": WEST}}])
        assert replicas(home, table_name) == {WEST: "CREATING"}


def test_a_replica_update_sets_its_overrides(clients: dict[str, Any], table_name: str) -> None:
    create_table(clients[HOME], table_name, items=0)
    add_replica(clients, table_name, WEST)
    override = {"MaxReadRequestUnits": 100}
    clients[WEST].update_table(  # from the replica's endpoint, about the home region's replica
        TableName=table_name,
        ReplicaUpdates=[{"Update": {"RegionName": HOME, "OnDemandThroughputOverride": override}}],
    )
    assert replicas(clients[WEST], table_name) == {HOME: "UPDATING"}
    wait_until(lambda: replicas(clients[WEST], table_name) == {HOME: "ACTIVE"})
    (replica,) = table(clients[WEST], table_name)["Replicas"]
    assert replica["OnDemandThroughputOverride"] == override


def test_the_unknowns_can_be_switched(table_name: str) -> None:
    """A replica's copy starts once the home index is ACTIVE, its ReplicaStatus reads UPDATING
    while it builds, and a second index is accepted meanwhile."""
    rules = ReplicaRules(
        builds_block_index_changes=False, updating_during_index_build=True, index_start=IndexStart.ACTIVE
    )
    with LocalDynamoDB(timing=TIMING, build_time=build_time, replica_rules=rules) as local:
        clients = {region: client_in(local, region) for region in (HOME, WEST)}
        create_table(clients[HOME], table_name, items=1)
        add_replica(clients, table_name, WEST)
        definitions = [{"AttributeName": name, "AttributeType": "S"} for name in "ab"]
        clients[HOME].update_table(
            TableName=table_name,
            AttributeDefinitions=definitions,
            GlobalSecondaryIndexUpdates=gsi_create("by-a", "a"),
        )
        wait_until(lambda: index_status(clients[HOME], table_name, "by-a") == "CREATING")
        assert index_status(clients[WEST], table_name, "by-a") is None
        wait_until(lambda: index_status(clients[HOME], table_name, "by-a") == "ACTIVE")
        assert index_status(clients[WEST], table_name, "by-a") == "CREATING"
        assert replicas(clients[HOME], table_name) == {WEST: "UPDATING"}
        clients[HOME].update_table(
            TableName=table_name,
            AttributeDefinitions=definitions,
            GlobalSecondaryIndexUpdates=gsi_create("by-b", "b"),
        )
        for index in ("by-a", "by-b"):
            wait_until(lambda index=index: index_status(clients[WEST], table_name, index) == "ACTIVE")
        assert replicas(clients[HOME], table_name) == {WEST: "ACTIVE"}
