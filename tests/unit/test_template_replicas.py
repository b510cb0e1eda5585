"""The generated templates and a global table: the custom resource's role reaches the table in
every region, ``--create-table --replica-region`` makes an ``AWS::DynamoDB::GlobalTable``, and a
spec's ``Replicas`` travel to the resource's properties and back unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from multigsi.cloudformation.properties import properties_spec
from multigsi.deploy.template import check_replica_regions, template, type_template
from multigsi.errors import SpecError
from multigsi.model.parse import parse_table_spec

SPEC = parse_table_spec(
    {
        "TableName": "orders",
        "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by-a",
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "Replicas": [
            {
                "Region": "eu-west-1",
                "GlobalSecondaryIndexes": [
                    {"IndexName": "by-a", "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 20}}
                ],
            },
            {"Region": "ap-south-1"},
        ],
    }
)
EVERY_REGION = {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:*:${AWS::AccountId}:table/orders"}


def role_statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    (policy,) = document["Resources"]["MultigsiRole"]["Properties"]["Policies"]
    return list(policy["PolicyDocument"]["Statement"])


@pytest.mark.parametrize("create_table", [False, True])
def test_the_role_reads_and_updates_the_table_in_every_region_and_nothing_more(create_table: bool) -> None:
    regions = ("eu-west-1", "ap-south-1") if create_table else ()
    document = template(SPEC, create_table=create_table, code_uri="x.zip", replica_regions=regions)
    statements = role_statements(document)
    wide = [s for s in statements if s["Resource"] == EVERY_REGION]
    assert wide == [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:DescribeTable", "dynamodb:UpdateTable"],
            "Resource": EVERY_REGION,
        }
    ]
    # every other DynamoDB grant stays in the stack's region (tags only on the home table)
    for statement in statements:
        if statement is not wide[0]:
            assert ":dynamodb:*:" not in str(statement["Resource"]), statement


def test_create_table_with_replica_regions_is_a_global_table_in_the_stacks_region_and_those() -> None:
    document = template(
        SPEC, create_table=True, code_uri="x.zip", replica_regions=("eu-west-1", "ap-south-1")
    )
    table = document["Resources"]["OrdersTable"]
    assert table["Type"] == "AWS::DynamoDB::GlobalTable"
    properties = table["Properties"]
    assert properties["Replicas"] == [
        {"Region": {"Ref": "AWS::Region"}},
        {"Region": "eu-west-1"},
        {"Region": "ap-south-1"},
    ]
    assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    plain = template(SPEC, create_table=True, code_uri="x.zip")
    assert plain["Resources"]["OrdersTable"]["Type"] == "AWS::DynamoDB::Table"
    typed = type_template(SPEC, create_table=True, replica_regions=("eu-west-1",))
    assert typed["Resources"]["OrdersTable"]["Type"] == "AWS::DynamoDB::GlobalTable"


@pytest.mark.parametrize("build", ["custom", "type"])
def test_replicas_reach_the_resource_and_parse_back_to_the_same_spec(build: str) -> None:
    document = (
        template(SPEC, create_table=False, code_uri="x.zip")
        if build == "custom"
        else type_template(SPEC, create_table=False)
    )
    properties = document["Resources"]["TableIndexes"]["Properties"]
    assert properties["Replicas"][1] == {"Region": "ap-south-1"}
    assert properties_spec(properties).replicas == SPEC.replicas


def test_replica_regions_are_checked_with_every_problem() -> None:
    with pytest.raises(SpecError) as caught:
        check_replica_regions(("eu-west-1", "eu-west-1", "mars"), SPEC)
    paths = [p.path for p in caught.value.problems]
    assert paths == ["--replica-region[1]", "--replica-region[2]"]
    with pytest.raises(SpecError) as caught:
        check_replica_regions(("us-west-2",), SPEC)
    ((problem,),) = [caught.value.problems]
    assert problem.path == "Replicas[0].Region" and "'eu-west-1' has index settings" in problem.message
    assert check_replica_regions(("eu-west-1",), SPEC) == ("eu-west-1",)  # ap-south-1 has no settings
    assert check_replica_regions((), SPEC) == ()  # an existing table: nothing to compare with
