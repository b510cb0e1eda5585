"""Fidelity of the local endpoint's table control plane (issue #10) and account limits (#15).

Every test talks HTTP to a real local endpoint through boto3 with no retries and no
client-side validation, so it sees exactly what the endpoint answers: DynamoDB's error
type and message (``messages.py`` marks wording that could not be confirmed).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from multigsi.local import Limits, LocalDynamoDB, Timing
from multigsi.local.dynamodb import messages
from tests.conftest import create_table, gsi, make_raw_client
from tests.integration.test_local_endpoint import create_action, defs, describe, error_of, wait_until

KEY = [{"AttributeName": "pk", "KeyType": "HASH"}]
PK = defs("pk")
ONE = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}


@pytest.fixture(scope="module")
def slow_tables() -> Iterator[LocalDynamoDB]:
    """Table phases of 1 s: long enough to act while a table is CREATING/UPDATING/DELETING."""
    with LocalDynamoDB(timing=Timing(build_seconds=1.0, table_seconds=1.0)) as local:
        yield local


def invalid(message: str) -> tuple[str, str]:
    return ("ValidationException", message)


def item(client: Any, table: str) -> None:
    client.put_item(TableName=table, Item={"pk": {"S": "x"}})


# --- lifecycle -------------------------------------------------------------------------------


def test_create_table_is_creating_with_its_indexes_then_active(slow_tables: LocalDynamoDB) -> None:
    client = make_raw_client(slow_tables.url)
    answer = client.create_table(
        TableName="lifecycle", AttributeDefinitions=defs("pk", "a"), KeySchema=KEY,
        BillingMode="PAY_PER_REQUEST", GlobalSecondaryIndexes=[gsi("by-a", "a")],
    )["TableDescription"]  # fmt: skip
    assert answer["TableStatus"] == "CREATING"
    assert [index["IndexStatus"] for index in answer["GlobalSecondaryIndexes"]] == ["CREATING"]
    # Reads and writes only on an ACTIVE table (API_CreateTable).
    assert error_of(item, client=client, table="lifecycle")[0] == "ResourceNotFoundException"
    assert error_of(
        client.update_table, TableName="lifecycle", BillingMode="PROVISIONED", ProvisionedThroughput=ONE
    ) == ("ResourceInUseException", messages.TABLE_BEING_CREATED.format(name="lifecycle"))
    wait_until(lambda: describe(client, "lifecycle")["TableStatus"] == "ACTIVE")
    table = describe(client, "lifecycle")
    index = table["GlobalSecondaryIndexes"][0]
    assert index["IndexStatus"] == "ACTIVE"
    assert index["IndexArn"] == table["TableArn"] + "/index/by-a"
    assert {"IndexSizeBytes", "ItemCount"} <= index.keys()
    assert len(table["TableId"]) == 36
    item(client, "lifecycle")


def test_delete_table_is_deleting_then_gone(slow_tables: LocalDynamoDB) -> None:
    client = make_raw_client(slow_tables.url)
    client.create_table(
        TableName="doomed", AttributeDefinitions=PK, KeySchema=KEY, BillingMode="PAY_PER_REQUEST"
    )
    wait_until(lambda: describe(client, "doomed")["TableStatus"] == "ACTIVE")
    assert client.delete_table(TableName="doomed")["TableDescription"]["TableStatus"] == "DELETING"
    assert describe(client, "doomed")["TableStatus"] == "DELETING"
    # "If the table is in the DELETING state, no error is returned."
    assert client.delete_table(TableName="doomed")["TableDescription"]["TableStatus"] == "DELETING"

    def gone() -> bool:
        try:
            describe(client, "doomed")
        except ClientError as error:
            return error.response["Error"]["Code"] == "ResourceNotFoundException"
        return False

    wait_until(gone)


def test_throughput_change_is_updating_and_a_second_update_is_refused(slow_tables: LocalDynamoDB) -> None:
    client = make_raw_client(slow_tables.url)
    client.create_table(
        TableName="scaled", AttributeDefinitions=PK, KeySchema=KEY, BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )  # fmt: skip
    wait_until(lambda: describe(client, "scaled")["TableStatus"] == "ACTIVE")
    answer = client.update_table(
        TableName="scaled", ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 5}
    )["TableDescription"]
    assert answer["TableStatus"] == "UPDATING"
    assert "LastIncreaseDateTime" in answer["ProvisionedThroughput"]
    assert error_of(
        client.update_table,
        TableName="scaled",
        ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 5},
    ) == ("ResourceInUseException", messages.TABLE_BEING_UPDATED.format(name="scaled"))
    wait_until(lambda: describe(client, "scaled")["TableStatus"] == "ACTIVE")
    client.update_table(
        TableName="scaled", ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 5}
    )
    throughput = describe(client, "scaled")["ProvisionedThroughput"]
    assert throughput["NumberOfDecreasesToday"] == 0  # counted when the update completes
    assert "LastDecreaseDateTime" in throughput
    wait_until(lambda: describe(client, "scaled")["TableStatus"] == "ACTIVE")
    assert describe(client, "scaled")["ProvisionedThroughput"]["NumberOfDecreasesToday"] == 1


# --- validation before existence -------------------------------------------------------------


UPDATE_CASES: list[tuple[dict[str, Any], tuple[str, str]]] = [
    (
        {"TableName": "ab", "ProvisionedThroughput": ONE},
        invalid(
            "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: "
            "Member must have length greater than or equal to 3"
        ),
    ),
    (
        {"TableName": "bad name!", "ProvisionedThroughput": ONE},
        invalid(
            "1 validation error detected: Value 'bad name!' at 'tableName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        ),
    ),
    (
        {
            "TableName": "missing",
            "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": -1},
        },
        invalid(
            # writeCapacityUnits first, as captured on 2026-10-09 (ack-api-quirks DDB-TABLE-457)
            "2 validation errors detected: Value '-1' at 'provisionedThroughput.writeCapacityUnits' failed "
            "to satisfy constraint: Member must have value greater than or equal to 1; Value '0' at "
            "'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have "
            "value greater than or equal to 1"
        ),
    ),
    (
        {
            "TableName": "missing",
            "ProvisionedThroughput": {"ReadCapacityUnits": 10**13, "WriteCapacityUnits": 1},
        },
        invalid(messages.OUT_OF_BOUNDS.format(value=10**13, member="ReadCapacityUnits")),
    ),
    ({"TableName": "missing", "GlobalSecondaryIndexUpdates": []}, invalid(messages.NOTHING_TO_UPDATE)),
    (
        {"TableName": "missing", "GlobalSecondaryIndexUpdates": [{"Update": {}}]},
        invalid(
            "1 validation error detected: Value null at 'globalSecondaryIndexUpdates.1.member.update."
            "indexName' failed to satisfy constraint: Member must not be null"
        ),
    ),
    (
        {"TableName": "missing", "GlobalSecondaryIndexUpdates": [{}]},
        invalid(messages.UPDATE_ACTION_MISSING),
    ),
    (
        {
            "TableName": "missing",
            "GlobalSecondaryIndexUpdates": [
                {"Delete": {"IndexName": "twice"}},
                {"Delete": {"IndexName": "twice"}},
            ],
        },
        invalid(messages.SAME_INDEX_TWICE.format(name="twice")),
    ),
    (
        {
            "TableName": "missing",
            "GlobalSecondaryIndexUpdates": [
                {
                    "Create": {
                        "IndexName": "no-projection",
                        "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                    }
                }
            ],
        },
        invalid(
            "1 validation error detected: Value null at 'globalSecondaryIndexUpdates.1.member.create."
            "projection' failed to satisfy constraint: Member must not be null"
        ),
    ),
]


@pytest.mark.parametrize(("request_body", "expected"), UPDATE_CASES)
def test_update_table_is_validated_before_the_table_is_looked_up(
    raw_client: Any, request_body: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert error_of(raw_client.update_table, **request_body) == expected


def test_the_same_requests_on_an_existing_table_get_the_same_answers(
    raw_client: Any, table_name: str
) -> None:
    """Before, several were accepted on an existing table or crashed with HTTP 500."""
    create_table(raw_client, table_name, billing="PROVISIONED", items=0)
    before = describe(raw_client, table_name)
    for request_body, expected in UPDATE_CASES[2:]:  # [0] and [1] are about the table name itself
        assert error_of(raw_client.update_table, **{**request_body, "TableName": table_name}) == expected
    after = describe(raw_client, table_name)
    assert after["ProvisionedThroughput"] == before["ProvisionedThroughput"]
    assert "GlobalSecondaryIndexes" not in after


def test_a_valid_request_on_a_missing_table_is_not_found(raw_client: Any) -> None:
    assert error_of(raw_client.update_table, TableName="missing", ProvisionedThroughput=ONE) == (
        "ResourceNotFoundException",
        messages.TABLE_NOT_FOUND.format(name="missing"),
    )


def test_update_table_rules_on_a_live_table(raw_client: Any, table_name: str) -> None:
    on_demand, provisioned = table_name + "-o", table_name + "-p"
    create_table(raw_client, on_demand, items=0)
    create_table(raw_client, provisioned, billing="PROVISIONED", items=0)
    assert error_of(raw_client.update_table, TableName=on_demand, ProvisionedThroughput=ONE) == invalid(
        messages.TABLE_THROUGHPUT_ON_DEMAND
    )
    assert error_of(raw_client.update_table, TableName=on_demand, BillingMode="PROVISIONED") == invalid(
        messages.UPDATE_PROVISIONED_NEEDS_THROUGHPUT
    )
    same = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    assert error_of(raw_client.update_table, TableName=provisioned, ProvisionedThroughput=same) == invalid(
        messages.THROUGHPUT_UNCHANGED.format(read=5, write=5)
    )
    assert describe(raw_client, on_demand)["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert "GlobalSecondaryIndexes" not in describe(raw_client, provisioned)


def create_request(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "TableName": name, "AttributeDefinitions": defs("pk", "a", "b"), "KeySchema": KEY,
        "BillingMode": "PAY_PER_REQUEST", **extra,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {"GlobalSecondaryIndexes": [gsi("same", "a"), gsi("same", "b")]},
            invalid(messages.DUPLICATE_INDEX.format(name="same")),
        ),
        (
            {"GlobalSecondaryIndexes": [gsi(f"index-{n}", "a") for n in range(21)]},
            invalid(messages.TOO_MANY_GSIS_AT_CREATE),
        ),
        (
            {
                "GlobalSecondaryIndexes": [
                    {**gsi("by-a", "a"), "Projection": {"ProjectionType": "ALL", "NonKeyAttributes": ["x"]}}
                ]
            },
            invalid(messages.NON_KEY_WITHOUT_INCLUDE.format(projection="ALL")),
        ),
        (
            {
                "GlobalSecondaryIndexes": [
                    {
                        **gsi("by-a", "a"),
                        "Projection": {"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["x"]},
                    }
                ]
            },
            invalid(messages.NON_KEY_WITHOUT_INCLUDE.format(projection="KEYS_ONLY")),
        ),
        (
            {"GlobalSecondaryIndexes": [{**gsi("by-a", "a"), "Projection": {}}]},
            invalid(messages.UNKNOWN_PROJECTION),
        ),
        (
            {"GlobalSecondaryIndexes": [{**gsi("by-a", "a"), "ProvisionedThroughput": ONE}]},
            invalid(messages.INDEX_THROUGHPUT_ON_DEMAND.format(name="by-a")),
        ),
        (
            {
                "BillingMode": "PROVISIONED",
                "ProvisionedThroughput": {"ReadCapacityUnits": -1, "WriteCapacityUnits": 1},
            },
            invalid(
                "1 validation error detected: Value '-1' at 'provisionedThroughput.readCapacityUnits' failed to "
                "satisfy constraint: Member must have value greater than or equal to 1"
            ),
        ),
        ({"BillingMode": "PROVISIONED"}, invalid(messages.PROVISIONED_NEEDS_THROUGHPUT)),
        (
            {"KeySchema": []},
            invalid(
                "1 validation error detected: Value '[]' at 'keySchema' failed to satisfy constraint: "
                "Member must have length greater than or equal to 1"
            ),
        ),
    ],
)
def test_create_table_rules(raw_client: Any, extra: dict[str, Any], expected: tuple[str, str]) -> None:
    assert error_of(raw_client.create_table, **create_request("refused", **extra)) == expected
    assert error_of(raw_client.describe_table, TableName="refused")[0] == "ResourceNotFoundException"


def test_local_indexes_limits_and_hash_key(raw_client: Any) -> None:
    key = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "a", "KeyType": "RANGE"}]

    def lsi(name: str, hash_key: str = "pk") -> dict[str, Any]:
        schema = [{"AttributeName": hash_key, "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}]
        return {"IndexName": name, "KeySchema": schema, "Projection": {"ProjectionType": "ALL"}}

    base = create_request("lsi-refused", KeySchema=key)
    assert error_of(raw_client.create_table, **base, LocalSecondaryIndexes=[lsi("by-b", "a")]) == invalid(
        messages.LSI_HASH_DIFFERS.format(name="by-b", index_hash="a", table_hash="pk")
    )
    six = [lsi(f"local-{n}") for n in range(6)]
    assert error_of(raw_client.create_table, **base, LocalSecondaryIndexes=six) == invalid(
        messages.TOO_MANY_LSIS
    )


def test_query_on_a_missing_index_names_it(raw_client: Any, table_name: str) -> None:
    create_table(raw_client, table_name, items=1)
    assert error_of(
        raw_client.query, TableName=table_name, IndexName="nope", KeyConditionExpression="a = :v",
        ExpressionAttributeValues={":v": {"S": "x"}},
    ) == invalid(messages.INDEX_NOT_ON_TABLE.format(name="nope"))  # fmt: skip


# --- malformed requests ----------------------------------------------------------------------


def post(url: str, operation: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"X-Amz-Target": f"DynamoDB_20120810.{operation}", "Content-Type": "application/x-amz-json-1.0"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize(
    ("operation", "body", "code"),
    [
        ("CreateTable", b'{"TableName": 5}', "SerializationException"),
        ("DescribeTable", b"{}", "ValidationException"),
        ("DeleteTable", b'{"TableName": ["x"]}', "SerializationException"),
        (
            "UpdateTable",
            b'{"TableName": "t", "GlobalSecondaryIndexUpdates": {"Update": 1}}',
            "SerializationException",
        ),
        ("Query", b'{"TableName": "t", "IndexName": 7}', "SerializationException"),
        ("CreateTable", b"[1, 2]", "SerializationException"),
    ],
)
def test_malformed_requests_get_json_errors_not_500(
    endpoint: LocalDynamoDB, operation: str, body: bytes, code: str
) -> None:
    status, answer = post(endpoint.url, operation, body)
    assert (status, answer["__type"].split("#")[-1]) == (400, code)
    # SerializationException bodies spell it "Message"; ValidationException "message".
    assert answer["Message" if code == "SerializationException" else "message"]


@pytest.mark.parametrize("body", [b"", b"not json", b"{"])
def test_no_body_or_no_json_is_a_serialization_error_without_message(
    endpoint: LocalDynamoDB, body: bytes
) -> None:
    assert post(endpoint.url, "ListTables", body) == (
        400,
        {"__type": "com.amazon.coral.service#SerializationException"},
    )


def test_missing_table_name_is_a_validation_error(endpoint: LocalDynamoDB) -> None:
    _, answer = post(endpoint.url, "DescribeTable", b"{}")
    assert answer["message"] == "The parameter 'TableName' is required but was not present in the request"
    _, answer = post(endpoint.url, "Scan", b"{}")
    assert answer["message"] == (
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"
    )


# --- exposure ---------------------------------------------------------------------------------


def test_only_dynamodb_is_served_without_cors(endpoint: LocalDynamoDB) -> None:
    reset = urllib.request.Request(endpoint.url + "/moto-api/reset", data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(reset, timeout=10)
    assert refused.value.code == 404
    sts = urllib.request.Request(
        endpoint.url + "/", data=b"Action=GetCallerIdentity&Version=2011-06-15", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as other:
        urllib.request.urlopen(sts, timeout=10)
    assert other.value.code == 404
    request = urllib.request.Request(
        endpoint.url, data=b"{}", method="POST",
        headers={"X-Amz-Target": "DynamoDB_20120810.ListTables", "Origin": "https://evil.example"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert not [name for name in answer.headers if name.lower().startswith("access-control-")]


def test_reset_only_when_asked() -> None:
    with LocalDynamoDB(timing=Timing(table_seconds=0.0), allow_reset=True) as local:
        client = make_raw_client(local.url)
        client.create_table(
            TableName="wiped", AttributeDefinitions=PK, KeySchema=KEY, BillingMode="PAY_PER_REQUEST"
        )
        urllib.request.urlopen(
            urllib.request.Request(local.url + "/moto-api/reset", data=b"", method="POST"), timeout=10
        )
        assert client.list_tables()["TableNames"] == []


# --- account limits (issue #15) ---------------------------------------------------------------


def test_simultaneous_table_operations_are_capped() -> None:
    limits = Limits(max_table_operations=3)
    with LocalDynamoDB(timing=Timing(build_seconds=1.0, table_seconds=1.0), limits=limits) as local:
        client = make_raw_client(local.url)
        for number in range(3):
            client.create_table(
                TableName=f"capped-{number}",
                AttributeDefinitions=PK,
                KeySchema=KEY,
                BillingMode="PAY_PER_REQUEST",
            )
        fourth = {
            "TableName": "capped-3",
            "AttributeDefinitions": PK,
            "KeySchema": KEY,
            "BillingMode": "PAY_PER_REQUEST",
        }
        assert error_of(client.create_table, **fourth) == (
            "LimitExceededException",
            messages.ACCOUNT_OPERATIONS.format(limit=3),
        )
        assert "capped-3" not in client.list_tables()["TableNames"]
        wait_until(lambda: describe(client, "capped-0")["TableStatus"] == "ACTIVE")
        # Index creates count as table operations too.
        client.update_table(
            TableName="capped-0",
            AttributeDefinitions=defs("a"),
            GlobalSecondaryIndexUpdates=[create_action("by-a", "a")],
        )
        wait_until(lambda: describe(client, "capped-1")["TableStatus"] == "ACTIVE")
        assert local.plane.index_operations("us-east-1") == 1
        client.create_table(**fourth)  # the other tables settled: the index and this one in flight
        client.delete_table(TableName="capped-1")  # three
        assert error_of(client.delete_table, TableName="capped-2") == (
            "LimitExceededException",
            messages.ACCOUNT_OPERATIONS.format(limit=3),
        )


def test_control_plane_rate_is_throttled() -> None:
    with LocalDynamoDB(timing=Timing(table_seconds=0.0), limits=Limits(control_plane_rate=5)) as local:
        client = make_raw_client(local.url)
        codes = []
        started = time.monotonic()
        for _ in range(8):
            try:
                client.list_tables()
                codes.append("ok")
            except ClientError as error:
                codes.append(error.response["Error"]["Code"])
        if time.monotonic() - started < 1.0:  # all within one second: the sixth on are refused
            assert codes == ["ok"] * 5 + ["ThrottlingException"] * 3
        # Data calls are not control-plane calls: never throttled here.
        assert (
            error_of(client.get_item, TableName="missing", Key={"pk": {"S": "x"}})[0]
            == "ResourceNotFoundException"
        )
