"""The one boundary where botocore's errors become decisions for the reconcile loop.

Transport-level retries (throttling, 5xx, dropped connections) are botocore's job, set up
in ``multigsi.engine.aws``; what reaches here has survived those. The loop then needs to
know only one thing: wait and look again, or stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError


class ErrorKind(StrEnum):
    CONFLICT = "conflict"  # something else is in flight: wait, re-read, re-plan
    TRANSIENT = "transient"  # throttling, server or network trouble: back off and retry
    STALE = "stale"  # our view was out of date (index already exists / gone): re-read
    PERMANENT = "permanent"  # waiting will not help: stop and say why


@dataclass(frozen=True)
class ClassifiedError:
    kind: ErrorKind
    code: str
    message: str


TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


def classify(error: Exception) -> ClassifiedError:
    if isinstance(error, ConnectionError | HTTPClientError):
        return ClassifiedError(ErrorKind.TRANSIENT, type(error).__name__, str(error))
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
    if code in TRANSIENT_CODES or status >= 500:
        return ClassifiedError(ErrorKind.TRANSIENT, code, message)
    if code == "ResourceNotFoundException" or (
        code == "ValidationException"
        and ("already exists" in message or "Action Blocked: IndexUpdate" in message)
    ):
        return ClassifiedError(ErrorKind.STALE, code, message)
    return ClassifiedError(ErrorKind.PERMANENT, code, message)
