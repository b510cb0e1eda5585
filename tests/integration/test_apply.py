"""The reconcile loop against the local endpoint over real HTTP, with real build times."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from multigsi import Outcome, Ownership, Reconciler, SpecError, parse_table_spec
from multigsi.local import LocalDynamoDB
from tests.conftest import create_table, gsi


def spec_for(
    table: str, *indexes: tuple[str, str], billing: str = "PAY_PER_REQUEST", projection: str = "ALL"
) -> Any:
    capacity = (
        {"ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2}}
        if billing == "PROVISIONED"
        else {}
    )
    return parse_table_spec(
        {
            "TableName": table,
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in "abcd"],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": name,
                    "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": projection},
                    **capacity,
                }
                for name, key in indexes
            ],
        }
    )


FOUR = (("by-a", "a"), ("by-b", "b"), ("by-c", "c"), ("by-d", "d"))


def live_indexes(client: Any, table: str) -> dict[str, dict[str, Any]]:
    return {
        i["IndexName"]: i
        for i in client.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
    }


def endpoint_events(endpoint: LocalDynamoDB, table: str, kind: str) -> list[Any]:
    return [event for event in endpoint.plane.events if event.table == table and event.kind == kind]


def assert_serial(endpoint: LocalDynamoDB, table: str) -> None:
    """Every create/delete started only after the previous one finished, and nothing was refused."""
    assert endpoint_events(endpoint, table, "refused") == []
    timeline = sorted(
        (e.at, e.kind, e.detail)
        for e in endpoint.plane.events
        if e.table == table and e.kind in ("started", "finished") and e.detail in ("create", "delete")
    )
    running = 0
    for _, kind, _ in timeline:
        running += 1 if kind == "started" else -1
        assert running <= 1


@pytest.mark.parametrize("billing", ["PAY_PER_REQUEST", "PROVISIONED"])
def test_several_indexes_are_applied_one_at_a_time(
    endpoint: LocalDynamoDB, client: Any, table_name: str, billing: str
) -> None:
    create_table(client, table_name, billing=billing, items=30)
    result = Reconciler(client).apply(spec_for(table_name, *FOUR, billing=billing), Ownership.everything())
    assert result.converged
    assert [step.index_name for step in result.steps_issued] == ["by-a", "by-b", "by-c", "by-d"]
    indexes = live_indexes(client, table_name)
    assert sorted(indexes) == ["by-a", "by-b", "by-c", "by-d"]
    assert all(i["IndexStatus"] == "ACTIVE" for i in indexes.values())
    answer = client.query(
        TableName=table_name,
        IndexName="by-c",
        KeyConditionExpression="c = :v",
        ExpressionAttributeValues={":v": {"S": "c-1"}},
    )
    assert answer["Count"] == 10  # every third of the 30 items: no data lost or missing
    assert client.scan(TableName=table_name)["Count"] == 30
    assert_serial(endpoint, table_name)


@pytest.mark.quick_builds
def test_second_apply_is_a_no_op(client: Any, table_name: str) -> None:
    create_table(client, table_name)
    spec = spec_for(table_name, ("by-a", "a"))
    assert Reconciler(client).apply(spec, Ownership.everything()).converged
    again = Reconciler(client).apply(spec, Ownership.everything())
    assert again.converged and again.steps_issued == ()


def test_interrupted_apply_resumes(endpoint: LocalDynamoDB, client: Any, table_name: str) -> None:
    create_table(client, table_name)
    spec = spec_for(table_name, *FOUR[:3])
    reconciler = Reconciler(client)
    first = reconciler.apply(spec, Ownership.everything(), deadline=reconciler.clock.now() + 1.5)
    assert first.outcome is Outcome.DEADLINE
    assert 1 <= len(first.steps_issued) < 3
    assert first.remaining.steps, "the result says what is still to do"
    second = Reconciler(client).apply(spec, Ownership.everything())
    assert second.converged
    assert {s.index_name for s in first.steps_issued} | {s.index_name for s in second.steps_issued} == {
        "by-a",
        "by-b",
        "by-c",
    }
    assert_serial(endpoint, table_name)


def test_two_concurrent_applies_converge(endpoint: LocalDynamoDB, client: Any, table_name: str) -> None:
    create_table(client, table_name)
    spec = spec_for(table_name, *FOUR[:3])
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(Reconciler(client).apply(spec, Ownership.everything()))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert [r.converged for r in results] == [True, True]
    assert sorted(live_indexes(client, table_name)) == ["by-a", "by-b", "by-c"]
    started = endpoint_events(endpoint, table_name, "started")
    assert len(started) == 3, "each index was created exactly once"


@pytest.mark.quick_builds
def test_replace_when_key_changes(client: Any, table_name: str) -> None:
    create_table(
        client,
        table_name,
        indexes=[gsi("by-a", "a")],
    )
    result = Reconciler(client).apply(spec_for(table_name, ("by-a", "b")), Ownership.everything())
    assert [(s.action.value, s.replacement) for s in result.steps_issued] == [
        ("delete", True),
        ("create", True),
    ]
    assert live_indexes(client, table_name)["by-a"]["KeySchema"] == [
        {"AttributeName": "b", "KeyType": "HASH"}
    ]


@pytest.mark.quick_builds
def test_unlisted_index_is_deleted_by_default_and_kept_with_keep_unlisted(
    client: Any, table_name: str
) -> None:
    theirs = gsi("theirs", "d")
    create_table(client, table_name, indexes=[theirs])
    spec = spec_for(table_name, ("by-a", "a"))
    kept = Reconciler(client).apply(spec, Ownership.listed_only())
    assert [s.index_name for s in kept.steps_issued] == ["by-a"]
    assert sorted(live_indexes(client, table_name)) == ["by-a", "theirs"]
    deleted = Reconciler(client).apply(spec, Ownership.everything())
    assert [(s.action.value, s.index_name) for s in deleted.steps_issued] == [("delete", "theirs")]
    assert sorted(live_indexes(client, table_name)) == ["by-a"]
    assert client.scan(TableName=table_name)["Count"] == 20, "deleting an index never deletes items"


@pytest.mark.quick_builds
def test_throughput_change(client: Any, table_name: str) -> None:
    create_table(client, table_name, billing="PROVISIONED")
    Reconciler(client).apply(
        spec_for(table_name, ("by-a", "a"), billing="PROVISIONED"), Ownership.everything()
    )
    raw = spec_for(table_name, ("by-a", "a"), billing="PROVISIONED")
    faster = parse_table_spec(
        {
            "TableName": table_name,
            "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "by-a",
                    "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                    "ProvisionedThroughput": {"ReadCapacityUnits": "9", "WriteCapacityUnits": "4"},
                }
            ],
        }
    )
    assert raw.indexes[0].provisioned_throughput != faster.indexes[0].provisioned_throughput
    result = Reconciler(client).apply(faster, Ownership.everything())
    assert [s.action.value for s in result.steps_issued] == ["update"]
    capacity = live_indexes(client, table_name)["by-a"]["ProvisionedThroughput"]
    assert (capacity["ReadCapacityUnits"], capacity["WriteCapacityUnits"]) == (9, 4)


def test_bad_spec_against_live_table_changes_nothing(
    endpoint: LocalDynamoDB, client: Any, table_name: str
) -> None:
    create_table(client, table_name, billing="PROVISIONED")
    with pytest.raises(SpecError) as caught:
        Reconciler(client).apply(spec_for(table_name, ("by-a", "a"), ("by-b", "b")), Ownership.everything())
    assert len(caught.value.problems) == 2
    assert "GlobalSecondaryIndexes[1].ProvisionedThroughput: is required" in str(caught.value)
    assert endpoint_events(endpoint, table_name, "started") == []


def test_missing_table_is_a_clear_error(client: Any) -> None:
    from multigsi import TableNotFoundError

    with pytest.raises(TableNotFoundError, match="table 'no-such-table' does not exist"):
        Reconciler(client).apply(spec_for("no-such-table", ("by-a", "a")), Ownership.everything())


def test_next_step_follows_a_finished_build_closely(
    endpoint: LocalDynamoDB, client: Any, table_name: str
) -> None:
    """Not a timing assertion on speed (that is the benchmark's job): checks the loop never
    issues a step before the previous build finished, and records the lag for the notes."""
    create_table(client, table_name)
    started = time.monotonic()
    Reconciler(client).apply(spec_for(table_name, *FOUR[:3]), Ownership.everything())
    assert time.monotonic() - started > 3 * endpoint.plane.timing.build_seconds
    finished = [e.at for e in endpoint_events(endpoint, table_name, "finished")]
    starts = [e.at for e in endpoint_events(endpoint, table_name, "started")]
    assert all(start >= finish for start, finish in zip(starts[1:], finished, strict=False))
