"""Shapes of the local endpoint's answers against DynamoDB's (issue #23).

Expected shapes are those dynalite's test suite asserts against real DynamoDB
(test/createTable.js, test/updateTable.js, test/listTables.js); each test talks HTTP to
the endpoint through boto3.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from multigsi.local import LocalDynamoDB, Timing
from tests.conftest import make_raw_client
from tests.integration.test_local_endpoint import defs, describe, wait_until

ONE = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}


@pytest.fixture(scope="module")
def slow() -> Iterator[LocalDynamoDB]:
    """Table phases of 0.5 s: answers are seen while CREATING and UPDATING."""
    with LocalDynamoDB(timing=Timing(build_seconds=1.0, table_seconds=0.5)) as local:
        yield local


def key(*names: str) -> list[dict[str, str]]:
    return [{"AttributeName": n, "KeyType": t} for n, t in zip(names, ("HASH", "RANGE"), strict=False)]


def test_local_secondary_indexes_are_described(slow: LocalDynamoDB) -> None:
    client = make_raw_client(slow.url)
    lsis = [
        {"IndexName": "by-a", "KeySchema": key("pk", "a"), "Projection": {"ProjectionType": "KEYS_ONLY"}},
        {
            "IndexName": "by-b",
            "KeySchema": key("pk", "b"),
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["c"]},
        },
    ]
    answer = client.create_table(
        TableName="shapes-lsi", AttributeDefinitions=defs("pk", "sk", "a", "b"), KeySchema=key("pk", "sk"),
        BillingMode="PAY_PER_REQUEST", LocalSecondaryIndexes=lsis,
    )["TableDescription"]  # fmt: skip
    assert answer["TableStatus"] == "CREATING"
    arn = answer["TableArn"]
    expected = [
        {**lsi, "IndexSizeBytes": 0, "ItemCount": 0, "IndexArn": f"{arn}/index/{lsi['IndexName']}"}
        for lsi in lsis
    ]
    by_name = {index["IndexName"]: index for index in answer["LocalSecondaryIndexes"]}
    assert [by_name[lsi["IndexName"]] for lsi in lsis] == expected
    wait_until(lambda: describe(client, "shapes-lsi")["TableStatus"] == "ACTIVE")
    described = {
        index["IndexName"]: index for index in describe(client, "shapes-lsi")["LocalSecondaryIndexes"]
    }
    assert [described[lsi["IndexName"]] for lsi in lsis] == expected


@pytest.mark.parametrize("billing", ["PROVISIONED", "PAY_PER_REQUEST"])
def test_several_gsis_at_create_table(slow: LocalDynamoDB, billing: str) -> None:
    client = make_raw_client(slow.url)
    throughput = {"ProvisionedThroughput": ONE} if billing == "PROVISIONED" else {}
    gsis = [
        {"IndexName": name, "KeySchema": key("a", "b"), "Projection": {"ProjectionType": "ALL"}, **throughput}
        for name in ("abc", "abd", "abe", "abf", "abg")
    ]
    table = f"shapes-gsi-{billing.lower().replace('_', '-')}"
    answer = client.create_table(
        TableName=table, AttributeDefinitions=defs("a", "b"), KeySchema=key("a"), BillingMode=billing,
        GlobalSecondaryIndexes=gsis, **throughput,
    )["TableDescription"]  # fmt: skip
    capacity = ONE if billing == "PROVISIONED" else {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}

    def expected(status: str) -> list[dict[str, Any]]:
        return [
            {
                **gsi,
                "IndexSizeBytes": 0,
                "ItemCount": 0,
                "IndexStatus": status,
                "ProvisionedThroughput": {**capacity, "NumberOfDecreasesToday": 0},
                "IndexArn": f"{answer['TableArn']}/index/{gsi['IndexName']}",
            }
            for gsi in gsis
        ]

    def shown(description: dict[str, Any]) -> list[dict[str, Any]]:
        # WarmThroughput is in DynamoDB's index description since 2024 (after dynalite's capture).
        found = {
            i["IndexName"]: {k: v for k, v in i.items() if k != "WarmThroughput"}
            for i in description["GlobalSecondaryIndexes"]
        }
        assert len(found) == len(gsis)
        return [found[gsi["IndexName"]] for gsi in gsis]

    assert shown(answer) == expected("CREATING")  # no Backfilling while the table is created
    wait_until(
        lambda: (
            [i["IndexStatus"] for i in describe(client, table)["GlobalSecondaryIndexes"]] == ["ACTIVE"] * 5
        )
    )
    assert shown(describe(client, table)) == expected("ACTIVE")


def test_request_ids_are_52_upper_case_characters(slow: LocalDynamoDB) -> None:
    client = make_raw_client(slow.url)
    ids = {client.list_tables()["ResponseMetadata"]["RequestId"] for _ in range(3)}
    with pytest.raises(ClientError) as refused:
        client.describe_table(TableName="no-such-table")
    ids.add(refused.value.response["ResponseMetadata"]["RequestId"])
    assert len(ids) == 4 and all(re.fullmatch(r"[0-9A-Z]{52}", request_id) for request_id in ids)


def test_throughput_decreases_are_counted_when_they_complete(slow: LocalDynamoDB) -> None:
    client = make_raw_client(slow.url)
    client.create_table(
        TableName="shapes-decreases", AttributeDefinitions=defs("pk"), KeySchema=key("pk"),
        BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )  # fmt: skip

    def change(read: int, write: int) -> dict[str, Any]:
        wait_until(lambda: describe(client, "shapes-decreases")["TableStatus"] == "ACTIVE")
        wanted = {"ReadCapacityUnits": read, "WriteCapacityUnits": write}
        answer: dict[str, Any] = client.update_table(
            TableName="shapes-decreases", ProvisionedThroughput=wanted
        )
        wait_until(lambda: describe(client, "shapes-decreases")["TableStatus"] == "ACTIVE")
        return {
            "answer": answer["TableDescription"]["ProvisionedThroughput"],
            "after": describe(client, "shapes-decreases")["ProvisionedThroughput"],
        }

    up = change(15, 15)
    assert (up["answer"]["ReadCapacityUnits"], up["answer"]["NumberOfDecreasesToday"]) == (5, 0)  # old values
    assert (up["after"]["ReadCapacityUnits"], up["after"]["NumberOfDecreasesToday"]) == (15, 0)
    down = change(5, 5)
    assert (down["answer"]["ReadCapacityUnits"], down["answer"]["NumberOfDecreasesToday"]) == (15, 0)
    assert (down["after"]["ReadCapacityUnits"], down["after"]["NumberOfDecreasesToday"]) == (5, 1)
    assert down["after"]["LastDecreaseDateTime"] >= down["answer"]["LastDecreaseDateTime"]
    assert change(10, 4)["after"]["NumberOfDecreasesToday"] == 1  # up and down at once: an increase
    assert change(9, 4)["after"]["NumberOfDecreasesToday"] == 2
