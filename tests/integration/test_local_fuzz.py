"""Fuzz (hypothesis): malformed control-plane requests never get an HTTP 500.

Bodies start from valid CreateTable / UpdateTable / DescribeTable / DeleteTable / Query
requests; hypothesis drops members and puts values of any JSON type anywhere in them, and
each is sent over HTTP to a real local endpoint. DynamoDB answers such requests with a
4xx JSON error (SerializationException or ValidationException) or accepts them; a 500,
or a body that is not JSON, fails the test.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from multigsi.local import LocalDynamoDB, Timing
from tests.conftest import create_table, gsi, make_client

TABLE = "fuzzed"
VALID: dict[str, dict[str, Any]] = {
    "CreateTable": {
        "TableName": "fuzz-new",
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "a", "AttributeType": "S"},
        ],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [gsi("by-a", "a")],
    },
    "UpdateTable": {
        "TableName": TABLE,
        "AttributeDefinitions": [{"AttributeName": "b", "AttributeType": "S"}],
        "GlobalSecondaryIndexUpdates": [
            {"Create": gsi("by-b", "b")},
            {
                "Update": {
                    "IndexName": "by-a",
                    "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2},
                }
            },
            {"Delete": {"IndexName": "by-a"}},
        ],
        "ProvisionedThroughput": {"ReadCapacityUnits": 3, "WriteCapacityUnits": 3},
        "BillingMode": "PROVISIONED",
    },
    "DescribeTable": {"TableName": TABLE},
    "DeleteTable": {"TableName": "fuzz-never-there"},
    "Query": {
        "TableName": TABLE,
        "IndexName": "by-a",
        "KeyConditionExpression": "a = :v",
        "ExpressionAttributeValues": {":v": {"S": "a-1"}},
        "Limit": 5,
        "ScanIndexForward": False,
    },
}

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False), st.text(max_size=8)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (dict keys and list positions)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for position, child in enumerate(value):
            found += paths(child, (*prefix, position))
    return found


def mutated(body: Any, path: tuple[Any, ...], replacement: Any, drop: bool) -> Any:
    body = json.loads(json.dumps(body))
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    if drop and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return body


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, Any]:
    operation = draw(st.sampled_from(sorted(VALID)))
    body: Any = VALID[operation]
    for _ in range(draw(st.integers(1, 3))):
        places = paths(body)
        if not places:
            break
        body = mutated(body, draw(st.sampled_from(places)), draw(json_values), draw(st.booleans()))
    return operation, body


@pytest.fixture(scope="module")
def fuzz_endpoint() -> Iterator[LocalDynamoDB]:
    with LocalDynamoDB(timing=Timing(build_seconds=0.2, table_seconds=0.0)) as local:
        create_table(
            make_client(local.url),
            TABLE,
            billing="PROVISIONED",
            items=3,
            indexes=[
                {
                    **gsi("by-a", "a"),
                    "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                }
            ],
        )
        yield local


def send(url: str, operation: str, body: Any) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"X-Amz-Target": f"DynamoDB_20120810.{operation}", "Content-Type": "application/x-amz-json-1.0"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=requests())
@example(
    request=("CreateTable", {**VALID["CreateTable"], "AttributeDefinitions": [None]})
)  # found by this fuzz
@example(request=("Query", {**VALID["Query"], "ExpressionAttributeValues": {":v": {"S": 5}}}))
def test_malformed_bodies_never_get_a_500(fuzz_endpoint: LocalDynamoDB, request: tuple[str, Any]) -> None:
    operation, body = request
    status, answer = send(fuzz_endpoint.url, operation, body)
    assert status < 500, (operation, body, answer)
    document = json.loads(answer)
    if status >= 400:
        assert document["__type"].split("#")[-1] in {
            "SerializationException",
            "ValidationException",
            "ResourceNotFoundException",
            "ResourceInUseException",
            "LimitExceededException",
        }, (operation, body, document)
