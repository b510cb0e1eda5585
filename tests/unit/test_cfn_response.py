"""The CloudFormation answer's hard limits, and the URL rules, without any network."""

from __future__ import annotations

import json

import pytest

from multigsi.cfn.event import EventError, parse_event, service_timeout
from multigsi.cfn.logs import redact
from multigsi.cfn.response import FAILED, MAX_BODY_BYTES, Answer, body, refusal
from multigsi.errors import SpecError


def request(**changes: object) -> object:
    event = {
        "RequestType": "Create",
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=abc",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        "RequestId": "r-1",
        "LogicalResourceId": "Indexes",
        "ResourceProperties": {"TableName": "orders"},
        **changes,
    }
    return parse_event(event)


def test_huge_reason_is_truncated_to_fit_4096_bytes() -> None:
    answer = Answer(FAILED, "id", "é" * 10_000, {"Big": "x" * 5000})
    encoded = body(request(), answer)  # type: ignore[arg-type]
    assert len(encoded) <= MAX_BODY_BYTES
    document = json.loads(encoded)
    assert document["Status"] == "FAILED"
    assert document["Reason"].endswith("(truncated; full text in the function's logs)")
    assert set(document) == {
        "Status",
        "Reason",
        "PhysicalResourceId",
        "StackId",
        "RequestId",
        "LogicalResourceId",
        "NoEcho",
        "Data",
    }


def test_physical_id_is_never_empty_and_at_most_1kb() -> None:
    assert json.loads(body(request(), Answer(FAILED, "")))["PhysicalResourceId"] == "Indexes"  # type: ignore[arg-type]
    assert len(json.loads(body(request(), Answer(FAILED, "p" * 3000)))["PhysicalResourceId"]) == 1024  # type: ignore[arg-type]


def test_reason_never_carries_a_presigned_query() -> None:
    answer = Answer(FAILED, "id", "could not reach https://bucket.s3.amazonaws.com/k?X-Amz-Signature=secret")
    assert "secret" not in json.loads(body(request(), answer))["Reason"]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a?b=c", True),
        ("https://s3.cn-north-1.amazonaws.com.cn/a", True),
        ("http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a", False),
        ("https://amazonaws.com.evil.example/a", False),
        ("https://evil.example/?x=.amazonaws.com", False),
        ("http://127.0.0.1:9000/responses/x", False),
        ("file:///etc/passwd", False),
    ],
)
def test_only_amazon_https_urls_are_put_to(url: str, allowed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MULTIGSI_RESPONSE_URL_HOSTS", raising=False)
    assert (refusal(url) is None) is allowed


def test_extra_hosts_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MULTIGSI_RESPONSE_URL_HOSTS", "127.0.0.1, localhost")
    assert refusal("http://127.0.0.1:9000/responses/x") is None
    assert refusal("http://10.0.0.1/x") is not None


def test_redact_removes_every_query_string() -> None:
    line = '{"url": "https://a.s3.amazonaws.com/k?X-Amz-Signature=s&X-Amz-Credential=c", "other": "http://h/p?q=1"}'
    assert (
        redact(line) == '{"url": "https://a.s3.amazonaws.com/k?<redacted>", "other": "http://h/p?<redacted>"}'
    )


def test_service_timeout_rules() -> None:
    assert service_timeout({}) == 3600
    assert service_timeout({"ServiceTimeout": "90"}) == 90
    for bad in ("0", "3601", "soon"):
        with pytest.raises(SpecError):
            service_timeout({"ServiceTimeout": bad})


def test_malformed_events_list_their_problems() -> None:
    with pytest.raises(EventError) as caught:
        parse_event(
            {"RequestType": "Update", "ResponseURL": "https://x.amazonaws.com/", "ResourceProperties": []}
        )
    problems = caught.value.problems
    assert "StackId is missing or not a string" in problems
    assert "ResourceProperties is missing or not an object" in problems
    assert "OldResourceProperties is missing or not an object in an Update" in problems
    assert "PhysicalResourceId is missing in an Update or Delete" in problems


def test_identifiers_longer_than_cloudformation_sends_are_a_malformed_event() -> None:
    with pytest.raises(EventError) as caught:
        request(StackId="x" * 5000)
    assert "StackId is longer than 512 characters" in caught.value.problems
