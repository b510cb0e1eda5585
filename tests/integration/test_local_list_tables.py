"""ListTables on the local endpoint: validated and paged as DynamoDB does (issue #23).

moto found ExclusiveStartTableName by its position in insertion order: a start name that
no longer existed answered an empty page, and pages followed creation order, not names.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

import pytest

from multigsi.local import LocalDynamoDB, Timing
from tests.conftest import make_raw_client
from tests.integration.test_local_endpoint import error_of
from tests.integration.test_local_tables import post

TABLES = 250
MAX_PAGES = 5000  # other tests' tables share moto's backend: more than 250 may be listed


@pytest.fixture(scope="module")
def many_tables() -> Iterator[tuple[LocalDynamoDB, list[str]]]:
    """One endpoint with 250 tables, created straight through it in a shuffled order."""
    rng = random.Random(23)
    names = [
        f"{rng.choice(['a', 'B', 'z', '0', 'm.x', 'm-x', 'm_x'])}{n:03}{rng.choice(['', '.', '-', '_'])}t"
        for n in range(TABLES)
    ]
    rng.shuffle(names)
    with LocalDynamoDB(timing=Timing(table_seconds=0.0)) as local:
        client = make_raw_client(local.url)
        for name in names:
            client.create_table(
                TableName=name,
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
        yield local, names
        for name in names:  # moto's tables are process-wide: leave none behind for other tests
            client.delete_table(TableName=name)


def all_pages(client: Any, limit: int | None) -> list[str]:
    seen: list[str] = []
    kwargs: dict[str, Any] = {} if limit is None else {"Limit": limit}
    for _ in range(MAX_PAGES):
        page = client.list_tables(**kwargs)
        assert len(page["TableNames"]) <= (limit or 100)
        seen += page["TableNames"]
        if "LastEvaluatedTableName" not in page:
            return seen
        assert page["LastEvaluatedTableName"] == page["TableNames"][-1]
        kwargs["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]
    raise AssertionError("ListTables kept answering LastEvaluatedTableName")


def test_every_limit_pages_through_each_table_exactly_once(
    many_tables: tuple[LocalDynamoDB, list[str]],
) -> None:
    local, names = many_tables
    client = make_raw_client(local.url)
    # moto's tables are process-wide, so other tests' tables may be listed too: every name
    # once, in order, all 250 among them, and the same list whatever the Limit.
    expected = all_pages(client, None)
    assert expected == sorted(set(expected)) and set(names) <= set(expected)
    for limit in range(1, 101):
        assert all_pages(client, limit) == expected, f"Limit={limit}"


def test_a_start_name_that_is_gone_still_resumes_in_place(
    many_tables: tuple[LocalDynamoDB, list[str]],
) -> None:
    local, _names = many_tables
    client = make_raw_client(local.url)
    ordered = all_pages(client, None)
    page = client.list_tables(ExclusiveStartTableName="a050", Limit=3)  # no such table
    assert page["TableNames"] == [name for name in ordered if name > "a050"][:3]
    assert client.list_tables(ExclusiveStartTableName="zzzzzz")["TableNames"] == []


def test_a_table_deleted_between_pages_skips_nothing_else() -> None:
    with LocalDynamoDB(timing=Timing(table_seconds=0.2)) as local:
        client = make_raw_client(local.url)
        for name in ("zzdel-ccc", "zzdel-aaa", "zzdel-bbb", "zzdel-ddd"):
            client.create_table(
                TableName=name,
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
        first = client.list_tables(ExclusiveStartTableName="zzdel-", Limit=2)
        assert first["TableNames"] == ["zzdel-aaa", "zzdel-bbb"]
        assert first["LastEvaluatedTableName"] == "zzdel-bbb"
        time.sleep(0.3)  # ACTIVE
        client.delete_table(TableName="zzdel-bbb")
        # DELETING tables are still listed while DescribeTable shows them.
        assert client.list_tables(ExclusiveStartTableName="zzdel-aaa", Limit=3)["TableNames"] == [
            "zzdel-bbb",
            "zzdel-ccc",
            "zzdel-ddd",
        ]
        time.sleep(0.3)  # gone: a client resuming after it loses nothing
        assert client.list_tables(ExclusiveStartTableName="zzdel-bbb", Limit=2)["TableNames"] == [
            "zzdel-ccc",
            "zzdel-ddd",
        ]
        for name in ("zzdel-aaa", "zzdel-ccc", "zzdel-ddd"):
            client.delete_table(TableName=name)


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        (
            {"Limit": 0},
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have "
            "value greater than or equal to 1",
        ),
        (
            {"Limit": 101},
            "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must "
            "have value less than or equal to 100",
        ),
        (
            {"ExclusiveStartTableName": ""},
            "2 validation errors detected: Value '' at 'exclusiveStartTableName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value '' at "
            "'exclusiveStartTableName' failed to satisfy constraint: Member must have length greater than or "
            "equal to 3",
        ),
        (
            {"ExclusiveStartTableName": "ab"},
            "1 validation error detected: Value 'ab' at 'exclusiveStartTableName' failed to satisfy "
            "constraint: Member must have length greater than or equal to 3",
        ),
        (
            {"ExclusiveStartTableName": "a" * 256},
            f"1 validation error detected: Value '{'a' * 256}' at 'exclusiveStartTableName' failed to "
            "satisfy constraint: Member must have length less than or equal to 255",
        ),
    ],
)
def test_bad_requests_are_validation_errors(
    raw_client: Any, request_body: dict[str, Any], message: str
) -> None:
    assert error_of(raw_client.list_tables, **request_body) == ("ValidationException", message)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"Limit": "5"}', "STRING_VALUE cannot be converted to Integer"),
        (b'{"Limit": true}', "TRUE_VALUE cannot be converted to Integer"),
        (b'{"ExclusiveStartTableName": 123}', "NUMBER_VALUE cannot be converted to String"),
        (b'{"ExclusiveStartTableName": ["abc"]}', "Unrecognized collection type class java.lang.String"),
    ],
)
def test_wrong_json_types_are_serialization_errors(
    endpoint: LocalDynamoDB, body: bytes, message: str
) -> None:
    assert post(endpoint.url, "ListTables", body) == (
        400,
        {"__type": "com.amazon.coral.service#SerializationException", "Message": message},
    )


def test_nulls_and_unknown_members_are_ignored(endpoint: LocalDynamoDB) -> None:
    status, answer = post(
        endpoint.url, "ListTables", b'{"ExclusiveStartTableName": null, "Limit": null, "hi": "yo"}'
    )
    assert status == 200 and isinstance(answer["TableNames"], list)
