"""A recording HTTP proxy between a DynamoDB client and the local endpoint.

It knows nothing of multigsi: it forwards each request, and records what went through
(operation, table, request, status, answer, times), so that invariants are checked on the
wire, not on anything the code under test reports about itself. A connection the endpoint
cuts is cut for the client too. An answer the endpoint's fault injection made up carries
``x-multigsi-fault``: recorded as ``injected``, so that refusals DynamoDB itself would give
are counted apart from the faults.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import urllib3

from multigsi.local.loopback import LoopbackServer


@dataclass(frozen=True)
class Exchange:
    operation: str
    table: str
    request: dict[str, Any]
    status: int  # 0: the connection was cut
    answer: dict[str, Any] | None
    sent_at: float
    answered_at: float
    injected: str = ""  # the fault kind, when the endpoint's fault injection answered

    @property
    def error_code(self) -> str:
        """The AWS error code of a 4xx/5xx answer ("" otherwise)."""
        if self.status == 200 or self.answer is None:
            return ""
        return str(self.answer.get("__type", "")).rpartition("#")[2]

    @property
    def structural(self) -> bool:
        """An UpdateTable that creates or deletes an index."""
        updates = self.request.get("GlobalSecondaryIndexUpdates") or []
        return self.operation == "UpdateTable" and any("Create" in u or "Delete" in u for u in updates)


class RecordingProxy:
    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.exchanges: list[Exchange] = []
        self.lock = threading.Lock()
        self.pool = urllib3.PoolManager(maxsize=32, retries=False)
        self._loopback = LoopbackServer(self._handler(), name="chaos-proxy")

    @property
    def url(self) -> str:
        return self._loopback.url

    def __enter__(self) -> RecordingProxy:
        self._loopback.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loopback.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length", "connection")
                }
                target = self.headers.get("X-Amz-Target", "")
                operation = target.split(".", 1)[1] if "." in target else target
                request = _json(body) or {}
                sent = time.monotonic()
                try:
                    upstream = proxy.pool.request(
                        "POST", proxy.target + self.path, body=body, headers=headers, preload_content=True
                    )
                except urllib3.exceptions.HTTPError:
                    proxy._record(
                        Exchange(
                            operation,
                            str(request.get("TableName", "")),
                            request,
                            0,
                            None,
                            sent,
                            time.monotonic(),
                        )
                    )
                    self.close_connection = True  # cut, as the endpoint did
                    return
                answer = upstream.data
                proxy._record(
                    Exchange(
                        operation,
                        str(request.get("TableName", "")),
                        request,
                        upstream.status,
                        _json(answer),
                        sent,
                        time.monotonic(),
                        upstream.headers.get("x-multigsi-fault", ""),
                    )
                )
                self.send_response(upstream.status)
                for name, value in upstream.headers.items():
                    if name.lower() not in (
                        "content-length",
                        "connection",
                        "transfer-encoding",
                        "date",
                        "server",
                    ):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        return Handler

    def _record(self, exchange: Exchange) -> None:
        with self.lock:
            self.exchanges.append(exchange)


def _json(data: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
