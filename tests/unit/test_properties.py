"""Property-based tests (hypothesis): any JSON gives a spec or a list of problems, and the
planner's steps, applied to a model of the table, reach exactly the desired state."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from multigsi.cloudformation.properties import properties_spec
from multigsi.engine.ownership.scope import Ownership
from multigsi.engine.plan import Action, make_plan
from multigsi.errors import SpecError
from multigsi.model.parse import parse_table_spec
from multigsi.model.wire import create_action, live_table_from_describe

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "TableName",
                    "AttributeDefinitions",
                    "GlobalSecondaryIndexes",
                    "IndexName",
                    "KeySchema",
                    "Projection",
                    "x",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_is_a_spec_or_a_list_of_problems(document: Any) -> None:
    for parse in (parse_table_spec, properties_spec):
        try:
            parse(document)
        except SpecError as error:
            assert error.problems, "a SpecError always says what is wrong"


POOL = {
    letter: {"IndexName": f"idx-{letter}", "KeySchema": [{"AttributeName": letter, "KeyType": "HASH"}]}
    for letter in "abcdef"
}
projections = st.sampled_from(
    [
        {"ProjectionType": "ALL"},
        {"ProjectionType": "KEYS_ONLY"},
        {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]},
    ]
)
index_sets = st.dictionaries(
    st.sampled_from(sorted(POOL)), st.tuples(projections, st.integers(1, 3)), max_size=6
)


def as_indexes(chosen: dict[str, tuple[dict[str, Any], int]]) -> list[dict[str, Any]]:
    return [
        {
            **POOL[letter],
            "Projection": projection,
            "ProvisionedThroughput": {"ReadCapacityUnits": units, "WriteCapacityUnits": units},
        }
        for letter, (projection, units) in sorted(chosen.items())
    ]


def description(indexes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "TableName": "model",
        "TableStatus": "ACTIVE",
        "BillingModeSummary": {"BillingMode": "PROVISIONED"},
        "AttributeDefinitions": [{"AttributeName": letter, "AttributeType": "S"} for letter in "abcdef"],
        "GlobalSecondaryIndexes": [{**index, "IndexStatus": "ACTIVE"} for index in indexes],
    }


@settings(max_examples=300, deadline=None)
@given(current=index_sets, desired=index_sets)
def test_plan_applied_to_a_model_reaches_the_spec_and_then_is_empty(current: Any, desired: Any) -> None:
    spec = parse_table_spec(
        {
            "TableName": "model",
            "AttributeDefinitions": [{"AttributeName": letter, "AttributeType": "S"} for letter in "abcdef"],
            "GlobalSecondaryIndexes": as_indexes(desired),
        }
    )
    model = {index["IndexName"]: index for index in as_indexes(current)}
    plan = make_plan(
        live_table_from_describe(description(list(model.values()))), spec, Ownership.everything()
    )
    creates_deletes = [step for step in plan.steps if step.action is not Action.UPDATE]
    assert all(
        step.action is Action.DELETE
        for step in creates_deletes[: sum(s.action is Action.DELETE for s in plan.steps)]
    )
    for step in plan.steps:  # the model of DynamoDB: each step is one UpdateTable
        if step.action is Action.DELETE:
            del model[step.index_name]
        elif step.action is Action.CREATE:
            assert step.index is not None and step.index_name not in model
            model[step.index_name] = create_action(step.index)
        else:
            assert step.change is not None and step.change.provisioned_throughput is not None
            capacity = step.change.provisioned_throughput
            model[step.index_name]["ProvisionedThroughput"] = {
                "ReadCapacityUnits": capacity.read_capacity_units,
                "WriteCapacityUnits": capacity.write_capacity_units,
            }
    converged = live_table_from_describe(description(list(model.values())))
    assert sorted(model) == sorted(index.name for index in spec.indexes)
    assert make_plan(converged, spec, Ownership.everything()).empty
