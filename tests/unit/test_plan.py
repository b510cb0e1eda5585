"""The planner on many live/desired combinations: pure, no AWS."""

from __future__ import annotations

from typing import Any

import pytest

from multigsi.engine.ownership.scope import Ownership
from multigsi.engine.plan import Action, make_plan
from multigsi.engine.rules import problems_against_live
from multigsi.model.parse import parse_table_spec
from multigsi.model.wire import live_table_from_describe

CAPACITY = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


def index(
    name: str,
    attribute: str = "a",
    *,
    projection: dict[str, Any] | None = None,
    status: str = "ACTIVE",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
        "Projection": projection or {"ProjectionType": "ALL"},
        "IndexStatus": status,
        **extra,
    }


def live(*indexes: dict[str, Any], billing: str = "PAY_PER_REQUEST", status: str = "ACTIVE") -> Any:
    attributes = {"pk"} | {e["AttributeName"] for i in indexes for e in i["KeySchema"]}
    return live_table_from_describe(
        {
            "TableName": "orders",
            "TableStatus": status,
            "BillingModeSummary": {"BillingMode": billing},
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)],
            "GlobalSecondaryIndexes": list(indexes),
        }
    )


def spec(*indexes: dict[str, Any]) -> Any:
    attributes = {"pk"} | {e["AttributeName"] for i in indexes for e in i["KeySchema"]}
    cleaned = [{k: v for k, v in i.items() if k != "IndexStatus"} for i in indexes]
    return parse_table_spec(
        {
            "TableName": "orders",
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)],
            "GlobalSecondaryIndexes": cleaned,
        }
    )


def summary(plan: Any) -> list[str]:
    return [f"{step.symbol} {step.index_name}" for step in plan.steps]


EVERYTHING = Ownership.everything()


@pytest.mark.parametrize(
    ("current", "desired", "ownership", "expected"),
    [
        ([], [index("i-a"), index("i-b", "b")], EVERYTHING, ["+ i-a", "+ i-b"]),
        ([index("i-a")], [index("i-a")], EVERYTHING, []),
        ([index("i-a"), index("old", "o")], [index("i-a")], EVERYTHING, ["- old"]),
        ([index("old", "o")], [index("new", "n")], Ownership.listed_only(), ["+ new"]),
        ([index("old", "o")], [index("new", "n")], Ownership.listed_only("old"), ["- old", "+ new"]),
        ([index("i-a")], [index("i-a", "b")], EVERYTHING, ["-/+ i-a", "-/+ i-a"]),
        (
            [index("i-a", projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x", "y"]})],
            [index("i-a", projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": ["y", "x"]})],
            EVERYTHING,
            [],
        ),
        (
            [index("i-a")],
            [index("i-a", projection={"ProjectionType": "KEYS_ONLY"})],
            EVERYTHING,
            ["-/+ i-a", "-/+ i-a"],
        ),
        # Deletes first, then updates, then creates in spec order.
        (
            [index("gone", "g"), index("keep", "k", OnDemandThroughput={"MaxReadRequestUnits": 5})],
            [
                index("z-new", "z"),
                index("keep", "k", OnDemandThroughput={"MaxReadRequestUnits": 9}),
                index("a-new", "a"),
            ],
            EVERYTHING,
            ["- gone", "~ keep", "+ z-new", "+ a-new"],
        ),
        # In flight: a creating index that is wanted needs nothing; a deleting one that is wanted comes back.
        ([index("i-a", status="CREATING", Backfilling=True)], [index("i-a")], EVERYTHING, []),
        ([index("i-a", status="DELETING")], [index("i-a")], EVERYTHING, ["+ i-a"]),
        ([index("old", "o", status="DELETING")], [], EVERYTHING, []),
        # On-demand limits: unspecified members are not compared; missing live members mean -1.
        ([index("i-a")], [index("i-a", OnDemandThroughput={"MaxReadRequestUnits": -1})], EVERYTHING, []),
        (
            [index("i-a")],
            [index("i-a", OnDemandThroughput={"MaxReadRequestUnits": 10})],
            EVERYTHING,
            ["~ i-a"],
        ),
        # Warm throughput is a floor: raised, never lowered.
        (
            [index("i-a", WarmThroughput={"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000})],
            [index("i-a", WarmThroughput={"ReadUnitsPerSecond": 100})],
            EVERYTHING,
            [],
        ),
        (
            [index("i-a", WarmThroughput={"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000})],
            [index("i-a", WarmThroughput={"WriteUnitsPerSecond": 5000})],
            EVERYTHING,
            ["~ i-a"],
        ),
    ],
)
def test_plan(
    current: list[dict[str, Any]], desired: list[dict[str, Any]], ownership: Ownership, expected: list[str]
) -> None:
    assert summary(make_plan(live(*current), spec(*desired), ownership)) == expected


def test_provisioned_throughput_change_is_an_update_with_only_what_changed() -> None:
    current = live(index("i-a", ProvisionedThroughput=CAPACITY), billing="PROVISIONED")
    desired = spec(index("i-a", ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 5}))
    plan = make_plan(current, desired, EVERYTHING)
    assert summary(plan) == ["~ i-a"]
    assert plan.steps[0].reason == "ProvisionedThroughput 5/5 → 10/5"
    assert plan.steps[0].request("orders") == {
        "TableName": "orders",
        "GlobalSecondaryIndexUpdates": [
            {
                "Update": {
                    "IndexName": "i-a",
                    "ProvisionedThroughput": {"ReadCapacityUnits": 10, "WriteCapacityUnits": 5},
                }
            }
        ],
    }


def test_on_demand_table_ignores_the_zero_provisioned_throughput_it_describes() -> None:
    current = live(index("i-a", ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}))
    assert make_plan(current, spec(index("i-a")), EVERYTHING).empty


def test_create_request_sends_only_the_new_index_key_definitions() -> None:
    desired = spec(index("i-a"), index("i-b", "b"))
    plan = make_plan(live(index("i-a")), desired, EVERYTHING)
    request = plan.steps[0].request("orders")
    assert request["AttributeDefinitions"] == [{"AttributeName": "b", "AttributeType": "S"}]
    assert request["GlobalSecondaryIndexUpdates"][0]["Create"]["IndexName"] == "i-b"


def test_replacement_is_marked_and_destructive() -> None:
    plan = make_plan(live(index("i-a")), spec(index("i-a", "b")), EVERYTHING)
    assert [s.action for s in plan.steps] == [Action.DELETE, Action.CREATE]
    assert all(s.replacement for s in plan.steps)
    assert plan.destructive
    assert "key (a HASH) → (b HASH)" in plan.steps[0].reason


def test_unmanaged_index_is_never_touched_even_when_it_conflicts() -> None:
    current = live(index("theirs", "t"), index("mine"))
    plan = make_plan(current, spec(index("mine", "b")), Ownership.listed_only())
    assert all(step.index_name == "mine" for step in plan.steps)


def test_rules_against_live_report_billing_and_limits() -> None:
    provisioned = live(billing="PROVISIONED")
    problems = [
        str(p)
        for p in problems_against_live(
            spec(index("i-a", OnDemandThroughput={"MaxReadRequestUnits": 5})), provisioned, EVERYTHING
        )
    ]
    assert (
        "GlobalSecondaryIndexes[0].ProvisionedThroughput: is required: table 'orders' is PROVISIONED"
        in problems
    )
    assert (
        "GlobalSecondaryIndexes[0].OnDemandThroughput: is only allowed on PAY_PER_REQUEST tables; 'orders' is PROVISIONED"
        in problems
    )
    problems = [
        str(p)
        for p in problems_against_live(spec(index("i-a", ProvisionedThroughput=CAPACITY)), live(), EVERYTHING)
    ]
    assert problems == [
        "GlobalSecondaryIndexes[0].ProvisionedThroughput: is not allowed: table 'orders' is PAY_PER_REQUEST"
    ]


def test_twenty_index_limit_counts_the_unmanaged_indexes_that_stay() -> None:
    current = live(*[index(f"theirs-{n}", f"t{n}") for n in range(15)])
    desired = spec(*[index(f"mine-{n}", f"m{n}") for n in range(6)])
    assert problems_against_live(desired, current, EVERYTHING) == []  # theirs would be deleted
    problems = [str(p) for p in problems_against_live(desired, current, Ownership.listed_only())]
    assert len(problems) == 1 and problems[0].startswith(
        "GlobalSecondaryIndexes: 6 listed plus 15 unmanaged on the table"
    )


def test_attribute_type_conflict_with_live_definition() -> None:
    current = live_table_from_describe(
        {
            "TableName": "orders",
            "TableStatus": "ACTIVE",
            "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "N"}],
        }
    )
    problems = [
        str(p)
        for p in problems_against_live(
            spec(index("i-a", ProvisionedThroughput=CAPACITY)), current, EVERYTHING
        )
    ]
    assert (
        "GlobalSecondaryIndexes[0].KeySchema[0].AttributeName: 'a' is S in the spec but N on table 'orders'"
        in problems
    )


def test_busy_reflects_every_index_not_just_table_status() -> None:
    assert live(index("i-a", status="CREATING", Backfilling=True)).busy
    assert live(status="UPDATING").busy
    assert not live(index("i-a")).busy
