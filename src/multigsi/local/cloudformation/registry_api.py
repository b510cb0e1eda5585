"""A local stand-in for the CloudFormation registry's registration calls and the S3 bucket
the schema handler package is uploaded to, served over HTTP on loopback.

No AWS account is available to test ``multigsi register-type`` against, and moto's server
does not implement RegisterType, DescribeTypeRegistration or SetTypeDefaultVersion
(checked with moto 5.2). So this speaks exactly those three calls of CloudFormation's
query protocol (form-encoded ``Action=...&Version=2010-05-15``, XML answers and errors),
plus path-style ``PutObject``/``GetObject`` for the package (``x-amz-expected-bucket-owner``
checked: every bucket here is ACCOUNT's) and STS ``GetCallerIdentity``, on one port: point
boto3 at it with ``AWS_ENDPOINT_URL`` (or the per-service variables).

Inputs are checked as the CloudFormation API reference documents them (required members,
lengths, patterns, ``ValidationError`` otherwise); the registration itself reads the
package from the bucket and checks what CloudFormation needs from it (``.rpdk-config``
with the type name and an entry point, ``schema.json`` naming the same type with
handlers, ``ResourceProvider.zip``), stays ``IN_PROGRESS`` for a set number of
DescribeTypeRegistration calls, then is ``COMPLETE`` (a new version ``00000001``,
``00000002``...) or ``FAILED`` with a description. It does not run the handlers: that is
the resource-provider stand-in's job.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

from multigsi.local.loopback import LoopbackServer

NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
STS_VERSION = "2011-06-15"
ACCOUNT = "123456789012"
ROLE_ARN = re.compile(r"arn:.+:iam::[0-9]{12}:role/.+")
TYPE_NAME = re.compile(r"[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}(::MODULE){0,1}")
LOG_GROUP = re.compile(r"[\.\-_/#A-Za-z0-9]+")
CLIENT_TOKEN = re.compile(r"[a-zA-Z0-9][-a-zA-Z0-9]*")
VERSION_ID = re.compile(r"[A-Za-z0-9-]+")
S3_URL = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+)")
MAX_PACKAGE_BYTES = 50 * 1024 * 1024
SHUTDOWN_POLL_SECONDS = 0.05  # how soon serve_forever notices shutdown()


def _sha256(data: bytes) -> str:
    """S3's form of a SHA-256 checksum: base64 of the digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass
class Registration:
    token: str
    type_name: str
    problem: str | None  # why it fails, None when it succeeds
    polls_left: int
    version_id: str | None = None
    request: dict[str, str] = field(default_factory=dict)


@dataclass
class RegistryState:
    """What the emulator holds; tests read it to check what was asked."""

    region: str
    polls_in_progress: int = 2
    buckets: dict[str, dict[str, bytes]] = field(default_factory=dict)
    registrations: dict[str, Registration] = field(default_factory=dict)
    versions: dict[str, list[str]] = field(default_factory=dict)  # type name -> version ids
    default_versions: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    expected_owners: list[str | None] = field(default_factory=list)  # each PutObject's header
    replace_after_put: bytes | None = None  # another writer's object, stored in place of each upload
    lock: threading.Lock = field(default_factory=threading.Lock)

    def type_arn(self, type_name: str) -> str:
        return f"arn:aws:cloudformation:{self.region}:{ACCOUNT}:type/resource/{type_name.replace('::', '-')}"


def _check(params: dict[str, str], name: str, *, pattern: re.Pattern[str] | None, low: int, high: int) -> str:
    value = params.get(name)
    if value is None:
        raise ApiError(
            "ValidationError",
            f"1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null",
        )
    if not low <= len(value) <= high:
        raise ApiError("ValidationError", f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: Member must have length between {low} and {high}")  # fmt: skip
    if pattern is not None and not pattern.fullmatch(value):
        raise ApiError("ValidationError", f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern.pattern}")  # fmt: skip
    return value


def package_problem(data: bytes, type_name: str) -> str | None:
    """Why CloudFormation would fail to register this package, or None."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            missing = sorted({".rpdk-config", "schema.json", "ResourceProvider.zip"} - names)
            if missing:
                return f"The schema handler package is missing {', '.join(missing)}"
            settings = json.loads(archive.read(".rpdk-config"))
            schema = json.loads(archive.read("schema.json"))
            inner = archive.read("ResourceProvider.zip")
    except (zipfile.BadZipFile, ValueError, KeyError) as error:
        return f"The schema handler package is not a valid zip of a resource project: {error}"
    if settings.get("typeName") != type_name or schema.get("typeName") != type_name:
        return f"Type name in the package does not match the requested type name {type_name}"
    if not settings.get("entrypoint") or not str(settings.get("runtime", "")).startswith("python"):
        return ".rpdk-config needs an entrypoint and a python runtime"
    if not isinstance(schema.get("handlers"), dict) or not schema.get("primaryIdentifier"):
        return "schema.json needs handlers and a primaryIdentifier"
    if not zipfile.is_zipfile(io.BytesIO(inner)):
        return "ResourceProvider.zip is not a zip"
    return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet in tests
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str = "text/xml") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(body)

    def _s3_error(self, status: int, code: str, message: str) -> None:
        body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
        self._send(status, body.encode(), "application/xml")

    def _object(self) -> tuple[str, str]:
        parts = unquote(urlsplit(self.path).path).lstrip("/").split("/", 1)
        return parts[0], parts[1] if len(parts) > 1 else ""

    def do_PUT(self) -> None:
        bucket, key = self._object()
        data = self._body()
        state = self.server.state
        expected = self.headers.get("x-amz-expected-bucket-owner")
        with state.lock:
            state.calls.append(f"s3:PutObject {bucket}/{key}")
            state.expected_owners.append(expected)
            if bucket not in state.buckets:
                return self._s3_error(404, "NoSuchBucket", "The specified bucket does not exist")
            if expected is not None and expected != ACCOUNT:  # every bucket here is ACCOUNT's
                return self._s3_error(403, "AccessDenied", "Access Denied")
            claimed = self.headers.get("x-amz-checksum-sha256")
            if claimed is not None and claimed != _sha256(data):
                return self._s3_error(
                    400, "BadDigest", "The SHA256 you specified did not match the calculated checksum."
                )
            # A writer that replaces the object between upload and RegisterType (tests set it).
            state.buckets[bucket][key] = (
                state.replace_after_put if state.replace_after_put is not None else data
            )
        self._send(200, b"", "application/xml")

    def do_HEAD(self) -> None:
        bucket, key = self._object()
        state = self.server.state
        expected = self.headers.get("x-amz-expected-bucket-owner")
        with state.lock:
            state.calls.append(f"s3:HeadObject {bucket}/{key}")
            data = state.buckets.get(bucket, {}).get(key)
        if expected is not None and expected != ACCOUNT:
            self.send_response(403)
            self.end_headers()
            return
        if data is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Type", "application/octet-stream")
        if self.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED":
            self.send_header("x-amz-checksum-sha256", _sha256(data))
        self.end_headers()

    def do_GET(self) -> None:
        bucket, key = self._object()
        with self.server.state.lock:
            data = self.server.state.buckets.get(bucket, {}).get(key)
        if data is None:
            return self._s3_error(404, "NoSuchKey", "The specified key does not exist.")
        self._send(200, data, "application/octet-stream")

    def do_POST(self) -> None:
        params = {k: v[0] for k, v in parse_qs(self._body().decode(), keep_blank_values=True).items()}
        action = params.get("Action", "")
        if action == "GetCallerIdentity" and params.get("Version") == STS_VERSION:
            with self.server.state.lock:
                self.server.state.calls.append("sts:GetCallerIdentity")
            body = (
                f'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/{STS_VERSION}/">'
                f"<GetCallerIdentityResult><Arn>arn:aws:iam::{ACCOUNT}:user/local</Arn><UserId>LOCAL</UserId>"
                f"<Account>{ACCOUNT}</Account></GetCallerIdentityResult>"
                f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
            )
            return self._send(200, body.encode())
        try:
            if params.get("Version") != "2010-05-15":
                raise ApiError("InvalidAction", "Could not find operation for this version")
            handler = {
                "RegisterType": self.server.register_type,
                "DescribeTypeRegistration": self.server.describe_type_registration,
                "SetTypeDefaultVersion": self.server.set_type_default_version,
            }.get(action)
            if handler is None:
                raise ApiError("InvalidAction", f"Could not find operation {action}")
            with self.server.state.lock:
                self.server.state.calls.append(f"cloudformation:{action}")
                result = handler(params)
        except ApiError as error:
            body = (
                f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>Sender</Type><Code>{error.code}</Code>'
                f"<Message>{escape(error.message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
            )
            return self._send(error.status, body.encode())
        members = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in result.items())
        body = (
            f'<{action}Response xmlns="{NAMESPACE}"><{action}Result>{members}</{action}Result>'
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>"
        )
        self._send(200, body.encode())


class _Server(ThreadingHTTPServer):
    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], state: RegistryState
    ) -> None:
        super().__init__(address, handler)
        self.state = state

    def register_type(self, params: dict[str, str]) -> dict[str, str]:
        state = self.state
        if params.get("Type", "RESOURCE") not in {"RESOURCE", "MODULE", "HOOK"}:
            raise ApiError("ValidationError", f"Value '{params['Type']}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [RESOURCE, MODULE, HOOK]")  # fmt: skip
        type_name = _check(params, "TypeName", pattern=TYPE_NAME, low=10, high=204)
        url = _check(params, "SchemaHandlerPackage", pattern=None, low=1, high=4096)
        if "ExecutionRoleArn" in params:
            _check(params, "ExecutionRoleArn", pattern=ROLE_ARN, low=1, high=256)
        if any(k.startswith("LoggingConfig.") for k in params):
            _check(params, "LoggingConfig.LogRoleArn", pattern=ROLE_ARN, low=1, high=256)
            _check(params, "LoggingConfig.LogGroupName", pattern=LOG_GROUP, low=1, high=512)
        if "ClientRequestToken" in params:
            _check(params, "ClientRequestToken", pattern=CLIENT_TOKEN, low=1, high=128)
        match = S3_URL.fullmatch(url)
        if match is None:
            raise ApiError(
                "CFNRegistryException", f"SchemaHandlerPackage {url} is not an s3:// URL of a bucket and key"
            )
        data = state.buckets.get(match.group(1), {}).get(match.group(2))
        if data is None:
            problem: str | None = f"Failed to download the schema handler package from {url}: NoSuchKey"
        elif len(data) > MAX_PACKAGE_BYTES:
            problem = "The schema handler package exceeds the maximum size"
        else:
            problem = package_problem(data, type_name)
        token = str(uuid.uuid4())
        state.registrations[token] = Registration(
            token, type_name, problem, state.polls_in_progress, request=params
        )
        return {"RegistrationToken": token}

    def describe_type_registration(self, params: dict[str, str]) -> dict[str, str]:
        state = self.state
        token = _check(params, "RegistrationToken", pattern=CLIENT_TOKEN, low=1, high=128)
        registration = state.registrations.get(token)
        if registration is None:
            raise ApiError("CFNRegistryException", f"Registration token {token} not found")
        type_arn = state.type_arn(registration.type_name)
        if registration.polls_left > 0:
            registration.polls_left -= 1
            return {"ProgressStatus": "IN_PROGRESS", "Description": "Deployment is currently in DEPLOY_STAGE of status IN_PROGRESS", "TypeArn": type_arn}  # fmt: skip
        if registration.problem is not None:
            return {"ProgressStatus": "FAILED", "Description": registration.problem, "TypeArn": type_arn}
        if registration.version_id is None:
            versions = state.versions.setdefault(registration.type_name, [])
            registration.version_id = f"{len(versions) + 1:08d}"
            versions.append(registration.version_id)
            state.default_versions.setdefault(registration.type_name, registration.version_id)
        return {
            "ProgressStatus": "COMPLETE",
            "Description": "Deployment is currently in DEPLOY_STAGE of status COMPLETED",
            "TypeArn": type_arn,
            "TypeVersionArn": f"{type_arn}/{registration.version_id}",
        }

    def set_type_default_version(self, params: dict[str, str]) -> dict[str, str]:
        state = self.state
        if "Arn" in params:
            arn = _check(params, "Arn", pattern=None, low=1, high=1024)
            prefix, _, version = arn.rpartition("/")
            type_name = next((n for n in state.versions if state.type_arn(n) == prefix), None)
        else:
            type_name = _check(params, "TypeName", pattern=TYPE_NAME, low=10, high=204)
            version = _check(params, "VersionId", pattern=VERSION_ID, low=1, high=128)
        if type_name is None or version not in state.versions.get(type_name, []):
            raise ApiError("TypeNotFoundException", "The specified extension does not exist in the CloudFormation registry.", 404)  # fmt: skip
        state.default_versions[type_name] = version
        return {}


class LocalTypeRegistry:
    """The emulator in a background thread: ``with LocalTypeRegistry() as registry:`` then
    ``registry.url`` for AWS_ENDPOINT_URL and ``registry.state`` for what happened."""

    def __init__(
        self, *, region: str = "us-east-1", buckets: tuple[str, ...] = (), polls_in_progress: int = 2
    ) -> None:
        self.state = RegistryState(region, polls_in_progress, {bucket: {} for bucket in buckets})
        self._loopback = LoopbackServer(
            _Handler, name="type-registry", server_class=_Server, state=self.state
        )

    @property
    def url(self) -> str:
        return self._loopback.url

    def __enter__(self) -> LocalTypeRegistry:
        self._loopback.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loopback.stop()
