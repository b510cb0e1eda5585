"""Every validation rule of the spec parser, with its path and message."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from multigsi.errors import SpecError
from multigsi.model.parse import parse_table_spec, parse_table_specs
from multigsi.model.table import KeyType, ProjectionType


def good() -> dict[str, Any]:
    return {
        "TableName": "orders",
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "customer", "AttributeType": "S"},
            {"AttributeName": "placed", "AttributeType": "N"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by-customer",
                "KeySchema": [
                    {"AttributeName": "customer", "KeyType": "HASH"},
                    {"AttributeName": "placed", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total", "status"]},
                "ProvisionedThroughput": {"ReadCapacityUnits": "5", "WriteCapacityUnits": 3},
            }
        ],
    }


def problems_of(raw: Any) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_table_spec(raw)
    return [str(problem) for problem in caught.value.problems]


def test_a_good_spec_parses_with_strings_as_numbers() -> None:
    spec = parse_table_spec(good())
    index = spec.indexes[0]
    assert index.provisioned_throughput is not None
    assert (
        index.provisioned_throughput.read_capacity_units,
        index.provisioned_throughput.write_capacity_units,
    ) == (5, 3)
    assert [e.key_type for e in index.key_schema] == [KeyType.HASH, KeyType.RANGE]
    assert index.projection.type is ProjectionType.INCLUDE
    assert index.projection.non_key_attributes == ("status", "total")  # sorted: order is not meaningful


def with_index(**changes: Any) -> dict[str, Any]:
    raw = good()
    raw["GlobalSecondaryIndexes"][0].update(changes)
    return raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({**good(), "TableName": "ab"}, "TableName: 'ab' must be 3 to 255 characters long"),
        (
            {**good(), "TableName": "bad name"},
            "TableName: 'bad name' may only contain letters, digits, '_', '.' and '-'",
        ),
        (
            {**good(), "Extra": 1},
            "Extra: unknown field; expected one of AttributeDefinitions, BillingMode, GlobalSecondaryIndexes, Replicas, TableName",
        ),
        (
            with_index(IndexName="x" * 256),
            f"GlobalSecondaryIndexes[0].IndexName: '{'x' * 256}' must be 3 to 255 characters long",
        ),
        (
            with_index(KeySchema=[{"AttributeName": "sk", "KeyType": "HASH"}]),
            "GlobalSecondaryIndexes[0].KeySchema[0].AttributeName: 'sk' has no AttributeDefinition",
        ),
        (
            with_index(KeySchema=[{"AttributeName": "customer", "KeyType": "PARTITION"}]),
            "GlobalSecondaryIndexes[0].KeySchema[0].KeyType: 'PARTITION' is not one of HASH, RANGE",
        ),
        (
            with_index(KeySchema=[{"AttributeName": "placed", "KeyType": "RANGE"}]),
            "GlobalSecondaryIndexes[0].KeySchema: needs at least one HASH attribute",
        ),
        (
            with_index(
                KeySchema=[
                    {"AttributeName": "placed", "KeyType": "RANGE"},
                    {"AttributeName": "customer", "KeyType": "HASH"},
                ]
            ),
            "GlobalSecondaryIndexes[0].KeySchema: HASH attributes must come before RANGE attributes",
        ),
        (
            with_index(
                KeySchema=[
                    {"AttributeName": "customer", "KeyType": "HASH"},
                    {"AttributeName": "customer", "KeyType": "RANGE"},
                ]
            ),
            "GlobalSecondaryIndexes[0].KeySchema[1].AttributeName: 'customer' appears twice in the key",
        ),
        (
            with_index(KeySchema=[]),
            "GlobalSecondaryIndexes[0].KeySchema: expected a non-empty list, got list",
        ),
        (
            with_index(Projection={"ProjectionType": "SOME"}),
            "GlobalSecondaryIndexes[0].Projection.ProjectionType: 'SOME' is not one of ALL, KEYS_ONLY, INCLUDE",
        ),
        (
            with_index(Projection={"ProjectionType": "ALL", "NonKeyAttributes": ["x"]}),
            "GlobalSecondaryIndexes[0].Projection.NonKeyAttributes: is only allowed when ProjectionType is INCLUDE, not ALL",
        ),
        (
            with_index(Projection={"ProjectionType": "INCLUDE"}),
            "GlobalSecondaryIndexes[0].Projection.NonKeyAttributes: is required when ProjectionType is INCLUDE",
        ),
        (
            with_index(
                Projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": [f"a{n}" for n in range(21)]}
            ),
            "GlobalSecondaryIndexes[0].Projection.NonKeyAttributes: 21 attributes; at most 20",
        ),
        (
            with_index(Projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x", "x"]}),
            "GlobalSecondaryIndexes[0].Projection.NonKeyAttributes[1]: 'x' is listed twice",
        ),
        (with_index(Projection=None), "GlobalSecondaryIndexes[0].Projection: is required"),
        (
            with_index(ProvisionedThroughput={"ReadCapacityUnits": "five", "WriteCapacityUnits": 1}),
            "GlobalSecondaryIndexes[0].ProvisionedThroughput.ReadCapacityUnits: expected a whole number, got 'five'",
        ),
        (
            with_index(ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 1}),
            "GlobalSecondaryIndexes[0].ProvisionedThroughput.ReadCapacityUnits: 0 is below the minimum of 1",
        ),
        (
            with_index(OnDemandThroughput={"MaxReadRequestUnits": "0"}),
            "GlobalSecondaryIndexes[0].OnDemandThroughput.MaxReadRequestUnits: must be -1 (no limit) or at least 1",
        ),
        (
            with_index(WarmThroughput={}),
            "GlobalSecondaryIndexes[0].WarmThroughput: needs ReadUnitsPerSecond or WriteUnitsPerSecond",
        ),
        (
            {**good(), "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "X"}]},
            "AttributeDefinitions[0].AttributeType: 'X' is not one of S, N, B",
        ),
        (
            {
                **good(),
                "AttributeDefinitions": [
                    *good()["AttributeDefinitions"],
                    {"AttributeName": "pk", "AttributeType": "S"},
                ],
            },
            "AttributeDefinitions[3].AttributeName: 'pk' is defined more than once",
        ),
        ({**good(), "BillingMode": "FREE"}, "BillingMode: 'FREE' is not one of PROVISIONED, PAY_PER_REQUEST"),
        ("orders", "expected a mapping, got str"),
    ],
)
def test_each_rule_reports_path_and_message(raw: Any, expected: str) -> None:
    assert expected in problems_of(raw)


def test_duplicate_index_names_are_reported() -> None:
    raw = good()
    raw["GlobalSecondaryIndexes"].append(copy.deepcopy(raw["GlobalSecondaryIndexes"][0]))
    assert problems_of(raw) == [
        "GlobalSecondaryIndexes[1].IndexName: 'by-customer' is already used by GlobalSecondaryIndexes[0]"
    ]


def test_more_than_twenty_indexes_and_hundred_projected_attributes() -> None:
    raw = good()
    template = raw["GlobalSecondaryIndexes"][0]
    raw["GlobalSecondaryIndexes"] = [
        {
            **template,
            "IndexName": f"index-{n}",
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": [f"a{k}" for k in range(6)]},
        }
        for n in range(21)
    ]
    problems = problems_of(raw)
    assert "GlobalSecondaryIndexes: 21 indexes listed; a table can have at most 20" in problems
    assert (
        "GlobalSecondaryIndexes: 126 NonKeyAttributes projected in all; a table allows at most 100"
        in problems
    )


def test_multi_attribute_keys_up_to_four_and_four() -> None:
    raw = good()
    raw["AttributeDefinitions"] = [{"AttributeName": f"k{n}", "AttributeType": "S"} for n in range(10)]
    keys = [{"AttributeName": f"k{n}", "KeyType": "HASH"} for n in range(4)] + [
        {"AttributeName": f"k{n}", "KeyType": "RANGE"} for n in range(4, 8)
    ]
    raw["GlobalSecondaryIndexes"][0]["KeySchema"] = keys
    raw["GlobalSecondaryIndexes"][0]["Projection"] = {"ProjectionType": "ALL"}
    assert len(parse_table_spec(raw).indexes[0].key_schema) == 8
    raw["GlobalSecondaryIndexes"][0]["KeySchema"] = [
        *keys[:4],
        {"AttributeName": "k8", "KeyType": "HASH"},
        *keys[4:],
        {"AttributeName": "k9", "KeyType": "RANGE"},
    ]
    problems = problems_of(raw)
    assert "GlobalSecondaryIndexes[0].KeySchema: has 5 HASH attributes; at most 4" in problems
    assert "GlobalSecondaryIndexes[0].KeySchema: has 5 RANGE attributes; at most 4" in problems


def test_every_problem_is_reported_at_once() -> None:
    raw = with_index(
        IndexName="ab",
        KeySchema=[{"AttributeName": "sk", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 0},
    )
    raw["TableName"] = "x"
    assert len(problems_of(raw)) == 5


def test_a_list_of_tables_prefixes_paths_and_rejects_repeats() -> None:
    second = good()
    second["GlobalSecondaryIndexes"][0]["IndexName"] = "ab"
    with pytest.raises(SpecError) as caught:
        parse_table_specs([good(), second, good()])
    messages = [str(p) for p in caught.value.problems]
    assert "[1].GlobalSecondaryIndexes[0].IndexName: 'ab' must be 3 to 255 characters long" in messages
    assert "table 'orders' appears 2 times" in messages
    assert len(parse_table_specs({"Tables": [good()]})) == 1


GLOBAL_TABLE_SPEC = {
    "TableName": "orders",
    "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "by-a",
            "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
}


def test_replicas_keep_per_index_read_settings_as_the_global_table_writes_them() -> None:
    spec = parse_table_spec(
        {
            **GLOBAL_TABLE_SPEC,
            "Replicas": [
                {"Region": "us-east-1", "Tags": [{"Key": "team", "Value": "x"}]},
                {
                    "Region": "eu-west-1",
                    "GlobalSecondaryIndexes": [
                        {
                            "IndexName": "by-a",
                            "ReadProvisionedThroughputSettings": {"ReadCapacityUnits": "7"},
                            "ContributorInsightsSpecification": {"Enabled": True},
                        }
                    ],
                },
            ],
        }
    )
    assert [replica.region for replica in spec.replicas] == ["us-east-1", "eu-west-1"]
    replica = spec.replica("eu-west-1")
    assert replica is not None and replica.index("by-a") is not None
    assert replica.index("by-a").read_capacity_units == 7  # type: ignore[union-attr]
    assert spec.replica("us-east-1").indexes == ()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("replicas", "expected"),
    [
        ([{"Region": "nowhere"}], "Replicas[0].Region: 'nowhere' is not a region name like eu-west-1"),
        ([{}], "Replicas[0].Region: is required"),
        (
            [{"Region": "eu-west-1"}, {"Region": "eu-west-1"}],
            "Replicas[1].Region: 'eu-west-1' is already listed by Replicas[0]",
        ),
        (
            [{"Region": "eu-west-1", "GlobalSecondaryIndexes": [{"IndexName": "by-b"}]}],
            "Replicas[0].GlobalSecondaryIndexes[0].IndexName: 'by-b' is not one of this table's "
            "GlobalSecondaryIndexes",
        ),
        (
            [
                {
                    "Region": "eu-west-1",
                    "GlobalSecondaryIndexes": [
                        {"IndexName": "by-a", "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 0}}
                    ],
                }
            ],
            "Replicas[0].GlobalSecondaryIndexes[0].ReadOnDemandThroughputSettings.MaxReadRequestUnits: "
            "must be -1 (no limit) or at least 1",
        ),
        ("eu-west-1", "Replicas: expected a list, got str"),
    ],
)
def test_replica_problems_name_their_place(replicas: object, expected: str) -> None:
    assert expected in problems_of({**GLOBAL_TABLE_SPEC, "Replicas": replicas})
