"""`multigsi plan --logical-id` on an AWS::DynamoDB::GlobalTable template, as a process against
a three-region table at ``multigsi local``: the CLI's region picks the home replica, whose
read settings go onto the indexes, and the other regions' become per-replica steps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3

from multigsi.local import LocalDynamoDB, Timing

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "orders-global-table.template.yaml"
TABLE = "orders-global"  # the example's name: this test's endpoint is its own


def client_in(url: str, region: str) -> Any:
    return boto3.client(
        "dynamodb", endpoint_url=url, region_name=region, aws_access_key_id="x", aws_secret_access_key="x"
    )


def plan(url: str, *args: str, region_env: str | None) -> dict[str, Any]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
    env.pop("AWS_REGION", None)
    env.pop("AWS_DEFAULT_REGION", None)
    env["AWS_CONFIG_FILE"] = os.devnull
    if region_env:
        env["AWS_DEFAULT_REGION"] = region_env
    result = subprocess.run(
        [sys.executable, "-m", "multigsi.cli", "plan", str(EXAMPLE), "--json", "--endpoint-url", url, *args],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout)["tables"][0])


def test_plan_of_a_global_table_template_takes_home_from_the_clis_region() -> None:
    with LocalDynamoDB(timing=Timing(table_seconds=0.05, replica_seconds=0.1)) as local:
        home = client_in(local.url, "us-east-1")
        home.create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for region in ("eu-west-1", "ap-south-1"):
            deadline = time.monotonic() + 10
            while home.describe_table(TableName=TABLE)["Table"]["TableStatus"] != "ACTIVE":
                assert time.monotonic() < deadline
                time.sleep(0.05)
            home.update_table(TableName=TABLE, ReplicaUpdates=[{"Create": {"RegionName": region}}])
        deadline = time.monotonic() + 10
        while {r["ReplicaStatus"] for r in home.describe_table(TableName=TABLE)["Table"]["Replicas"]} != {
            "ACTIVE"
        }:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        by_flag = plan(local.url, "--region", "us-east-1", region_env=None)
        by_env = plan(local.url, region_env="us-east-1")
        assert by_flag == by_env
        assert by_flag["region"] == "us-east-1"
        creates = [s for s in by_flag["steps"] if s["action"] == "create"]
        assert [s["index"] for s in creates] == ["by-customer", "by-sku"]
        create = creates[0]["request"]["GlobalSecondaryIndexUpdates"][0]["Create"]
        assert create["OnDemandThroughput"] == {"MaxReadRequestUnits": 400, "MaxWriteRequestUnits": 200}
        replica_steps = [(s["region"], s["index"]) for s in by_flag["steps"] if s["region"]]
        assert replica_steps == [("eu-west-1", "by-customer")]
