"""``Replicas`` in both CloudFormation front doors' properties: CloudFormation's stringified
numbers accepted, problems named with their path in the event, and nothing for ownership to
claim (only GlobalSecondaryIndexes name indexes a resource manages)."""

from __future__ import annotations

from typing import Any

import pytest

from multigsi.cloudformation.properties import listed_index_names, properties_spec
from multigsi.errors import SpecError
from multigsi.model.table import ReplicaIndexSpec, ReplicaSpec


def event_properties(replicas: Any) -> dict[str, Any]:
    """As CloudFormation sends a custom resource's properties: every number a string."""
    return {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:multigsi",
        "ServiceTimeout": "3600",
        "TableName": "orders",
        "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by-a",
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "Replicas": replicas,
    }


def test_replicas_with_stringified_numbers_become_the_specs_replicas() -> None:
    properties = event_properties(
        [
            {
                "Region": "eu-west-1",
                "TableClass": "STANDARD",  # a GlobalTable replica field: accepted, ignored
                "GlobalSecondaryIndexes": [
                    {
                        "IndexName": "by-a",
                        "ReadProvisionedThroughputSettings": {"ReadCapacityUnits": "5"},
                        "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": "-1"},
                    }
                ],
            },
            {"Region": "ap-south-1"},
        ]
    )
    spec = properties_spec(properties)
    assert spec.replicas == (
        ReplicaSpec("eu-west-1", (ReplicaIndexSpec("by-a", 5, -1),)),
        ReplicaSpec("ap-south-1", ()),
    )
    assert listed_index_names(properties) == ("by-a",)  # replicas claim nothing


def test_replica_problems_are_named_where_the_event_has_them() -> None:
    properties = event_properties(
        [
            {"Region": "Europe"},
            {
                "Region": "eu-west-1",
                "GlobalSecondaryIndexes": [
                    {"IndexName": "by-zz", "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": "0"}}
                ],
            },
        ]
    )
    with pytest.raises(SpecError) as caught:
        properties_spec(properties)
    paths = sorted(problem.path for problem in caught.value.problems)
    assert paths == [
        "ResourceProperties.Replicas[0].Region",
        "ResourceProperties.Replicas[1].GlobalSecondaryIndexes[0].IndexName",
        "ResourceProperties.Replicas[1].GlobalSecondaryIndexes[0].ReadOnDemandThroughputSettings.MaxReadRequestUnits",
    ]
