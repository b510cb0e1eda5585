"""The resource type's answers as the resource-type contract (cloudformation-cli's contract
tests) checks them, through the lib's real entry point (``Resource.__call__``) against
``multigsi local`` over HTTP (simulated time): List's ``resourceModels`` and paging, the
write-only property, Read echoing what the request set, and the tag read's deadline."""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from multigsi.cloudformation.resource_type import SCHEMA_PATH
from multigsi.cloudformation.resource_type.handlers import Runtime, make_resource
from multigsi.cloudformation.resource_type.model import WRITE_ONLY_INDEX_PROPERTIES
from multigsi.engine.clock import FakeClock, SystemClock
from multigsi.engine.ownership.record import Claim, Kind, Origin, Owner, TableRecord
from multigsi.errors import ReadOutOfTime
from multigsi.local import LocalDynamoDB, Timing
from multigsi.local.cloudformation.resource_type_caller import RegistryStack, RegistryStandIn
from tests.integration.loopback import RecordingListener
from tests.integration.registry_sim import START, simulation

_tables = itertools.count()


def gsi(name: str, *hash_keys: str, **extra: Any) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": key, "KeyType": "HASH"} for key in hash_keys],
        "Projection": {"ProjectionType": "ALL"},
        **extra,
    }


def definitions(*names: str) -> list[dict[str, str]]:
    return [{"AttributeName": name, "AttributeType": "S"} for name in names]


@contextmanager
def region_of_its_own(region: str) -> Iterator[tuple[RegistryStandIn, Any]]:
    """A stand-in and a client in ``region``, where no other test keeps tables (moto's
    tables outlive one endpoint and List reads the whole region)."""
    clock = FakeClock(START)
    with LocalDynamoDB(timing=Timing(build_seconds=60.0, table_seconds=0.5), clock=clock.now) as local:
        runtime = Runtime(endpoint_url=local.url, clock=clock, rng=random.Random(3))
        client = boto3.client(
            "dynamodb",
            endpoint_url=local.url,
            region_name=region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        yield RegistryStandIn(make_resource(runtime), clock, region=region), client


def test_list_with_no_resources_answers_an_empty_list() -> None:
    with region_of_its_own("ap-southeast-7") as (standin, _client):
        answer = standin.invoke(standin.request("LIST", {}))
    assert answer["status"] == "SUCCESS", answer
    assert answer["resourceModels"] == []
    assert "nextToken" not in answer


def test_list_pages_through_31_tables_through_the_real_entry_point_and_ends() -> None:
    """The lib drops the request's top-level nextToken before the handler (2.1.20): without
    passing it on, every call answered the first page and its token again."""
    owner = Owner("5ca1ab1e-stack", "paging", "Indexes")
    tables = [f"paging-{n:02d}" for n in range(31)]
    with region_of_its_own("ap-southeast-6") as (standin, client):
        for table in tables:
            client.create_table(
                TableName=table,
                AttributeDefinitions=definitions("pk", "a"),
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
                GlobalSecondaryIndexes=[gsi("by-a", "a")],
            )
        standin.clock.sleep(1.0)  # past CREATING on the endpoint's simulated clock: tags need an ACTIVE table
        for table in tables:
            arn = client.describe_table(TableName=table)["Table"]["TableArn"]
            record = TableRecord(client, arn)
            record.write(
                [Claim("by-a", owner, Origin.CREATED, kind=Kind.RESOURCE_TYPE)], record.read(["by-a"])
            )
        seen: list[str] = []
        tokens: list[str | None] = [None]
        for _page in range(10):
            listed = standin.list(tokens[-1])
            assert listed.status == "SUCCESS", listed.message
            seen += [m["TableName"] for m in listed.models]
            tokens.append(listed.next_token)
            if not listed.next_token:
                break
    assert tokens[-1] is None, f"List did not end in 10 pages: tokens {tokens}"
    assert len(tokens) == 3  # 25 tables a page: two pages
    assert sorted(seen) == tables  # each table once


def test_write_only_warm_throughput_is_kept_in_progress_and_never_in_a_final_model() -> None:
    table = f"warm-{next(_tables)}"
    warm = {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000}
    spec = {
        "TableName": table,
        "AttributeDefinitions": definitions("a"),
        "GlobalSecondaryIndexes": [gsi("by-a", "a", WarmThroughput=warm)],
    }
    with simulation() as sim:
        sim.create_table(table)
        event = sim.standin.request("CREATE", spec)
        in_progress = 0
        while True:  # CloudFormation's loop: each IN_PROGRESS model is the next desired state
            answer = sim.standin.invoke(event)
            if answer["status"] != "IN_PROGRESS":
                break
            in_progress += 1
            assert answer["resourceModel"]["GlobalSecondaryIndexes"][0]["WarmThroughput"] == warm
            sim.clock.sleep(answer["callbackDelaySeconds"])
            event = sim.standin.request(
                "CREATE",
                answer["resourceModel"],
                context=answer["callbackContext"],
                token=event["bearerToken"],
            )
        assert answer["status"] == "SUCCESS" and in_progress > 0, answer
        created = answer["resourceModel"]
        assert "WarmThroughput" not in created["GlobalSecondaryIndexes"][0]
        assert sim.indexes(table)["by-a"]["WarmThroughput"]["ReadUnitsPerSecond"] >= 12000
        updated = sim.standin.operation("UPDATE", {**spec, "Id": created["Id"]}, created)
        assert updated.succeeded and updated.model is not None, updated.message
        assert "WarmThroughput" not in updated.model["GlobalSecondaryIndexes"][0]
        read = sim.standin.read(created)
        assert read.succeeded and read.model is not None, read.message
        assert "WarmThroughput" not in read.model["GlobalSecondaryIndexes"][0]


def test_read_returns_the_attribute_definitions_the_request_set() -> None:
    """The table's own key is listed though no index uses it: Read reports it back (it
    exists on the table, with that type); a definition the table has with another type, or
    does not have, is not reported."""
    table = f"echo-{next(_tables)}"
    spec = {
        "TableName": table,
        "AttributeDefinitions": definitions("pk", "a"),
        "GlobalSecondaryIndexes": [gsi("by-a", "a")],
    }
    with simulation() as sim:
        sim.create_table(table)
        stack = RegistryStack(sim.standin)
        created = stack.create(spec)
        assert created.succeeded and created.model is not None, created.message
        read = sim.standin.read(created.model)
        assert read.succeeded and read.model is not None, read.message
        assert read.model["AttributeDefinitions"] == definitions("pk", "a")
        by_id = sim.standin.read({"Id": created.model["Id"]})
        assert by_id.model is not None and by_id.model["AttributeDefinitions"] == definitions("a")
        wrong = {
            **created.model,
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "N"},
                *definitions("zz", "a"),
            ],
        }
        other = sim.standin.read(wrong)
        assert other.model is not None and other.model["AttributeDefinitions"] == definitions("a")


def test_following_tag_pages_stops_at_the_records_deadline() -> None:
    """An endpoint (a stand-in for AWS answering every call with one more page) that never
    stops paging ListTagsOfResource: the read ends at the deadline with a clear error."""
    page = {"Tags": [{"Key": "user", "Value": "tag"}], "NextToken": "more"}
    with RecordingListener(body=json.dumps(page).encode()) as endpoint:
        client = boto3.client(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{endpoint.port}",
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        clock = SystemClock()
        record = TableRecord(client, "arn:aws:dynamodb:us-east-1:1:table/t", clock, clock.now() + 0.5)
        started = time.monotonic()
        with pytest.raises(ReadOutOfTime) as raised:
            record.read(["by-a"])
        assert time.monotonic() - started < 5.0
        assert raised.value.transient and "listing the tags of" in str(raised.value)
        assert len(endpoint.recorded()) > 1  # it did follow the pages until then


def test_the_write_only_properties_stripped_are_the_schemas() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["writeOnlyProperties"] == [
        f"/properties/GlobalSecondaryIndexes/*/{name}" for name in WRITE_ONLY_INDEX_PROPERTIES
    ]
