"""`multigsi register-type --stackset-template FILE`: the template a service-managed
StackSet deploys to register the type in every target account and region. Written by the
command in a process, read back, checked, and linted by cfn-lint (no AWS call is made)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from cfn_flip import load_yaml

from multigsi.deploy.type_package import TYPE_NAME, schema_text
from tests.integration.test_register_type import make_package
from tests.integration.test_templates import cfn_lint


def test_the_stackset_template_registers_the_type_with_its_roles_and_logs(tmp_path: Path) -> None:
    package = make_package(tmp_path / "type.zip")
    output = tmp_path / "register-type.yaml"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [sys.executable, "-m", "multigsi.cli", "register-type", "--package", str(package),
         "--stackset-template", str(output)],
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    key = f"multigsi/resource-type-{hashlib.sha256(package.read_bytes()).hexdigest()[:20]}.zip"
    # it says how to upload the package and deploy the StackSet to organisational units
    assert f"s3://BUCKET/{key}" in result.stderr
    assert "create-stack-set" in result.stderr and "--permission-model SERVICE_MANAGED" in result.stderr
    assert "create-stack-instances" in result.stderr and "OrganizationalUnitIds=" in result.stderr

    template = json.loads(json.dumps(load_yaml(output.read_text())))
    resources = template["Resources"]
    assert {name: r["Type"] for name, r in resources.items()} == {
        "ExecutionRole": "AWS::IAM::Role",
        "LogGroup": "AWS::Logs::LogGroup",
        "LoggingRole": "AWS::IAM::Role",
        "TypeVersion": "AWS::CloudFormation::ResourceVersion",
        "DefaultVersion": "AWS::CloudFormation::ResourceDefaultVersion",
    }
    assert template["Parameters"]["PackageKey"]["Default"] == key
    assert (
        "PackageBucket" in template["Parameters"] and "Default" not in template["Parameters"]["PackageBucket"]
    )
    version = resources["TypeVersion"]["Properties"]
    assert version == {
        "TypeName": TYPE_NAME,
        "SchemaHandlerPackage": {"Fn::Sub": "s3://${PackageBucket}/${PackageKey}"},
        "ExecutionRoleArn": {"Fn::GetAtt": ["ExecutionRole", "Arn"]},
        "LoggingConfig": {
            "LogGroupName": {"Ref": "LogGroup"},
            "LogRoleArn": {"Fn::GetAtt": ["LoggingRole", "Arn"]},
        },
    }
    assert resources["DefaultVersion"]["Properties"] == {"TypeVersionArn": {"Ref": "TypeVersion"}}
    # both roles are CloudFormation's registry's to assume, and only for this account
    schema = json.loads(schema_text())
    for name in ("ExecutionRole", "LoggingRole"):
        role = resources[name]["Properties"]
        assert "RoleName" not in role  # one stack instance per region of an account: names must not clash
        (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "resources.cloudformation.amazonaws.com"}
        assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    statements = resources["ExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    granted = {action for statement in statements for action in statement["Action"]}
    assert granted == {p for h in schema["handlers"].values() for p in h["permissions"]}
    logging = resources["LoggingRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
    assert {"logs:CreateLogStream", "logs:PutLogEvents", "cloudwatch:PutMetricData"} <= set(logging["Action"])
    cfn_lint(output)  # errors and warnings fail
