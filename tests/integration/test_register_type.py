"""`multigsi register-type` against a local CloudFormation registry API and S3 bucket.

AWS itself cannot run here (no account), and moto's server does not implement
RegisterType, DescribeTypeRegistration or SetTypeDefaultVersion, so the API is
``multigsi.local.cloudformation.registry_api``: real HTTP on loopback in CloudFormation's query
protocol and S3's REST protocol, reached through boto3's own clients
(AWS_ENDPOINT_URL), checking inputs as AWS documents them. The package here is assembled
from the committed schema and ``.rpdk-config`` with a small ResourceProvider.zip (the
registry never runs the handlers); test_resource_type_package registers a fully built one.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from multigsi.deploy.package import write_entries
from multigsi.deploy.register_type import LoggingConfig, register_type, role_template
from multigsi.deploy.type_package import COMMENT_PREFIX, TYPE_NAME, rpdk_config, schema_text
from multigsi.errors import RegistrationError
from multigsi.local.cloudformation.registry_api import ACCOUNT, LocalTypeRegistry
from tests.integration.test_templates import cfn_lint

ROLE = "arn:aws:iam::123456789012:role/multigsi-type-execution"
LOG_ROLE = "arn:aws:iam::123456789012:role/multigsi-type-logs"
TYPE_ARN = (
    "arn:aws:cloudformation:us-east-1:123456789012:type/resource/Multigsi-DynamoDB-GlobalSecondaryIndexes"
)


def make_package(path: Path, *, schema: str | None = None, comment: str | None = None) -> Path:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("multigsi/cloudformation/resource_type/handlers.py", "resource = None\n")
    entries = [
        (".rpdk-config", rpdk_config("python3.12")),
        ("ResourceProvider.zip", inner.getvalue()),
        ("schema.json", (schema or schema_text()).encode()),
    ]
    write_entries(path, entries, comment=comment or f"{COMMENT_PREFIX} type={TYPE_NAME} runtime=python3.12")
    return path


@pytest.fixture
def registry() -> Iterator[LocalTypeRegistry]:
    with LocalTypeRegistry(buckets=("artifacts",), polls_in_progress=2) as local:
        yield local


def clients(url: str) -> dict[str, Any]:
    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
    )
    return {
        "cloudformation": session.client("cloudformation", endpoint_url=url),
        "s3": session.client("s3", endpoint_url=url),
    }


def register(registry: LocalTypeRegistry, package: Path, **options: Any) -> Any:
    arguments: dict[str, Any] = {
        "package": package,
        "bucket": "artifacts",
        "key": "multigsi/type.zip",
        "execution_role_arn": ROLE,
        "logging": None,
        "poll_seconds": 0.01,
        "timeout_seconds": 30,
    }
    return register_type(**clients(registry.url), **(arguments | options))


def test_cli_uploads_registers_waits_and_sets_the_default(
    registry: LocalTypeRegistry, tmp_path: Path
) -> None:
    package = make_package(tmp_path / "type.zip")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment |= {
        "AWS_ENDPOINT_URL": registry.url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "multigsi.cli", "register-type", "--package", str(package), "--bucket", "artifacts",
         "--execution-role-arn", ROLE, "--log-group", "multigsi-type", "--log-role-arn", LOG_ROLE,
         "--poll-seconds", "0.05", "--json"],
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["TypeArn"] == TYPE_ARN
    assert answer["TypeVersionArn"] == f"{TYPE_ARN}/00000001"
    assert answer["DefaultVersionSet"] is True
    assert answer["SchemaHandlerPackage"].startswith("s3://artifacts/multigsi/resource-type-")
    assert "IN_PROGRESS" in result.stderr and "COMPLETE" in result.stderr  # progress shown
    state = registry.state
    key = answer["SchemaHandlerPackage"].removeprefix("s3://artifacts/")
    assert state.buckets["artifacts"][key] == package.read_bytes()
    (registration,) = state.registrations.values()
    assert registration.request["TypeName"] == TYPE_NAME
    assert registration.request["Type"] == "RESOURCE"
    assert registration.request["ExecutionRoleArn"] == ROLE
    assert registration.request["LoggingConfig.LogRoleArn"] == LOG_ROLE
    assert registration.request["LoggingConfig.LogGroupName"] == "multigsi-type"
    assert state.default_versions[TYPE_NAME] == "00000001"
    actions = [call.split()[0] for call in state.calls]
    assert actions[:4] == [
        "sts:GetCallerIdentity",
        "s3:PutObject",
        "s3:HeadObject",
        "cloudformation:RegisterType",
    ]
    assert state.expected_owners == [ACCOUNT], "the upload names this account as the bucket's owner"
    assert actions[-1] == "cloudformation:SetTypeDefaultVersion"
    assert actions.count("cloudformation:DescribeTypeRegistration") == 3  # two IN_PROGRESS, then COMPLETE


def test_a_second_version_becomes_the_default(registry: LocalTypeRegistry, tmp_path: Path) -> None:
    package = make_package(tmp_path / "type.zip")
    first = register(registry, package)
    second = register(registry, package)
    assert (first.type_version_arn, second.type_version_arn) == (
        f"{TYPE_ARN}/00000001",
        f"{TYPE_ARN}/00000002",
    )
    assert registry.state.default_versions[TYPE_NAME] == "00000002"
    kept = register(registry, package, set_default=False)
    assert kept.type_version_arn.endswith("/00000003")
    assert registry.state.default_versions[TYPE_NAME] == "00000002"


def test_a_failed_registration_says_why_and_sets_no_default(
    registry: LocalTypeRegistry, tmp_path: Path
) -> None:
    schema = json.loads(schema_text())
    del schema["primaryIdentifier"]
    package = make_package(tmp_path / "type.zip", schema=json.dumps(schema))
    with pytest.raises(
        RegistrationError, match=re.escape("FAILED: schema.json needs handlers and a primaryIdentifier")
    ):
        register(registry, package)
    assert TYPE_NAME not in registry.state.default_versions
    assert "cloudformation:SetTypeDefaultVersion" not in registry.state.calls


def test_a_missing_bucket_stops_before_registering(registry: LocalTypeRegistry, tmp_path: Path) -> None:
    package = make_package(tmp_path / "type.zip")
    with pytest.raises(RegistrationError, match=r"uploading the package to s3://nowhere/.*NoSuchBucket"):
        register(registry, package, bucket="nowhere")
    assert not registry.state.registrations


def test_inputs_aws_refuses_are_reported_with_its_message(
    registry: LocalTypeRegistry, tmp_path: Path
) -> None:
    package = make_package(tmp_path / "type.zip")
    with pytest.raises(RegistrationError, match=r"--execution-role-arn 'not-a-role' is not an IAM role ARN"):
        register(registry, package, execution_role_arn="not-a-role")
    assert registry.state.calls == [], "refused before anything was uploaded"
    with pytest.raises(RegistrationError, match=r"RegisterType refused: ValidationError: .*LogGroupName"):
        register(registry, package, logging=LoggingConfig(LOG_ROLE, "bad group name!"))
    assert not registry.state.registrations


def test_a_registration_that_does_not_finish_in_time_names_its_token(tmp_path: Path) -> None:
    package = make_package(tmp_path / "type.zip")
    now = [0.0]
    with LocalTypeRegistry(buckets=("artifacts",), polls_in_progress=1000) as slow:
        with pytest.raises(
            RegistrationError, match=r"still IN_PROGRESS after 60 s.*--registration-token [0-9a-f-]{36}"
        ):
            register(slow, package, timeout_seconds=60, poll_seconds=5,
                     clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))  # fmt: skip
        polls = slow.state.calls.count("cloudformation:DescribeTypeRegistration")
    assert polls == 13  # at 0 s, then every 5 s up to the 60


def test_only_our_packages_are_uploaded(registry: LocalTypeRegistry, tmp_path: Path) -> None:
    foreign = make_package(tmp_path / "foreign.zip", comment="something else")
    with pytest.raises(RegistrationError, match="not a package from `multigsi package --resource-type`"):
        register(registry, foreign)
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(RegistrationError, match="not a readable zip"):
        register(registry, tmp_path / "junk.zip")
    assert registry.state.calls == []


def test_the_role_template_grants_the_handlers_permissions_to_cloudformation(tmp_path: Path) -> None:
    schema = json.loads(schema_text())
    document = role_template(schema)
    role = document["Resources"]["ExecutionRole"]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "resources.cloudformation.amazonaws.com"}
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    granted = {action for statement in statements for action in statement["Action"]}
    assert granted == {p for handler in schema["handlers"].values() for p in handler["permissions"]}
    (tagging,) = [s for s in statements if "dynamodb:TagResource" in s["Action"]]
    assert tagging["Action"] == ["dynamodb:TagResource", "dynamodb:UntagResource"]
    assert tagging["Condition"] == {"ForAllValues:StringLike": {"aws:TagKeys": ["multigsi:*"]}}
    assert role["MaxSessionDuration"] == 43200  # the longest a role session can be; handlers run up to 36 h
    path = tmp_path / "role.json"
    path.write_text(json.dumps(document))
    cfn_lint(path)  # the CLI, as for the shipped templates: errors and warnings fail


def test_a_bucket_of_another_account_gets_no_package_and_nothing_is_registered(
    registry: LocalTypeRegistry, tmp_path: Path
) -> None:
    """A mistyped or foreign bucket would receive the handler code CloudFormation runs with
    the execution role: S3 refuses the upload when the bucket's owner is not the one named."""
    package = make_package(tmp_path / "type.zip")
    with pytest.raises(RegistrationError, match=r"uploading the package .* refused: AccessDenied"):
        register(registry, package, bucket_owner="210987654321")
    assert registry.state.buckets["artifacts"] == {}
    assert registry.state.registrations == {}


@pytest.mark.parametrize(
    ("role", "why"),
    [
        (None, "--execution-role-arn is required"),
        ("arn:aws-cn:iam::123456789012:role/x", "partition aws-cn, but the region's is aws"),
        ("arn:aws:iam::210987654321:role/x", "account 210987654321, but this account is 123456789012"),
        ("arn:aws:iam::123456789012:user/x", "is not an IAM role ARN"),
    ],
)
def test_the_execution_role_is_required_and_checked_before_any_upload(
    registry: LocalTypeRegistry, tmp_path: Path, role: str | None, why: str
) -> None:
    """Without a role of this account the handlers would run with no credentials of their
    own, or with another account's: refused before anything reaches S3."""
    package = make_package(tmp_path / "type.zip")
    with pytest.raises(RegistrationError, match=re.escape(why)):
        register(registry, package, execution_role_arn=role, account=ACCOUNT)
    assert registry.state.calls == []


def test_a_package_replaced_between_upload_and_registration_is_refused(
    registry: LocalTypeRegistry, tmp_path: Path
) -> None:
    """Another writer with access to the bucket swaps the object after the upload: its
    SHA-256 no longer matches, and RegisterType is never called with it."""
    package = make_package(tmp_path / "type.zip")
    registry.state.replace_after_put = b"someone else's handler code"
    with pytest.raises(RegistrationError, match="another writer replaced it; nothing was registered"):
        register(registry, package)
    assert "cloudformation:RegisterType" not in registry.state.calls
