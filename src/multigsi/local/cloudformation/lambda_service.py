"""The harness's HTTP side: Lambda's Invoke API and the CloudFormation response URLs.

Invoke (POST /2015-03-31/functions/NAME/invocations) runs the handler in a thread with a
context whose remaining time counts down from the function's timeout; an ``Event``
invocation answers 202 at once, as Lambda does. ``deny_self_invokes = n`` refuses the
function's own next n Invoke calls (a role without ``lambda:InvokeFunction``) with AccessDeniedException,
while CloudFormation's deliveries (signed with the ``cloudformation`` access key) still run.

Timeouts are enforced as far as a thread allows: each invocation sees the response URL
with its own id appended (/responses/TOKEN/INVOCATION), and once it is past its timeout
its answers and hand-offs are dropped (as from a process Lambda has ended: they never
arrive), the attempt counts as an error and Lambda's retry runs. Its DynamoDB calls still
happen, since a thread cannot be killed.

A PUT to /responses/TOKEN is recorded, as S3 would store it, unless its body is over 4096
bytes (CloudFormation: "Response object is too long") or its URL has expired: response
URLs are valid for two hours (``X-Amz-Expires=7200`` from ``X-Amz-Date``, in the harness
clock, which a test moves forward with ``advance``). A POST to / is CloudFormation's
query API, answered by ``cloudformation_api``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from multigsi.local.cloudformation.faults import HarnessFaults, InvocationKilled
from multigsi.local.loopback import LoopbackServer

Handler = Callable[[Any, Any], Any]
ASYNC_RETRIES = 2  # Lambda retries a failed asynchronous invocation twice
MAX_RESPONSE_BYTES = 4096
RESPONSE_URL_SECONDS = 7200
CLOUDFORMATION_KEY = "cloudformation"  # the access key CloudFormation's deliveries are signed with


@dataclass
class LambdaContext:
    """What the Python runtime passes as ``context``."""

    function_name: str
    invoked_function_arn: str
    timeout: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 256
    log_group_name: str = "/aws/lambda/multigsi"
    log_stream_name: str = "local"
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout - time.monotonic()) * 1000))


@dataclass(frozen=True)
class Invocation:
    request_id: str  # CloudFormation's RequestId in the event
    hop: int
    requested: float  # when the Invoke request arrived
    started: float
    ended: float
    timeout: float
    error: str | None

    @property
    def overran(self) -> bool:
        """Real Lambda would have killed it."""
        return self.ended - self.started > self.timeout


@dataclass(frozen=True)
class RecordedPut:
    token: str
    at: float
    body: dict[str, Any]
    path: str
    size: int  # bytes on the wire


class LambdaService:
    def __init__(
        self,
        handler: Handler,
        *,
        function_name: str,
        region: str,
        account: str,
        timeout: float,
        faults: HarnessFaults | None = None,
    ) -> None:
        self.handler = handler
        self.faults = faults
        self.function_name = function_name
        self.arn = f"arn:aws:lambda:{region}:{account}:function:{function_name}"
        self.timeout = timeout
        self.lock = threading.Condition()
        self.invocations: list[Invocation] = []
        self.puts: list[RecordedPut] = []
        self.fail_next_puts = 0
        self.refused_puts: list[tuple[int, str]] = []  # (HTTP status, why)
        self.deny_self_invokes = 0
        self.denied_invokes = 0
        self.clock_offset = 0.0
        self.cloudformation_api: Callable[[dict[str, str]], tuple[int, str]] | None = None
        self.running = 0
        self._deadlines: dict[str, float] = {}  # invocation id -> monotonic end of its timeout
        self.dropped: list[tuple[str, str]] = []  # (what, invocation id) sent after a timeout
        self._loopback = LoopbackServer(self._request_handler(), name="local-lambda")

    @property
    def url(self) -> str:
        return self._loopback.url

    def start(self) -> None:
        self._loopback.start()

    def stop(self) -> None:
        self._loopback.stop()

    def now(self) -> float:
        """The harness clock (wall time, moved on by ``advance``): what expiry is judged by."""
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.clock_offset += seconds

    def invoke_async(self, event: dict[str, Any]) -> None:
        if (
            self.faults is not None
            and event.get("MultigsiContinuation")
            and self.faults.happens("lost_hand_off")
        ):
            return  # accepted, never run
        with self.lock:
            self.running += 1
        threading.Thread(
            target=self._run, args=(event, time.monotonic()), name="lambda-invocation", daemon=True
        ).start()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no invocation is running (hand-offs included)."""
        with self.lock:
            return self.lock.wait_for(lambda: self.running == 0, timeout)

    def _run(self, event: dict[str, Any], requested: float) -> None:
        try:
            for _attempt in range(1 + ASYNC_RETRIES):
                context = LambdaContext(self.function_name, self.arn, self.timeout)
                with self.lock:
                    self._deadlines[context.aws_request_id] = context.started + self.timeout
                error = None
                try:
                    self.handler(_for_invocation(event, context.aws_request_id), context)
                except (Exception, InvocationKilled) as caught:  # Lambda records the error and retries
                    error = f"{type(caught).__name__}: {caught}"
                if time.monotonic() > context.started + self.timeout:
                    error = f"Task timed out after {self.timeout:.2f} seconds"
                hop = _hop(event)
                record = Invocation(
                    str(event.get("RequestId", "")),
                    hop,
                    requested,
                    context.started,
                    time.monotonic(),
                    self.timeout,
                    error,
                )
                with self.lock:
                    self.invocations.append(record)
                if error is None:
                    return
        finally:
            with self.lock:
                self.running -= 1
                self.lock.notify_all()

    def ended(self, invocation: str | None) -> bool:
        """Is ``invocation`` past its timeout (so anything it sends now never arrives)?"""
        with self.lock:
            deadline = self._deadlines.get(invocation or "")
            if deadline is None or time.monotonic() <= deadline:
                return False
            self.dropped.append(("sent after its timeout", invocation or ""))
            return True

    def _record_put(self, token: str, path: str, body: bytes) -> int:
        if self.faults is not None and self.faults.happens("put_failure"):
            return 500
        query = parse_qs(path.partition("?")[2])
        issued = float((query.get("X-Amz-Date") or ["0"])[0] or 0)
        with self.lock:
            if issued and self.now() > issued + RESPONSE_URL_SECONDS:
                self.refused_puts.append((403, "the response URL has expired"))
                return 403
            if len(body) > MAX_RESPONSE_BYTES:
                self.refused_puts.append((400, "Response object is too long"))
                return 400
            if self.fail_next_puts > 0:
                self.fail_next_puts -= 1
                return 500
            self.puts.append(RecordedPut(token, time.monotonic(), json.loads(body), path, len(body)))
            self.lock.notify_all()
            return 200

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class RequestHandler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # no line per request
                return

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_PUT(self) -> None:
                path, _, _ = self.path.partition("?")
                if not path.startswith("/responses/"):
                    self.send_error(404)
                    return
                token, _, invocation = path.removeprefix("/responses/").partition("/")
                body = self._body()
                status = 200 if service.ended(invocation) else service._record_put(token, self.path, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _denied(self) -> bool:
                signer = self.headers.get("Authorization", "").partition("Credential=")[2].partition("/")[0]
                with service.lock:
                    if service.deny_self_invokes <= 0 or signer == CLOUDFORMATION_KEY:
                        return False
                    service.deny_self_invokes -= 1
                    service.denied_invokes += 1
                answer = json.dumps(
                    {"Type": "User", "message": "not authorized to perform: lambda:InvokeFunction"}
                ).encode()
                self.send_response(403)
                self.send_header("x-amzn-ErrorType", "AccessDeniedException")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                return True

            def _cloudformation(self) -> None:
                params = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
                if service.cloudformation_api is None:
                    status, xml = (
                        400,
                        "<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>",
                    )
                else:
                    status, xml = service.cloudformation_api(params)
                answer = xml.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def do_POST(self) -> None:
                if self.path.split("?")[0] == "/":
                    self._cloudformation()
                    return
                if not (
                    self.path.startswith("/2015-03-31/functions/") and self.path.endswith("/invocations")
                ):
                    self.send_error(404)
                    return
                event = json.loads(self._body() or b"{}")
                if self._denied():
                    return
                if service.ended(_invocation_of(event)):  # a hand-off from an ended invocation
                    self.send_response(202)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.headers.get("X-Amz-Invocation-Type", "RequestResponse") == "Event":
                    service.invoke_async(event)
                    self.send_response(202)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                context = LambdaContext(service.function_name, service.arn, service.timeout)
                answer = json.dumps(service.handler(event, context)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        return RequestHandler


def _for_invocation(event: dict[str, Any], invocation: str) -> dict[str, Any]:
    """The event as this invocation sees it: the response URL carries its id."""
    url = event.get("ResponseURL")
    if not isinstance(url, str) or "/responses/" not in url:
        return event
    head, _, tail = url.partition("/responses/")
    path, mark, query = tail.partition("?")
    token = path.split("/")[0]
    return {**event, "ResponseURL": f"{head}/responses/{token}/{invocation}{mark}{query}"}


def _invocation_of(event: dict[str, Any]) -> str | None:
    url = event.get("ResponseURL")
    if not isinstance(url, str) or "/responses/" not in url:
        return None
    path = url.partition("/responses/")[2].partition("?")[0]
    return path.partition("/")[2] or None


def _hop(event: Any) -> int:
    """The hop an invocation's continuation claims, for the record; 0 when it claims none or
    nonsense (the handler refuses such a continuation, the harness must not crash on it)."""
    continuation = event.get("MultigsiContinuation") if isinstance(event, dict) else None
    hop = continuation.get("Hop") if isinstance(continuation, dict) else None
    return hop if isinstance(hop, int) and not isinstance(hop, bool) else 0
