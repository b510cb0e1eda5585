"""The custom resource end to end: CloudFormation and Lambda played by the harness on
loopback (real HTTP for the response URL and the Invoke API), DynamoDB by the local
endpoint with real build times. AWS itself is the only thing not here."""

from __future__ import annotations

import re
import time
from typing import Any

import boto3
import pytest

from multigsi.local import LocalDynamoDB
from multigsi.local.cloudformation import Stack
from tests.conftest import create_table, gsi


def properties(
    table: str, *indexes: tuple[str, str], capacity: int | None = None, projection: str = "ALL", **extra: Any
) -> dict[str, Any]:
    throughput = (
        {"ProvisionedThroughput": {"ReadCapacityUnits": capacity, "WriteCapacityUnits": capacity}}
        if capacity
        else {}
    )
    return {
        "TableName": table,
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in "abcdef"],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": name,
                "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": projection},
                **throughput,
            }
            for name, key in indexes
        ],
        **extra,
    }


def indexes_of(client: Any, table: str) -> dict[str, dict[str, Any]]:
    return {
        i["IndexName"]: i
        for i in client.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
    }


FIVE = (("by-a", "a"), ("by-b", "b"), ("by-c", "c"), ("by-d", "d"), ("by-e", "e"))


@pytest.fixture(autouse=True)
def no_presigned_url_in_logs(capfd: pytest.CaptureFixture[str]) -> Any:
    yield
    output = capfd.readouterr()
    text = output.out + output.err
    assert "X-Amz-Signature=" not in text and "X-Amz-Credential=" not in text, (
        "a pre-signed URL's query string was logged"
    )


def test_create_five_indexes_with_hand_offs(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name)
    cloudformation = cloudformation_factory(lambda_timeout=4.0)
    stack = Stack(cloudformation)
    response = stack.create(properties(table_name, *FIVE))
    assert response.status == "SUCCESS", response.reason
    arn = client.describe_table(TableName=table_name)["Table"]["TableArn"]
    assert response.physical_resource_id == f"{arn}/multigsi/Indexes"
    assert response.data == {"TableArn": arn, "IndexNames": "by-a,by-b,by-c,by-d,by-e"}
    assert sorted(indexes_of(client, table_name)) == ["by-a", "by-b", "by-c", "by-d", "by-e"]
    assert all(i["IndexStatus"] == "ACTIVE" for i in indexes_of(client, table_name).values())
    cloudformation.lambda_service.wait_idle(10)
    invocations = cloudformation.lambda_service.invocations
    assert max(i.hop for i in invocations) >= 2, "the work spanned at least two hand-offs"
    assert not [i for i in invocations if i.overran], "no invocation outlived its Lambda timeout"
    assert len(cloudformation.answers(response.request_id)) == 1


@pytest.mark.quick_builds
def test_update_adds_removes_reprojects_and_rethrottles(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name, billing="PROVISIONED")
    stack = Stack(cloudformation_factory())
    created = stack.create(properties(table_name, ("by-a", "a"), ("by-b", "b"), ("by-c", "c"), capacity=2))
    assert created.status == "SUCCESS", created.reason
    new = properties(table_name, ("by-a", "a"), ("by-c", "c"), ("by-d", "d"), capacity=2)
    new["GlobalSecondaryIndexes"][0]["Projection"] = {"ProjectionType": "KEYS_ONLY"}  # re-project by-a
    new["GlobalSecondaryIndexes"][1]["ProvisionedThroughput"] = {
        "ReadCapacityUnits": 7,
        "WriteCapacityUnits": 3,
    }  # re-throttle by-c
    updated = stack.update(new)
    assert updated.status == "SUCCESS", updated.reason
    assert updated.physical_resource_id == created.physical_resource_id, "an in-place update keeps the id"
    live = indexes_of(client, table_name)
    assert sorted(live) == ["by-a", "by-c", "by-d"]
    assert live["by-a"]["Projection"]["ProjectionType"] == "KEYS_ONLY"
    capacity = live["by-c"]["ProvisionedThroughput"]
    assert (capacity["ReadCapacityUnits"], capacity["WriteCapacityUnits"]) == (7, 3), (
        "stringified numbers arrived as numbers"
    )


def test_invalid_update_fails_fast_listing_every_problem_then_rolls_back(
    endpoint: LocalDynamoDB, cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name)
    stack = Stack(cloudformation_factory())
    assert stack.create(properties(table_name, ("by-a", "a"))).status == "SUCCESS"
    before = len(endpoint.plane.events)
    bad = properties(table_name, ("by-a", "a"), ("zz", "z"))
    bad["GlobalSecondaryIndexes"].append(
        {
            "IndexName": "by-b",
            "KeySchema": [{"AttributeName": "b", "KeyType": "SORT"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    )
    response = stack.update(bad)
    assert response.status == "FAILED"
    assert response.elapsed < 5
    for problem in (
        "ResourceProperties.GlobalSecondaryIndexes[1].IndexName: 'zz' must be 3 to 255 characters long",
        "ResourceProperties.GlobalSecondaryIndexes[1].KeySchema[0].AttributeName: 'z' has no AttributeDefinition",
        "ResourceProperties.GlobalSecondaryIndexes[2].KeySchema[0].KeyType: 'SORT' is not one of HASH, RANGE",
    ):
        assert problem in response.reason
    assert not [e for e in endpoint.plane.events[before:] if e.table == table_name and e.kind == "started"], (
        "table untouched"
    )
    rollback = stack.last
    assert stack.history[-1][0] == "Rollback" and rollback.status == "SUCCESS"
    assert sorted(indexes_of(client, table_name)) == ["by-a"]


def test_timeout_fails_in_time_and_rollback_deletes_the_backfilling_index(
    slow_endpoint: LocalDynamoDB, cloudformation_factory: Any
) -> None:
    from tests.conftest import make_client

    client = make_client(slow_endpoint.url)
    create_table(client, "slow-table", items=5)
    stack = Stack(cloudformation_factory(lambda_timeout=900.0, dynamodb=slow_endpoint))
    stack.properties, stack.physical_id = properties("slow-table", ServiceTimeout=60), "original-id"
    response = stack.update(properties("slow-table", ("by-a", "a"), ("by-b", "b"), ServiceTimeout=12))
    assert response.status == "FAILED"
    assert response.elapsed < 12, "FAILED arrived before the ServiceTimeout"
    assert re.search(r"by-a (allocating|backfilling)", response.reason), response.reason
    assert "not started: create by-b" in response.reason
    assert response.physical_resource_id == "original-id"
    rollback = stack.last
    assert stack.history[-1][0] == "Rollback" and rollback.status == "SUCCESS", rollback.reason
    assert indexes_of(client, "slow-table") == {}, "the index still building was deleted by the rollback"


@pytest.mark.quick_builds
def test_delete_keeps_an_unmanaged_index(cloudformation_factory: Any, client: Any, table_name: str) -> None:
    create_table(
        client,
        table_name,
        indexes=[gsi("theirs", "f")],
    )
    stack = Stack(cloudformation_factory())
    assert stack.create(properties(table_name, ("by-a", "a"), ("by-b", "b"))).status == "SUCCESS"
    assert sorted(indexes_of(client, table_name)) == ["by-a", "by-b", "theirs"]
    deleted = stack.delete()
    assert deleted.status == "SUCCESS", deleted.reason
    assert sorted(indexes_of(client, table_name)) == ["theirs"]
    assert client.scan(TableName=table_name)["Count"] == 20


def test_failed_create_is_followed_by_an_immediate_successful_delete(
    endpoint: LocalDynamoDB, cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(
        client,
        table_name,
        billing="PROVISIONED",
        indexes=[
            {
                "IndexName": "by-a",
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            }
        ],
    )
    stack = Stack(cloudformation_factory())
    response = stack.create(properties(table_name, ("by-a", "a")))  # no throughput on a PROVISIONED table
    assert response.status == "FAILED"
    assert "GlobalSecondaryIndexes[0].ProvisionedThroughput: is required" in response.reason
    assert response.physical_resource_id == "multigsi:not-created:Indexes"
    what, delete = stack.history[-1]
    assert what == "Rollback delete" and delete.status == "SUCCESS"
    assert "by-a" in indexes_of(client, table_name), "an index the failed resource never created survives"


def test_delete_of_a_missing_table_succeeds(cloudformation_factory: Any) -> None:
    stack = Stack(
        cloudformation_factory(),
        properties=properties("gone-table", ("by-a", "a")),
        physical_id="arn:aws:dynamodb:us-east-1:123456789012:table/gone-table/multigsi/Indexes",
    )
    response = stack.delete()
    assert response.status == "SUCCESS"
    assert response.physical_resource_id == stack.physical_id


def test_create_of_a_missing_table_fails_clearly(cloudformation_factory: Any) -> None:
    response = Stack(cloudformation_factory()).create(properties("never-made", ("by-a", "a")))
    assert response.status == "FAILED" and "table 'never-made' does not exist" in response.reason


def test_duplicate_delivery_converges_and_answers_the_same(
    endpoint: LocalDynamoDB, cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name)
    cloudformation = cloudformation_factory()
    response = Stack(cloudformation).create(properties(table_name, ("by-a", "a"), ("by-b", "b")), copies=2)
    assert response.status == "SUCCESS", response.reason
    cloudformation.lambda_service.wait_idle(30)
    answers = cloudformation.answers(response.request_id)
    assert len(answers) == 2
    assert {(a["Status"], a["PhysicalResourceId"]) for a in answers} == {
        ("SUCCESS", response.physical_resource_id)
    }
    started = [e.index for e in endpoint.plane.events if e.table == table_name and e.kind == "started"]
    assert sorted(started) == ["by-a", "by-b"], "each index was created once"


def test_response_put_failing_twice_is_retried(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name)
    cloudformation = cloudformation_factory()
    cloudformation.fail_next_response_puts(2)
    response = Stack(cloudformation).create(properties(table_name, ("by-a", "a")))
    assert response.status == "SUCCESS"
    assert cloudformation.lambda_service.fail_next_puts == 0


@pytest.mark.quick_builds
def test_table_name_change_is_a_replacement(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    first, second = table_name + "-one", table_name + "-two"
    create_table(client, first)
    create_table(client, second)
    stack = Stack(cloudformation_factory())
    created = stack.create(properties(first, ("by-a", "a")))
    replaced = stack.update(properties(second, ("by-a", "a")))
    assert replaced.status == "SUCCESS"
    assert replaced.physical_resource_id != created.physical_resource_id
    assert stack.history[-1][0] == "Delete" and stack.last.status == "SUCCESS"
    assert indexes_of(client, first) == {} and sorted(indexes_of(client, second)) == ["by-a"]


def test_malformed_event_still_gets_a_failed_answer(cloudformation_factory: Any) -> None:
    cloudformation = cloudformation_factory()
    event = cloudformation.event("Create", {"TableName": "whatever"})
    event["RequestType"] = "Upsert"
    del event["StackId"]
    response = cloudformation.deliver(event)
    assert response.status == "FAILED"
    assert "RequestType 'Upsert' is not one of Create, Update, Delete" in response.reason
    assert "StackId is missing" in response.reason


def test_a_malformed_hand_off_of_a_create_that_built_an_index_keeps_its_real_id(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    """A Create whose hand-off arrives corrupted, after earlier hops had created an index: the
    FAILED answer must carry the resource's real id (asked of the table's record), so the
    Delete CloudFormation sends next removes the index instead of finding the not-created
    marker and leaving it behind."""
    create_table(client, table_name)
    cloudformation = cloudformation_factory()
    created = Stack(cloudformation).create(properties(table_name, ("by-a", "a")))
    assert created.status == "SUCCESS", created.reason
    event = cloudformation.event("Create", properties(table_name, ("by-a", "a")))
    event["MultigsiContinuation"] = {"FirstInvokedAt": "yesterday", "Hop": -1, "Changed": True}
    response = cloudformation.deliver(event)
    assert response.status == "FAILED" and "malformed request" in response.reason
    assert response.physical_resource_id == created.physical_resource_id
    nothing_claimed = cloudformation.deliver(
        cloudformation.event("Create", properties(table_name, ("by-a", "a")), logical_id="Other")
        | {"MultigsiContinuation": {"Hop": -1}}
    )
    assert nothing_claimed.physical_resource_id.startswith("multigsi:not-created:")


def test_unexpected_error_still_answers_failed(
    cloudformation_factory: Any, client: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multigsi.engine import reconcile as handler  # the loop both front doors run

    create_table(client, table_name)

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(handler.Reconciler, "apply", explode)
    response = Stack(cloudformation_factory()).create(properties(table_name, ("by-a", "a")))
    assert response.status == "FAILED" and "internal error: RuntimeError: boom" in response.reason


def test_an_answer_the_invocation_could_not_deliver_is_sent_by_the_next_one(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    """The response PUT fails until the invocation runs out of time: a fresh invocation
    re-checks the table and answers."""
    create_table(client, table_name)
    cloudformation = cloudformation_factory(lambda_timeout=4.0)
    cloudformation.fail_next_response_puts(5)
    response = Stack(cloudformation).create(properties(table_name, ("by-a", "a"), ServiceTimeout=30))
    assert response.status == "SUCCESS", response.reason
    cloudformation.lambda_service.wait_idle(30)
    assert max(i.hop for i in cloudformation.lambda_service.invocations) >= 1, "a later invocation answered"


def test_reads_throttled_to_the_end_of_a_hop_hand_off_instead_of_failing(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    """DescribeTable throttled past this hop's retries is no failure: the next invocation
    reads again (the resource type always did this; the custom resource answered FAILED,
    "internal error: ReadOutOfTime"). The throttling is AWS's answer, injected on this
    invocation's own clients only; the hop that follows is the harness's ordinary one."""
    from botocore.exceptions import ClientError

    from multigsi.cloudformation.custom_resource.handler import CustomResourceHandler, Services
    from multigsi.engine.clients import DEADLINE_CLIENT_CONFIG
    from multigsi.local.cloudformation.lambda_service import LambdaContext

    def throttled(**_: Any) -> None:
        error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
        raise ClientError(error, "DescribeTable")  # type: ignore[arg-type]

    def make_client(name: str) -> Any:
        made = boto3.client(name, config=DEADLINE_CLIENT_CONFIG)
        if name == "dynamodb":
            made.meta.events.register("before-call.dynamodb.DescribeTable", throttled)
        return made

    create_table(client, table_name)
    cloudformation = cloudformation_factory()
    service = cloudformation.lambda_service
    event = cloudformation.event("Create", properties(table_name, ("by-a", "a"), ServiceTimeout=120))
    started = time.monotonic()
    result = CustomResourceHandler(services=Services(make_client)).handle(
        event, LambdaContext(service.function_name, service.arn, 6.0)
    )
    assert result == {"Status": "IN_PROGRESS", "HandedOff": True}, result
    answer = cloudformation.wait_for_answer(event["RequestId"], started, 120)
    assert answer.status == "SUCCESS", answer.reason
    assert set(indexes_of(client, table_name)) == {"by-a"}
