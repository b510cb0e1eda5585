"""What the handler takes from an event before doing anything: identifiers CloudFormation can
send, and only a continuation this function can have written. No network."""

from __future__ import annotations

import math
from typing import Any

import pytest

from multigsi.cloudformation.custom_resource.event import (
    CONTINUATION_KEY,
    MAX_HOPS,
    Continuation,
    continuation_problem,
    parse_event,
    reply_request,
)
from multigsi.cloudformation.custom_resource.response import FAILED, Answer, body
from multigsi.errors import EventError

URL = "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=abc"


@pytest.fixture(autouse=True)
def function_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("MULTIGSI_RESPONSE_URL_HOSTS", raising=False)


def event(**changes: Any) -> dict[str, Any]:
    return {
        "RequestType": "Update",
        "ResponseURL": URL,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        "RequestId": "r-1",
        "LogicalResourceId": "Indexes",
        "PhysicalResourceId": "arn:aws:dynamodb:us-east-1:123456789012:table/t/multigsi/Indexes",
        "ResourceProperties": {"TableName": "orders"},
        "OldResourceProperties": {"TableName": "orders"},
        **changes,
    }


def test_a_continuation_this_function_wrote_is_read_back() -> None:
    written = Continuation(first_invoked_at=1_700_000_000.5, hop=3, changed=True)
    request = parse_event(event(**{CONTINUATION_KEY: written.to_json()}))
    assert request.continuation == written
    assert CONTINUATION_KEY not in request.event


@pytest.mark.parametrize(
    "continuation",
    [
        {"FirstInvokedAt": math.nan, "Hop": 1},
        {"FirstInvokedAt": math.inf, "Hop": 1},
        {"FirstInvokedAt": "1700000000", "Hop": 1},
        {"FirstInvokedAt": True, "Hop": 1},
        {"Hop": 1},
        {"FirstInvokedAt": 1_700_000_000, "Hop": -1},
        {"FirstInvokedAt": 1_700_000_000, "Hop": MAX_HOPS},
        {"FirstInvokedAt": 1_700_000_000, "Hop": 2.0},
        {"FirstInvokedAt": 1_700_000_000, "Hop": "2"},
        {"FirstInvokedAt": 1_700_000_000, "Hop": 1, "Changed": "no"},
        "hop 3",
        None,
        [],
    ],
)
def test_a_continuation_the_function_cannot_have_written_is_a_malformed_event(continuation: Any) -> None:
    with pytest.raises(EventError) as caught:
        parse_event(event(**{CONTINUATION_KEY: continuation}))
    assert all(CONTINUATION_KEY in problem for problem in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(
    ("started", "fine"),
    [(1000.0, True), (1000.0 - 3600, True), (1000.0 - 3601, False), (1000.0 + 299, True), (1e300, False)],
)
def test_a_continuation_must_have_started_within_service_timeout(started: float, fine: bool) -> None:
    problem = continuation_problem(Continuation(started, 1), now=1000.0, timeout=3600)
    assert (problem is None) is fine


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LogicalResourceId", "Index\ud800"),
        (
            "LogicalResourceId",
            "\uff29\uff4e\uff44\uff45\uff58\uff45\uff53",
        ),  # fullwidth: NFKC would make it ASCII
        ("LogicalResourceId", "In dexes"),
        ("LogicalResourceId", "I" * 256),
        ("PhysicalResourceId", "id\udfff"),
        ("PhysicalResourceId", "id\x00"),
        ("PhysicalResourceId", "é" * 600),  # 600 characters, 1200 bytes
        ("StackId", "arn:aws:cloudformation:us-east-1:1:stack/\ud800/1"),
        ("StackId", "x" * 5000),
        ("RequestId", "r\n1"),
        ("ResponseURL", "https://[::1/x"),
        (
            "ResponseURL",
            "https://evil.example\\@cloudformation-custom-resource-response-useast1.s3.amazonaws.com/",
        ),
    ],
)
def test_identifiers_cloudformation_never_sends_are_a_malformed_event(name: str, value: str) -> None:
    with pytest.raises(EventError) as caught:
        parse_event(event(**{name: value}))
    assert any(name in problem for problem in caught.value.problems), caught.value.problems
    for problem in caught.value.problems:
        problem.encode("utf-8")  # printable in a log and a Reason


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LogicalResourceId", "Index\ud800"),
        ("PhysicalResourceId", "id\udfff" * 500),
        ("StackId", "\ud800" * 5000),
        ("RequestId", "\x00\x01"),
    ],
)
def test_the_failed_answer_to_a_malformed_event_can_always_be_built(name: str, value: str) -> None:
    request = reply_request(event(**{name: value}))
    assert request is not None
    answer = Answer(FAILED, request.physical_resource_id or "x", "malformed")
    assert len(body(request, answer)) <= 4096


def test_a_malformed_event_with_a_refused_url_gets_no_reply() -> None:
    assert reply_request(event(ResponseURL="https://evil.example/x")) is None
    assert reply_request(event(ResponseURL=None)) is None


@pytest.mark.parametrize("created", ["by-a", [1], ["x"], ["by-a"] * 26, [None]])
def test_a_continuation_whose_created_list_is_not_index_names_is_refused(created: object) -> None:
    """The indexes a request created are carried from hop to hop; anything but a short list
    of index names cannot have come from this function."""
    from multigsi.cloudformation.custom_resource.event import _continuation

    continuation, problems = _continuation({"FirstInvokedAt": 1.0, "Hop": 1, "Created": created})
    assert continuation is None
    assert any("Created" in problem for problem in problems)
