"""CloudWatch on the local endpoint's port: boto3's own CloudWatch client (Smithy RPC v2
CBOR in this botocore) gets OnlineIndexPercentageProgress while an index builds, published
as the shared progress model says, and nothing else."""

from __future__ import annotations

import datetime
import itertools
import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from multigsi.engine.clock import SystemClock
from multigsi.engine.progress import CloudWatchProgress
from multigsi.local import LocalDynamoDB, Timing
from multigsi.local.dynamodb.cloudwatch import SERVICE
from multigsi.local.dynamodb.metric_model import REFERENCE_BUILD, MetricModel

BUILD = 6.0
CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "local", "aws_secret_access_key": "local"}
_tables = itertools.count()


@pytest.fixture
def building() -> Iterator[tuple[LocalDynamoDB, Any, list[dict[str, str]]]]:
    """An endpoint with one index build of BUILD seconds started, a CloudWatch client and
    the metric's dimensions (moto's tables outlive an endpoint: each test has its own)."""
    table = f"metric-table-{next(_tables)}"
    with LocalDynamoDB(timing=Timing(build_seconds=BUILD, jitter=0.0, min_jitter_seconds=0.0)) as endpoint:
        dynamodb = boto3.client("dynamodb", endpoint_url=endpoint.url, **CREDENTIALS)
        dynamodb.create_table(
            TableName=table, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
        )  # fmt: skip
        while dynamodb.describe_table(TableName=table)["Table"]["TableStatus"] != "ACTIVE":
            time.sleep(0.05)
        dynamodb.update_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            GlobalSecondaryIndexUpdates=[
                {"Create": {"IndexName": "by-k", "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "KEYS_ONLY"}}}
            ],
        )  # fmt: skip
        dimensions = [
            {"Name": "TableName", "Value": table},
            {"Name": "GlobalSecondaryIndexName", "Value": "by-k"},
        ]
        yield endpoint, boto3.client("cloudwatch", endpoint_url=endpoint.url, **CREDENTIALS), dimensions


def progress_query(
    cloudwatch: Any, dimensions: list[dict[str, str]], metric: str = "OnlineIndexPercentageProgress"
) -> dict[str, Any]:
    end = datetime.datetime.now(datetime.UTC)
    return cloudwatch.get_metric_data(  # type: ignore[no-any-return]
        MetricDataQueries=[
            {
                "Id": "p",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/DynamoDB", "MetricName": metric, "Dimensions": dimensions},
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
        ],
        StartTime=end - datetime.timedelta(minutes=30),
        EndTime=end,
        ScanBy="TimestampDescending",
    )["MetricDataResults"][0]


def test_botocore_speaks_cbor_to_cloudwatch_and_the_endpoint_answers_it() -> None:
    client = boto3.client("cloudwatch", endpoint_url="http://127.0.0.1:1", **CREDENTIALS)
    assert client.meta.service_model.protocol == "smithy-rpc-v2-cbor"


def test_points_appear_late_newest_first_period_aligned_and_stay_after_active(building: Any) -> None:
    _, cloudwatch, dimensions = building
    assert progress_query(cloudwatch, dimensions)["Values"] == []  # nothing is published at once
    time.sleep(BUILD + 0.5)
    result = progress_query(cloudwatch, dimensions)
    values, stamps = result["Values"], result["Timestamps"]
    assert result["StatusCode"] == "Complete"
    assert 2 <= len(values) <= 9 and all(0 <= v <= 100 for v in values)
    assert stamps == sorted(stamps, reverse=True)
    period = MetricModel().period * BUILD / REFERENCE_BUILD  # the 5-minute period, scaled to the build
    gaps = [(a - b).total_seconds() for a, b in itertools.pairwise(stamps)]
    assert all(abs(gap / period - round(gap / period)) < 0.01 for gap in gaps)
    assert values[0] > values[-1]  # progress grows (noise is ±2 points, the build spans several periods)


def test_get_metric_statistics_serves_the_same_points(building: Any) -> None:
    _, cloudwatch, dimensions = building
    time.sleep(BUILD + 0.5)
    end = datetime.datetime.now(datetime.UTC)
    answer = cloudwatch.get_metric_statistics(
        Namespace="AWS/DynamoDB", MetricName="OnlineIndexPercentageProgress", Dimensions=dimensions,
        StartTime=end - datetime.timedelta(minutes=30), EndTime=end, Period=60, Statistics=["Maximum", "Minimum"],
    )  # fmt: skip
    maxima = sorted(p["Maximum"] for p in answer["Datapoints"])
    assert maxima == sorted(progress_query(cloudwatch, dimensions)["Values"])
    assert all(p["Minimum"] == p["Maximum"] for p in answer["Datapoints"])


def test_only_this_metric_and_these_operations_are_served(building: Any) -> None:
    _, cloudwatch, dimensions = building
    time.sleep(BUILD + 0.5)
    assert progress_query(cloudwatch, dimensions, "ConsumedReadCapacityUnits")["Values"] == []
    with pytest.raises(ClientError) as raised:
        cloudwatch.list_metrics()
    assert raised.value.response["Error"]["Code"] == "UnknownOperationException"
    with pytest.raises(ClientError) as raised:
        cloudwatch.put_metric_data(Namespace="x", MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert raised.value.response["Error"]["Code"] == "UnknownOperationException"


def test_the_json_protocol_is_answered_too(building: Any) -> None:
    endpoint, _, dimensions = building
    time.sleep(BUILD + 0.5)
    now = time.time()
    body = {
        "MetricDataQueries": [
            {"Id": "p", "MetricStat": {"Metric": {"Namespace": "AWS/DynamoDB", "MetricName": "OnlineIndexPercentageProgress",
             "Dimensions": dimensions}, "Period": 60, "Stat": "Maximum"}}
        ],
        "StartTime": now - 1800, "EndTime": now,
    }  # fmt: skip
    request = urllib.request.Request(
        endpoint.url + "/",
        data=json.dumps(body).encode(),
        headers={"X-Amz-Target": f"{SERVICE}.GetMetricData", "Content-Type": "application/x-amz-json-1.0"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        answer = json.loads(response.read())
    assert answer["MetricDataResults"][0]["Values"]


def test_a_malformed_body_is_a_clear_error_not_a_crash(building: Any) -> None:
    endpoint, _, _ = building
    request = urllib.request.Request(
        endpoint.url + f"/service/{SERVICE}/operation/GetMetricData",
        data=b"\xff\x00not cbor",
        headers={"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)
    assert raised.value.code == 400


def test_the_real_reader_gets_percent_over_the_wire(building: Any) -> None:
    _, cloudwatch, dimensions = building
    reader = CloudWatchProgress(cloudwatch, SystemClock())
    samples = []
    deadline = time.monotonic() + BUILD + 1
    while time.monotonic() < deadline:
        sample = reader.sample(dimensions[0]["Value"], "by-k")
        if sample is not None:
            samples.append(sample)
        time.sleep(0.2)
    assert reader.enabled
    assert samples and samples[-1].percent > samples[0].percent
    assert samples[-1].at <= time.monotonic()
    assert samples[-1].granularity < 5  # learnt from the points' spacing, not the 300 s default
