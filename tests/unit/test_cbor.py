"""The local endpoint's CBOR codec against botocore's own Smithy RPC v2 CBOR serializer
and parser: what botocore sends decodes, and what the endpoint sends botocore reads."""

from __future__ import annotations

import datetime

import pytest
from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from multigsi.local.dynamodb import cbor

MODEL = ServiceModel(Loader().load_service_model("cloudwatch", "service-2"), "cloudwatch")
START = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)


def test_a_botocore_request_decodes_with_its_timestamps() -> None:
    operation = MODEL.operation_model("GetMetricData")
    params = {
        "MetricDataQueries": [
            {
                "Id": "p",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/DynamoDB", "MetricName": "OnlineIndexPercentageProgress",
                               "Dimensions": [{"Name": "TableName", "Value": "t" * 300}]},
                    "Period": 60, "Stat": "Maximum",
                },
            }
        ],
        "StartTime": START,
        "EndTime": START + datetime.timedelta(minutes=30),
    }  # fmt: skip
    request = create_serializer("smithy-rpc-v2-cbor").serialize_to_request(params, operation)
    decoded = cbor.decode(request["body"])
    assert decoded["StartTime"] == START
    assert decoded["EndTime"] == START + datetime.timedelta(minutes=30)
    assert decoded["MetricDataQueries"][0]["MetricStat"]["Period"] == 60
    assert decoded["MetricDataQueries"][0]["MetricStat"]["Metric"]["Dimensions"][0]["Value"] == "t" * 300


def test_an_endpoint_answer_parses_in_botocore() -> None:
    operation = MODEL.operation_model("GetMetricData")
    answer = {
        "MetricDataResults": [
            {"Id": "p", "Label": "x", "Timestamps": [START], "Values": [42.5], "StatusCode": "Complete"}
        ],
        "Messages": [],
    }
    response = {
        "status_code": 200,
        "headers": {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"},
        "body": cbor.encode(answer),
    }
    parsed = create_parser("smithy-rpc-v2-cbor").parse(response, operation.output_shape)
    result = parsed["MetricDataResults"][0]
    assert result["Values"] == [42.5]
    assert result["Timestamps"][0].timestamp() == START.timestamp()


@pytest.mark.parametrize(
    "value",
    [
        0,
        23,
        24,
        255,
        256,
        65536,
        2**40,
        -1,
        -500,
        1.5,
        "",
        "é" * 40,
        b"\x00\x01",
        [],
        [1, [2]],
        {"a": None, "b": True, "c": False},
    ],
)
def test_round_trip(value: object) -> None:
    assert cbor.decode(cbor.encode(value)) == value


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x1c",
        b"\x62a",
        b"\xa1\x61",
        b"\x01\x02",
        b"\xf8\x20",
        b"\x9f",
        b"\xbf\x61a",
        b"\x7f\x61",
        b"\x62\xff\xfe",
        b"\xc1\x1b\xff\xff\xff\xff\xff\xff\xff\xff",
    ],
)
def test_bad_input_is_a_cbor_error(data: bytes) -> None:
    with pytest.raises(cbor.CborError):
        cbor.decode(data)
