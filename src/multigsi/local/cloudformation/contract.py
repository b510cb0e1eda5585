"""`cfn test` offline: cloudformation-cli's contract suite against the packaged resource type.

cloudformation-cli (rpdk) runs its contract tests (``rpdk/core/contract/suite``) by invoking
the type's function through Lambda's Invoke API (``cfn test --endpoint URL --function-name
NAME``) with a request of its own shape (``ResourceClient.make_request``), which the Python
plugin's ``resource`` entry point handles, and it asks STS for the caller's credentials and
account first. Everything it talks to is on loopback here:

- ``ZipFunction``: the handler from the unpacked ``ResourceProvider.zip``, run in a process of
  a CPython of the runtime's version with nothing but the zip on its path
  (``zip_bootstrap.py``), kept warm between invocations as a Lambda container is; served by
  ``multigsi.local.cloudformation.lambda_service.LambdaService``'s Invoke endpoint. Its AWS clients reach
  ``multigsi local`` (DynamoDB and CloudWatch) through ``AWS_ENDPOINT_URL_*``.
- ``LocalSts``: GetCallerIdentity, GetSessionToken and AssumeRole (a stand-in for AWS STS).
  rpdk builds STS's URL itself, ``https://`` + the hostname botocore's endpoints data gives
  for the region (``rpdk.core.boto_helpers.get_service_endpoint``); ``cfn_environment``
  points that data at the stand-in (``~/.aws/models/endpoints.json`` in a home of the run's
  own, which botocore's loader reads before its own copy) and trusts the stand-in's
  self-signed certificate (``AWS_CA_BUNDLE``). rpdk itself is run unchanged.

``run_cfn_test`` runs the suite for one project folder (``.rpdk-config``, the schema,
``inputs/inputs_1_{create,update,invalid}.json``) and reads pytest's JUnit report back. It
loads ``cfn_test_plugin`` into the suite's pytest: narrow workarounds for bugs of
cloudformation-cli's checks with this schema, each explained there.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import select
import ssl
import subprocess
import threading
import time
import uuid
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs

from multigsi.cloudformation.resource_type import TYPE_NAME
from multigsi.local.loopback import LoopbackServer

BOOTSTRAP = Path(__file__).with_name("zip_bootstrap.py")
PLUGIN = Path(__file__).with_name("cfn_test_plugin.py")  # workarounds for cloudformation-cli's checks
ACCOUNT = "123456789012"
SCHEMA_FILE = TYPE_NAME.lower().replace("::", "-") + ".json"  # what `cfn init` names it
STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"


def unpack(zip_path: Path, folder: Path) -> Path:
    """``ResourceProvider.zip`` unpacked, as Lambda lays out a function's code."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(folder)
    return folder


@dataclass
class ZipFunction:
    """A Lambda function's runtime: ``python`` runs ``entry`` from ``root`` in its own
    process; called as ``LambdaService`` calls a handler, ``(event, context)``. A timeout
    ends the process (the next invocation is a cold start), as Lambda does."""

    root: Path
    python: Path
    entry: str  # MODULE.ATTRIBUTE, the package's entry point (``.rpdk-config``)
    environment: Mapping[str, str]
    log: Path
    invocations: int = 0
    cold_starts: int = 0
    _process: subprocess.Popen[str] | None = field(default=None, repr=False)
    _log: IO[str] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _started(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            self.cold_starts += 1
            if self._log is None:
                self._log = self.log.open("a")
            self._process = subprocess.Popen(
                [str(self.python), "-I", "-S", str(BOOTSTRAP), str(self.root), self.entry],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                text=True,
                env=dict(self.environment),
                cwd=self.root,
            )
        return self._process

    def __call__(self, event: Any, context: Any) -> Any:
        with self._lock:
            self.invocations += 1
            process = self._started()
            assert process.stdin is not None and process.stdout is not None
            request = {
                "event": event,
                "context": {
                    "function_name": context.function_name,
                    "invoked_function_arn": context.invoked_function_arn,
                    "aws_request_id": context.aws_request_id,
                    "remaining_ms": context.get_remaining_time_in_millis(),
                },
            }
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            line = _line_within(process.stdout, context.get_remaining_time_in_millis() / 1000)
            if not line:
                self.stop()
                return {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"Task timed out after {context.timeout:.2f} seconds",
                }
            answer = json.loads(line)
            return answer.get("result", answer)

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            for stream in (self._process.stdin, self._process.stdout):
                if stream is not None:
                    stream.close()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None


def _line_within(stream: IO[str], seconds: float) -> str:
    """One line from ``stream``, or "" when none came within ``seconds``."""
    ready, _, _ = select.select([stream], [], [], max(0.0, seconds))
    return stream.readline() if ready else ""


@dataclass(frozen=True)
class StsCall:
    action: str
    access_key: str  # from the request's signature: who asked


class LocalSts:
    """STS's query API over TLS on loopback (a stand-in for AWS): the caller's identity,
    session tokens, assumed roles. ``ca_bundle`` is the certificate to trust."""

    def __init__(self, folder: Path, account: str = ACCOUNT) -> None:
        self.account = account
        self.calls: list[StsCall] = []
        self.lock = threading.Lock()
        self.ca_bundle, key = _self_signed(folder)
        self._loopback = LoopbackServer(self._handler(), name="local-sts")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_bundle, key)
        self._loopback.server.socket = context.wrap_socket(self._loopback.server.socket, server_side=True)

    @property
    def host(self) -> str:
        return self._loopback.host

    def __enter__(self) -> LocalSts:
        self._loopback.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loopback.stop()

    def answer(self, action: str, params: Mapping[str, str]) -> tuple[int, str]:
        request_id = f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        expires = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=15)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        credentials = (
            f"<Credentials><AccessKeyId>ASIA{uuid.uuid4().hex[:16].upper()}</AccessKeyId>"
            f"<SecretAccessKey>{uuid.uuid4().hex}</SecretAccessKey>"
            f"<SessionToken>{uuid.uuid4().hex}{uuid.uuid4().hex}</SessionToken>"
            f"<Expiration>{expires}</Expiration></Credentials>"
        )
        if action == "GetCallerIdentity":
            result = (
                f"<Arn>arn:aws:iam::{self.account}:user/contract-tests</Arn>"
                f"<UserId>AIDACONTRACTTESTS</UserId><Account>{self.account}</Account>"
            )
        elif action == "GetSessionToken":
            result = credentials
        elif action == "AssumeRole":
            role = params.get("RoleArn", "")
            session = params.get("RoleSessionName", "")
            result = (
                f"{credentials}<AssumedRoleUser><AssumedRoleId>AROACONTRACT:{session}</AssumedRoleId>"
                f"<Arn>{role}/{session}</Arn></AssumedRoleUser>"
            )
        else:
            return 400, (
                f'<ErrorResponse xmlns="{STS_XMLNS}"><Error><Type>Sender</Type><Code>InvalidAction</Code>'
                f"<Message>{action} is not served here</Message></Error>{request_id}</ErrorResponse>"
            )
        return 200, (
            f'<{action}Response xmlns="{STS_XMLNS}"><{action}Result>{result}</{action}Result>'
            f"{request_id}</{action}Response>"
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sts = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                params = {k: v[0] for k, v in parse_qs(body).items()}
                signer = self.headers.get("Authorization", "").partition("Credential=")[2].partition("/")[0]
                action = params.get("Action", "")
                with sts.lock:
                    sts.calls.append(StsCall(action, signer))
                status, xml = sts.answer(action, params)
                data = xml.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key), valid for a day, its own authority."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "multigsi local sts")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "sts-cert.pem", folder / "sts-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def cli_python(cfn: Path) -> Path:
    """The interpreter of a console script (its ``#!`` line)."""
    first = cfn.read_text(errors="replace").splitlines()[0]
    if not first.startswith("#!"):
        raise ValueError(f"{cfn} is not a script with a #! line")
    return Path(first[2:].strip().split()[0])


def cfn_environment(cfn: Path, home: Path, region: str, sts: LocalSts) -> dict[str, str]:
    """The environment `cfn test` runs in: a home of its own whose botocore endpoints data
    sends STS for ``region`` to ``sts``, its certificate trusted, made-up long-term keys
    (rpdk trades them for a session token at STS), nothing from the user's AWS config."""
    python = cli_python(cfn)
    found = subprocess.run(
        [str(python), "-c", "import botocore, os; print(os.path.dirname(botocore.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    )
    endpoints = json.loads((Path(found.stdout.strip()) / "data" / "endpoints.json").read_text())
    for partition in endpoints["partitions"]:
        if partition["partition"] == "aws":
            partition["services"]["sts"]["endpoints"][region] = {"hostname": sts.host}
    models = home / ".aws" / "models"
    models.mkdir(parents=True, exist_ok=True)
    (models / "endpoints.json").write_text(json.dumps(endpoints))
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_ACCESS_KEY_ID": "AKIACONTRACTTESTS",
        "AWS_SECRET_ACCESS_KEY": "contract-tests",
        "AWS_DEFAULT_REGION": region,
        "AWS_CA_BUNDLE": str(sts.ca_bundle),
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def write_project(
    folder: Path, settings: bytes, schema: str, inputs: Mapping[str, Mapping[str, Any]]
) -> Path:
    """A cloudformation-cli project as `cfn init` lays it out (``settings``: the package's
    ``.rpdk-config``), with one input set: ``inputs`` maps create/update/invalid to the model."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".rpdk-config").write_bytes(settings)
    (folder / SCHEMA_FILE).write_text(schema)
    (folder / "inputs").mkdir(exist_ok=True)
    for kind, model in inputs.items():
        (folder / "inputs" / f"inputs_1_{kind}.json").write_text(json.dumps(model, indent=2) + "\n")
    return folder


@dataclass(frozen=True)
class CaseResult:
    name: str  # e.g. handler_create.py::contract_create_read
    outcome: str  # passed | failed | skipped
    message: str = ""


@dataclass(frozen=True)
class SuiteRun:
    returncode: int
    cases: tuple[CaseResult, ...]
    seconds: float
    output: str

    def with_outcome(self, outcome: str) -> list[CaseResult]:
        return [case for case in self.cases if case.outcome == outcome]


def run_cfn_test(
    cfn: Path,
    project: Path,
    *,
    endpoint: str,
    function_name: str,
    region: str,
    environment: Mapping[str, str],
    timeout: float,
    pytest_args: tuple[str, ...] = (),
) -> SuiteRun:
    """`cfn test` in ``project`` against the Invoke endpoint; the cases from its JUnit report."""
    report = project / "contract-junit.xml"
    plugins = project / ".plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / PLUGIN.name).write_bytes(PLUGIN.read_bytes())
    command = [
        str(cfn),
        "test",
        "--endpoint",
        endpoint,
        "--function-name",
        function_name,
        "--region",
        region,
        "--",
        f"--junitxml={report}",
        "-p",
        "no:cacheprovider",
        "-p",
        PLUGIN.stem,
        *pytest_args,
    ]
    started = time.monotonic()
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=project,
        env={**environment, "PYTHONPATH": str(plugins)},
        timeout=timeout,
        check=False,
    )
    seconds = time.monotonic() - started
    cases = junit_cases(report) if report.is_file() else ()
    return SuiteRun(result.returncode, cases, seconds, result.stdout + result.stderr)


def junit_cases(report: Path) -> tuple[CaseResult, ...]:
    cases = []
    # the report pytest just wrote in our own folder, not untrusted input
    for case in ElementTree.parse(report).getroot().iter("testcase"):  # nosec B314
        name = f"{case.get('classname', '').rpartition('.')[2]}.py::{case.get('name', '')}"
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome, message = "failed", f"{child.get('message', '')}\n{child.text or ''}"
            elif child.tag == "skipped":
                outcome, message = "skipped", child.get("message", "")
        cases.append(CaseResult(name, outcome, message.strip()))
    return tuple(cases)
