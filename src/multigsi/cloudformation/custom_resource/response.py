"""The answer to CloudFormation: one JSON document PUT to the pre-signed ResponseURL.

Always SUCCESS or FAILED (never FAILURE), a non-empty PhysicalResourceId of at most 1 KB,
and a whole body of at most 4096 bytes (Reason is shortened to fit). Only URLs that
``response_url.check`` accepts (CloudFormation's response bucket, or a listed loopback host
for a local harness) are PUT to, and the PUT connects to the host that check parsed. The PUT
has a timeout and is retried with backoff unless the URL refuses it for good (a definite
4xx); the URL itself is never logged.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from multigsi.cloudformation.custom_resource.event import CfnRequest
from multigsi.cloudformation.custom_resource.logs import StructuredLog, redact
from multigsi.cloudformation.custom_resource.response_url import Refused, ResponseTarget, check
from multigsi.engine.clock import Clock, SystemClock
from multigsi.engine.retry import backoff_delay

MAX_BODY_BYTES = 4096
MAX_PHYSICAL_ID_BYTES = 1024
PUT_TIMEOUT = 10.0
PUT_ATTEMPTS = 6
PUT_BACKOFF_BASE = 0.5
ERROR_BODY_BYTES = 2048

SUCCESS, FAILED = "SUCCESS", "FAILED"


@dataclass(frozen=True)
class Answer:
    status: str  # SUCCESS | FAILED
    physical_resource_id: str
    reason: str = ""
    data: Mapping[str, str] = field(default_factory=dict)


def body(request: CfnRequest, answer: Answer) -> bytes:
    """The response document, with Reason shortened until the whole fits in 4096 bytes."""
    physical = (
        _utf8(answer.physical_resource_id).encode()[:MAX_PHYSICAL_ID_BYTES].decode(errors="ignore")
        or request.logical_resource_id
    )
    document = {
        "Status": answer.status,
        "Reason": _utf8(redact(answer.reason)) or ("OK" if answer.status == SUCCESS else "failed"),
        "PhysicalResourceId": physical,
        "StackId": request.stack_id,
        "RequestId": request.request_id,
        "LogicalResourceId": request.logical_resource_id,
        "NoEcho": False,
        "Data": dict(answer.data),
    }
    encoded = json.dumps(document).encode()
    if len(encoded) <= MAX_BODY_BYTES:
        return encoded
    document["Data"] = {}
    overflow = len(json.dumps(document).encode()) - MAX_BODY_BYTES
    reason = str(document["Reason"])
    suffix = " … (truncated; full text in the function's logs)"
    while overflow > 0 and reason:
        cut = max(1, overflow + len(suffix.encode()))
        reason = reason.encode()[: max(0, len(reason.encode()) - cut)].decode(errors="ignore")
        document["Reason"] = reason + suffix
        overflow = len(json.dumps(document).encode()) - MAX_BODY_BYTES
    return json.dumps(document).encode()


def _utf8(text: str) -> str:
    """Text that encodes: a lone surrogate (from an error quoting odd input) becomes '?'."""
    return text.encode("utf-8", "replace").decode("utf-8")


def refusal(url: object) -> str | None:
    """Why this URL must not be PUT to, or None when it may (rules in response_url)."""
    outcome = check(url)
    return outcome.reason if isinstance(outcome, Refused) else None


class Delivery(Enum):
    """How a PUT ended. Only UNDELIVERED is worth another invocation's try: a definite 4xx
    (an expired or revoked URL) never turns into a 2xx, and a refused URL never changes."""

    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"  # network error, 5xx, throttling: a later try may succeed
    REJECTED = "rejected"  # the URL answered a definite 4xx
    REFUSED = "refused"  # not a URL this function PUTs to, or an answer that cannot fit


@dataclass
class ResponseSender:
    log: StructuredLog
    clock: Clock = field(default_factory=SystemClock)
    rng: random.Random = field(default_factory=random.Random)

    def send(self, request: CfnRequest, answer: Answer, *, deadline: float | None = None) -> bool:
        return self.deliver(request, answer, deadline=deadline) is Delivery.DELIVERED

    def deliver(self, request: CfnRequest, answer: Answer, *, deadline: float | None = None) -> Delivery:
        target = check(request.response_url)
        if isinstance(target, Refused):
            self.log.error("cannot answer CloudFormation", why=target.reason, status=answer.status)
            return Delivery.REFUSED
        host = target.host
        payload = body(request, answer)
        if len(payload) > MAX_BODY_BYTES:  # only identifiers CloudFormation never sends get here
            self.log.error(
                "cannot answer CloudFormation: the event's identifiers leave no room in 4096 bytes",
                status=answer.status,
            )
            return Delivery.REFUSED
        for attempt in range(PUT_ATTEMPTS):
            status, error = self._put(target, payload, deadline)
            if status is not None and 200 <= status < 300:
                self.log.info(
                    "answered CloudFormation",
                    status=answer.status,
                    host=host,
                    attempt=attempt + 1,
                    bytes=len(payload),
                )
                return Delivery.DELIVERED
            definite = status is not None and _definite_refusal(status, error)
            outcome = f"HTTP {status}" if status is not None else error
            self.log.warning("response PUT failed", error=outcome, attempt=attempt + 1, retrying=not definite)
            if definite:
                self.log.error(
                    "CloudFormation's URL refused the answer for good (expired or revoked?)",
                    status=answer.status,
                    host=host,
                    http_status=status,
                )
                return Delivery.REJECTED
            delay = backoff_delay(attempt, self.rng, base=PUT_BACKOFF_BASE)
            if deadline is not None and self.clock.now() + delay + 1 > deadline:
                break
            self.clock.sleep(delay)
        self.log.error("gave up answering CloudFormation", status=answer.status, host=host)
        return Delivery.UNDELIVERED

    def _put(self, target: ResponseTarget, payload: bytes, deadline: float | None) -> tuple[int | None, str]:
        """PUT to exactly the checked host, port and path: (HTTP status or None, error or body start).

        botocore's own HTTP client, loaded by the time a client was made (urllib.request would
        add ~40 ms to a cold start). S3 signs the empty Content-Type: send exactly that."""
        import urllib3

        timeout = PUT_TIMEOUT if deadline is None else max(1.0, min(PUT_TIMEOUT, deadline - self.clock.now()))
        headers = {"Content-Type": "", "Content-Length": str(len(payload))}
        pool_class = urllib3.HTTPSConnectionPool if target.scheme == "https" else urllib3.HTTPConnectionPool
        pool = pool_class(target.host, target.port, timeout=timeout, retries=False, maxsize=1)
        try:
            response = pool.urlopen(
                "PUT",
                target.target,
                body=payload,
                headers=headers,
                redirect=False,
                assert_same_host=True,
                preload_content=False,
            )
            try:
                start = response.read(ERROR_BODY_BYTES) if response.status >= 400 else b""
            finally:
                response.release_conn()
        except urllib3.exceptions.HTTPError as error:
            return None, type(error).__name__
        finally:
            pool.close()
        return response.status, start.decode("utf-8", errors="replace")


def _definite_refusal(status: int, error_body: str) -> bool:
    """A 4xx that says the URL will never accept this answer. Timeouts and throttling (408,
    429, S3's 400 RequestTimeout) are worth another try."""
    if not 400 <= status < 500 or status in (408, 429):
        return False
    return "<Code>RequestTimeout</Code>" not in error_body
