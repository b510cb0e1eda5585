"""`multigsi template`: a ready SAM template for the multigsi custom resource on a table.

The role is least-privilege: DescribeTable/UpdateTable and the ownership record's tag
calls (ListTagsOfResource/TagResource/UntagResource) on that table and its indexes; the
same calls on any other table only while its ``multigsi:stacks`` tag names this stack
(an ``aws:ResourceTag`` condition: after a TableName replacement the old table still
carries the tag, so the cleanup Delete can remove what the resource created there, and a
table multigsi never claimed stays out of reach); DescribeStacks/DescribeStackResource(s)
on this stack only (is it being deleted, does it own the table, does a previous owner
still exist); GetMetricData (which has no resource-level permissions), InvokeFunction on
the function itself (for hand-offs), and writing to its own log group.

A global table is a table of the same name in each replica region, read there (DescribeTable
in the replica's region shows its own index builds), and UpdateTable's ``ReplicaUpdates``
``Update`` "invokes the UpdateTable action in the destination Region" (DynamoDB API
reference, ReplicationGroupUpdate). So DescribeTable and UpdateTable are granted on the table's
name in every region (``dynamodb:*:ACCOUNT:table/NAME``, no index ARNs, no tag calls): the
template cannot know which regions hold replicas now or later, and a region added later is
covered without touching the role. Only this table name, only this account.

Runaway chains are bounded three ways. The handler stops at ServiceTimeout (at most 3600 s,
measured from a checked first invocation) and after MAX_HOPS hand-offs. With the 900 s
Timeout here a hop works up to 870 s, so a whole chain is at most 5 working hops (plus a
few short ones that only re-send an undelivered answer): far below the 16 invocations after
which Lambda's recursive loop detection, where it applies, steps in; so the function keeps Lambda's default
``RecursiveLoop: Terminate`` as a last guard (set Allow only with a Timeout under about
300 s, where a full ServiceTimeout needs more than 16 hops). Reserved concurrency caps how
many invocations all chains together can run at once, so a runaway cannot starve the
account; a chain runs one invocation at a time, and throttled hand-offs wait in Lambda's
asynchronous queue instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from multigsi.cloudformation.properties import CUSTOM_RESOURCE_TYPE
from multigsi.engine.ownership.record import STACKS_TAG
from multigsi.errors import Problem, SpecError
from multigsi.model import limits, wire
from multigsi.model.parse import REGION_PATTERN
from multigsi.model.table import TableSpec
from multigsi.model.wire import create_action

DEMO_TABLE_LOGICAL_ID = "OrdersTable"
GLOBAL_TABLE_TYPE = "AWS::DynamoDB::GlobalTable"
TABLE_ACTIONS = ["dynamodb:DescribeTable", "dynamodb:UpdateTable", "dynamodb:ListTagsOfResource"]
# In a global table's other regions: read each replica, and the UpdateTable a ReplicaUpdates
# Update invokes there. No tag calls: the ownership record lives on the home region's table.
REPLICA_ACTIONS = ["dynamodb:DescribeTable", "dynamodb:UpdateTable"]
# Tag writes only on multigsi's own keys: the role may rewrite its ownership record, never
# a user's tags (ABAC tags included). See docs/security.md.
TAG_ACTIONS = ["dynamodb:TagResource", "dynamodb:UntagResource"]
OWN_TAG_KEYS = {"ForAllValues:StringLike": {"aws:TagKeys": ["multigsi:*"]}}
STACK_UUID: Any = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}


DEFAULT_RUNTIME = "python3.12"  # what `multigsi package` compiles for unless told otherwise
DEFAULT_RESERVED_CONCURRENCY = 5
FUNCTION_TIMEOUT = 900


def check_table_name(name: str, where: str = "TableName") -> str:
    """A table name as DynamoDB allows it. It is pasted into the role's ARNs and a ``!Sub``,
    so '*' or '${...}' would widen the role or inject a reference."""
    if not limits.NAME_MIN_LENGTH <= len(name) <= limits.NAME_MAX_LENGTH:
        message = (
            f"{name[:80]!r} must be {limits.NAME_MIN_LENGTH} to {limits.NAME_MAX_LENGTH} characters long"
        )
        raise SpecError([Problem(where, message)])
    if not limits.NAME_PATTERN.fullmatch(name):
        raise SpecError([Problem(where, f"{name!r} may only contain letters, digits, '_', '.' and '-'")])
    return name


def reserved(raw: str) -> int | None:
    """``--reserved-concurrency``: a whole number from 1 to 1000, or 'none'."""
    if raw.strip().lower() == "none":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= 1000:
        raise SpecError([Problem("--reserved-concurrency", f"expected 1 to 1000 or 'none', got {raw!r}")])
    return value


def check_replica_regions(regions: Sequence[str], spec: TableSpec) -> tuple[str, ...]:
    """``--replica-region`` values: region names, each once. When given, a replica the spec
    gives index settings for must be one of them (the stack's own region, where the table is created, is
    always a replica and takes no settings of its own)."""
    problems: list[Problem] = []
    for position, region in enumerate(regions):
        where = f"--replica-region[{position}]"
        if not re.fullmatch(REGION_PATTERN, region):
            problems.append(Problem(where, f"{region!r} is not a region name like eu-west-1"))
        elif region in regions[:position]:
            problems.append(Problem(where, f"{region!r} is given twice"))
    for position, replica in enumerate(spec.replicas if regions else ()):
        if replica.indexes and replica.region not in regions:
            problems.append(
                Problem(
                    f"Replicas[{position}].Region",
                    f"{replica.region!r} has index settings but is not a --replica-region "
                    f"({', '.join(regions) or 'none given'})",
                )
            )
    if problems:
        raise SpecError(problems)
    return tuple(regions)


def every_region_table_arn(table_name: str) -> Any:
    """The table's ARN in any region of this account: each replica of a global table."""
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:dynamodb:*:${{AWS::AccountId}}:table/{table_name}"}


def replica_statements(every_region_arn: Any) -> list[dict[str, Any]]:
    """The grants on the table's replicas: ``every_region_arn`` names the table in every
    region (``every_region_table_arn``, or the CDK construct's token for the same)."""
    return [{"Effect": "Allow", "Action": REPLICA_ACTIONS, "Resource": every_region_arn}]


def table_statements(table_arn: Any, index_arn: Any) -> list[dict[str, Any]]:
    """The grants on one table the resource names, and its indexes."""
    return [
        {"Effect": "Allow", "Action": TABLE_ACTIONS, "Resource": [table_arn, index_arn]},
        {"Effect": "Allow", "Action": TAG_ACTIONS, "Resource": [table_arn], "Condition": OWN_TAG_KEYS},
    ]


def stack_statements(*, any_table_arn: Any, stack_uuid: Any, stack_id: Any) -> list[dict[str, Any]]:
    """The grants that do not depend on the table: any table only while its ownership tag
    names this stack (``stack_uuid``, the third part of ``stack_id``), this stack's
    CloudFormation reads, and GetMetricData. The values are the caller's expressions
    (intrinsics in a template, tokens in the CDK construct), so both say the same thing."""
    ours = {f"aws:ResourceTag/{STACKS_TAG}": {"Fn::Join": ["", ["*", stack_uuid, "*"]]}}
    return [
        {
            "Effect": "Allow",
            "Action": TABLE_ACTIONS,
            "Resource": any_table_arn,
            "Condition": {"StringLike": ours},
        },
        {
            "Effect": "Allow",
            "Action": TAG_ACTIONS,
            "Resource": any_table_arn,
            "Condition": {"StringLike": ours, **OWN_TAG_KEYS},
        },
        {
            "Effect": "Allow",
            "Action": [
                "cloudformation:DescribeStacks",
                "cloudformation:DescribeStackResources",
                "cloudformation:DescribeStackResource",
            ],
            "Resource": stack_id,
        },
        {"Effect": "Allow", "Action": "cloudwatch:GetMetricData", "Resource": "*"},
    ]


def hand_off_and_log_statements(function_arn: Any, log_group_arn: Any) -> list[dict[str, Any]]:
    """Invoking the function itself (hand-offs) and writing to its own log group: kept in a
    policy apart from the role, because they name the function the role is created for."""
    return [
        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": function_arn},
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": log_group_arn,
        },
    ]


def template(
    spec: TableSpec,
    *,
    create_table: bool,
    code_uri: str,
    service_timeout: int = 3600,
    runtime: str = DEFAULT_RUNTIME,
    reserved_concurrency: int | None = DEFAULT_RESERVED_CONCURRENCY,
    replica_regions: Sequence[str] = (),
) -> dict[str, Any]:
    """The template's document. ``runtime``: the one the zip's bytecode was compiled for
    (see ``multigsi package``). ``reserved_concurrency`` None leaves the function unreserved
    (for accounts whose concurrency quota leaves nothing to reserve). ``replica_regions``
    (with ``create_table``): make the table an ``AWS::DynamoDB::GlobalTable`` with a replica
    in each of them besides the stack's region."""
    check_table_name(spec.table_name)
    resources: dict[str, Any] = {}
    if create_table:
        table_ref: Any = {"Ref": DEMO_TABLE_LOGICAL_ID}
        table_arn: Any = {"Fn::GetAtt": [DEMO_TABLE_LOGICAL_ID, "Arn"]}
        index_arn: Any = {"Fn::Sub": f"${{{DEMO_TABLE_LOGICAL_ID}.Arn}}/index/*"}
        resources[DEMO_TABLE_LOGICAL_ID] = demo_table(spec.table_name, replica_regions)
    else:
        table_ref = spec.table_name
        table_arn = {
            "Fn::Sub": f"arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{spec.table_name}"
        }
        index_arn = {
            "Fn::Sub": f"arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{spec.table_name}/index/*"
        }
    resources["MultigsiRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "multigsi-indexes",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            *table_statements(table_arn, index_arn),
                            *replica_statements(every_region_table_arn(spec.table_name)),
                            *stack_statements(
                                any_table_arn={
                                    "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*"
                                },
                                stack_uuid=STACK_UUID,
                                stack_id={"Ref": "AWS::StackId"},
                            ),
                        ],
                    },
                }
            ],
        },
    }
    resources["MultigsiFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Handler": "multigsi.cloudformation.custom_resource.lambda_handler",
            "Runtime": runtime,
            "CodeUri": code_uri,
            "Timeout": FUNCTION_TIMEOUT,
            "MemorySize": 256,
            "Role": {"Fn::GetAtt": ["MultigsiRole", "Arn"]},
            "RecursiveLoop": "Terminate",
            **(
                {} if reserved_concurrency is None else {"ReservedConcurrentExecutions": reserved_concurrency}
            ),
        },
    }
    resources["MultigsiLogGroup"] = {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${MultigsiFunction}"}, "RetentionInDays": 30},
    }
    resources["MultigsiSelfInvokeAndLogs"] = {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "multigsi-hand-off-and-logs",
            "Roles": [{"Ref": "MultigsiRole"}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": hand_off_and_log_statements(
                    {"Fn::GetAtt": ["MultigsiFunction", "Arn"]}, {"Fn::GetAtt": ["MultigsiLogGroup", "Arn"]}
                ),
            },
        },
    }
    resources["TableIndexes"] = {
        "Type": CUSTOM_RESOURCE_TYPE,
        "DependsOn": ["MultigsiSelfInvokeAndLogs"],
        "Properties": {
            "ServiceToken": {"Fn::GetAtt": ["MultigsiFunction", "Arn"]},
            "ServiceTimeout": service_timeout,
            **index_properties(spec, table_ref),
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": f"multigsi: several global secondary indexes on {spec.table_name}, applied one at a time",
        "Resources": resources,
        "Outputs": {"IndexNames": {"Value": {"Fn::GetAtt": ["TableIndexes", "IndexNames"]}}},
    }


def demo_table(table_name: str, replica_regions: Sequence[str] = ()) -> dict[str, Any]:
    """The stack's own table for --create-table: a bare on-demand table to add indexes to;
    with ``replica_regions``, a global table replicated there too (``AWS::DynamoDB::GlobalTable``,
    what CDK's TableV2 synthesizes)."""
    if not replica_regions:
        return {"Type": "AWS::DynamoDB::Table", "Properties": wire.bare_table_request(table_name)}
    regions: list[Any] = [{"Ref": "AWS::Region"}, *replica_regions]
    return {"Type": GLOBAL_TABLE_TYPE, "Properties": wire.bare_global_table_properties(table_name, regions)}


def index_properties(spec: TableSpec, table_ref: Any) -> dict[str, Any]:
    """The table and index properties the custom resource and the type take alike
    (a global table's per-replica read settings as ``Replicas``, when the spec has any)."""
    properties: dict[str, Any] = {
        "TableName": table_ref,
        "AttributeDefinitions": [
            {"AttributeName": d.name, "AttributeType": str(d.type)}
            for d in spec.attribute_definitions
            if any(d.name in index.key_attributes for index in spec.indexes)
        ],
        "GlobalSecondaryIndexes": [create_action(index) for index in spec.indexes],
    }
    if spec.replicas:
        properties["Replicas"] = [wire.replica_properties(replica) for replica in spec.replicas]
    return properties


def type_template(
    spec: TableSpec, *, create_table: bool, replica_regions: Sequence[str] = ()
) -> dict[str, Any]:
    """A template using the registered resource type (``multigsi register-type``) instead of
    the custom resource: no function, role or log group in the stack (the type's execution
    role, set at registration, runs the handlers), and no one-hour ServiceTimeout: each
    handler may run up to its ``timeoutInMinutes`` (36 hours for create, update, delete)."""
    from multigsi.deploy.type_package import TYPE_NAME

    check_table_name(spec.table_name)
    resources: dict[str, Any] = {}
    table_ref: Any = spec.table_name
    if create_table:
        table_ref = {"Ref": DEMO_TABLE_LOGICAL_ID}
        resources[DEMO_TABLE_LOGICAL_ID] = demo_table(spec.table_name, replica_regions)
    resources["TableIndexes"] = {
        "Type": TYPE_NAME,
        "Properties": {
            **index_properties(spec, table_ref),
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"multigsi: several global secondary indexes on {spec.table_name}, applied one at a time "
        f"by the {TYPE_NAME} resource type",
        "Resources": resources,
    }


def template_yaml(document: Mapping[str, Any]) -> str:
    """A template as YAML with short-form intrinsics (cfn-flip, the CLI extra), keys in the
    order given: the one way every generated template is written."""
    from cfn_flip import dump_yaml

    return str(dump_yaml(ordered(dict(document)), clean_up=False, long_form=False))


def ordered(value: Any) -> Any:
    """cfn-flip's dumper keeps key order and writes short-form intrinsics (!GetAtt, !Sub)
    only for its own ordered mapping type."""
    from cfn_tools.odict import ODict

    if isinstance(value, dict):
        return ODict([(key, ordered(item)) for key, item in value.items()])
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value
