"""The custom resource against crafted events: where its answer can go, when it stops
handing off, and that no input makes it raise. Real HTTP on loopback throughout: the local
harness (Lambda Invoke API, response URLs), the local DynamoDB endpoint, and a listener
that records every connection made to it."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest

from multigsi.cloudformation.custom_resource import lambda_handler
from multigsi.cloudformation.custom_resource.event import CONTINUATION_KEY
from multigsi.cloudformation.custom_resource.handler import MAX_HOPS
from multigsi.local.cloudformation.lambda_service import LambdaContext
from tests.conftest import create_table
from tests.integration.loopback import RecordingListener
from tests.integration.test_cfn import indexes_of, properties

BUCKET_HOST = "cloudformation-custom-resource-response-useast1.s3.amazonaws.com"
EXPIRED = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"


@pytest.fixture
def listener() -> Iterator[RecordingListener]:
    with RecordingListener() as running:
        yield running


@pytest.fixture(autouse=True)
def nothing_secret_in_logs(capfd: pytest.CaptureFixture[str]) -> Iterator[None]:
    yield
    output = capfd.readouterr()
    text = output.out + output.err
    assert "X-Amz-Signature=" not in text and "hunter2" not in text, "a credential reached the logs"


def invoke(cloudformation: Any, event: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
    """One invocation of the function, as the Lambda runtime makes it."""
    service = cloudformation.lambda_service
    result: dict[str, Any] = lambda_handler(event, LambdaContext(service.function_name, service.arn, timeout))
    return result


@pytest.mark.parametrize(
    "shape",
    [
        "https://127.0.0.1:{port}\\@" + BUCKET_HOST + "/x?X-Amz-Signature=s",
        "https://user:hunter2@127.0.0.1:{port}/x",
        "https://127.0.0.1:{port}/x",
        "http://127.0.0.1:{port}/responses/x",
        "https://localhost:{port}\\@" + BUCKET_HOST + "/x",
        "https://127.0.0.1:{port}\uff03@" + BUCKET_HOST + "/x",
    ],
)
def test_a_url_that_connects_anywhere_but_cloudformation_gets_no_connection(
    shape: str,
    cloudformation_factory: Any,
    listener: RecordingListener,
    client: Any,
    table_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The listener stands in for the attacker's host: the backslash made urllib3 connect to
    the part before it while the old check read the Amazon host after it."""
    create_table(client, table_name)
    cloudformation = cloudformation_factory()
    monkeypatch.delenv("MULTIGSI_RESPONSE_URL_HOSTS")  # no loopback override: none of these may pass
    event = cloudformation.event("Create", properties(table_name, ("by-a", "a")))
    event["ResponseURL"] = shape.format(port=listener.port)
    result = invoke(cloudformation, event)
    assert listener.recorded() == [], "the answer went to a host that is not CloudFormation's"
    assert result["Answered"] is False and "HandedOff" not in result
    assert indexes_of(client, table_name) == {}, "work whose outcome cannot be reported was done"


def test_an_expired_url_ends_the_chain(
    cloudformation_factory: Any, listener: RecordingListener, client: Any, table_name: str
) -> None:
    """A definite 4xx (S3's answer to an expired or revoked URL) never turns into a 2xx:
    one PUT, no further invocation to retry it."""
    create_table(client, table_name)
    cloudformation = cloudformation_factory()
    listener.status, listener.body = 403, EXPIRED
    event = cloudformation.event("Create", properties(table_name, ("by-a", "a"), ServiceTimeout=30))
    event["ResponseURL"] = f"http://127.0.0.1:{listener.port}/responses/x?X-Amz-Signature=s"
    result = invoke(cloudformation, event)
    assert result["Status"] == "SUCCESS" and result["Answered"] is False
    assert result["Delivery"] == "rejected" and "HandedOff" not in result
    assert [c.is_http_put for c in listener.recorded()] == [True], "a refused answer is PUT once"
    cloudformation.lambda_service.wait_idle(5)
    assert cloudformation.lambda_service.invocations == [], "no hand-off to retry a refused answer"


def continuation(**fields: Any) -> dict[str, Any]:
    return {"FirstInvokedAt": time.time(), "Hop": 1, "Changed": False, **fields}


@pytest.mark.parametrize(
    "carried",
    [
        continuation(FirstInvokedAt=math.nan),
        continuation(FirstInvokedAt=1e300),
        continuation(FirstInvokedAt=-1e300),
        continuation(FirstInvokedAt=time.time() + 86_400),
        continuation(FirstInvokedAt=time.time() - 7_200),
        continuation(Hop=-1_000_000),
        continuation(Hop=MAX_HOPS),
        continuation(Hop="1"),
        continuation(Hop=True),
        "resume",
    ],
    ids=["nan", "far-future", "far-past", "tomorrow", "two-hours-ago", "negative-hop", "max-hops", "str-hop",
         "bool-hop", "not-an-object"],
)  # fmt: skip
def test_a_continuation_out_of_bounds_answers_failed_and_stops(
    carried: Any, cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name)
    cloudformation = cloudformation_factory()
    event = cloudformation.event("Create", properties(table_name, ("by-a", "a"), ServiceTimeout=60))
    event[CONTINUATION_KEY] = carried
    result = invoke(cloudformation, event)
    assert result["Status"] == "FAILED" and result["Answered"] is True and "HandedOff" not in result
    (answer,) = [put.body for put in cloudformation.lambda_service.puts]
    assert answer["Status"] == "FAILED" and CONTINUATION_KEY in answer["Reason"]
    cloudformation.lambda_service.wait_idle(5)
    assert cloudformation.lambda_service.invocations == [], "no hand-off: the chain stops here"
    assert indexes_of(client, table_name) == {}, "nothing is changed on a continuation's word"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LogicalResourceId", "Indexes\ud800"),
        ("LogicalResourceId", "\uff29\uff4e\uff44\uff45\uff58\uff45\uff53"),
        ("PhysicalResourceId", "arn:aws:dynamodb:us-east-1:1:table/t/multigsi/\udfff"),
        ("StackId", "\ud800" * 100),
        ("StackId", "s" * 100_000),
        ("RequestId", "\x00"),
    ],
)
def test_odd_identifiers_get_a_failed_answer_never_an_exception(
    name: str, value: str, cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name)
    cloudformation = cloudformation_factory()
    event = cloudformation.event(
        "Update", properties(table_name, ("by-a", "a")), physical_id="p", old_properties={}
    )
    event[name] = value
    result = invoke(cloudformation, event)
    assert result["Status"] == "FAILED" and result["Answered"] is True
    put = cloudformation.lambda_service.puts[-1]
    assert put.body["Status"] == "FAILED" and name in put.body["Reason"]
    assert indexes_of(client, table_name) == {}


@pytest.mark.parametrize(
    "url",
    [
        "https://[::1/x",
        "https://evil.example\uff03@" + BUCKET_HOST + "/",
        "https://\ud800.example/",
        "x" * 100_000,
    ],
)
def test_urls_that_break_parsers_are_refused_without_raising(url: str, cloudformation_factory: Any) -> None:
    cloudformation = cloudformation_factory()
    event = cloudformation.event("Create", {"TableName": "orders"})
    event["ResponseURL"] = url
    assert invoke(cloudformation, event) == {"Status": "FAILED", "Answered": False}


def test_the_harness_url_still_works_through_the_operator_override(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    create_table(client, table_name)
    cloudformation = cloudformation_factory()
    event = cloudformation.event("Create", properties(table_name, ("by-a", "a")))
    response = cloudformation.deliver(event)
    assert response.status == "SUCCESS" and response.request_id == event["RequestId"]


@pytest.mark.parametrize("carried", ["not an object", [1, 2], {"Hop": "x", "FirstInvokedAt": 1.0}])
def test_the_harness_lambda_records_a_nonsense_continuation_instead_of_crashing(
    carried: Any, cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    """Delivered through the local Lambda service (as a forged hand-off would be): the handler
    answers FAILED and the service records the invocation at hop 0."""
    create_table(client, table_name)
    cloudformation = cloudformation_factory()
    event = cloudformation.event("Create", properties(table_name, ("by-a", "a"), ServiceTimeout=60))
    event[CONTINUATION_KEY] = carried
    cloudformation.lambda_service.invoke_async(event)
    assert cloudformation.lambda_service.wait_idle(30)
    (invocation,) = cloudformation.lambda_service.invocations
    assert invocation.hop == 0 and invocation.error is None
    (answer,) = [put.body for put in cloudformation.lambda_service.puts]
    assert answer["Status"] == "FAILED"
    assert indexes_of(client, table_name) == {}
