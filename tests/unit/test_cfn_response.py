"""The CloudFormation answer's hard limits, and the URL rules, without any network."""

from __future__ import annotations

import json

import pytest

from multigsi.cloudformation.custom_resource.event import parse_event
from multigsi.cloudformation.custom_resource.logs import redact
from multigsi.cloudformation.custom_resource.response import (
    FAILED,
    MAX_BODY_BYTES,
    Answer,
    _definite_refusal,
    body,
    refusal,
)
from multigsi.cloudformation.properties import service_timeout
from multigsi.errors import EventError, SpecError


@pytest.fixture(autouse=True)
def function_region(monkeypatch: pytest.MonkeyPatch) -> None:
    """The response bucket follows the function's region; Lambda sets AWS_REGION."""
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("MULTIGSI_RESPONSE_URL_HOSTS", raising=False)


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


def test_only_cloudformation_response_urls_are_put_to() -> None:
    """The full table is in test_cfn_response_url; this is the sender's entry point."""
    assert refusal("https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a?b=c") is None
    assert refusal("https://attacker.s3.amazonaws.com/a") is not None
    assert refusal("http://127.0.0.1:9000/responses/x") is not None


def test_extra_hosts_come_from_the_environment_and_are_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MULTIGSI_RESPONSE_URL_HOSTS", "127.0.0.1, localhost, 10.0.0.1")
    assert refusal("http://127.0.0.1:9000/responses/x") is None
    assert refusal("http://localhost:9000/responses/x") is None
    assert refusal("http://10.0.0.1/x") is not None


@pytest.mark.parametrize(
    ("status", "error_body", "definite"),
    [
        (403, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", True),
        (404, "<Code>NoSuchKey</Code>", True),
        (400, "<Code>InvalidArgument</Code>", True),
        (400, "<Error><Code>RequestTimeout</Code></Error>", False),
        (408, "", False),
        (429, "", False),
        (500, "", False),
        (503, "<Code>SlowDown</Code>", False),
    ],
)
def test_only_a_definite_4xx_ends_the_tries(status: int, error_body: str, definite: bool) -> None:
    assert _definite_refusal(status, error_body) is definite


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
