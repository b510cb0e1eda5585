"""The one boundary where botocore's errors become decisions for the reconcile loop.

Transport-level retries of reads (throttling, 5xx, dropped connections) are botocore's job,
set up in ``multigsi.engine.clients``; what reaches here has survived those. UpdateTable is sent
without automatic retries (it is not idempotent), so its failures all reach here. The loop
then needs to know only one thing: wait and look again, or stop. Whether a failed request
may have been applied (AMBIGUOUS) or certainly was not (TRANSIENT) changes nothing in what
the loop does, since it always re-reads before sending again, but it is what the loop reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from botocore.exceptions import (
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
)


class ErrorKind(StrEnum):
    CONFLICT = "conflict"  # something else is in flight: wait, re-read, re-plan
    TRANSIENT = "transient"  # throttled or never sent: certainly not applied; back off, re-read
    AMBIGUOUS = "ambiguous"  # 5xx, cut connection, read timeout: maybe applied; re-read, re-plan
    STALE = "stale"  # our view was out of date (index already exists / gone): re-read
    PERMANENT = "permanent"  # waiting will not help: stop and say why


@dataclass(frozen=True)
class ClassifiedError:
    kind: ErrorKind
    code: str
    message: str

    @property
    def retryable(self) -> bool:
        """Looking again later may help (a read is simply retried; a step is re-planned)."""
        return self.kind in (ErrorKind.TRANSIENT, ErrorKind.AMBIGUOUS)


THROTTLING_CODES = frozenset(
    {"ThrottlingException", "Throttling", "RequestLimitExceeded", "ProvisionedThroughputExceededException"}
)
SERVER_CODES = frozenset(
    {
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


def classify(error: Exception) -> ClassifiedError:
    if isinstance(error, ConnectTimeoutError | EndpointConnectionError):
        # The connection was never made: the request cannot have reached DynamoDB.
        return ClassifiedError(ErrorKind.TRANSIENT, type(error).__name__, str(error))
    if isinstance(error, ConnectionError | HTTPClientError):
        # Cut mid-exchange or no answer in time: the request may have been applied.
        return ClassifiedError(ErrorKind.AMBIGUOUS, type(error).__name__, str(error))
    if not isinstance(error, ClientError):
        return ClassifiedError(ErrorKind.PERMANENT, type(error).__name__, str(error))
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code == "LimitExceededException":
        # "Only 1 online index can be created or deleted simultaneously" and the account's
        # limit on concurrent table operations pass with time; the per-table index quota does not.
        kind = ErrorKind.PERMANENT if "per-table limit" in message else ErrorKind.CONFLICT
        return ClassifiedError(kind, code, message)
    if code == "ResourceInUseException":
        return ClassifiedError(ErrorKind.CONFLICT, code, message)
    if code in THROTTLING_CODES:
        return ClassifiedError(ErrorKind.TRANSIENT, code, message)
    if code in SERVER_CODES or status >= 500:
        return ClassifiedError(ErrorKind.AMBIGUOUS, code, message)
    if code == "ResourceNotFoundException" or (
        code == "ValidationException"
        and ("already exists" in message or "Action Blocked: IndexUpdate" in message)
    ):
        return ClassifiedError(ErrorKind.STALE, code, message)
    return ClassifiedError(ErrorKind.PERMANENT, code, message)
