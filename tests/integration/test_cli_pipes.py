"""The CLI in scripts, pipes and CI: every command as a process without a terminal, over
HTTP to the local endpoint. Whole lines, hints that work, no tracebacks, exit codes the
CLI's page (docs/cli.md) lists."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any

from multigsi.cli.exits import MEANINGS, exit_lines
from multigsi.local import LocalDynamoDB
from tests.conftest import create_table, gsi
from tests.integration.test_cli import run

CLI_PAGE = Path(__file__).parent.parent.parent / "docs" / "cli.md"
ANSI = re.compile(r"\x1b\[")

SPEC = """\
TableName: {table}
AttributeDefinitions:
  - {{AttributeName: customer, AttributeType: S}}
  - {{AttributeName: placed_at, AttributeType: S}}
  - {{AttributeName: a, AttributeType: S}}
GlobalSecondaryIndexes:
  - IndexName: by-customer-and-placed-at
    KeySchema:
      - {{AttributeName: customer, KeyType: HASH}}
      - {{AttributeName: placed_at, KeyType: RANGE}}
    Projection: {{ProjectionType: ALL}}
  - IndexName: by-a
    KeySchema: [{{AttributeName: {a_key}, KeyType: HASH}}]
    Projection: {{ProjectionType: KEYS_ONLY}}
"""

TEMPLATE = """\
Parameters:
  Env: {Type: String, AllowedValues: [dev, prod]}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Other: {Type: AWS::SSM::Parameter, Properties: {Type: String, Value: x}}
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !GetAtt Other.Value
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}, {AttributeName: a, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      GlobalSecondaryIndexes:
        - IndexName: by-a
          KeySchema: [{AttributeName: a, KeyType: HASH}]
          Projection: !If [IsProd, {ProjectionType: KEYS_ONLY}, {ProjectionType: ALL}]
"""


def lines(text: str) -> list[str]:
    return text.splitlines()


def test_plan_prints_one_whole_unpadded_line_per_change(
    endpoint: LocalDynamoDB, client: Any, table_name: str, tmp_path: Path
) -> None:
    create_table(client, table_name, indexes=[gsi("by-a", "a")])
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(table=table_name, a_key="a"))
    result = run(endpoint, "plan", str(spec))
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout) == [
        f"Table {table_name}  PAY_PER_REQUEST, 1 indexes",
        "  -/+ delete by-a  projection ALL → KEYS_ONLY",
        "  + create by-customer-and-placed-at  new index",
        "  -/+ create by-a  projection ALL → KEYS_ONLY",
        "Plan: 2 to create, 0 to update, 1 to delete (1 replacement).",
    ]
    assert not ANSI.search(result.stdout)
    forced = run(endpoint, "plan", str(spec), env_changes={"FORCE_COLOR": "1"})
    assert ANSI.search(forced.stdout), "FORCE_COLOR colours a pipe"
    assert len(lines(forced.stdout)) == 5, "and still prints whole lines"
    assert not ANSI.search(run(endpoint, "plan", str(spec), env_changes={"NO_COLOR": "1"}).stdout)


def test_a_long_error_stays_on_one_line(endpoint: LocalDynamoDB, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(table="orders", a_key="custmer"))
    result = run(endpoint, "plan", str(spec))
    assert result.returncode == 1
    assert (
        "  - GlobalSecondaryIndexes[1].KeySchema[0].AttributeName: 'custmer' has no AttributeDefinition"
        in lines(result.stderr)
    )


def test_status_prints_one_row_per_line_without_boxes(
    endpoint: LocalDynamoDB, client: Any, table_name: str, tmp_path: Path
) -> None:
    create_table(client, table_name, indexes=[gsi("by-a", "a")])
    client.update_table(
        TableName=table_name,
        AttributeDefinitions=[
            {"AttributeName": "customer", "AttributeType": "S"},
            {"AttributeName": "placed_at", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by-customer-and-placed-at",
                    "KeySchema": [
                        {"AttributeName": "customer", "KeyType": "HASH"},
                        {"AttributeName": "placed_at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
    result = run(endpoint, "status", "--table", table_name)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in lines(result.stdout)}
    assert "│" not in result.stdout and "─" not in result.stdout
    assert all(line == line.rstrip() for line in lines(result.stdout)), "no trailing padding"
    assert rows["by-a"].split() == ["by-a", "ACTIVE", "a", "ALL", "on", "demand", "unmanaged"]
    assert "customer / placed_at" in rows["by-customer-and-placed-at"]
    assert rows["Index"].split() == ["Index", "Status", "Key", "Projection", "Capacity", "Owner"]


def test_template_hints_that_now_work(endpoint: LocalDynamoDB, client: Any, tmp_path: Path) -> None:
    create_table(client, "cli-pipes-orders", items=0, indexes=[gsi("by-a", "a")])
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    first = run(endpoint, "plan", str(template))
    assert first.returncode == 1
    assert (
        "  - Resources.Orders.Properties.TableName: Fn::GetAtt Other.Value is known only to a deployed "
        "stack; pass --table-name" in lines(first.stderr)
    )
    assert (
        "  - Conditions.IsProd.Fn::Equals[0]: parameter Env has no Default; pass --parameter Env=VALUE"
        in lines(first.stderr)
    )
    named = run(endpoint, "plan", str(template), "--table-name", "cli-pipes-orders")
    assert named.returncode == 1
    assert "TableName" not in named.stderr, "--table-name fixed what it named"
    assert "pass --parameter Env=VALUE" in named.stderr
    both = [str(template), "--table-name", "cli-pipes-orders", "--json"]
    prod = run(endpoint, "plan", *both, "--parameter", "Env=prod")
    assert prod.returncode == 0, prod.stderr
    steps = json.loads(prod.stdout)["tables"][0]["steps"]
    assert [(s["action"], s["reason"]) for s in steps] == [
        ("delete", "projection ALL → KEYS_ONLY"),
        ("create", "projection ALL → KEYS_ONLY"),
    ]
    dev = run(endpoint, "plan", *both, "--parameter", "Env=dev")
    assert dev.returncode == 0 and json.loads(dev.stdout)["tables"][0]["steps"] == []


def test_endpoint_without_scheme_is_a_clear_error(endpoint: LocalDynamoDB) -> None:
    result = run(None, "status", "--table", "orders", "--endpoint-url", "127.0.0.1:8000")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        "Error: Invalid value for '--endpoint-url': '127.0.0.1:8000' has no scheme; "
        "did you mean http://127.0.0.1:8000 ?" in lines(result.stderr)
    )
    via_env = run(
        None, "status", "--table", "orders", env_changes={"AWS_ENDPOINT_URL_DYNAMODB": "127.0.0.1:8000"}
    )
    assert via_env.returncode == 1 and "Traceback" not in via_env.stderr
    assert "an endpoint URL needs http:// or https://" in via_env.stderr


def test_a_missing_table_names_region_and_endpoint(endpoint: LocalDynamoDB) -> None:
    for command in (
        ["status", "--table", "no-such-table"],
        [
            "plan",
            str(Path(__file__).parent.parent / "specs" / "three-indexes.yaml"),
            "--table-name",
            "no-such-table",
        ],
    ):
        result = run(endpoint, *command)
        assert result.returncode == 1
        assert lines(result.stderr) == [
            f"Error: table 'no-such-table' does not exist in region us-east-1 at {endpoint.url} "
            "(if it is elsewhere: --region, --profile, --endpoint-url)"
        ]


def test_missing_credentials_say_what_to_set(endpoint: LocalDynamoDB, tmp_path: Path) -> None:
    nowhere = str(tmp_path / "none")
    result = run(
        endpoint,
        "status",
        "--table",
        "orders",
        env_changes={
            "AWS_ACCESS_KEY_ID": None,
            "AWS_SECRET_ACCESS_KEY": None,
            "AWS_SESSION_TOKEN": None,
            "AWS_PROFILE": None,
            "AWS_SHARED_CREDENTIALS_FILE": nowhere,
            "AWS_CONFIG_FILE": nowhere,
        },
    )
    assert result.returncode == 1
    assert lines(result.stderr) == [
        "Error: no AWS credentials found: set AWS_PROFILE (or pass --profile), or AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY; for `multigsi local` any values will do "
        "(AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local)"
    ]


def test_a_closed_local_port_fails_at_once() -> None:
    """Connection refused on loopback is reported without any retry (the old code retried
    for about 15 s first): the message comes from the connection attempt itself."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    result = run(None, "status", "--table", "orders", "--endpoint-url", url)
    assert result.returncode == 1
    assert lines(result.stderr) == [
        f"Error: nothing answers at {url} (connection refused): start it with `multigsi local --port {port}`, "
        "or point --endpoint-url / AWS_ENDPOINT_URL_DYNAMODB elsewhere"
    ]
    assert "retrying" not in result.stderr


def test_unreadable_files_are_named(endpoint: LocalDynamoDB, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("TableName: orders\nGlobalSecondaryIndexes: [a\nfoo: : bar\n")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("TableName: caf\xe9\n".encode("latin-1"))
    result = run(endpoint, "plan", str(broken))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert lines(result.stderr)[0] == f"Error: 1 problem in {broken}:"
    assert lines(result.stderr)[1].startswith("  - not valid YAML at line 3, column ")
    result = run(endpoint, "plan", str(latin))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert lines(result.stderr) == [
        f"Error: 1 problem in {latin}:",
        "  - is not UTF-8 text: byte 0xe9 on line 1 (save it as UTF-8)",
    ]


def test_a_template_of_nested_aliases_is_refused(endpoint: LocalDynamoDB, tmp_path: Path) -> None:
    """The 625-byte template that took 90 s and 800 MB: refused, with the reason."""
    levels = ["      X0: &a0 [x, x, x, x, x]"]
    levels += [f"      X{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 5)}]" for n in range(1, 9)]
    template = tmp_path / "bomb.yaml"
    template.write_text(
        "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: t\n"
        + "\n".join(levels)
        + "\n      GlobalSecondaryIndexes: *a8\n"
    )
    result = run(endpoint, "plan", str(template), timeout=60)
    assert result.returncode == 1
    assert lines(result.stderr) == [
        f"Error: 1 problem in {template}:",
        "  - holds more than 100,000 values once its YAML aliases are expanded; refused",
    ]


def test_timeout_is_reported_as_it_happened(endpoint: LocalDynamoDB, client: Any, table_name: str) -> None:
    create_table(client, table_name, items=0)
    spec = Path(__file__).parent.parent / "specs" / "three-indexes.yaml"
    result = run(endpoint, "apply", str(spec), "--table-name", table_name, "--timeout", "1")
    assert result.returncode == 3, result.stderr
    (line,) = [line for line in lines(result.stdout) if "--timeout" in line]
    assert re.fullmatch(
        rf"{table_name}: stopped after \d+\.\ds to stay within --timeout 1s\. Still to do: .+\.", line
    ), line


def test_help_and_the_cli_page_list_the_same_exit_codes() -> None:
    page = CLI_PAGE.read_text()
    for command in MEANINGS:
        help_text = run(None, command, "--help").stdout
        listed = [line.strip() for line in help_text.split("Exit status:", 1)[1].splitlines() if line.strip()]
        assert listed == exit_lines(command)
        block = page.split(f"Exit status of `multigsi {command}`:", 1)[1].split("```", 2)[1]
        assert [line.strip() for line in block.splitlines() if line.strip()] == exit_lines(command)
