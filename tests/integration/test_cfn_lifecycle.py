"""Issue 8's lifecycle cases, each through the harness (real HTTP to the local endpoint,
the Lambda Invoke API and CloudFormation's stack API on loopback): the table must end
holding exactly what the template says, with unmanaged and adopted indexes untouched."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from multigsi.local import LocalDynamoDB, Timing
from multigsi.local.cloudformation import CustomResource, Stack
from tests.conftest import create_table, gsi, make_client
from tests.integration.test_cfn import indexes_of, properties


def tags_of(client: Any, table: str) -> dict[str, str]:
    arn = client.describe_table(TableName=table)["Table"]["TableArn"]
    return {t["Key"]: t["Value"] for t in client.list_tags_of_resource(ResourceArn=arn)["Tags"]}


@pytest.mark.quick_builds
def test_1_logical_id_rename_keeps_the_indexes(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name)
    stack = Stack(cloudformation_factory())
    wanted = properties(table_name, ("by-a", "a"), ("by-b", "b"))
    assert stack.deploy({"Indexes": CustomResource(wanted)})
    assert stack.deploy({"RenamedIndexes": CustomResource(wanted)})
    assert [what for what, _ in stack.history][-2:] == ["Create", "Cleanup delete"]
    assert sorted(indexes_of(client, table_name)) == ["by-a", "by-b"], "the cleanup Delete kept them"
    # Ownership moved with the rename: removing the successor deletes what multigsi created.
    assert stack.deploy({})
    assert indexes_of(client, table_name) == {}
    assert not [k for k in tags_of(client, table_name) if k.startswith("multigsi:")]


# A logical id past 64 characters is recorded as a hash (a tag value's room): CDK's ids
# (path and hash) reach that. Looked up by name, a hashed id always seemed gone, and the
# rollback deleted the indexes instead of handing them back.
LONG_LOGICAL_ID = "OrdersServiceStorageOrdersTableGlobalSecondaryIndexes" + "0123456789ABCDEF" * 2


@pytest.mark.quick_builds
@pytest.mark.parametrize("original", ["Indexes", LONG_LOGICAL_ID])
def test_rollback_of_a_rename_hands_the_indexes_back(
    cloudformation_factory: Any, client: Any, table_name: str, original: str
) -> None:
    create_table(client, table_name)
    stack = Stack(cloudformation_factory())
    wanted = properties(table_name, ("by-a", "a"))
    assert stack.deploy({original: CustomResource(wanted)})
    assert not stack.deploy({"RenamedIndexes": CustomResource(wanted)}, fail_after=True)
    assert stack.history[-1][0] == "Rollback delete" and "handed back" in stack.last.reason
    assert sorted(indexes_of(client, table_name)) == ["by-a"]
    assert stack.deploy({}), "the original owner still deletes what it created"
    assert indexes_of(client, table_name) == {}


def test_2_failed_update_after_table_name_change_leaves_no_index_on_the_new_table(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    first, second = table_name + "-one", table_name + "-two"
    create_table(client, first)
    create_table(client, second)
    cloudformation = cloudformation_factory(lambda_timeout=3.0)
    stack = Stack(cloudformation)
    assert stack.create(properties(first, ("by-a", "a"))).status == "SUCCESS"
    cloudformation.lambda_service.deny_self_invokes = 1  # the new table's work cannot hand off
    response = stack.update(properties(second, ("by-a", "a"), ("by-b", "b"), ("by-c", "c")))
    assert response.status == "FAILED"
    cloudformation.lambda_service.wait_idle(30)
    assert sorted(indexes_of(client, first)) == ["by-a"]
    assert indexes_of(client, second) == {}, "the rollback cleaned the new table"


def test_3_failed_hand_off_still_cleans_up_what_the_create_made(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name)
    cloudformation = cloudformation_factory(lambda_timeout=3.0)
    cloudformation.lambda_service.deny_self_invokes = 1
    stack = Stack(cloudformation)
    response = stack.create(properties(table_name, ("by-a", "a"), ("by-b", "b"), ("by-c", "c")))
    assert response.status == "FAILED" and "could not hand the work" in response.reason
    assert cloudformation.lambda_service.denied_invokes >= 1
    assert not response.physical_resource_id.startswith("multigsi:not-created:")
    assert stack.history[-1][0] == "Rollback delete" and stack.last.status == "SUCCESS"
    assert indexes_of(client, table_name) == {}


def test_4_unexpected_error_after_a_change_still_cleans_up(
    cloudformation_factory: Any, client: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multigsi.engine import reconcile as handler  # the loop both front doors run

    create_table(client, table_name)
    real = handler.Reconciler.apply

    def apply_then_break(self: Any, spec: Any, *args: Any, **kwargs: Any) -> Any:
        result = real(self, spec, *args, **kwargs)
        if spec.indexes:
            raise ValueError("unexpected")
        return result

    monkeypatch.setattr(handler.Reconciler, "apply", apply_then_break)
    stack = Stack(cloudformation_factory())
    response = stack.create(properties(table_name, ("by-a", "a")))
    assert response.status == "FAILED" and "ValueError: unexpected" in response.reason
    assert indexes_of(client, table_name) == {}, "the Delete removed the index the Create made"


def test_5_adopted_index_survives_a_failed_create_that_changed_something(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name, indexes=[gsi("by-a", "a")])
    cloudformation = cloudformation_factory(lambda_timeout=3.0)
    cloudformation.lambda_service.deny_self_invokes = 1
    stack = Stack(cloudformation)
    response = stack.create(properties(table_name, ("by-a", "a"), ("by-b", "b"), ("by-c", "c")))
    assert response.status == "FAILED"
    assert sorted(indexes_of(client, table_name)) == ["by-a"], "adopted kept, created removed"


@pytest.mark.quick_builds
def test_adopted_index_is_kept_when_the_resource_is_removed(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name, indexes=[gsi("by-a", "a")])
    stack = Stack(cloudformation_factory())
    assert stack.create(properties(table_name, ("by-a", "a"), ("by-b", "b"))).status == "SUCCESS"
    owners = tags_of(client, table_name)
    assert owners["multigsi:gsi:by-a"].startswith("v2/a/r/") and owners["multigsi:gsi:by-b"].startswith(
        "v2/c/r/"
    )
    assert stack.delete().status == "SUCCESS"
    assert sorted(indexes_of(client, table_name)) == ["by-a"]


@pytest.mark.parametrize("table_policy", ["Delete", "Retain"])
def test_6_stack_deletion_leaves_the_stacks_own_table_alone(
    endpoint: LocalDynamoDB, cloudformation_factory: Any, client: Any, table_name: str, table_policy: str
) -> None:
    create_table(client, table_name)
    stack = Stack(cloudformation_factory(), tables={"Table": table_name}, table_policy=table_policy)
    assert stack.deploy({"Indexes": CustomResource(properties(table_name, ("by-a", "a"), ("by-b", "b")))})
    started = len(endpoint.plane.events)
    stack.delete_stack()
    assert stack.history[-1][0] == "Delete" and "indexes left with the table" in stack.last.reason
    deletes = [e for e in endpoint.plane.events[started:] if e.table == table_name and e.kind == "started"]
    assert deletes == [], "no index was deleted one by one"
    if table_policy == "Retain":
        assert sorted(indexes_of(client, table_name)) == ["by-a", "by-b"]


def test_stack_deletion_removes_owned_indexes_from_a_table_of_another_stack(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name, indexes=[gsi("by-x", "d")])
    stack = Stack(cloudformation_factory())
    assert stack.deploy({"Indexes": CustomResource(properties(table_name, ("by-a", "a")))})
    stack.delete_stack()
    assert sorted(indexes_of(client, table_name)) == ["by-x"]


def test_retained_resource_gets_no_delete(cloudformation_factory: Any, client: Any, table_name: str) -> None:
    create_table(client, table_name)
    stack = Stack(cloudformation_factory())
    assert stack.deploy({"Indexes": CustomResource(properties(table_name, ("by-a", "a")), "Retain")})
    assert stack.deploy({})
    assert [what for what, _ in stack.history] == ["Create"]
    assert sorted(indexes_of(client, table_name)) == ["by-a"]


def test_another_stack_cannot_take_an_index_over(
    endpoint: LocalDynamoDB, cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name)
    cloudformation = cloudformation_factory()
    mine = Stack(cloudformation, name="orders")
    assert mine.create(properties(table_name, ("by-a", "a"))).status == "SUCCESS"
    before = len(endpoint.plane.events)
    theirs = Stack(cloudformation, name="reports")
    response = theirs.create(properties(table_name, ("by-a", "a"), ("by-b", "b")))
    assert response.status == "FAILED"
    assert (
        "index by-a is owned by orders/Indexes (created, custom resource) in another stack" in response.reason
    )
    assert [e for e in endpoint.plane.events[before:] if e.kind == "started"] == [], "nothing changed"
    assert sorted(indexes_of(client, table_name)) == ["by-a"]


@pytest.mark.quick_builds
def test_two_resources_on_one_table_each_delete_their_own(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name)
    stack = Stack(cloudformation_factory())
    assert stack.deploy(
        {
            "First": CustomResource(properties(table_name, ("by-a", "a"))),
            "Second": CustomResource(properties(table_name, ("by-b", "b"))),
        }
    )
    assert stack.deploy({"Second": CustomResource(properties(table_name, ("by-b", "b")))})
    assert sorted(indexes_of(client, table_name)) == ["by-b"]


@pytest.mark.quick_builds
def test_rollback_of_an_update_that_succeeded_when_a_later_resource_failed(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name)
    stack = Stack(cloudformation_factory())
    assert stack.deploy({"Indexes": CustomResource(properties(table_name, ("by-a", "a")))})
    changed = properties(table_name, ("by-b", "b"))
    assert not stack.deploy({"Indexes": CustomResource(changed)}, fail_after=True)
    assert [what for what, _ in stack.history][-2:] == ["Update", "Rollback"]
    assert sorted(indexes_of(client, table_name)) == ["by-a"]


def test_response_urls_expire_and_long_answers_are_refused(cloudformation_factory: Any) -> None:
    """The harness itself: an expired URL and an over-long body are refused, as S3 and
    CloudFormation do."""
    import urllib.request

    cloudformation = cloudformation_factory()
    event = cloudformation.event("Create", {"TableName": "x"})
    service = cloudformation.lambda_service

    def put(body: bytes) -> int:
        request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT")
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    assert put(b"{" + b" " * 4100 + b"}") == 400
    service.advance(7201)
    assert put(b"{}") == 403
    assert [status for status, _ in service.refused_puts] == [400, 403]


def test_an_invocation_past_its_timeout_never_answers(local_dynamodb: LocalDynamoDB) -> None:
    """The harness enforces Lambda's timeout: a handler that overruns is retried as Lambda
    retries a timed-out asynchronous invocation, and its late answers never arrive."""
    import time

    from multigsi.local.cloudformation import LocalCloudFormation

    def slow(event: Any, context: Any) -> Any:
        time.sleep(context.get_remaining_time_in_millis() / 1000 + 0.3)
        from multigsi.cloudformation.custom_resource import lambda_handler

        return lambda_handler(event, context)

    with LocalCloudFormation(slow, dynamodb_url=local_dynamodb.url, lambda_timeout=1.0) as cloudformation:
        response = cloudformation.deliver(
            cloudformation.event("Create", {"TableName": "never-made", "ServiceTimeout": 2})
        )
        cloudformation.lambda_service.wait_idle(30)
        assert response.status == "NONE"
        service = cloudformation.lambda_service
        assert len(service.invocations) == 3 and all(
            "timed out" in (i.error or "") for i in service.invocations
        )
        assert len(service.dropped) == 3 and service.puts == []


def test_a_duplicate_within_the_stack_keeps_the_index_while_either_lists_it(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    """Two resources of one stack listing the same index: the later one takes it over, and
    removing it hands the index back to the one still in the template."""
    create_table(client, table_name)
    stack = Stack(cloudformation_factory())
    wanted = properties(table_name, ("by-a", "a"))
    assert stack.deploy({"First": CustomResource(wanted), "Second": CustomResource(wanted)})
    assert tags_of(client, table_name)["multigsi:gsi:by-a"].endswith("/Second/First")
    assert stack.deploy({"First": CustomResource(wanted)})
    assert "handed back: by-a to First" in stack.last.reason
    assert sorted(indexes_of(client, table_name)) == ["by-a"]
    assert stack.deploy({})
    assert indexes_of(client, table_name) == {}


@pytest.fixture(scope="module")
def slow_tables() -> Iterator[LocalDynamoDB]:
    """Tables that stay CREATING/DELETING for 3 s: long enough for a resource to meet them."""
    with LocalDynamoDB(timing=Timing(build_seconds=1.0, table_seconds=3.0)) as local:
        yield local


def test_a_table_of_the_stack_still_creating_is_waited_for(
    slow_tables: LocalDynamoDB, cloudformation_factory: Any, table_name: str
) -> None:
    """The table is created without the conftest helper on purpose: the resource starts while
    it is still CREATING (as when the table is a resource of the same stack) and waits."""
    client = make_client(slow_tables.url)
    client.create_table(
        TableName=table_name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert client.describe_table(TableName=table_name)["Table"]["TableStatus"] == "CREATING"
    cloudformation = cloudformation_factory(lambda_timeout=4.0, dynamodb=slow_tables)
    stack = Stack(cloudformation, tables={"Table": table_name})
    assert stack.deploy({"Indexes": CustomResource(properties(table_name, ("by-a", "a")))}), stack.last.reason
    assert sorted(indexes_of(client, table_name)) == ["by-a"]


def test_delete_during_a_stack_delete_answers_at_once_while_the_table_is_deleting(
    slow_tables: LocalDynamoDB, cloudformation_factory: Any, table_name: str
) -> None:
    client = make_client(slow_tables.url)
    create_table(client, table_name)
    stack = Stack(cloudformation_factory(dynamodb=slow_tables))
    assert stack.create(properties(table_name, ("by-a", "a"))).status == "SUCCESS"
    client.delete_table(TableName=table_name)
    assert client.describe_table(TableName=table_name)["Table"]["TableStatus"] == "DELETING"
    started = len(slow_tables.plane.events)
    response = stack.delete()
    assert response.status == "SUCCESS"
    assert "is being deleted" in response.reason, response.reason
    assert [e for e in slow_tables.plane.events[started:] if e.kind == "started"] == []


def test_delete_answers_at_once_when_the_table_is_deleting_or_gone(
    endpoint: LocalDynamoDB, cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name)
    stack = Stack(cloudformation_factory())
    assert stack.create(properties(table_name, ("by-a", "a"))).status == "SUCCESS"
    client.delete_table(TableName=table_name)  # DELETING for a while once tables have phases
    started = len(endpoint.plane.events)
    response = stack.delete()
    assert response.status == "SUCCESS"
    assert re.search(r"is being deleted|does not exist", response.reason), response.reason
    assert [e for e in endpoint.plane.events[started:] if e.kind == "started"] == []
