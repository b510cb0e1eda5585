"""The CDK construct (multigsi.cdk): synthesized by the real aws-cdk-lib (jsii on Node.js),
checked with CDK's assertions and cfn-lint, and its custom resource's properties run
through the local CloudFormation/Lambda harness against the local DynamoDB endpoint.

Nothing is mocked. jsii starts a Node.js process and a synth takes seconds, so the app
(five stacks, the example app's two among them) is synthesized once for the module; the Lambda zip the provider deploys is
built once per test session into a temporary cache (pip downloads boto3 the first time).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

# jsii prints a large banner on stderr for a Node.js past its end of life (this image has 20).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App, Duration, Environment, RemovalPolicy, Stack, assertions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_

from multigsi.cdk import Backend, GlobalSecondaryIndexes
from multigsi.cdk.code import CACHE_ENV
from multigsi.cdk.provider import replica_statements
from multigsi.cloudformation.properties import properties_spec
from multigsi.cloudformation.resource_type import SCHEMA_PATH, TYPE_NAME
from multigsi.deploy.template import template as sam_template
from multigsi.errors import SpecError
from multigsi.local import LocalDynamoDB, Timing
from multigsi.local.cloudformation import Stack as HarnessStack
from multigsi.local.cloudformation.resource_type_caller import RegistryStack
from multigsi.model.parse import parse_table_spec
from tests.conftest import create_table
from tests.integration.registry_sim import simulation

TABLE = "cdk-orders"
IMPORTED = "cdk-imported"
S, N = dynamodb.AttributeType.STRING, dynamodb.AttributeType.NUMBER
HANDLER = "multigsi.cloudformation.custom_resource.lambda_handler"
EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "cdk" / "app.py"


def attribute(name: str, kind: dynamodb.AttributeType = S) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=kind)


BY_CUSTOMER = dynamodb.GlobalSecondaryIndexProps(
    index_name="by-customer", partition_key=attribute("customer"), sort_key=attribute("placed_at")
)
BY_STATUS_DAY = dynamodb.GlobalSecondaryIndexProps(
    index_name="by-status-day",
    partition_keys=[attribute("status"), attribute("region")],
    sort_key=attribute("day", N),
    projection_type=dynamodb.ProjectionType.INCLUDE,
    non_key_attributes=["total"],
)
BY_SKU = dynamodb.GlobalSecondaryIndexProps(
    index_name="by-sku",
    partition_key=attribute("sku"),
    projection_type=dynamodb.ProjectionType.KEYS_ONLY,
    max_read_request_units=100,
    max_write_request_units=50,
)
BY_REGION = dynamodb.GlobalSecondaryIndexProps(index_name="by-region", partition_key=attribute("region"))
BY_DAY = dynamodb.GlobalSecondaryIndexPropsV2(
    index_name="by-day",
    partition_key=attribute("day", N),
    warm_throughput=dynamodb.WarmThroughput(read_units_per_second=12000, write_units_per_second=4000),
)
V1 = [BY_CUSTOMER, BY_STATUS_DAY, BY_SKU]
V2 = [BY_CUSTOMER, BY_STATUS_DAY, BY_REGION, BY_DAY]  # by-sku removed, two added


@pytest.fixture(scope="session")
def lambda_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every synth of the session shares one built zip (the provider's default code path)."""
    folder = tmp_path_factory.mktemp("multigsi-cdk-cache")
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(folder)
    yield folder
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


def orders_table(stack: Stack, **extra: Any) -> dynamodb.Table:
    return dynamodb.Table(
        stack,
        "Orders",
        table_name=TABLE,
        partition_key=attribute("pk"),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        removal_policy=RemovalPolicy.DESTROY,
        **extra,
    )


@dataclass
class Synthesized:
    templates: dict[str, dict[str, Any]]
    constructs: dict[str, GlobalSecondaryIndexes]
    stacks: dict[str, Stack]
    outdir: Path

    def template(self, name: str) -> assertions.Template:
        return assertions.Template.from_json(self.templates[name])


@pytest.fixture(scope="module")
def synthesized(lambda_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = App(outdir=str(outdir))
    stacks: dict[str, Stack] = {}
    constructs: dict[str, GlobalSecondaryIndexes] = {}

    v1 = stacks["V1"] = Stack(app, "V1")
    constructs["V1"] = GlobalSecondaryIndexes(v1, "Indexes", table=orders_table(v1), indexes=V1)
    imported = dynamodb.Table.from_table_name(v1, "Imported", IMPORTED)
    constructs["V1-imported"] = GlobalSecondaryIndexes(
        v1, "ImportedIndexes", table=imported, indexes=[BY_REGION], service_timeout=Duration.minutes(30)
    )
    reader = lambda_.Function(
        v1,
        "Reader",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )
    constructs["V1"].grant_read_data(reader)

    v2 = stacks["V2"] = Stack(app, "V2")
    constructs["V2"] = GlobalSecondaryIndexes(v2, "Indexes", table=orders_table(v2), indexes=V2)

    retain = stacks["Retain"] = Stack(app, "Retain")
    table = orders_table(retain)
    table.add_global_secondary_index(index_name="by-region", partition_key=attribute("region"))
    constructs["Retain"] = GlobalSecondaryIndexes(
        retain, "Indexes", table=table, indexes=[BY_REGION, BY_DAY], removal_policy=RemovalPolicy.RETAIN
    )

    example = importlib.util.spec_from_file_location("cdk_example_app", EXAMPLE)
    assert example is not None and example.loader is not None
    module = importlib.util.module_from_spec(example)
    example.loader.exec_module(module)
    stacks["Example"] = module.OrdersStack(app, "Example")
    stacks["Global"] = module.GlobalOrdersStack(app, "Global")

    assembly = app.synth()
    templates = {name: assembly.get_stack_by_name(name).template for name in stacks}
    return Synthesized(templates, constructs, stacks, outdir)


def of_type(document: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in document["Resources"].items() if value["Type"] == kind}


def only(document: Mapping[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    (found,) = of_type(document, kind).items()
    return found


def hand_off_policy(document: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = (
        (key, value)
        for key, value in of_type(document, "AWS::IAM::Policy").items()
        if value["Properties"]["PolicyName"] == "multigsi-hand-off-and-logs"
    )
    return found


# --- resources ------------------------------------------------------------------------------


def test_one_provider_function_per_stack_with_the_sam_templates_settings(synthesized: Synthesized) -> None:
    document = synthesized.templates["V1"]
    functions = {
        key: value
        for key, value in of_type(document, "AWS::Lambda::Function").items()
        if value["Properties"]["Handler"] == HANDLER
    }
    assert len(functions) == 1, "two constructs in the stack share one function"
    ((function_id, function),) = functions.items()
    sam = sam_template(parse_table_spec({"TableName": TABLE}), create_table=False, code_uri="x.zip")
    expected = sam["Resources"]["MultigsiFunction"]["Properties"]
    properties = function["Properties"]
    for key in (
        "Handler",
        "Runtime",
        "Timeout",
        "MemorySize",
        "RecursiveLoop",
        "ReservedConcurrentExecutions",
    ):
        assert properties[key] == expected[key], key
    assert len(of_type(document, "Custom::MultiGsi")) == 2
    tokens = {
        value["Properties"]["ServiceToken"]["Fn::GetAtt"][0]
        for value in of_type(document, "Custom::MultiGsi").values()
    }
    assert tokens == {function_id}
    ((_, log_group),) = of_type(document, "AWS::Logs::LogGroup").items()
    assert log_group["Properties"]["RetentionInDays"] == 30
    assert log_group["Properties"]["LogGroupName"] == {
        "Fn::Join": ["", ["/aws/lambda/", {"Ref": function_id}]]
    }
    assert log_group["DeletionPolicy"] == "Delete"
    synthesized.template("V1").has_resource_properties(
        "AWS::Lambda::Function",
        {"Handler": HANDLER, "Code": {"S3Key": assertions.Match.string_like_regexp(r"\.zip$")}},
    )


def test_the_code_is_the_zip_multigsi_package_builds(synthesized: Synthesized, lambda_cache: Path) -> None:
    (zip_path,) = lambda_cache.glob("multigsi-lambda-*.zip")
    import zipfile

    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        comment = archive.comment.decode()
    assert "multigsi/cloudformation/custom_resource/handler.py" in names and "boto3/__init__.py" in names
    assert not any(name.startswith("multigsi/cli/") for name in names)
    assert comment.startswith("multigsi-lambda runtime=python3.12")
    staged = list(synthesized.outdir.glob("asset.*.zip"))
    assert staged and all(path.read_bytes() == zip_path.read_bytes() for path in staged)


def test_custom_resource_properties_are_what_the_handler_parses(synthesized: Synthesized) -> None:
    document = synthesized.templates["V1"]
    resource = document["Resources"][
        synthesized.stacks["V1"].get_logical_id(synthesized.constructs["V1"].resource.node.default_child)
    ]
    properties = resource["Properties"]
    assert properties["ServiceTimeout"] == "3600"
    table_id, _ = only(document, "AWS::DynamoDB::Table")
    assert properties["TableName"] == {"Ref": table_id}
    spec = properties_spec({**properties, "TableName": TABLE})
    assert spec == synthesized.constructs["V1"].spec
    assert [index.name for index in spec.indexes] == ["by-customer", "by-status-day", "by-sku"]
    assert [(e.attribute_name, str(e.key_type)) for e in spec.indexes[1].key_schema] == [
        ("status", "HASH"), ("region", "HASH"), ("day", "RANGE")
    ]  # fmt: skip
    assert {d.name: str(d.type) for d in spec.attribute_definitions}["day"] == "N"
    policy_id, _ = hand_off_policy(document)
    assert policy_id in resource["DependsOn"], "no Create before the function may hand off and log"
    assert resource.get("DeletionPolicy", "Delete") == "Delete"
    imported = [
        r for r in of_type(document, "Custom::MultiGsi").values() if r["Properties"]["TableName"] == IMPORTED
    ]
    assert imported[0]["Properties"]["ServiceTimeout"] == "1800"


def test_retain_maps_to_deletion_policy_and_two_owners_warn(synthesized: Synthesized) -> None:
    ((_, resource),) = of_type(synthesized.templates["Retain"], "Custom::MultiGsi").items()
    assert resource["DeletionPolicy"] == "Retain" and resource["UpdateReplacePolicy"] == "Retain"
    warnings = assertions.Annotations.from_stack(synthesized.stacks["Retain"])
    warnings.has_warning(
        "/Retain/Indexes",
        assertions.Match.string_like_regexp("by-region also in the table's own globalSecondaryIndexes"),
    )
    assertions.Annotations.from_stack(synthesized.stacks["V1"]).has_no_warning(
        "*", assertions.Match.string_like_regexp("two owners")
    )


# --- the role --------------------------------------------------------------------------------

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/V1/0f6a3e20-aaaa-bbbb-cccc-0123456789ab"
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::StackId": STACK_ID,
}


def evaluate(value: Any, resources: Mapping[str, Any]) -> Any:
    """CloudFormation's intrinsics as they resolve in one account, so that the SAM
    template's Fn::Sub and CDK's Fn::Join spellings of the same ARN compare equal."""
    if isinstance(value, list):
        return [evaluate(item, resources) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1 or not next(iter(value)).startswith(("Fn::", "Ref")):
        return {key: evaluate(item, resources) for key, item in value.items()}
    ((function, argument),) = value.items()
    if function == "Ref":
        if resources.get(argument, {}).get("Type") == "AWS::DynamoDB::Table":
            return resources[argument]["Properties"]["TableName"]  # a table's Ref is its name
        return PSEUDO.get(argument) or f"ref:{argument}"
    if function == "Fn::GetAtt":
        resource = resources[argument[0]]
        if resource["Type"] == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:us-east-1:123456789012:table/{resource['Properties']['TableName']}"
        return f"arn-of:{resource['Type'].split('::')[-1]}"
    if function == "Fn::Join":
        return argument[0].join(str(evaluate(part, resources)) for part in argument[1])
    if function == "Fn::Select":
        return evaluate(argument[1], resources)[int(argument[0])]
    if function == "Fn::Split":
        return evaluate(argument[1], resources).split(argument[0])
    if function == "Fn::Sub":
        text = argument
        for name, pseudo in PSEUDO.items():
            text = text.replace(f"${{{name}}}", pseudo)
        return text
    raise AssertionError(f"no evaluator for {function}")


def statements(document: Mapping[str, Any], policy: Mapping[str, Any]) -> list[Any]:
    found = evaluate(policy["PolicyDocument"]["Statement"], document["Resources"])
    for statement in found:
        for key in ("Action", "Resource"):
            if isinstance(statement[key], str):
                statement[key] = [statement[key]]
    return sorted(found, key=canonical)


def canonical(statement: Any) -> str:
    """One text per statement whatever its keys' order (CDK writes Action before Effect)."""
    return json.dumps(statement, sort_keys=True)


def test_role_is_scoped_exactly_as_the_sam_templates(synthesized: Synthesized) -> None:
    document = synthesized.templates["V1"]
    role_id, role = next(
        (key, value)
        for key, value in of_type(document, "AWS::IAM::Role").items()
        if value["Properties"].get("Policies")
    )
    (inline,) = role["Properties"]["Policies"]
    _, hand_off = hand_off_policy(document)
    assert hand_off["Properties"]["Roles"] == [{"Ref": role_id}]

    def sam(table: str) -> dict[str, Any]:
        return sam_template(parse_table_spec({"TableName": table}), create_table=False, code_uri="x.zip")

    expected = statements(sam(TABLE), sam(TABLE)["Resources"]["MultigsiRole"]["Properties"]["Policies"][0])
    imported_table = statements(
        sam(IMPORTED), sam(IMPORTED)["Resources"]["MultigsiRole"]["Properties"]["Policies"][0]
    )
    expected += [s for s in imported_table if s not in expected]  # the second construct's table
    for table in (TABLE, IMPORTED):  # every region, in case the table is (or becomes) global
        (grant,) = replica_statements(f"arn:aws:dynamodb:*:123456789012:table/{table}")
        grant = {**grant, "Resource": [grant["Resource"]]}
        expected += [grant] if grant not in expected else []  # once the SAM template has it too
    assert statements(document, inline) == sorted(expected, key=canonical)
    hand_off_expected = statements(
        sam(TABLE), sam(TABLE)["Resources"]["MultigsiSelfInvokeAndLogs"]["Properties"]
    )
    assert statements(document, hand_off["Properties"]) == hand_off_expected


def test_grant_read_data_reaches_the_listed_indexes(synthesized: Synthesized) -> None:
    document = synthesized.templates["V1"]
    reader_policies = [
        policy
        for policy in of_type(document, "AWS::IAM::Policy").values()
        if policy["Properties"]["PolicyName"] != "multigsi-hand-off-and-logs"
    ]
    (policy,) = reader_policies
    (statement,) = statements(document, policy["Properties"])
    assert statement["Action"] == ["dynamodb:Query", "dynamodb:Scan"]
    custom = synthesized.stacks["V1"].get_logical_id(synthesized.constructs["V1"].resource.node.default_child)
    assert statement["Resource"] == [
        f"arn-of:MultiGsi/index/{name}" for name in ("by-customer", "by-status-day", "by-sku")
    ], "the ARNs come from the resource's TableArn, so readers wait for the indexes"
    assert custom in repr(policy)


def test_cfn_lint_passes_on_every_synthesized_template(synthesized: Synthesized) -> None:
    paths = [str(synthesized.outdir / f"{name}.template.json") for name in synthesized.templates]
    # W3005 (a DependsOn a GetAtt already implies): CDK writes it for every Function's role.
    command = [
        str(Path(sys.executable).parent / "cfn-lint"), "--regions", "us-east-1", "--ignore-checks", "W3005", "--", *paths
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# --- validation at synth time -----------------------------------------------------------------


def construct_error(**kwargs: Any) -> SpecError:
    stack = Stack(App(), "Bad")
    table = kwargs.pop("table", None) or orders_table(stack)
    with pytest.raises(SpecError) as caught:
        GlobalSecondaryIndexes(stack, "Indexes", table=table, **kwargs)
    assert stack.node.try_find_child("MultigsiProvider") is None, "a bad construct adds nothing"
    return caught.value


def test_bad_indexes_fail_with_the_clis_messages(lambda_cache: Path) -> None:
    error = construct_error(
        indexes=[
            dynamodb.GlobalSecondaryIndexProps(index_name="by-a", partition_key=attribute("a")),
            dynamodb.GlobalSecondaryIndexProps(index_name="ab", partition_key=attribute("a")),
            dynamodb.GlobalSecondaryIndexProps(
                index_name="by-b",
                partition_key=attribute("b"),
                projection_type=dynamodb.ProjectionType.INCLUDE,
            ),
            dynamodb.GlobalSecondaryIndexProps(index_name="by-a", partition_key=attribute("c")),
        ]
    )
    cli_shape = {
        "TableName": TABLE,
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in "abc"],
        "GlobalSecondaryIndexes": [
            {"IndexName": "by-a", "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "ab", "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "by-b", "KeySchema": [{"AttributeName": "b", "KeyType": "HASH"}], "Projection": {"ProjectionType": "INCLUDE"}},
            {"IndexName": "by-a", "KeySchema": [{"AttributeName": "c", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}},
        ],
    }  # fmt: skip
    with pytest.raises(SpecError) as cli:
        parse_table_spec(cli_shape)
    assert error.problems == cli.value.problems
    assert len(error.problems) == 3
    assert error.source == "Bad/Indexes"


def test_problems_only_cdk_shapes_can_have_are_reported_with_the_rest(lambda_cache: Path) -> None:
    error = construct_error(
        indexes=[
            dynamodb.GlobalSecondaryIndexProps(index_name="by-a", partition_key=attribute("a")),
            dynamodb.GlobalSecondaryIndexProps(index_name="by-a-n", partition_key=attribute("a", N)),
            dynamodb.GlobalSecondaryIndexPropsV2(
                index_name="by-c", partition_key=attribute("c"), read_capacity=dynamodb.Capacity.fixed(5)
            ),
            {"index_name": "by-d", "partition_key": attribute("d"), "sort_keys": [attribute("e")]},
            "by-e",
        ]
    )
    assert [str(problem) for problem in error.problems] == [
        "GlobalSecondaryIndexes[1].KeySchema[0].AttributeName: 'a' is N here but S in "
        "GlobalSecondaryIndexes[0].KeySchema[0].AttributeName",
        "GlobalSecondaryIndexes[2].ProvisionedThroughput: read_capacity: a Capacity object cannot be read at "
        "synth time; give GlobalSecondaryIndexProps with a number",
        "GlobalSecondaryIndexes[4]: expected GlobalSecondaryIndexProps(V2) or a mapping of its fields, got str",
    ]


def test_options_are_checked_as_the_custom_resource_checks_them(lambda_cache: Path) -> None:
    error = construct_error(indexes=[BY_REGION], service_timeout=Duration.seconds(4000))
    assert [str(p) for p in error.problems] == ["ServiceTimeout: 4000 is outside 1 to 3600 seconds"]
    error = construct_error(indexes=[BY_REGION], removal_policy=RemovalPolicy.SNAPSHOT)
    assert [str(p) for p in error.problems] == ["removal_policy: SNAPSHOT is not DESTROY or RETAIN"]
    stack = Stack(App(), "Two")
    GlobalSecondaryIndexes(stack, "First", table=orders_table(stack), indexes=[BY_REGION])
    other = dynamodb.Table.from_table_name(stack, "Other", IMPORTED)
    with pytest.raises(SpecError, match="reserved_concurrency: None differs from 5"):
        GlobalSecondaryIndexes(stack, "Second", table=other, indexes=[BY_REGION], reserved_concurrency=None)


# --- the synthesized resource, deployed on the local stand-ins ---------------------------------


def resolved(document: Mapping[str, Any], construct: GlobalSecondaryIndexes) -> tuple[str, dict[str, Any]]:
    """The custom resource's logical id and properties as CloudFormation would send them:
    the table's Ref replaced by its name; the ServiceToken is the harness's own."""
    logical_id = Stack.of(construct).get_logical_id(construct.resource.node.default_child)
    properties = dict(document["Resources"][logical_id]["Properties"])
    properties.pop("ServiceToken")
    table_id, table = only(document, "AWS::DynamoDB::Table")
    assert properties["TableName"] == {"Ref": table_id}
    properties["TableName"] = table["Properties"]["TableName"]
    return logical_id, properties


def live_indexes(client: Any, table: str) -> dict[str, dict[str, Any]]:
    described = client.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
    return {
        index["IndexName"]: {
            "KeySchema": index["KeySchema"],
            "Projection": {
                k: sorted(v) if isinstance(v, list) else v for k, v in index["Projection"].items()
            },
            "IndexStatus": index["IndexStatus"],
        }
        for index in described
    }


def specified(properties: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        index["IndexName"]: {
            "KeySchema": index["KeySchema"],
            "Projection": {
                k: sorted(v) if isinstance(v, list) else v for k, v in index["Projection"].items()
            },
            "IndexStatus": "ACTIVE",
        }
        for index in properties["GlobalSecondaryIndexes"]
    }


@pytest.mark.quick_builds  # what this file checks is the template, not timing
def test_synthesized_resource_creates_updates_and_deletes_on_the_local_stand_ins(
    synthesized: Synthesized, cloudformation_factory: Any, client: Any
) -> None:
    create_table(client, TABLE)
    logical_id, v1 = resolved(synthesized.templates["V1"], synthesized.constructs["V1"])
    _, v2 = resolved(synthesized.templates["V2"], synthesized.constructs["V2"])
    stack = HarnessStack(cloudformation_factory(), logical_id, name="V1")

    response = stack.create(v1)
    assert response.status == "SUCCESS", response.reason
    assert live_indexes(client, TABLE) == specified(v1)
    sku = client.describe_table(TableName=TABLE)["Table"]["GlobalSecondaryIndexes"]
    assert next(i for i in sku if i["IndexName"] == "by-sku")["OnDemandThroughput"] == {
        "MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 50
    }  # fmt: skip
    arn = client.describe_table(TableName=TABLE)["Table"]["TableArn"]
    assert response.data == {"TableArn": arn, "IndexNames": "by-customer,by-status-day,by-sku"}

    response = stack.update(v2)
    assert response.status == "SUCCESS", response.reason
    assert live_indexes(client, TABLE) == specified(v2)
    assert sorted(specified(v2)) == ["by-customer", "by-day", "by-region", "by-status-day"]

    response = stack.delete()
    assert response.status == "SUCCESS", response.reason
    assert live_indexes(client, TABLE) == {}, "every index the resource created is deleted"


def test_the_resource_type_backend_builds_through_the_types_own_handlers(lambda_cache: Path) -> None:
    """Opting in to the registered type: no function, role or log group in the stack; the
    type's resource with properties its schema accepts; and those properties applied by the
    type's handlers through the registry protocol stand-in against ``multigsi local`` (AWS's
    registry cannot run here: local/cloudformation/resource_type_caller.py stands in for it)."""
    from jsonschema import Draft7Validator

    stack = Stack(App(), "Type")
    indexes = GlobalSecondaryIndexes(
        stack, "Indexes", table=orders_table(stack), indexes=V1,
        backend=Backend.RESOURCE_TYPE, removal_policy=RemovalPolicy.RETAIN,
    )  # fmt: skip
    document = assertions.Template.from_stack(stack).to_json()
    assert not of_type(document, "AWS::Lambda::Function") and not of_type(document, "AWS::IAM::Role")
    assert not of_type(document, "Custom::MultiGsi") and not of_type(document, "AWS::Logs::LogGroup")
    ((logical_id, resource),) = of_type(document, TYPE_NAME).items()
    assert resource["DeletionPolicy"] == "Retain"
    assert json.dumps({"Fn::GetAtt": [logical_id, "Id"]}) in json.dumps(stack.resolve(indexes.table_arn))
    table_id, table = only(document, "AWS::DynamoDB::Table")
    properties = dict(resource["Properties"])
    assert properties["TableName"] == {"Ref": table_id}
    properties["TableName"] = table["Properties"]["TableName"]
    schema = json.loads(SCHEMA_PATH.read_text())
    assert not list(Draft7Validator(schema).iter_errors(properties)), "the type's schema accepts them"

    with simulation(build_seconds=60.0) as sim:
        sim.client.create_table(
            TableName=TABLE,
            AttributeDefinitions=table["Properties"]["AttributeDefinitions"],
            KeySchema=table["Properties"]["KeySchema"],
            BillingMode="PAY_PER_REQUEST",
        )
        sim.clock.sleep(1.0)  # past CREATING on the endpoint's simulated clock
        type_stack = RegistryStack(sim.standin, logical_id)
        created = type_stack.create(properties)
        assert created.succeeded, created.message
        assert live_indexes(sim.client, TABLE) == specified(properties)
        deleted = type_stack.delete()
        assert deleted.succeeded, deleted.message
        assert live_indexes(sim.client, TABLE) == {}, "every index the resource created is deleted"


def test_function_options_are_refused_with_the_resource_type(lambda_cache: Path) -> None:
    stack = Stack(App(), "TypeOptions")
    with pytest.raises(SpecError) as raised:
        GlobalSecondaryIndexes(
            stack, "Indexes", table=orders_table(stack), indexes=V1, backend=Backend.RESOURCE_TYPE,
            service_timeout=Duration.minutes(30), lambda_package="function.zip",
        )  # fmt: skip
    assert [problem.path for problem in raised.value.problems] == ["service_timeout", "lambda_package"]
    assert not of_type(assertions.Template.from_stack(stack).to_json(), TYPE_NAME)


def test_the_core_install_never_imports_the_cdk() -> None:
    """multigsi, its CLI and its Lambda handler work without the ``cdk`` extra."""
    code = "import sys, multigsi, multigsi.cli.main, multigsi.cloudformation.custom_resource; print(sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii', 'constructs') or m == 'multigsi.cdk'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_example_app_synthesizes_five_indexes_on_a_table_v2(synthesized: Synthesized) -> None:
    document = synthesized.templates["Example"]
    ((_, resource),) = of_type(document, "Custom::MultiGsi").items()
    table_id, _ = only(document, "AWS::DynamoDB::GlobalTable")
    assert resource["Properties"]["TableName"] == {"Ref": table_id}
    names = [index["IndexName"] for index in resource["Properties"]["GlobalSecondaryIndexes"]]
    assert names == ["by-customer", "by-status", "by-region-day", "by-sku", "by-courier"]
    assert synthesized.stacks["Example"].indexes.spec.table_name == "named-at-deploy"


def test_a_provisioned_tables_indexes_get_cdks_default_capacity(lambda_cache: Path) -> None:
    stack = Stack(App(), "Provisioned")
    table = dynamodb.Table(stack, "Orders", table_name=TABLE, partition_key=attribute("pk"))  # PROVISIONED
    indexes = GlobalSecondaryIndexes(
        stack,
        "Indexes",
        table=table,
        indexes=[BY_REGION, dynamodb.GlobalSecondaryIndexProps(
            index_name="by-day", partition_key=attribute("day", N), read_capacity=10, write_capacity=3
        )],
    )  # fmt: skip
    throughput = [index.provisioned_throughput for index in indexes.spec.indexes]
    assert [(t.read_capacity_units, t.write_capacity_units) for t in throughput if t] == [(5, 5), (10, 3)]


def test_a_table_name_that_would_widen_the_role_is_refused(lambda_cache: Path) -> None:
    """The name goes into the role's ARNs: '*' would grant every table."""
    stack = Stack(App(), "Names")
    error = construct_error(
        table=dynamodb.Table.from_table_name(stack, "Star", "orders*"), indexes=[BY_REGION]
    )
    assert [str(p) for p in error.problems] == [
        "table: 'orders*' may only contain letters, digits, '_', '.' and '-'"
    ]
    assert error.source == "Bad/Indexes"


# --- global tables (TableV2 replicas) -------------------------------------------------------

HOME, WEST, SOUTH = "us-east-1", "eu-west-1", "ap-south-1"
GLOBAL_TABLE = "cdk-global-orders"  # the name CloudFormation would give the example's table


def global_resource(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    construct = synthesized.stacks["Global"].indexes
    logical_id = synthesized.stacks["Global"].get_logical_id(construct.resource.node.default_child)
    return logical_id, synthesized.templates["Global"]["Resources"][logical_id]


def test_the_global_example_lists_its_replica_regions_and_their_overrides(synthesized: Synthesized) -> None:
    document = synthesized.templates["Global"]
    _, resource = global_resource(synthesized)
    assert resource["Properties"]["Replicas"] == [
        {
            "Region": WEST,
            "GlobalSecondaryIndexes": [
                {"IndexName": "by-customer", "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 200}},
                {"IndexName": "by-sku", "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 40}},
            ],
        },
        {
            "Region": SOUTH,
            "GlobalSecondaryIndexes": [
                {"IndexName": "by-status", "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 80}}
            ],
        },
    ], "every replica region but the home one, in the table's order"
    _, table = only(document, "AWS::DynamoDB::GlobalTable")
    assert "GlobalSecondaryIndexes" not in table["Properties"], "CloudFormation never owns the indexes"
    assert {replica["Region"] for replica in table["Properties"]["Replicas"]} == {HOME, WEST, SOUTH}
    assert not any("GlobalSecondaryIndexes" in replica for replica in table["Properties"]["Replicas"])
    spec = properties_spec({**resource["Properties"], "TableName": GLOBAL_TABLE})
    assert [replica.region for replica in spec.replicas] == [WEST, SOUTH]
    assert spec.replica(WEST) is not None and spec.replica(WEST).index("by-sku") is not None  # type: ignore[union-attr]
    assert synthesized.stacks["Global"].indexes.replica_regions == (WEST, SOUTH)


def test_the_role_reads_and_updates_the_table_in_every_region_and_tags_only_at_home(
    synthesized: Synthesized,
) -> None:
    document = synthesized.templates["Global"]
    table_id, _ = only(document, "AWS::DynamoDB::GlobalTable")
    role = next(
        value for value in of_type(document, "AWS::IAM::Role").values() if value["Properties"].get("Policies")
    )
    (inline,) = role["Properties"]["Policies"]
    found = statements(document, inline)
    every_region = f"arn:aws:dynamodb:*:123456789012:table/ref:{table_id}"  # a GlobalTable's Ref
    assert {"Effect": "Allow", "Action": ["dynamodb:DescribeTable", "dynamodb:UpdateTable"],
            "Resource": [every_region]} in found  # fmt: skip
    for statement in found:
        if every_region in statement["Resource"]:
            assert statement["Action"] == ["dynamodb:DescribeTable", "dynamodb:UpdateTable"]
            assert "Condition" not in statement
        if any(
            action in statement["Action"] for action in ("dynamodb:TagResource", "dynamodb:UntagResource")
        ):
            assert statement["Condition"]["ForAllValues:StringLike"] == {"aws:TagKeys": ["multigsi:*"]}
            assert every_region not in statement["Resource"], "tags only on the home region's table"


def global_stack(name: str) -> tuple[App, Stack, dynamodb.TableV2]:
    app = App()
    stack = Stack(app, name, env=Environment(region=HOME))
    table = dynamodb.TableV2(
        stack,
        "Orders",
        table_name=GLOBAL_TABLE,
        partition_key=attribute("pk"),
        billing=dynamodb.Billing.provisioned(
            read_capacity=dynamodb.Capacity.fixed(10),
            write_capacity=dynamodb.Capacity.autoscaled(max_capacity=20),
        ),
        replicas=[dynamodb.ReplicaTableProps(region=WEST), dynamodb.ReplicaTableProps(region=SOUTH)],
    )
    return app, stack, table


def test_fixed_read_capacity_is_read_from_cdks_capacity(lambda_cache: Path) -> None:
    _, stack, table = global_stack("Fixed")
    indexes = GlobalSecondaryIndexes(
        stack, "Indexes", table=table, indexes=[BY_REGION, BY_CUSTOMER],
        replica_index_options={SOUTH: {"by-region": dynamodb.ReplicaGlobalSecondaryIndexOptions(
            read_capacity=dynamodb.Capacity.fixed(3))}},
    )  # fmt: skip
    (resource,) = of_type(assertions.Template.from_stack(stack).to_json(), "Custom::MultiGsi").values()
    assert resource["Properties"]["Replicas"] == [
        {"Region": WEST},
        {"Region": SOUTH, "GlobalSecondaryIndexes": [{
            "IndexName": "by-region",
            "ReadProvisionedThroughputSettings": {"ReadCapacityUnits": 3},
        }]},
    ]  # fmt: skip
    south = indexes.spec.replica(SOUTH)
    assert south is not None and south.index("by-region") is not None
    assert (south.indexes[0].read_capacity_units, south.indexes[0].max_read_request_units) == (3, None)


def test_bad_replica_overrides_are_named_with_their_region_and_index(lambda_cache: Path) -> None:
    _, stack, table = global_stack("BadReplicas")
    options = dynamodb.ReplicaGlobalSecondaryIndexOptions
    with pytest.raises(SpecError) as caught:
        GlobalSecondaryIndexes(
            stack, "Indexes", table=table, indexes=[BY_REGION],
            replica_index_options={
                WEST: {
                    "by-customer": options(max_read_request_units=10),
                    "by-region": options(read_capacity=dynamodb.Capacity.autoscaled(max_capacity=5), contributor_insights=True,
                                         max_read_request_units=100),
                },
                HOME: {"by-region": options(max_read_request_units=10)},
                "us-west-2": {"by-region": options(max_read_request_units=10)},
                SOUTH: {"by-region": "fast"},
            },
        )  # fmt: skip
    assert [str(problem) for problem in caught.value.problems] == [
        "replica_index_options['us-east-1']: us-east-1 is the table's home region: its indexes take their own "
        "settings (read_capacity / max_read_request_units of the index), not replica overrides",
        "replica_index_options['us-west-2']: us-west-2 is not a replica region of the table "
        "(its replicas: eu-west-1, ap-south-1)",
        "replica_index_options['eu-west-1']['by-customer']: 'by-customer' is not one of this construct's "
        "indexes (by-region)",
        "replica_index_options['eu-west-1']['by-region'].contributor_insights: is not applied by multigsi "
        "(index read settings only)",
        "replica_index_options['eu-west-1']['by-region'].read_capacity: Capacity.autoscaled is not applied "
        "by multigsi: give Capacity.fixed(n)",
        "replica_index_options['eu-west-1']['by-region'].max_read_request_units: the table is PROVISIONED: "
        "give read_capacity instead",
        "replica_index_options['ap-south-1']['by-region']: expected ReplicaGlobalSecondaryIndexOptions or a "
        "mapping of its fields, got str",
    ]
    assert caught.value.source == "BadReplicas/Indexes"
    assert stack.node.try_find_child("MultigsiProvider") is None, "a bad construct adds nothing"


def test_a_replica_added_after_the_construct_fails_synth(lambda_cache: Path) -> None:
    app, stack, table = global_stack("Later")
    GlobalSecondaryIndexes(stack, "Indexes", table=table, indexes=[BY_REGION])
    table.add_replica(region="eu-central-1")
    with pytest.raises(
        RuntimeError, match="add replicas to the table before creating GlobalSecondaryIndexes"
    ):
        app.synth()


def replica_build_time(key: tuple[str, str], index: str, items: int) -> float:
    """Short in the home region, longer in each replica: the last replica ends each build."""
    return {HOME: 0.3, WEST: 0.8, SOUTH: 1.1}[key[0]]


@pytest.fixture(scope="module")
def global_endpoint() -> Iterator[LocalDynamoDB]:
    timing = Timing(
        build_seconds=0.3, min_jitter_seconds=0.1, allocation_fraction=0.0,
        table_seconds=0.1, replica_seconds=0.3, replication_seconds=0.2,
    )  # fmt: skip
    with LocalDynamoDB(timing=timing, build_time=replica_build_time) as local:
        yield local


def regional_client(endpoint: LocalDynamoDB, region: str) -> Any:
    return boto3.client(
        "dynamodb", endpoint_url=endpoint.url, region_name=region,
        aws_access_key_id="local", aws_secret_access_key="local",
    )  # fmt: skip


def three_region_table(clients: Mapping[str, Any], name: str) -> None:
    """The example's table as CloudFormation leaves it: home plus two replicas, no indexes."""
    create_table(clients[HOME], name, items=5)
    for region in (WEST, SOUTH):
        clients[HOME].update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": region}}])
        deadline = time.monotonic() + 20
        while not (
            {r["RegionName"]: r["ReplicaStatus"] for r in described(clients[HOME], name).get("Replicas", [])}.get(region)
            == "ACTIVE" and described(clients[HOME], name)["TableStatus"] == "ACTIVE"
        ):  # fmt: skip
            assert time.monotonic() < deadline, f"replica {region} not ACTIVE in time"
            time.sleep(0.05)


def described(client: Any, name: str) -> dict[str, Any]:
    return dict(client.describe_table(TableName=name)["Table"])


def test_the_global_examples_resource_converges_in_every_region(
    synthesized: Synthesized, cloudformation_factory: Any, global_endpoint: LocalDynamoDB
) -> None:
    """The properties synthesized from the example's global stack, run by the custom resource
    through the harness on a three-region table, checked from outside: every region ends
    with every index ACTIVE and not backfilling, and each replica shows its overrides; its
    Delete answers once the deletes have reached every region."""
    clients = {region: regional_client(global_endpoint, region) for region in (HOME, WEST, SOUTH)}
    three_region_table(clients, GLOBAL_TABLE)
    logical_id, resource = global_resource(synthesized)
    properties = dict(resource["Properties"])
    properties.pop("ServiceToken")
    table_id, _ = only(synthesized.templates["Global"], "AWS::DynamoDB::GlobalTable")
    assert properties["TableName"] == {"Ref": table_id}
    properties["TableName"] = GLOBAL_TABLE
    stack = HarnessStack(cloudformation_factory(dynamodb=global_endpoint), logical_id, name="Global")

    response = stack.create(properties)
    assert response.status == "SUCCESS", response.reason
    wanted = specified(properties)
    for region in (HOME, WEST, SOUTH):
        assert live_indexes(clients[region], GLOBAL_TABLE) == wanted, region
        assert not any(
            i.get("Backfilling") for i in described(clients[region], GLOBAL_TABLE)["GlobalSecondaryIndexes"]
        )
    home = described(clients[HOME], GLOBAL_TABLE)
    overrides = {
        replica["RegionName"]: {
            index["IndexName"]: index["OnDemandThroughputOverride"]
            for index in replica.get("GlobalSecondaryIndexes", [])
            if "OnDemandThroughputOverride" in index
        }
        for replica in home["Replicas"]
    }
    assert overrides == {
        WEST: {"by-customer": {"MaxReadRequestUnits": 200}, "by-sku": {"MaxReadRequestUnits": 40}},
        SOUTH: {"by-status": {"MaxReadRequestUnits": 80}},
    }
    assert {replica["ReplicaStatus"] for replica in home["Replicas"]} == {"ACTIVE"}

    response = stack.delete()
    assert response.status == "SUCCESS", response.reason
    for region in (HOME, WEST, SOUTH):
        assert live_indexes(clients[region], GLOBAL_TABLE) == {}, f"{region}: every index it created is gone"
