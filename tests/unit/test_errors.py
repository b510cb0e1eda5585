"""How a failed request is classified: whether it may have been applied decides nothing
(the loop re-reads either way) but must be told apart from a throttle for the record."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from multigsi.engine.classify import ErrorKind, classify


def client_error(code: str, status: int, message: str = "") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "UpdateTable",
    )


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (client_error("ThrottlingException", 400), ErrorKind.TRANSIENT),
        (EndpointConnectionError(endpoint_url="http://x"), ErrorKind.TRANSIENT),
        (ConnectTimeoutError(endpoint_url="http://x"), ErrorKind.TRANSIENT),
        (client_error("InternalServerError", 500), ErrorKind.AMBIGUOUS),
        (client_error("Whatever", 503), ErrorKind.AMBIGUOUS),
        (ReadTimeoutError(endpoint_url="http://x"), ErrorKind.AMBIGUOUS),
        (ConnectionClosedError(endpoint_url="http://x"), ErrorKind.AMBIGUOUS),
        (
            client_error("LimitExceededException", 400, "Only 1 online index can be created"),
            ErrorKind.CONFLICT,
        ),
        (client_error("ResourceInUseException", 400), ErrorKind.CONFLICT),
        (client_error("ValidationException", 400, "Index already exists"), ErrorKind.STALE),
        (client_error("ValidationException", 400, "bad key"), ErrorKind.PERMANENT),
    ],
)
def test_failures_are_classified_by_whether_they_may_have_been_applied(
    error: Exception, kind: ErrorKind
) -> None:
    classified = classify(error)
    assert classified.kind is kind
    assert classified.retryable is (kind in (ErrorKind.TRANSIENT, ErrorKind.AMBIGUOUS))
