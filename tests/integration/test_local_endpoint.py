"""Fidelity of the local endpoint: each rule asserts AWS's error type and message.

These talk HTTP to the endpoint with a boto3 client that neither retries nor validates
parameters client-side, so the test sees exactly what the endpoint answers.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from multigsi.local.dynamodb import messages
from tests.conftest import BUILD_SECONDS, create_table, wait_for_table

ALL = {"ProjectionType": "ALL"}


def create_action(name: str, attribute: str, **extra: Any) -> dict[str, Any]:
    return {
        "Create": {
            "IndexName": name,
            "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
            "Projection": ALL,
            **extra,
        }
    }


def defs(*names: str) -> list[dict[str, str]]:
    return [{"AttributeName": name, "AttributeType": "S"} for name in names]


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def describe(client: Any, table: str) -> dict[str, Any]:
    return client.describe_table(TableName=table)["Table"]


def index_state(client: Any, table: str, index: str) -> tuple[str, bool | None] | None:
    for item in describe(client, table).get("GlobalSecondaryIndexes", []):
        if item["IndexName"] == index:
            return item["IndexStatus"], item.get("Backfilling")
    return None


def wait_until(predicate: Any, timeout: float = 10 * BUILD_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_create_goes_through_allocation_backfill_then_active(raw_client: Any, table_name: str) -> None:
    create_table(raw_client, table_name)
    answer = raw_client.update_table(
        TableName=table_name,
        AttributeDefinitions=defs("a"),
        GlobalSecondaryIndexUpdates=[create_action("by-a", "a")],
    )
    assert answer["TableDescription"]["TableStatus"] == "UPDATING"
    assert index_state(raw_client, table_name, "by-a") == ("CREATING", False)
    wait_until(lambda: index_state(raw_client, table_name, "by-a") == ("CREATING", True))
    # While the index backfills the table already reads ACTIVE, as on AWS.
    assert describe(raw_client, table_name)["TableStatus"] == "ACTIVE"
    wait_until(lambda: index_state(raw_client, table_name, "by-a")[0] == "ACTIVE")  # type: ignore[index]


def test_second_create_while_one_in_flight_is_refused(raw_client: Any, table_name: str) -> None:
    create_table(raw_client, table_name)
    raw_client.update_table(
        TableName=table_name,
        AttributeDefinitions=defs("a"),
        GlobalSecondaryIndexUpdates=[create_action("by-a", "a")],
    )
    code, message = error_of(
        raw_client.update_table,
        TableName=table_name,
        AttributeDefinitions=defs("b"),
        GlobalSecondaryIndexUpdates=[create_action("by-b", "b")],
    )
    assert (code, message) == ("LimitExceededException", messages.ONE_AT_A_TIME)


def test_two_creates_in_one_call_are_refused(raw_client: Any, table_name: str) -> None:
    create_table(raw_client, table_name)
    code, message = error_of(
        raw_client.update_table,
        TableName=table_name,
        AttributeDefinitions=defs("a", "b"),
        GlobalSecondaryIndexUpdates=[create_action("by-a", "a"), create_action("by-b", "b")],
    )
    assert (code, message) == ("LimitExceededException", messages.ONE_AT_A_TIME)
    assert "GlobalSecondaryIndexes" not in describe(raw_client, table_name)


def test_delete_goes_through_deleting_then_gone(raw_client: Any, table_name: str) -> None:
    create_table(raw_client, table_name, indexes=[create_action("by-a", "a")["Create"]])
    raw_client.update_table(
        TableName=table_name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-a"}}]
    )
    assert index_state(raw_client, table_name, "by-a") == ("DELETING", None)
    assert describe(raw_client, table_name)["TableStatus"] == "UPDATING"
    wait_until(lambda: index_state(raw_client, table_name, "by-a") is None)


def test_delete_while_allocating_is_refused_but_allowed_while_backfilling(
    raw_client: Any, table_name: str
) -> None:
    create_table(raw_client, table_name)
    raw_client.update_table(
        TableName=table_name,
        AttributeDefinitions=defs("a"),
        GlobalSecondaryIndexUpdates=[create_action("by-a", "a")],
    )
    code, _ = error_of(
        raw_client.update_table,
        TableName=table_name,
        GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-a"}}],
    )
    assert code == "ResourceInUseException"
    wait_until(lambda: index_state(raw_client, table_name, "by-a") == ("CREATING", True))
    raw_client.update_table(
        TableName=table_name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-a"}}]
    )
    assert index_state(raw_client, table_name, "by-a") == ("DELETING", None)


def test_throughput_update_makes_index_updating_and_a_second_one_is_in_use(
    raw_client: Any, table_name: str
) -> None:
    create_table(
        raw_client,
        table_name,
        billing="PROVISIONED",
        indexes=[
            create_action(
                "by-a", "a", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
            )["Create"]
        ],
    )
    update = [
        {
            "Update": {
                "IndexName": "by-a",
                "ProvisionedThroughput": {"ReadCapacityUnits": 7, "WriteCapacityUnits": 3},
            }
        }
    ]
    raw_client.update_table(TableName=table_name, GlobalSecondaryIndexUpdates=update)
    assert index_state(raw_client, table_name, "by-a") == ("UPDATING", None)
    code, message = error_of(
        raw_client.update_table, TableName=table_name, GlobalSecondaryIndexUpdates=update
    )
    assert (code, message) == ("ResourceInUseException", messages.INDEX_BEING_UPDATED.format(name="by-a"))
    wait_until(lambda: index_state(raw_client, table_name, "by-a") == ("ACTIVE", None))
    index = describe(raw_client, table_name)["GlobalSecondaryIndexes"][0]
    assert (
        index["ProvisionedThroughput"]["ReadCapacityUnits"],
        index["ProvisionedThroughput"]["WriteCapacityUnits"],
    ) == (7, 3)


def test_query_on_backfilling_index_is_refused(raw_client: Any, table_name: str) -> None:
    create_table(raw_client, table_name)
    raw_client.update_table(
        TableName=table_name,
        AttributeDefinitions=defs("a"),
        GlobalSecondaryIndexUpdates=[create_action("by-a", "a")],
    )
    query = {
        "TableName": table_name,
        "IndexName": "by-a",
        "KeyConditionExpression": "a = :v",
        "ExpressionAttributeValues": {":v": {"S": "a-1"}},
    }
    assert error_of(raw_client.query, **query) == ("ValidationException", messages.READ_BACKFILLING)
    wait_until(lambda: index_state(raw_client, table_name, "by-a")[0] == "ACTIVE")  # type: ignore[index]
    assert raw_client.query(**query)["Count"] > 0


def test_attribute_definitions_are_merged_not_replaced(raw_client: Any, table_name: str) -> None:
    create_table(raw_client, table_name)
    raw_client.update_table(
        TableName=table_name,
        AttributeDefinitions=defs("a"),
        GlobalSecondaryIndexUpdates=[create_action("by-a", "a")],
    )
    names = {d["AttributeName"] for d in describe(raw_client, table_name)["AttributeDefinitions"]}
    assert names == {"pk", "a"}


@pytest.mark.parametrize(
    ("name", "template"),
    [
        ("ab", messages.NAME_TOO_SHORT),
        ("x" * 256, messages.NAME_TOO_LONG),
        ("bad name!", messages.NAME_PATTERN),
    ],
)
def test_bad_index_names_are_refused(raw_client: Any, table_name: str, name: str, template: str) -> None:
    create_table(raw_client, table_name, items=0)
    code, message = error_of(
        raw_client.update_table,
        TableName=table_name,
        AttributeDefinitions=defs("a"),
        GlobalSecondaryIndexUpdates=[create_action(name, "a")],
    )
    where = "globalSecondaryIndexUpdates.1.member.create.indexName"
    assert (code, message) == ("ValidationException", template.format(name=name, where=where))


def test_undefined_key_attribute_is_refused(raw_client: Any, table_name: str) -> None:
    create_table(raw_client, table_name, items=0)
    code, message = error_of(
        raw_client.update_table,
        TableName=table_name,
        AttributeDefinitions=defs("a"),
        GlobalSecondaryIndexUpdates=[create_action("by-b", "b")],
    )
    assert (code, message) == (
        "ValidationException",
        messages.KEYS_NOT_DEFINED.format(keys="b", definitions="a"),
    )


def test_existing_index_name_is_refused(raw_client: Any, table_name: str) -> None:
    create_table(raw_client, table_name, items=0, indexes=[create_action("by-a", "a")["Create"]])
    code, message = error_of(
        raw_client.update_table,
        TableName=table_name,
        AttributeDefinitions=defs("a"),
        GlobalSecondaryIndexUpdates=[create_action("by-a", "a")],
    )
    assert (code, message) == ("ValidationException", messages.INDEX_EXISTS)


def test_more_than_twenty_indexes_is_refused(raw_client: Any, table_name: str) -> None:
    create_table(
        raw_client,
        table_name,
        items=0,
        indexes=[create_action(f"index-{n}", f"k{n}")["Create"] for n in range(20)],
    )
    code, message = error_of(
        raw_client.update_table,
        TableName=table_name,
        AttributeDefinitions=defs("z"),
        GlobalSecondaryIndexUpdates=[create_action("one-more", "z")],
    )
    assert (code, message) == ("LimitExceededException", messages.TOO_MANY_INDEXES)


def test_throughput_must_match_billing_mode(raw_client: Any, table_name: str) -> None:
    provisioned, on_demand = table_name + "-p", table_name + "-o"
    create_table(raw_client, provisioned, billing="PROVISIONED", items=0)
    create_table(raw_client, on_demand, items=0)
    assert error_of(
        raw_client.update_table,
        TableName=provisioned,
        AttributeDefinitions=defs("a"),
        GlobalSecondaryIndexUpdates=[create_action("by-a", "a")],
    ) == ("ValidationException", messages.UPDATE_THROUGHPUT_MISSING.format(name="by-a"))
    capacity = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    assert error_of(
        raw_client.update_table,
        TableName=on_demand,
        AttributeDefinitions=defs("a"),
        GlobalSecondaryIndexUpdates=[create_action("by-a", "a", ProvisionedThroughput=capacity)],
    ) == ("ValidationException", messages.INDEX_UPDATE_THROUGHPUT_ON_DEMAND.format(name="by-a"))
    assert error_of(
        raw_client.update_table,
        TableName=provisioned,
        AttributeDefinitions=defs("a"),
        GlobalSecondaryIndexUpdates=[
            create_action(
                "by-a", "a", ProvisionedThroughput=capacity, OnDemandThroughput={"MaxReadRequestUnits": 5}
            )
        ],
    ) == ("ValidationException", messages.ON_DEMAND_ON_PROVISIONED.format(member="MaxReadRequestUnits"))


def test_delete_or_update_of_missing_index_is_refused(raw_client: Any, table_name: str) -> None:
    create_table(raw_client, table_name, items=0)
    assert error_of(
        raw_client.update_table,
        TableName=table_name,
        GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "nope"}}],
    ) == (
        "ResourceNotFoundException",
        f"Requested resource not found: Index nope for table {table_name}",  # captured 2026-10-09
    )
    update = {"Update": {"IndexName": "nope", "OnDemandThroughput": {"MaxReadRequestUnits": 5}}}
    assert error_of(raw_client.update_table, TableName=table_name, GlobalSecondaryIndexUpdates=[update]) == (
        "ResourceNotFoundException",
        f"Requested resource not found: Index nope for table {table_name}",
    )


def test_on_demand_throughput_is_kept_and_described(raw_client: Any, table_name: str) -> None:
    create_table(raw_client, table_name, items=0)
    limits = {"MaxReadRequestUnits": 50, "MaxWriteRequestUnits": 20}
    raw_client.update_table(
        TableName=table_name,
        AttributeDefinitions=defs("a"),
        GlobalSecondaryIndexUpdates=[create_action("by-a", "a", OnDemandThroughput=limits)],
    )
    assert describe(raw_client, table_name)["GlobalSecondaryIndexes"][0]["OnDemandThroughput"] == limits


def test_regions_are_separate(endpoint: Any, table_name: str) -> None:
    import boto3

    west = boto3.client(
        "dynamodb",
        endpoint_url=endpoint.url,
        region_name="eu-west-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    create_table(west, table_name, items=0)
    west.update_table(
        TableName=table_name,
        AttributeDefinitions=defs("a"),
        GlobalSecondaryIndexUpdates=[create_action("by-a", "a")],
    )
    assert endpoint.plane.operations[("eu-west-1", table_name)]
    assert ("us-east-1", table_name) not in endpoint.plane.operations


def test_fault_injection_answers_with_aws_errors_and_changes_nothing() -> None:
    from multigsi.local import LocalDynamoDB
    from multigsi.local.dynamodb.faults import FaultInjector, FaultRates
    from tests.conftest import make_client

    with LocalDynamoDB(faults=FaultInjector(FaultRates(limit=1.0), seed=3)) as faulty:
        client = make_client(faulty.url, retries=1)
        client.create_table(
            TableName="faulty",
            AttributeDefinitions=defs("pk"),
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        wait_for_table(client, "faulty")
        code, message = error_of(
            client.update_table,
            TableName="faulty",
            AttributeDefinitions=defs("a"),
            GlobalSecondaryIndexUpdates=[create_action("by-a", "a")],
        )
        assert (code, message) == ("LimitExceededException", messages.ONE_AT_A_TIME)
        assert "GlobalSecondaryIndexes" not in describe(client, "faulty"), (
            "a faulted UpdateTable is not applied"
        )
    with LocalDynamoDB(faults=FaultInjector(FaultRates(reset=1.0))) as cut:
        from botocore.exceptions import ConnectionClosedError

        with pytest.raises(ConnectionClosedError):
            make_client(cut.url, retries=1).list_tables()
