"""What the resource type's Read reports of a global table's replicas: the overrides the home
region's DescribeTable shows, for the indexes the resource owns, in the model's order."""

from __future__ import annotations

from typing import Any

from multigsi.cloudformation.resource_type.model import ResourceId, live_model
from multigsi.engine.ownership.record import Owner
from multigsi.model.wire import live_table_from_describe

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"


def index(name: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": name[-1], "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
        "IndexStatus": "ACTIVE",
    }


LIVE = live_table_from_describe(
    {
        "TableName": "orders",
        "TableArn": ARN,
        "TableStatus": "ACTIVE",
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in ("a", "b", "u")],
        "GlobalSecondaryIndexes": [index("by-a"), index("by-b"), index("by-u")],
        "Replicas": [
            {
                "RegionName": "eu-west-1",
                "ReplicaStatus": "ACTIVE",
                "GlobalSecondaryIndexes": [
                    {"IndexName": "by-a", "OnDemandThroughputOverride": {"MaxReadRequestUnits": 50}},
                    {"IndexName": "by-b"},
                    {"IndexName": "by-u", "OnDemandThroughputOverride": {"MaxReadRequestUnits": 9}},
                ],
            },
            {
                "RegionName": "ap-south-1",
                "ReplicaStatus": "ACTIVE",
                "GlobalSecondaryIndexes": [
                    {"IndexName": "by-a"},
                    {"IndexName": "by-b", "ProvisionedThroughputOverride": {"ReadCapacityUnits": 3}},
                    {"IndexName": "by-u"},
                ],
            },
        ],
    }
)
ME = ResourceId(
    "orders",
    Owner.of(
        "arn:aws:cloudformation:us-east-1:123456789012:stack/s/0b1c2d3e-aaaa-bbbb-cccc-123456789abc",
        "Indexes",
    ),
)
OWNED = ["by-a", "by-b"]  # by-u is not this resource's


def test_read_reports_the_live_overrides_for_the_regions_the_model_lists_in_its_order() -> None:
    asked = {
        "Replicas": [
            {"Region": "us-east-1"},  # home: its settings are the indexes' own
            {
                "Region": "eu-west-1",
                "GlobalSecondaryIndexes": [
                    {"IndexName": "by-b"},
                    {"IndexName": "by-a", "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 70}},
                ],
            },
            {"Region": "sa-east-1"},  # not a replica: the table shows nothing there
        ]
    }
    reported = live_model(LIVE, OWNED, ME, asked)["Replicas"]
    assert reported == [
        {"Region": "us-east-1"},
        {
            "Region": "eu-west-1",
            "GlobalSecondaryIndexes": [
                {"IndexName": "by-b"},
                # the live value (50), not the asked one (70): Read is not an echo
                {"IndexName": "by-a", "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 50}},
            ],
        },
    ]


def test_an_identifier_alone_gets_every_replica_overriding_an_owned_index() -> None:
    reported = live_model(LIVE, OWNED, ME)["Replicas"]
    assert reported == [
        {
            "Region": "eu-west-1",
            "GlobalSecondaryIndexes": [
                {"IndexName": "by-a", "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 50}}
            ],
        },
        {
            "Region": "ap-south-1",
            "GlobalSecondaryIndexes": [
                {"IndexName": "by-b", "ReadProvisionedThroughputSettings": {"ReadCapacityUnits": 3}}
            ],
        },
    ]
    # nothing owned that a replica overrides: no Replicas at all (a plain table reads as before)
    assert "Replicas" not in live_model(LIVE, ["by-c"], ME)
