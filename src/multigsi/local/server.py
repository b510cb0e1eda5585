"""The HTTP endpoint: moto's WSGI app with the control plane in front of it.

DynamoDB requests are JSON with an ``X-Amz-Target`` header. UpdateTable, DescribeTable,
Query, Scan, CreateTable and DeleteTable pass through the control plane; everything else
(items, other services) goes to moto untouched.
"""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import run_wsgi_app

from multigsi.local.cloudwatch import LocalCloudWatch
from multigsi.local.control_plane import AwsError, ControlPlane, TableKey, Timing
from multigsi.local.faults import FaultInjector

TARGET_PREFIX = "DynamoDB_20120810."
REGION_IN_AUTHORIZATION = re.compile(r"Credential=[^/]+/\d+/([^/]+)/")
DEFAULT_REGION = "us-east-1"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class ControlPlaneMiddleware:
    def __init__(self, moto_app: WsgiApp, plane: ControlPlane, faults: FaultInjector | None = None) -> None:
        self.moto_app = moto_app
        self.plane = plane
        self.faults = faults

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith(TARGET_PREFIX):
            return self.moto_app(environ, start_response)
        operation = target[len(TARGET_PREFIX) :]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        payload = json.loads(body or b"{}")
        key: TableKey = (_region(environ), str(payload.get("TableName", "")))
        if self.faults is not None:
            injected = self._inject(operation, key, environ, start_response)
            if injected is not None:
                return injected
        try:
            with self.plane.lock:
                status, headers, answer = self._handle(operation, environ, payload, key)
        except AwsError as error:
            self.plane.record(key, "refused", "", f"{operation}: {error.code}")
            status, headers, answer = _error(error)
        return _respond(start_response, status, headers, answer)

    def _inject(
        self, operation: str, key: TableKey, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes] | None:
        """A fault instead of the real answer, or None. Faults never change state."""
        assert self.faults is not None
        delay = self.faults.latency()
        if delay:
            time.sleep(delay)
        fault = self.faults.choose(operation, key[1])
        if fault is None:
            return None
        self.plane.record(key, "fault", "", f"{operation}: {fault.kind}")
        if fault.kind == "reset":
            _reset(environ)
            # werkzeug treats a ConnectionError as a dropped connection and moves on quietly.
            raise ConnectionResetError("fault injection: connection reset")
        status, headers, body = _error(AwsError(fault.code, fault.message, fault.status))
        return _respond(start_response, status, headers, body)

    def _handle(
        self, operation: str, environ: dict[str, Any], payload: dict[str, Any], key: TableKey
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if operation == "UpdateTable":
            return self._update_table(environ, payload, key)
        if operation == "DescribeTable":
            self.plane.record(key, "describe")
            status, headers, answer = self._moto(environ, payload, operation)
            if status == 200:
                document = json.loads(answer)
                document["Table"] = self.plane.overlay(key, document["Table"])
                answer = json.dumps(document).encode()
            return status, headers, answer
        if operation in ("Query", "Scan"):
            self.plane.check_read(key, payload.get("IndexName"))
        if operation in ("CreateTable", "DeleteTable"):
            self.plane.forget(key)
        return self._moto(environ, payload, operation)

    def _update_table(
        self, environ: dict[str, Any], payload: dict[str, Any], key: TableKey
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        status, headers, answer = self._moto(environ, {"TableName": key[1]}, "DescribeTable")
        if status != 200:
            return status, headers, answer
        description = self.plane.overlay(key, json.loads(answer)["Table"])
        self.plane.check_update(key, description, payload)
        status, headers, answer = self._moto(
            environ, _merged_definitions(description, payload), "UpdateTable"
        )
        if status != 200:
            return status, headers, answer
        self.plane.begin(key, description, payload)
        document = json.loads(answer)
        document["TableDescription"] = self.plane.overlay(key, document["TableDescription"])
        return status, headers, json.dumps(document).encode()

    def _moto(
        self, environ: dict[str, Any], payload: dict[str, Any], operation: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        data = json.dumps(payload).encode()
        inner = dict(environ)
        inner.update(
            {
                "wsgi.input": io.BytesIO(data),
                "CONTENT_LENGTH": str(len(data)),
                "HTTP_X_AMZ_TARGET": TARGET_PREFIX + operation,
            }
        )
        app_iter, status, headers = run_wsgi_app(self.moto_app, inner, buffered=True)
        try:
            answer = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        return int(status.split()[0]), list(headers.items()), answer


def _merged_definitions(description: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB adds new AttributeDefinitions to the table's; moto replaces them. Send moto
    the union, keeping the type already defined when a request redeclares an attribute."""
    if "AttributeDefinitions" not in payload:
        return payload
    merged = list(description.get("AttributeDefinitions", []))
    known = {definition["AttributeName"] for definition in merged}
    merged += [d for d in payload["AttributeDefinitions"] if d["AttributeName"] not in known]
    return {**payload, "AttributeDefinitions": merged}


def _reset(environ: dict[str, Any]) -> None:
    """Drop the connection with a TCP reset, as a network fault would: no answer at all."""
    connection = environ.get("werkzeug.socket")
    if connection is None:
        return
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.shutdown(socket.SHUT_RDWR)  # the server's file objects keep the fd: shut it down for all


def _region(environ: dict[str, Any]) -> str:
    match = REGION_IN_AUTHORIZATION.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else DEFAULT_REGION


def _error(error: AwsError) -> tuple[int, list[tuple[str, str]], bytes]:
    body = json.dumps(
        {"__type": f"com.amazonaws.dynamodb.v20120810#{error.code}", "message": error.message}
    ).encode()
    return error.status, [("Content-Type", "application/x-amz-json-1.0")], body


def _respond(
    start_response: StartResponse, status: int, headers: list[tuple[str, str]], body: bytes
) -> list[bytes]:
    """Send a (possibly rewritten) answer with a correct length and the CRC32 that
    botocore checks on every DynamoDB response."""
    skip = {"content-length", "x-amz-crc32", "transfer-encoding"}
    kept = [(name, value) for name, value in headers if name.lower() not in skip]
    kept += [
        ("Content-Length", str(len(body))),
        ("x-amz-crc32", str(zlib.crc32(body) & 0xFFFFFFFF)),
    ]
    reason = {200: "OK", 400: "Bad Request", 500: "Internal Server Error"}.get(status, "")
    start_response(f"{status} {reason}".strip(), kept)
    return [body]


class LocalDynamoDB:
    """A DynamoDB endpoint on loopback, in a background thread.

    >>> with LocalDynamoDB(timing=Timing(build_seconds=2)) as endpoint:
    ...     boto3.client("dynamodb", endpoint_url=endpoint.url, ...)
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        timing: Timing | None = None,
        build_time: Callable[[TableKey, str, int], float] | None = None,
        faults: FaultInjector | None = None,
    ) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self.plane = ControlPlane(timing=timing or Timing(), build_time=build_time)
        moto_app = DomainDispatcherApplication(create_backend_app)
        self.faults = faults
        # CloudWatch's OnlineIndexPercentageProgress on the same port, the rest to the control plane
        app = LocalCloudWatch(ControlPlaneMiddleware(moto_app, self.plane, faults), self.plane)
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> LocalDynamoDB:
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-dynamodb", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LocalDynamoDB:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
