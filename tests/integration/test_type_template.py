"""`multigsi template --resource-type`: a template that uses the registered resource type
instead of the custom resource, checked by cfn-lint against the type's own schema
(``--registry-schemas``: without it cfn-lint knows no private type and says E3006)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cfn_flip import load_yaml
from jsonschema import Draft7Validator

from multigsi.deploy.type_package import TYPE_NAME

ROOT = Path(__file__).parent.parent.parent
SCHEMA = ROOT / "src" / "multigsi" / "cloudformation" / "resource_type" / "schema.json"
ORDERS = ROOT / "examples" / "orders.yaml"


def multigsi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "multigsi.cli", *args], capture_output=True, text=True, check=False, cwd=ROOT
    )


def lint(template: Path, schemas: Path) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "cfn-lint"), "--regions", "us-east-1",
               "--registry-schemas", str(schemas), "--", str(template)]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("registry-schemas")
    shutil.copyfile(SCHEMA, folder / "multigsi-dynamodb-globalsecondaryindexes.json")
    return folder


GLOBAL = ("--create-table", "--replica-region", "eu-west-1")
GLOBAL_TEMPLATE = ROOT / "examples" / "orders-global-table.template.yaml"


@pytest.mark.parametrize(
    "extra", [(), ("--create-table",), GLOBAL], ids=["existing-table", "create-table", "global"]
)
def test_type_template_passes_cfn_lint_with_the_types_schema(
    extra: tuple[str, ...], schemas: Path, tmp_path: Path
) -> None:
    result = multigsi("template", "--resource-type", str(ORDERS), *extra)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "type.yaml"
    path.write_text(result.stdout)
    linted = lint(path, schemas)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    document = load_yaml(result.stdout)
    types = {r["Type"] for r in document["Resources"].values()}
    table_type = "AWS::DynamoDB::GlobalTable" if extra == GLOBAL else "AWS::DynamoDB::Table"
    assert types == ({TYPE_NAME, table_type} if extra else {TYPE_NAME})
    assert "Transform" not in document  # no function, role or log group: the registry runs the handlers
    table = document["Resources"]["TableIndexes"]["Properties"]["TableName"]
    assert table == ({"Ref": "OrdersTable"} if extra else "orders")


def test_type_takes_the_custom_resources_index_properties_unchanged() -> None:
    """Moving a stack from Custom::MultiGsi to the type keeps the same property values."""
    typed = load_yaml(multigsi("template", "--resource-type", str(ORDERS)).stdout)["Resources"][
        "TableIndexes"
    ]
    custom = load_yaml(multigsi("template", str(ORDERS)).stdout)["Resources"]["TableIndexes"]
    expected = {k: v for k, v in custom["Properties"].items() if k not in {"ServiceToken", "ServiceTimeout"}}
    assert typed["Properties"] == expected


@pytest.mark.parametrize("extra", [(), ("--create-table",)], ids=["existing-table", "create-table"])
def test_type_properties_are_valid_against_the_types_schema(extra: tuple[str, ...]) -> None:
    """cfn-lint (1.x) reads --registry-schemas only to know the type exists: it validates no
    property of a private type (a bogus property or enum value passes). So the properties
    are checked against the schema here, as CloudFormation checks them."""
    schema = json.loads(SCHEMA.read_text())
    validator = Draft7Validator(schema)
    document = load_yaml(multigsi("template", "--resource-type", str(ORDERS), *extra).stdout)
    properties = document["Resources"]["TableIndexes"]["Properties"]
    if extra:
        properties = {**properties, "TableName": "orders"}  # a !Ref resolves to the table's name
    assert [e.message for e in validator.iter_errors(properties)] == []
    # a global table's replicas, read from AWS::DynamoDB::GlobalTable, fit the schema too
    read = load_yaml(
        subprocess.run(
            [sys.executable, "-m", "multigsi.cli", "template", "--resource-type", str(GLOBAL_TEMPLATE)],
            capture_output=True, text=True, check=True, cwd=ROOT,
            env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        ).stdout
    )["Resources"]["TableIndexes"]["Properties"]  # fmt: skip
    assert [r["Region"] for r in read["Replicas"]] == ["eu-west-1", "ap-south-1"]
    assert [e.message for e in validator.iter_errors(read)] == []
    bad = {**properties, "ServiceTimeout": 3600}
    bad["GlobalSecondaryIndexes"] = [
        {**properties["GlobalSecondaryIndexes"][0], "Projection": {"ProjectionType": "EVERYTHING"}}
    ]
    messages = " ".join(e.message for e in validator.iter_errors(bad))
    assert "ServiceTimeout" in messages and "EVERYTHING" in messages


def test_custom_resource_options_are_refused_with_the_type() -> None:
    result = multigsi("template", "--resource-type", "--service-timeout", "600", str(ORDERS))
    assert result.returncode == 1
    assert "--service-timeout are for the custom resource" in result.stderr
