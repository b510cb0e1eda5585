"""The Lambda zip as Lambda runs it: built by `multigsi package`, unpacked read-only, and
run by a CPython of the runtime's version in its own process with nothing but the zip's
contents (and the standard library) on its path.

The handler answers real events from the local CloudFormation harness (real HTTP for the
Invoke API and the response URL) against the local DynamoDB endpoint; only the harness's
way of running the function changes: each invocation is a fresh interpreter started from
the unpacked zip, as a cold start is. These tests need a CPython of the runtime's version
(3.12, found on PATH or under pyenv) and skip, saying so, where there is none.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from multigsi.deploy.bytecode import DEFAULT_VERSION, Interpreter, find_interpreter
from multigsi.deploy.contents import SERVICES
from multigsi.deploy.package import pinned_versions, runtime_of, zip_time
from multigsi.local import LocalDynamoDB
from multigsi.local.cloudformation import LocalCloudFormation, Stack
from tests.conftest import create_table, gsi

ROOT = Path(__file__).parent.parent.parent
MAX_ZIP_BYTES = 4_000_000
RESULT_MARK = "MULTIGSI-TEST-RESULT "

# Runs in the runtime's interpreter with -I -S: no site-packages, no user site, no PYTHON*
# variables. It records every client botocore creates, runs the handler once with a
# context counting down like Lambda's, and reports which non-standard-library files it
# loaded.
RUNNER = """
import json, sys, time
root = sys.argv[1]
sys.path.insert(0, root)
request = json.loads(sys.stdin.read())
started = time.monotonic()

class Context:
    def __init__(self, fields):
        self.remaining_ms = fields.pop("remaining_ms")
        self.__dict__.update(fields)
    def get_remaining_time_in_millis(self):
        return max(0, int(self.remaining_ms - (time.monotonic() - started) * 1000))

import botocore.client
created = []
original = botocore.client.ClientCreator.create_client
def recording(self, service_name, *args, **kwargs):
    created.append(service_name)
    return original(self, service_name, *args, **kwargs)
botocore.client.ClientCreator.create_client = recording

import multigsi.cloudformation.custom_resource
result = multigsi.cloudformation.custom_resource.lambda_handler(request["event"], Context(request["context"]))
outside = sorted(
    f for f in (getattr(m, "__file__", None) for m in list(sys.modules.values()))
    if f and not f.startswith((root + "/", sys.base_prefix + "/"))
)
print("%s%s" % (request["mark"], json.dumps({"result": result, "clients": created, "outside": outside})))
"""


@dataclass
class ZipProcessHandler:
    """Stands in for the harness's in-process handler: every invocation runs the unpacked
    zip in a fresh ``interpreter -I -S`` process and returns what the handler returned."""

    interpreter: Interpreter
    root: Path
    home: Path
    clients: list[str]
    outside: list[str]

    def __call__(self, event: Any, context: Any) -> Any:
        environment = {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "MULTIGSI_"))}
        environment |= {"PATH": os.defpath, "HOME": str(self.home), "PYTHONDONTWRITEBYTECODE": "1"}
        request = {
            "mark": RESULT_MARK,
            "event": event,
            "context": {
                "remaining_ms": context.get_remaining_time_in_millis(),
                "function_name": context.function_name,
                "invoked_function_arn": context.invoked_function_arn,
                "aws_request_id": context.aws_request_id,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "log_group_name": context.log_group_name,
                "log_stream_name": context.log_stream_name,
            },
        }
        finished = subprocess.run(
            [str(self.interpreter.path), "-I", "-S", "-B", "-c", RUNNER, str(self.root)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=environment,
            timeout=context.get_remaining_time_in_millis() / 1000 + 30,
            check=False,
        )
        lines = finished.stdout.splitlines()
        sys.stderr.write(
            finished.stderr + "".join(f"{line}\n" for line in lines if not line.startswith(RESULT_MARK))
        )
        answers = [json.loads(line[len(RESULT_MARK) :]) for line in lines if line.startswith(RESULT_MARK)]
        if finished.returncode != 0 or not answers:
            raise RuntimeError(f"the handler process exited {finished.returncode}: {finished.stderr[-2000:]}")
        self.clients += answers[0]["clients"]
        self.outside += answers[0]["outside"]
        return answers[0]["result"]


@dataclass(frozen=True)
class Built:
    zip: Path
    unpacked: Path
    interpreter: Interpreter


def runtime_interpreter() -> Interpreter:
    interpreter = find_interpreter(DEFAULT_VERSION)
    if interpreter is None:
        if os.environ.get("MULTIGSI_REQUIRE_RUNTIME_PYTHON") == "1":  # set by .ci/run where one exists
            pytest.fail("MULTIGSI_REQUIRE_RUNTIME_PYTHON=1 but no CPython 3.12 was found")
        pytest.skip(
            f"no CPython {DEFAULT_VERSION[0]}.{DEFAULT_VERSION[1]} (the Lambda runtime's version) on PATH or under pyenv"
        )
    return interpreter


def package(output: Path, *extra: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "multigsi.cli", "package", "--output", str(output), *extra],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def unpack_read_only(archive: Path, target: Path) -> Path:
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(target)
    for path in sorted(target.rglob("*"), reverse=True):  # files before their folders
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    target.chmod(target.stat().st_mode & ~stat.S_IWUSR)
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    interpreter = runtime_interpreter()
    folder = tmp_path_factory.mktemp("package")
    archive = folder / "multigsi-lambda.zip"
    package(archive, "--python", str(interpreter.path))
    unpacked = unpack_read_only(archive, folder / "unpacked")
    yield Built(archive, unpacked, interpreter)
    for path in [unpacked, *unpacked.rglob("*")]:  # let pytest clean up
        if path.is_dir():
            path.chmod(0o755)


def test_two_builds_in_different_places_are_byte_identical(built: Built, tmp_path: Path) -> None:
    elsewhere = tmp_path / "another" / "place"
    elsewhere.mkdir(parents=True)
    second = elsewhere / "again.zip"
    package(second, "--python", str(built.interpreter.path), cwd=elsewhere)
    assert second.read_bytes() == built.zip.read_bytes()


def test_zip_is_small_and_carries_bytecode_for_the_runtime(built: Built) -> None:
    assert built.zip.stat().st_size < MAX_ZIP_BYTES
    with zipfile.ZipFile(built.zip) as opened:
        names = opened.namelist()
        assert names == sorted(names)
        assert {info.date_time for info in opened.infolist()} == {zip_time()}  # 1980-01-01 by default
        sources = [n for n in names if n.endswith(".py")]
        tag = f"cpython-{DEFAULT_VERSION[0]}{DEFAULT_VERSION[1]}"
        for source in sources:
            folder, _, file = source.rpartition("/")
            compiled = f"{folder}/__pycache__/{file[:-3]}.{tag}.pyc".lstrip("/")
            assert compiled in names, f"no bytecode for {source}"
            header = opened.read(compiled)[:16]
            # PEP 552: flags 0b01 = hash-based, source not checked: no timestamp, no source size
            assert int.from_bytes(header[4:8], "little") == 0b01, compiled
    assert runtime_of(built.zip) == f"python{DEFAULT_VERSION[0]}.{DEFAULT_VERSION[1]}"


def test_bytecode_names_the_task_directory_not_the_build_directory(built: Built) -> None:
    with zipfile.ZipFile(built.zip) as opened:
        for name in opened.namelist():
            if name.endswith(".pyc"):
                data = opened.read(name)
                source = name.replace("__pycache__/", "").rsplit(".", 2)[0] + ".py"
                assert f"/var/task/{source}".encode() in data, name
                assert re.search(rb"/tmp/tmp\w{8}/|pytest-of-", data) is None, f"{name} embeds a build path"


def test_zip_holds_only_the_handlers_modules_and_services(built: Built) -> None:
    with zipfile.ZipFile(built.zip) as opened:
        names = opened.namelist()
    ours = [n for n in names if n.startswith("multigsi/")]
    assert "multigsi/cloudformation/custom_resource/handler.py" in ours
    assert not [
        n
        for n in ours
        if n.startswith(("multigsi/cli/", "multigsi/local/", "multigsi/local/cloudformation/"))
    ]
    assert all(n.endswith((".py", ".pyc")) for n in ours), "only modules, no data or stray files"
    assert not [n for n in names if any(part.startswith(".") for part in n.split("/"))], "no dotfiles"
    services = {n.split("/")[2] for n in names if n.startswith("botocore/data/") and n.count("/") > 2}
    assert services == set(SERVICES)
    top_level = {n.split("/")[2] for n in names if n.startswith("botocore/data/") and n.count("/") == 2}
    assert {"endpoints.json", "partitions.json", "sdk-default-configuration.json"} <= top_level
    pins = pinned_versions()
    assert f"boto3-{pins['boto3']}.dist-info/METADATA" in names
    assert f"botocore-{pins['botocore']}.dist-info/METADATA" in names
    assert not [
        n for n in names if n.endswith(("dist-info/RECORD", "dist-info/INSTALLER", "dist-info/WHEEL"))
    ]


def test_every_client_the_handler_uses_is_created_from_the_zip_alone(built: Built) -> None:
    """Each client is created and serializes a request (sent to a closed loopback port):
    its model, endpoint rules and botocore's start-up data all come from the zip."""
    probe = """
import json, sys
sys.path.insert(0, sys.argv[1])
import boto3, multigsi.cloudformation.custom_resource
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError
calls = {"dynamodb": ("describe_table", {"TableName": "t"}),
         "lambda": ("invoke", {"FunctionName": "f", "InvocationType": "Event", "Payload": b"{}"}),
         "cloudwatch": ("get_metric_data", {"MetricDataQueries": [], "StartTime": 0, "EndTime": 1}),
         "cloudformation": ("describe_stacks", {"StackName": "s"})}
reached = []
for service in sys.argv[2:]:
    client = boto3.client(service, endpoint_url="http://127.0.0.1:9", config=Config(retries={"total_max_attempts": 1}, connect_timeout=1))
    if service not in calls:
        continue  # a service this test does not know how to call yet: not "reached"
    name, arguments = calls[service]
    try:
        getattr(client, name)(**arguments)
    except EndpointConnectionError:
        reached.append(service)
print(json.dumps({"reached": reached, "boto3": boto3.__version__, "file": boto3.__file__,
                  "cli": sorted(m for m in sys.modules if m.split(".")[0] in ("yaml", "click", "rich", "moto", "cfn_flip"))}))
"""
    environment = {"PATH": os.defpath, "HOME": str(built.unpacked), "AWS_DEFAULT_REGION": "us-east-1"}
    environment |= {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
    result = subprocess.run(
        [str(built.interpreter.path), "-I", "-S", "-B", "-c", probe, str(built.unpacked), *SERVICES],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["reached"] == list(SERVICES), "each kept service (add a call above for a new one)"
    assert report["boto3"] == pinned_versions()["boto3"]
    assert report["file"].startswith(str(built.unpacked))
    assert report["cli"] == []


def test_handler_from_the_unpacked_zip_answers_cloudformation(
    built: Built, local_dynamodb: LocalDynamoDB, client: Any, table_name: str, tmp_path: Path
) -> None:
    create_table(client, table_name)
    handler = ZipProcessHandler(built.interpreter, built.unpacked, tmp_path, [], [])
    properties = {
        "TableName": table_name,
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in "abc"],
        "GlobalSecondaryIndexes": [gsi("by-a", "a"), gsi("by-b", "b"), gsi("by-c", "c")],
    }
    with LocalCloudFormation(handler, dynamodb_url=local_dynamodb.url, lambda_timeout=4.0) as cloudformation:
        stack = Stack(cloudformation)
        created = stack.create(properties)
        assert created.status == "SUCCESS", created.reason
        live = client.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"]
        assert sorted(i["IndexName"] for i in live) == ["by-a", "by-b", "by-c"]
        cloudformation.lambda_service.wait_idle(30)
        invocations = cloudformation.lambda_service.invocations
        assert max(i.hop for i in invocations) >= 1, "a hand-off went through the Lambda client"
        assert not [i.error for i in invocations if i.error]
        deleted = stack.delete()
        assert deleted.status == "SUCCESS", deleted.reason
    assert "GlobalSecondaryIndexes" not in client.describe_table(TableName=table_name)["Table"]
    assert {"dynamodb", "cloudwatch", "lambda"} <= set(handler.clients) <= set(SERVICES)
    assert handler.outside == [], "everything but the standard library came from the zip"


def test_template_declares_the_runtime_the_zip_was_compiled_for(built: Built, tmp_path: Path) -> None:
    other = tmp_path / "other-runtime.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("multigsi/__init__.py", "")
        archive.comment = b"multigsi-lambda runtime=python3.13 bytecode=cpython-313"
    for archive_path, runtime in ((built.zip, "python3.12"), (other, "python3.13")):
        result = subprocess.run(
            [sys.executable, "-m", "multigsi.cli", "template", "--package", str(archive_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert f"Runtime: {runtime}\n" in result.stdout


def test_without_an_interpreter_of_the_runtimes_version_the_zip_has_no_bytecode(tmp_path: Path) -> None:
    if sys.version_info[:2] == DEFAULT_VERSION:
        pytest.skip("this interpreter is the runtime's version: it is always found")
    archive = tmp_path / "sources-only.zip"
    hidden = {"PATH": os.defpath, "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "no-pyenv")}
    hidden["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    output = package(archive, env={**os.environ, **hidden})
    assert "No bytecode: no CPython 3.12 found" in output
    assert "more per cold start" in output
    with zipfile.ZipFile(archive) as opened:
        assert not [n for n in opened.namelist() if n.endswith(".pyc")]
        assert "multigsi/cloudformation/custom_resource/handler.py" in opened.namelist()
    assert runtime_of(archive) == "python3.12"
