"""What the Lambda handler costs around the work: the gap between one invocation handing
off and the next starting (in the local CloudFormation harness), and the import time the
handler adds over `import boto3` (a cold start pays it once)."""

from __future__ import annotations

import statistics
import subprocess
import sys
from typing import Any

IMPORT_PROBE = (
    "import time; t0 = time.perf_counter(); import boto3; t1 = time.perf_counter(); "
    "import multigsi.cfn; t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
)


def import_cost(runs: int = 25) -> dict[str, Any]:
    boto3_times, added = [], []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True, check=True
        ).stdout.split()
        boto3_times.append(float(output[0]))
        added.append(float(output[1]))
    return {
        "runs": runs,
        "import_boto3_ms_median": round(1000 * statistics.median(boto3_times), 1),
        "import_boto3_ms_min": round(1000 * min(boto3_times), 1),
        "handler_adds_ms_median": round(1000 * statistics.median(added), 1),
        "handler_adds_ms_min": round(1000 * min(added), 1),
        "handler_adds_ms_max": round(1000 * max(added), 1),
    }


def hand_off_gaps() -> dict[str, Any]:
    import boto3

    from multigsi.harness import LocalCloudFormation, Stack
    from multigsi.local import LocalDynamoDB, Timing
    from multigsi.local.waiting import wait_for_table

    with LocalDynamoDB(timing=Timing(build_seconds=2.0, min_jitter_seconds=0.0, jitter=0.0)) as endpoint:
        client = boto3.client(
            "dynamodb",
            endpoint_url=endpoint.url,
            region_name="us-east-1",
            aws_access_key_id="b",
            aws_secret_access_key="b",
        )
        client.create_table(
            TableName="handoff", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
        )  # fmt: skip
        wait_for_table(client, "handoff")
        properties = {
            "TableName": "handoff",
            "AttributeDefinitions": [{"AttributeName": f"k{n}", "AttributeType": "S"} for n in range(4)],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": f"index-{n}",
                    "KeySchema": [{"AttributeName": f"k{n}", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
                for n in range(4)
            ],
        }
        with LocalCloudFormation(dynamodb_url=endpoint.url, lambda_timeout=4.0) as cloudformation:
            response = Stack(cloudformation).create(properties)
            cloudformation.lambda_service.wait_idle(30)
            invocations = sorted(cloudformation.lambda_service.invocations, key=lambda i: i.hop)
    # A hand-off: the running invocation asks Lambda for a new one, then returns.
    gaps = [i.started - i.requested for i in invocations if i.hop > 0]
    return {
        "status": response.status,
        "hops": len(invocations),
        "gap_ms_median": round(1000 * statistics.median(gaps), 1) if gaps else None,
        "gap_ms_max": round(1000 * max(gaps), 1) if gaps else None,
    }
