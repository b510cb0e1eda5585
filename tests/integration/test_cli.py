"""The `multigsi` command as a user runs it: a real process, over HTTP to the local endpoint."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from multigsi.local import LocalDynamoDB
from multigsi.local.dynamodb.waiting import wait_for_table_gone
from tests.conftest import create_table, gsi

SPECS = Path(__file__).parent.parent / "specs"
MULTIGSI = [sys.executable, "-m", "multigsi.cli"]


def run(
    endpoint: LocalDynamoDB | None,
    *args: str,
    via_env: bool = False,
    timeout: float = 120,
    env_changes: dict[str, str | None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The command as a process with pipes, not a terminal. COLUMNS is narrow on purpose:
    without a terminal no line may be wrapped at any width."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "COLUMNS": "40",
    }
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE"):
        env.pop(name, None)
    for name, value in (env_changes or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    extra: list[str] = []
    if endpoint is not None:
        if via_env:
            env["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint.url
        else:
            extra = ["--endpoint-url", endpoint.url]
    command = (
        [*MULTIGSI, *args, *extra] if args and args[0] in ("plan", "apply", "status") else [*MULTIGSI, *args]
    )
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def orders(client: Any) -> str:
    client_tables = client.list_tables()["TableNames"]
    if "cli-orders" in client_tables:
        client.delete_table(TableName="cli-orders")
        wait_for_table_gone(client, "cli-orders")  # DeleteTable answers DELETING, as on AWS
    create_table(client, "cli-orders")
    return "cli-orders"


def test_plan_json_and_detailed_exitcode(endpoint: LocalDynamoDB, orders: str) -> None:
    result = run(endpoint, "plan", str(SPECS / "three-indexes.yaml"), "--json", "--detailed-exitcode")
    assert result.returncode == 2, result.stderr
    document = json.loads(result.stdout)
    assert document["changes"] == 3
    steps = document["tables"][0]["steps"]
    assert [s["index"] for s in steps] == ["by-a", "by-b", "by-c"]
    assert steps[2]["request"]["GlobalSecondaryIndexUpdates"][0]["Create"]["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["d"],
    }


def test_bad_spec_lists_every_problem_and_exits_1(endpoint: LocalDynamoDB) -> None:
    result = run(endpoint, "plan", str(SPECS / "bad.yaml"))
    assert result.returncode == 1
    for expected in (
        "AttributeDefinitions[0].AttributeType: 'X' is not one of S, N, B",
        "GlobalSecondaryIndexes[0].IndexName: 'ab' must be 3 to 255 characters long",
        "GlobalSecondaryIndexes[0].KeySchema[0].AttributeName: 'sk' has no AttributeDefinition",
        "GlobalSecondaryIndexes[0].ProvisionedThroughput.ReadCapacityUnits: 0 is below the minimum of 1",
    ):
        assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_apply_then_plan_shows_no_changes_with_env_endpoint(endpoint: LocalDynamoDB, orders: str) -> None:
    applied = run(endpoint, "apply", str(SPECS / "three-indexes.yaml"), "--yes", via_env=True)
    assert applied.returncode == 0, applied.stderr
    assert "cli-orders: converged — 3 step(s)" in applied.stdout
    assert (
        run(
            endpoint, "plan", str(SPECS / "three-indexes.yaml"), "--detailed-exitcode", via_env=True
        ).returncode
        == 0
    )


def test_apply_refuses_deletes_without_yes_when_not_interactive(
    endpoint: LocalDynamoDB, client: Any, orders: str
) -> None:
    seen = len(endpoint.plane.events)
    client.update_table(
        TableName=orders,
        AttributeDefinitions=[{"AttributeName": "d", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": gsi("theirs", "d")}],
    )
    result = run(endpoint, "apply", str(SPECS / "three-indexes.yaml"))
    assert result.returncode == 4, "docs/cli.md's code for unconfirmed deletes"
    assert (
        "Error: refusing to delete without confirmation: cli-orders.theirs. Nothing was changed. "
        "Re-run with --yes (or in a terminal, to be asked); --keep-unlisted keeps unlisted indexes.\n"
        in result.stderr
    )
    started = [e for e in endpoint.plane.events[seen:] if e.table == orders and e.kind == "started"]
    assert len(started) == 1, "nothing but the test's own create happened"
    kept = run(endpoint, "plan", str(SPECS / "three-indexes.yaml"), "--keep-unlisted", "--json")
    assert [s["action"] for s in json.loads(kept.stdout)["tables"][0]["steps"]] == [
        "create",
        "create",
        "create",
    ]


def test_apply_timeout_stops_cleanly_and_reports_json(endpoint: LocalDynamoDB, orders: str) -> None:
    result = run(endpoint, "apply", str(SPECS / "three-indexes.yaml"), "--json", "--timeout", "1")
    assert result.returncode == 3, result.stderr
    table = json.loads(result.stdout)["tables"][0]
    assert table["outcome"] == "deadline"
    assert table["remaining"], "what is left is reported"


def test_status_json(endpoint: LocalDynamoDB, client: Any, table_name: str) -> None:
    create_table(
        client,
        table_name,
        indexes=[gsi("by-a", "a")],
    )
    result = run(endpoint, "status", "--table", table_name, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["tables"][0]["indexes"][0]["name"] == "by-a"
    assert run(endpoint, "status", "--table", "missing-table").returncode == 1


def test_cloudformation_template_with_intrinsics(endpoint: LocalDynamoDB, client: Any) -> None:
    create_table(client, "cfn-orders-test", items=0)
    template = str(SPECS / "template.yaml")
    ambiguous = run(endpoint, "plan", template)
    assert (
        ambiguous.returncode == 1
        and "choose one with --logical-id; tables and multigsi resources: Orders, Other" in ambiguous.stderr
    )
    result = run(endpoint, "plan", template, "--logical-id", "Orders", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["tables"][0]["table"] == "cfn-orders-test"
    unresolved = run(endpoint, "plan", template, "--logical-id", "Other")
    assert (
        "Resources.Other.Properties.TableName: parameter Suffix has no Default; pass --parameter Suffix=VALUE (or --table-name)"
        in unresolved.stderr
    )
    resolved = run(endpoint, "plan", template, "--logical-id", "Other", "--parameter", "Suffix=x", "--json")
    assert "table 'other-x' does not exist" in resolved.stderr  # resolved, then the table is missing
    named = run(endpoint, "plan", template, "--logical-id", "Other", "--table-name", "cfn-orders-test")
    assert named.returncode == 0, named.stderr


def test_local_command_serves_until_interrupted() -> None:
    """Its banner's export line stays one line in a pipe at any COLUMNS: pasted, all of it
    is exported."""
    process = subprocess.Popen(
        [*MULTIGSI, "local", "--port", "0", "--index-build-seconds", "1"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "40"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url, line
        assert line.endswith("Ctrl-C stops it.\n")
        assert process.stdout.readline() == (
            f"  export AWS_ENDPOINT_URL_DYNAMODB={url.group(0)} AWS_DEFAULT_REGION=us-east-1 "
            "AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local\n"
        )
        import boto3

        client = boto3.client(
            "dynamodb",
            endpoint_url=url.group(0),
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        create_table(client, "served", items=1)
        assert client.describe_table(TableName="served")["Table"]["TableStatus"] == "ACTIVE"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert process.returncode == 0


def test_demo_runs_the_main_job() -> None:
    result = run(None, "demo", "--indexes", "3", "--items", "30", "--index-build-seconds", "0.5")
    assert result.returncode == 0, result.stderr
    assert "demo-orders: converged — 3 step(s)" in result.stdout
    assert "Requests DynamoDB would have refused: 0" in result.stdout


def test_help_teaches() -> None:
    result = run(None, "--help")
    assert result.returncode == 0
    for command in ("plan", "apply", "status", "local", "demo"):
        assert command in result.stdout


def test_demo_in_a_terminal_finishes_with_live_display() -> None:
    """In a terminal the live display refreshes from its own thread while log lines print:
    this once deadlocked. Runs the demo under a pseudo-terminal and expects it to finish."""
    import pty
    import select
    import time

    primary, secondary = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    command = [*MULTIGSI, "demo", "--indexes", "2", "--items", "10", "--index-build-seconds", "1"]
    process = subprocess.Popen(
        command, stdin=secondary, stdout=secondary, stderr=secondary, env=env, close_fds=True
    )
    os.close(secondary)
    output = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=max(1.0, deadline - time.monotonic())) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(primary)
    assert b"converged" in output
    assert b"\x1b[" in output, "colour and cursor control in a terminal"


def test_cfn_local_plays_the_example_events() -> None:
    events = sorted(str(path) for path in (SPECS.parent.parent / "examples" / "cfn-events").glob("*.json"))
    result = run(
        None, "cfn-local", *events, "--create-table", "--lambda-timeout", "5", "--index-build-seconds", "0.5"
    )
    assert result.returncode == 0, result.stderr
    for line in (
        "Create: SUCCESS",
        "Update: SUCCESS",
        "Delete: SUCCESS",
        "removed indexes it created: by-customer, by-status",
    ):
        assert line in result.stdout


def test_local_rejects_bad_fault_rates() -> None:
    result = run(None, "local", "--faults", "throttle=2")
    assert result.returncode == 1, "a usage error is an error: 2 means changes in `plan`"
    assert "a rate is between 0 and 1" in result.stderr


def test_status_shows_owners_and_apply_refuses_to_drop_a_stack_owned_index(
    endpoint: LocalDynamoDB, cloudformation_factory: Any, client: Any, table_name: str, tmp_path: Path
) -> None:
    from multigsi.local.cloudformation import Stack
    from tests.integration.test_cfn import properties

    create_table(client, table_name, indexes=[gsi("by-x", "d")])
    stack = Stack(cloudformation_factory(), name="orders")
    assert stack.create(properties(table_name, ("by-a", "a"))).status == "SUCCESS"

    shown = run(endpoint, "status", "--table", table_name)
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"by-a .*orders/Indexes \(created, custom resource\)", shown.stdout), shown.stdout
    assert re.search(r"by-x .*unmanaged", shown.stdout), shown.stdout
    document = json.loads(run(endpoint, "status", "--table", table_name, "--json").stdout)
    owners = {i["name"]: i["owner"] for i in document["tables"][0]["indexes"]}
    assert owners["by-x"] == "unmanaged"
    assert owners["by-a"]["stack_name"] == "orders" and owners["by-a"]["logical_id"] == "Indexes"
    assert owners["by-a"]["origin"] == "created" and owners["by-a"]["kind"] == "custom resource"

    spec = tmp_path / "spec.yaml"
    spec.write_text(f"TableName: {table_name}\nAttributeDefinitions: []\nGlobalSecondaryIndexes: []\n")
    refused = run(endpoint, "apply", str(spec), "--yes")
    assert refused.returncode == 5, refused.stdout + refused.stderr
    assert (
        f"{table_name}.by-a is owned by CloudFormation resource orders/Indexes (created, custom resource)"
        in refused.stderr
    )
    assert sorted(
        i["IndexName"] for i in client.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"]
    ) == ["by-a", "by-x"]
    forced = run(endpoint, "apply", str(spec), "--yes", "--force", "--json")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "GlobalSecondaryIndexes" not in client.describe_table(TableName=table_name)["Table"]
