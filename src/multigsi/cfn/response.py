"""The answer to CloudFormation: one JSON document PUT to the pre-signed ResponseURL.

Always SUCCESS or FAILED (never FAILURE), a non-empty PhysicalResourceId of at most 1 KB,
and a whole body of at most 4096 bytes (Reason is shortened to fit). Only https URLs on
Amazon's domains are PUT to, unless MULTIGSI_RESPONSE_URL_HOSTS names other hosts (for a
local harness). The PUT has a timeout and is retried with backoff; the URL is never logged.
"""

from __future__ import annotations

import json
import os
import random
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from multigsi.cfn.event import CfnRequest
from multigsi.cfn.logs import StructuredLog, redact

MAX_BODY_BYTES = 4096
MAX_PHYSICAL_ID_BYTES = 1024
AMAZON_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn")
HOSTS_VARIABLE = "MULTIGSI_RESPONSE_URL_HOSTS"
PUT_TIMEOUT = 10.0
PUT_ATTEMPTS = 6
PUT_BACKOFF_BASE = 0.5

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
        answer.physical_resource_id.encode()[:MAX_PHYSICAL_ID_BYTES].decode(errors="ignore")
        or request.logical_resource_id
    )
    document = {
        "Status": answer.status,
        "Reason": redact(answer.reason) or ("OK" if answer.status == SUCCESS else "failed"),
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


def refusal(url: str) -> str | None:
    """Why this URL must not be PUT to, or None when it may."""
    try:
        parsed = urllib.parse.urlsplit(url)
    except ValueError:
        return "the ResponseURL is not a URL"
    host = (parsed.hostname or "").lower()
    extra = {h.strip().lower() for h in os.environ.get(HOSTS_VARIABLE, "").split(",") if h.strip()}
    if host in extra:
        return (
            None
            if parsed.scheme in ("http", "https")
            else f"the ResponseURL scheme {parsed.scheme!r} is not http(s)"
        )
    if parsed.scheme != "https":
        return "the ResponseURL is not https"
    if not host.endswith(AMAZON_DOMAINS):
        return f"the ResponseURL host {host!r} is not an Amazon domain (allow it with {HOSTS_VARIABLE})"
    return None


@dataclass
class ResponseSender:
    log: StructuredLog
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)

    def send(self, request: CfnRequest, answer: Answer, *, deadline: float | None = None) -> bool:
        reason = refusal(request.response_url)
        host = urllib.parse.urlsplit(request.response_url).hostname
        if reason is not None:
            self.log.error("cannot answer CloudFormation", why=reason, host=host, status=answer.status)
            return False
        payload = body(request, answer)
        if len(payload) > MAX_BODY_BYTES:  # only identifiers CloudFormation never sends get here
            self.log.error(
                "cannot answer CloudFormation: the event's identifiers leave no room in 4096 bytes",
                status=answer.status,
            )
            return False
        for attempt in range(PUT_ATTEMPTS):
            outcome = self._put(request.response_url, payload, deadline)
            if outcome is None:
                self.log.info(
                    "answered CloudFormation",
                    status=answer.status,
                    host=host,
                    attempt=attempt + 1,
                    bytes=len(payload),
                )
                return True
            retry = not outcome.startswith("HTTP 4")
            self.log.warning("response PUT failed", error=outcome, attempt=attempt + 1, retrying=retry)
            delay = self.rng.uniform(0.5, 1.0) * PUT_BACKOFF_BASE * 2**attempt
            if not retry or (deadline is not None and self.clock() + delay + 1 > deadline):
                break
            self.sleep(delay)
        self.log.error("gave up answering CloudFormation", status=answer.status, host=host)
        return False

    def _put(self, url: str, payload: bytes, deadline: float | None) -> str | None:
        # botocore's own HTTP client, loaded by the time a client was made (urllib.request
        # would add ~40 ms to a cold start). S3 signs the empty Content-Type: send exactly that.
        import urllib3

        timeout = PUT_TIMEOUT if deadline is None else max(1.0, min(PUT_TIMEOUT, deadline - self.clock()))
        headers = {"Content-Type": "", "Content-Length": str(len(payload))}
        try:
            answer = urllib3.request(
                "PUT", url, body=payload, headers=headers, timeout=timeout, retries=False, redirect=False
            )
        except urllib3.exceptions.HTTPError as error:
            return type(error).__name__
        return None if 200 <= answer.status < 300 else f"HTTP {answer.status}"
