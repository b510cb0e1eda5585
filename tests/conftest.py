"""Shared fixtures: a real local endpoint over HTTP and boto3 clients pointed at it.

Nothing here mocks boto3: every test that talks to DynamoDB goes through botocore's real
HTTP stack to multigsi's local endpoint (moto underneath), on loopback.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from multigsi.local import LocalDynamoDB, Timing
from multigsi.local.dynamodb.waiting import wait_for_table

pytest_plugins = ["multigsi.local.cloudformation.pytest_plugin"]

BUILD_SECONDS = 1.0  # the index build time of the plugin's local_dynamodb
# CreateTable/DeleteTable/table updates take this long here: non-zero, so every test meets
# the CREATING phase, and short, so the suite does not slow down.
TABLE_SECONDS = 0.1
_names = itertools.count()


@pytest.fixture(scope="session")
def local_dynamodb() -> Iterator[LocalDynamoDB]:
    """The plugin's endpoint (1 s index builds) with the suite's shorter table phases."""
    with LocalDynamoDB(timing=Timing(build_seconds=BUILD_SECONDS, table_seconds=TABLE_SECONDS)) as local:
        yield local


@pytest.fixture(scope="session")
def endpoint(local_dynamodb: LocalDynamoDB) -> LocalDynamoDB:
    assert local_dynamodb.plane.timing.build_seconds == BUILD_SECONDS
    return local_dynamodb


def make_client(url: str, *, retries: int = 5, region: str = "us-east-1") -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"mode": "standard", "max_attempts": retries}),
    )


def quick(request: pytest.FixtureRequest) -> bool:
    """The test is marked ``quick_builds``: its ``client`` and ``cloudformation_factory`` use
    the quick endpoint (below)."""
    return request.node.get_closest_marker("quick_builds") is not None


@pytest.fixture
def client(request: pytest.FixtureRequest, endpoint: LocalDynamoDB) -> Any:
    if quick(request):
        return make_client(request.getfixturevalue("quick_endpoint").url)
    return make_client(endpoint.url)


def make_raw_client(url: str) -> Any:
    """No retries and no client-side validation: sees exactly what the endpoint answers."""
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"total_max_attempts": 1}, parameter_validation=False),
    )


@pytest.fixture
def raw_client(endpoint: LocalDynamoDB) -> Any:
    return make_raw_client(endpoint.url)


@pytest.fixture
def table_name() -> str:
    return f"table-{next(_names)}"


def gsi(name: str, attribute: str) -> dict[str, Any]:
    """An index on one partition attribute, projecting everything: the tests' usual index."""
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }


def create_table(
    client: Any,
    name: str,
    *,
    billing: str = "PAY_PER_REQUEST",
    items: int = 20,
    indexes: list[dict[str, Any]] | None = None,
) -> None:
    """A table keyed on ``pk`` with ``items`` items carrying attributes a..d."""
    definitions = [{"AttributeName": "pk", "AttributeType": "S"}]
    extra: dict[str, Any] = {}
    if billing == "PROVISIONED":
        extra["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    if indexes:
        extra["GlobalSecondaryIndexes"] = indexes
        for index in indexes:
            for element in index["KeySchema"]:
                if all(d["AttributeName"] != element["AttributeName"] for d in definitions):
                    definitions.append({"AttributeName": element["AttributeName"], "AttributeType": "S"})
    client.create_table(
        TableName=name,
        AttributeDefinitions=definitions,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode=billing,
        **extra,
    )
    wait_for_table(client, name)
    for number in range(items):
        client.put_item(
            TableName=name,
            Item={"pk": {"S": f"item-{number}"}, **{k: {"S": f"{k}-{number % 3}"} for k in "abcd"}},
        )


@pytest.fixture
def cloudformation_factory(request: pytest.FixtureRequest, local_cloudformation: Any) -> Any:
    """The packaged harness fixture (multigsi.local.cloudformation.pytest_plugin), under the suite's name;
    on the quick endpoint by default in a test marked ``quick_builds``."""
    if not quick(request):
        return local_cloudformation
    fast = request.getfixturevalue("quick_endpoint")

    def make(lambda_timeout: float = 60.0, dynamodb: LocalDynamoDB | None = None) -> Any:
        return local_cloudformation(lambda_timeout, dynamodb or fast)

    return make


@pytest.fixture(scope="session")
def slow_endpoint() -> Iterator[LocalDynamoDB]:
    """Builds of 10 s or more: for deadlines that must pass while an index is in flight (a
    12 s ServiceTimeout answers about 7 s in). Deletes take 1 s: a rollback that waits for
    the build to end and then deletes it is over about 13 s after the step."""
    timing = Timing(build_seconds=10.0, delete_seconds=1.0, table_seconds=TABLE_SECONDS)
    with LocalDynamoDB(timing=timing) as local:
        yield local


@pytest.fixture(scope="session")
def quick_endpoint() -> Iterator[LocalDynamoDB]:
    """Builds of under half a second with no allocation phase, each seen by the loop's first
    look about a second after its step (the suite's 1 s builds meet the loop's 2 s allocating
    interval first): for tests of what ends on the table, not of phases or timing. Tests
    marked ``quick_builds`` get it through ``client`` and ``cloudformation_factory``."""
    timing = Timing(
        build_seconds=0.3, min_jitter_seconds=0.1, allocation_fraction=0.0, table_seconds=TABLE_SECONDS
    )
    with LocalDynamoDB(timing=timing) as local:
        yield local


def add_replicas(client: Any, name: str, regions: list[str], timeout: float = 30.0) -> None:
    """Make ``name`` a global table with replicas in ``regions``, one at a time (DynamoDB
    takes one replica change per UpdateTable, and none while another is in flight), and
    wait until every replica is ACTIVE."""
    import time

    for region in regions:
        deadline = time.monotonic() + timeout
        while True:
            table = client.describe_table(TableName=name)["Table"]
            settled = table["TableStatus"] == "ACTIVE" and all(
                replica["ReplicaStatus"] == "ACTIVE" for replica in table.get("Replicas", [])
            )
            if settled:
                break
            assert time.monotonic() < deadline, f"{name} never settled before adding {region}"
            time.sleep(0.05)
        client.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": region}}])
    deadline = time.monotonic() + timeout
    while True:
        replicas = client.describe_table(TableName=name)["Table"].get("Replicas", [])
        if {r["RegionName"] for r in replicas} >= set(regions) and all(
            r["ReplicaStatus"] == "ACTIVE" for r in replicas
        ):
            return
        assert time.monotonic() < deadline, f"the replicas of {name} never became ACTIVE"
        time.sleep(0.05)
