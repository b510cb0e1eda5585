"""`multigsi register-type`: register the resource type's schema handler package.

The steps are those of cloudformation-cli's ``cfn submit`` (``Project._upload``), through
boto3: upload the package to S3, ``RegisterType`` (type name, ``s3://`` URL, execution
role, log configuration), wait on ``DescribeTypeRegistration`` until ``COMPLETE`` or
``FAILED``, then ``SetTypeDefaultVersion`` to the new version (unless told not to).
Registration is asynchronous on AWS's side and takes minutes, so the wait is bounded by a
deadline and reports each change of status; the clock and sleep are parameters.

The execution role is the one CloudFormation assumes to run the handlers: it must trust
``resources.cloudformation.amazonaws.com`` and allow the handlers' permissions
(``multigsi register-type --role-template`` prints a template for it, built from the
schema's ``handlers`` section).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from multigsi.deploy.template import OWN_TAG_KEYS, TAG_ACTIONS
from multigsi.deploy.type_package import COMMENT_PREFIX, TYPE_NAME
from multigsi.errors import RegistrationError

DEFAULT_POLL_SECONDS = 5.0  # registrations take minutes; cfn submit polls every 5 s too
DEFAULT_TIMEOUT_SECONDS = 1800.0
HANDLER_PRINCIPAL = "resources.cloudformation.amazonaws.com"


@dataclass(frozen=True)
class LoggingConfig:
    log_role_arn: str
    log_group_name: str


@dataclass(frozen=True)
class Registered:
    type_name: str
    type_arn: str
    type_version_arn: str
    registration_token: str
    package_url: str
    default_version_set: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "TypeName": self.type_name,
            "TypeArn": self.type_arn,
            "TypeVersionArn": self.type_version_arn,
            "RegistrationToken": self.registration_token,
            "SchemaHandlerPackage": self.package_url,
            "DefaultVersionSet": self.default_version_set,
        }


def check_package(path: Path) -> bytes:
    """The bytes of a package from ``multigsi package --resource-type``, or a clear error."""
    try:
        with zipfile.ZipFile(path) as archive:
            words = archive.comment.decode(errors="replace").split()
            names = set(archive.namelist())
    except (OSError, zipfile.BadZipFile) as error:
        raise RegistrationError(f"--package {path}: not a readable zip ({error})") from None
    if not words or words[0] != COMMENT_PREFIX or f"type={TYPE_NAME}" not in words:
        raise RegistrationError(f"--package {path}: not a package from `multigsi package --resource-type`")
    missing = {".rpdk-config", "schema.json", "ResourceProvider.zip"} - names
    if missing:
        raise RegistrationError(f"--package {path}: missing {', '.join(sorted(missing))}")
    return path.read_bytes()


ROLE_ARN = re.compile(r"arn:(aws[a-z-]*):iam::([0-9]{12}):role/[\w+=,.@/-]{1,512}")


def check_role_arn(arn: str | None, *, account: str | None, partition: str) -> str:
    """The execution role: required (without one the handlers would get no credentials of
    their own), an IAM role ARN of this partition and, when known, of this account."""
    if not arn:
        raise RegistrationError("--execution-role-arn is required (make the role with --role-template)")
    match = ROLE_ARN.fullmatch(arn)
    if match is None:
        raise RegistrationError(
            f"--execution-role-arn {arn[:200]!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
        )
    if match.group(1) != partition:
        raise RegistrationError(
            f"--execution-role-arn {arn}: partition {match.group(1)}, but the region's is {partition}"
        )
    if account is not None and match.group(2) != account:
        raise RegistrationError(
            f"--execution-role-arn {arn}: account {match.group(2)}, but this account is {account}"
        )
    return arn


def default_key(package: bytes) -> str:
    """Where a package is uploaded unless told otherwise: named by its content."""
    return f"multigsi/resource-type-{hashlib.sha256(package).hexdigest()[:20]}.zip"


def caller_account(sts: Any) -> str:
    """The account of the credentials in use: the bucket's expected owner by default."""
    try:
        return str(sts.get_caller_identity()["Account"])
    except ClientError as error:
        raise _refused("finding this account (sts:GetCallerIdentity)", error) from error


def _refused(step: str, error: ClientError) -> RegistrationError:
    body = error.response.get("Error", {})
    return RegistrationError(f"{step} refused: {body.get('Code', '?')}: {body.get('Message', '')}")


def register_type(
    *,
    cloudformation: Any,
    s3: Any,
    package: Path,
    bucket: str,
    key: str,
    execution_role_arn: str,
    logging: LoggingConfig | None,
    bucket_owner: str | None = None,
    account: str | None = None,
    set_default: bool = True,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    on_progress: Callable[[str], None] = lambda line: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Registered:
    """Upload, register, wait, set the default version. Raises RegistrationError.

    ``bucket_owner``: the account the bucket must belong to. S3 refuses the upload if it
    does not (ExpectedBucketOwner), so that a mistyped or foreign bucket never receives the
    handler code that CloudFormation then runs with the execution role. ``account``: this
    account (sts:GetCallerIdentity), which the execution role must belong to. The upload's
    SHA-256 is read back before RegisterType: an object replaced in between is refused."""
    data = check_package(package)
    check_role_arn(execution_role_arn, account=account, partition=s3.meta.partition)
    url = f"s3://{bucket}/{key}"
    owner = {"ExpectedBucketOwner": bucket_owner} if bucket_owner else {}
    checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=data, ChecksumSHA256=checksum, **owner)
        stored = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED", **owner)
    except ClientError as error:
        raise _refused(f"uploading the package to {url}", error) from error
    if stored.get("ChecksumSHA256") != checksum:
        raise RegistrationError(
            f"{url} is not the package uploaded (SHA-256 {stored.get('ChecksumSHA256')!r}, expected "
            f"{checksum!r}): another writer replaced it; nothing was registered"
        )
    on_progress(f"Uploaded {package} to {url} ({len(data) / 1_000_000:.1f} MB, SHA-256 checked).")
    request: dict[str, Any] = {
        "Type": "RESOURCE",
        "TypeName": TYPE_NAME,
        "SchemaHandlerPackage": url,
        "ExecutionRoleArn": execution_role_arn,
    }
    if logging is not None:
        request["LoggingConfig"] = {
            "LogRoleArn": logging.log_role_arn,
            "LogGroupName": logging.log_group_name,
        }
    try:
        token = cloudformation.register_type(**request)["RegistrationToken"]
    except ClientError as error:
        raise _refused("RegisterType", error) from error
    on_progress(f"RegisterType accepted: registration {token}.")
    deadline = clock() + timeout_seconds
    last = ""
    while True:
        try:
            status = cloudformation.describe_type_registration(RegistrationToken=token)
        except ClientError as error:
            raise _refused("DescribeTypeRegistration", error) from error
        progress = status.get("ProgressStatus", "?")
        line = f"{progress}: {status.get('Description', '')}".rstrip(": ")
        if line != last:
            on_progress(line)
            last = line
        if progress == "COMPLETE":
            break
        if progress == "FAILED":
            raise RegistrationError(
                f"registration {token} of {TYPE_NAME} FAILED: {status.get('Description', 'no description')}"
            )
        if clock() + poll_seconds > deadline:
            raise RegistrationError(
                f"registration {token} still {progress} after {timeout_seconds:.0f} s; it may yet finish: "
                f"aws cloudformation describe-type-registration --registration-token {token}"
            )
        sleep(poll_seconds)
    version_arn = status["TypeVersionArn"]
    if set_default:
        try:
            cloudformation.set_type_default_version(Arn=version_arn)
        except ClientError as error:
            raise _refused("SetTypeDefaultVersion", error) from error
        on_progress(f"Default version: {version_arn}.")
    return Registered(TYPE_NAME, status["TypeArn"], version_arn, token, url, set_default)


def role_template(schema: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation template for the execution role: trusted by the registry's handler
    principal, allowed the union of the schema's handler permissions (what cloudformation-cli
    generates as ``resource-role.yaml``, with its session length: 70 s per minute of the
    longest handler timeout, within IAM's 1 to 12 hours). Its ``ExecutionRoleArn`` output
    goes to ``--execution-role-arn``."""
    handlers = schema.get("handlers", {})
    actions = sorted({p for handler in handlers.values() for p in handler.get("permissions", [])})
    tagging = [a for a in actions if a in TAG_ACTIONS]  # only on multigsi's own tag keys
    longest = max((h.get("timeoutInMinutes", 120) for h in handlers.values()), default=120)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"The execution role CloudFormation assumes to run {TYPE_NAME}'s handlers.",
        "Resources": {
            "ExecutionRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "MaxSessionDuration": min(43200, max(3600, 70 * longest)),
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": HANDLER_PRINCIPAL},
                                "Action": "sts:AssumeRole",
                                "Condition": {
                                    "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                                    "StringLike": {
                                        "aws:SourceArn": {
                                            "Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:type/resource/"
                                            + TYPE_NAME.replace("::", "-")
                                            + "/*"
                                        }
                                    },
                                },
                            }
                        ],
                    },
                    "Policies": [
                        {
                            "PolicyName": "ResourceTypePolicy",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": [a for a in actions if a not in tagging],
                                        "Resource": "*",
                                    },
                                    {
                                        "Effect": "Allow",
                                        "Action": tagging,
                                        "Resource": "*",
                                        "Condition": OWN_TAG_KEYS,
                                    },
                                ],
                            },
                        }
                    ],
                },
            }
        },
        "Outputs": {"ExecutionRoleArn": {"Value": {"Fn::GetAtt": ["ExecutionRole", "Arn"]}}},
    }


def schema_of(package: Path) -> dict[str, Any]:
    with zipfile.ZipFile(package) as archive:
        schema: dict[str, Any] = json.loads(archive.read("schema.json"))
    return schema


LOG_ACTIONS = (  # what CloudFormation needs to deliver a type's handler logs and metrics
    "cloudwatch:ListMetrics",
    "cloudwatch:PutMetricData",
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
)
DEFAULT_LOG_GROUP = "multigsi-resource-type"


def stackset_template(schema: dict[str, Any], package_key: str) -> dict[str, Any]:
    """A template for a service-managed StackSet that registers the type in every account
    and region it is deployed to: the execution role (``role_template``'s), a log group and
    the role CloudFormation writes the handlers' logs with, the type version from the
    package in S3 (``AWS::CloudFormation::ResourceVersion``, read by each target account, so
    the bucket's policy must let the organisation read it), and that version as the
    default (``AWS::CloudFormation::ResourceDefaultVersion``)."""
    execution = role_template(schema)["Resources"]["ExecutionRole"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": HANDLER_PRINCIPAL},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
            }
        ],
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            f"Registers {TYPE_NAME} in this account and region, with its execution role and "
            "log configuration, and makes the version the default. Deploy it to an organisation "
            "with a service-managed StackSet (multigsi register-type --stackset-template)."
        ),
        "Parameters": {
            "PackageBucket": {
                "Type": "String",
                "Description": "The S3 bucket holding the schema handler package (multigsi package "
                "--resource-type); its policy must let the target accounts read the object "
                "(s3:GetObject, e.g. on aws:PrincipalOrgID).",
                "AllowedPattern": "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            },
            "PackageKey": {
                "Type": "String",
                "Description": "The package's object key.",
                "Default": package_key,
                "MinLength": 1,
            },
            "LogGroupName": {
                "Type": "String",
                "Description": "The CloudWatch Logs group for the handlers' logs (created here).",
                "Default": DEFAULT_LOG_GROUP,
            },
            "LogRetentionInDays": {
                "Type": "Number",
                "Default": 30,
                "AllowedValues": [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653],
            },
        },
        "Resources": {
            "ExecutionRole": execution,
            "LogGroup": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {
                    "LogGroupName": {"Ref": "LogGroupName"},
                    "RetentionInDays": {"Ref": "LogRetentionInDays"},
                },
            },
            "LoggingRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": trust,
                    "Policies": [
                        {
                            "PolicyName": "ResourceTypeLogging",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {"Effect": "Allow", "Action": list(LOG_ACTIONS), "Resource": "*"}
                                ],
                            },
                        }
                    ],
                },
            },
            "TypeVersion": {
                "Type": "AWS::CloudFormation::ResourceVersion",
                "Properties": {
                    "TypeName": TYPE_NAME,
                    "SchemaHandlerPackage": {"Fn::Sub": "s3://${PackageBucket}/${PackageKey}"},
                    "ExecutionRoleArn": {"Fn::GetAtt": ["ExecutionRole", "Arn"]},
                    "LoggingConfig": {
                        "LogGroupName": {"Ref": "LogGroup"},
                        "LogRoleArn": {"Fn::GetAtt": ["LoggingRole", "Arn"]},
                    },
                },
            },
            "DefaultVersion": {
                "Type": "AWS::CloudFormation::ResourceDefaultVersion",
                "Properties": {"TypeVersionArn": {"Ref": "TypeVersion"}},
            },
        },
        "Outputs": {
            "TypeVersionArn": {"Value": {"Ref": "TypeVersion"}},
            "TypeArn": {"Value": {"Fn::GetAtt": ["TypeVersion", "TypeArn"]}},
            "ExecutionRoleArn": {"Value": {"Fn::GetAtt": ["ExecutionRole", "Arn"]}},
        },
    }
