"""The HTTP endpoint: moto's WSGI app with the control plane in front of it.

DynamoDB requests are JSON with an ``X-Amz-Target`` header. Every one is shape-checked
(``validation``); the table and index operations and Query/Scan pass through the control
planes (``tables``, ``control_plane``); item calls go on to moto. Only DynamoDB is served
(``routes``): no other moto service, no admin API unless asked, no CORS headers.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import socket
import string
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import run_wsgi_app

from multigsi.local.dynamodb import messages, tags
from multigsi.local.dynamodb.cloudwatch import LocalCloudWatch
from multigsi.local.dynamodb.control_plane import ControlPlane, TableKey, Timing
from multigsi.local.dynamodb.errors import AwsError
from multigsi.local.dynamodb.faults import Fault, FaultInjector
from multigsi.local.dynamodb.hosts import HostGuard
from multigsi.local.dynamodb.regions import in_region, region_of
from multigsi.local.dynamodb.replicas import ReplicaRules
from multigsi.local.dynamodb.replication import (
    Moto,
    apply_replica_action,
    check_replica_builds,
    deliver,
    moto_json,
    propagate_indexes,
    replicate_writes,
)
from multigsi.local.dynamodb.routes import Route, Router, is_dynamodb, reset_route
from multigsi.local.dynamodb.table_rules import check_create_table, check_table_settings, check_update_table
from multigsi.local.dynamodb.tables import DATA_OPERATIONS, Limits, Phase, list_page
from multigsi.local.dynamodb.validation import check_request

TARGET_PREFIX = "DynamoDB_20120810."
TAG_OPERATIONS = frozenset({"TagResource", "UntagResource", "ListTagsOfResource"})

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class ControlPlaneMiddleware:
    """DynamoDB's JSON protocol: every request is shape-checked, then passes the table and
    index control planes, then (if still accepted) goes to moto."""

    def __init__(self, moto_app: WsgiApp, plane: ControlPlane, faults: FaultInjector | None = None) -> None:
        self.moto_app = moto_app
        self.plane = plane
        self.faults = faults

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        operation = environ.get("HTTP_X_AMZ_TARGET", "")[len(TARGET_PREFIX) :]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            payload: Any = json.loads(body) if body else None  # None: SerializationException
        except ValueError:
            payload = None
        name = payload.get("TableName") if isinstance(payload, dict) else None
        key: TableKey = (region_of(environ), name if isinstance(name, str) else "")
        fault = self._inject(operation, key, environ) if self.faults is not None else None
        if fault is not None and fault.kind != "lost":
            return _respond(start_response, *_fault_answer(fault))
        try:
            with self.plane.lock:
                self.plane.tables.admit(operation, key[0])
                checked = check_request(operation, payload)
                status, headers, answer = self._handle(operation, environ, checked, key)
        except AwsError as error:
            self.plane.record(key, "refused", "", f"{operation}: {error.code}")
            status, headers, answer = _error(error)
        except Exception:  # a bug here: still answer as DynamoDB would, in JSON
            logging.getLogger(__name__).exception("local endpoint failed on %s", operation)
            status, headers, answer = _error(AwsError("InternalServerError", "Internal server error", 500))
        if fault is not None:  # "lost": applied, and the answer never arrives
            status, headers, answer = _fault_answer(fault)
        return _respond(start_response, status, headers, answer)

    def _inject(self, operation: str, key: TableKey, environ: dict[str, Any]) -> Fault | None:
        """A fault instead of the real answer, or None."""
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
        return fault

    def _handle(
        self, operation: str, environ: dict[str, Any], payload: dict[str, Any], key: TableKey
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        tables = self.plane.tables
        global_tables = self.plane.global_tables
        global_tables.copies = deliver(global_tables.copies, self.plane.clock(), self._regional(environ))
        if operation == "UpdateTable":
            return self._update_table(environ, payload, key)
        if operation == "CreateTable":
            return self._create_table(environ, payload, key)
        if operation == "DeleteTable":
            return self._delete_table(environ, payload, key)
        if operation in TAG_OPERATIONS:
            return self._tags(environ, operation, payload, key[0])
        if operation == "ListTables":
            names = self._table_names(environ) + tables.deleting(key[0])
            return _ok(list_page(names, payload.get("ExclusiveStartTableName"), payload.get("Limit")))
        if operation == "DescribeTable":
            self.plane.record(key, "describe")
            ghost = tables.ghost(key)
            if ghost is not None:
                return _ok({"Table": ghost})
            status, headers, answer = self._moto(environ, payload, operation)
            if status == 200:
                document = json.loads(answer)
                document["Table"] = self.plane.overlay(key, document["Table"])
                answer = json.dumps(document).encode()
            return status, headers, answer
        for table in _tables_named(operation, payload):
            if operation in DATA_OPERATIONS and tables.phase((key[0], table)) is Phase.CREATING:
                raise AwsError("ResourceNotFoundException", messages.TABLE_NOT_ACTIVE)
        if operation in ("Query", "Scan") and payload.get("IndexName") is not None:
            self._check_index_exists(environ, key, payload["IndexName"])
            self.plane.check_read(key, payload["IndexName"])
        status, headers, answer = self._moto(environ, payload, operation)
        if status == 200:
            global_tables.copies += replicate_writes(
                self.plane, key[0], operation, payload, self._regional(environ)
            )
        return status, headers, answer

    def _regional(self, environ: dict[str, Any]) -> Moto:
        """moto in any region, for this request's own calls across regions."""

        def call(region: str, operation: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            status, _, answer = self._moto(in_region(environ, region), payload, operation)
            return moto_json(status, answer)

        return call

    def _describe(self, environ: dict[str, Any], key: TableKey) -> dict[str, Any]:
        """The table as AWS would show it now, or the ResourceNotFoundException."""
        status, _, answer = self._moto(environ, {"TableName": key[1]}, "DescribeTable")
        if status != 200:
            raise AwsError("ResourceNotFoundException", messages.TABLE_NOT_FOUND.format(name=key[1]))
        return self.plane.overlay(key, json.loads(answer)["Table"])

    def _check_index_exists(self, environ: dict[str, Any], key: TableKey, index: str) -> None:
        description = self._describe(environ, key)
        names = {
            item["IndexName"]
            for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
            for item in description.get(kind) or []
        }
        if index not in names:
            raise AwsError("ValidationException", messages.INDEX_NOT_ON_TABLE.format(name=index))

    def _table_names(self, environ: dict[str, Any]) -> list[str]:
        """Every table moto holds in the request's region, read page by page (under the lock)."""
        names: list[str] = []
        request: dict[str, Any] = {"Limit": 100}
        while True:
            status, _, answer = self._moto(environ, request, "ListTables")
            if status != 200:
                raise AwsError("InternalServerError", "Internal server error", 500)
            document = json.loads(answer)
            names += document.get("TableNames", [])
            if not document.get("LastEvaluatedTableName"):
                return names
            request = {"Limit": 100, "ExclusiveStartTableName": document["LastEvaluatedTableName"]}

    def _tags(
        self, environ: dict[str, Any], operation: str, payload: dict[str, Any], region: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """TagResource, UntagResource, ListTagsOfResource: answered here, never by moto."""
        arn = payload.get("ResourceArn")
        store = self.plane.tags
        if operation == "TagResource":
            table = (region, tags.table_of(arn, region, needs="tags", given=payload.get("Tags")))
            if not payload["Tags"]:
                raise AwsError("ValidationException", messages.NO_TAGS)
            wanted = tags.check_tags(payload["Tags"])
            self._check_taggable(environ, table, str(arn))
            store.tag(table, wanted)
            return _ok({})
        if operation == "UntagResource":
            table = (region, tags.table_of(arn, region, needs="tagKeys", given=payload.get("TagKeys")))
            if not payload["TagKeys"]:
                raise AwsError("ValidationException", messages.NO_TAG_KEYS)
            keys = tags.check_keys(payload["TagKeys"])
            self._check_taggable(environ, table, str(arn))
            store.untag(table, keys)
            return _ok({})
        table = (region, tags.table_of(arn, region, needs="", given=None))
        self._check_taggable(environ, table, str(arn))
        return _ok({"Tags": store.listing(table)})  # every tag, never a NextToken (tags.py)

    def _check_taggable(self, environ: dict[str, Any], table: TableKey, arn: str) -> None:
        """Tag calls on a table that is missing, CREATING or DELETING: ResourceNotFound
        (ack-api-quirks DDB-TABLE-446, 2026-10-09)."""
        missing = AwsError("ResourceNotFoundException", messages.TAG_TABLE_NOT_FOUND.format(arn=arn))
        if self.plane.tables.ghost(table) is not None or self.plane.tables.phase(table) is Phase.CREATING:
            raise missing
        status, _, _ = self._moto(environ, {"TableName": table[1]}, "DescribeTable")
        if status != 200:
            raise missing

    def _refuse_in_phase(self, key: TableKey) -> None:
        """A table CREATING, UPDATING (its own settings) or DELETING cannot be changed."""
        phase = self.plane.tables.phase(key)
        if phase is Phase.CREATING:
            raise AwsError("ResourceInUseException", messages.TABLE_BEING_CREATED.format(name=key[1]))
        if phase is Phase.UPDATING:
            raise AwsError("ResourceInUseException", messages.TABLE_BEING_UPDATED.format(name=key[1]))
        if phase is Phase.DELETING:
            raise AwsError("ResourceInUseException", messages.TABLE_BEING_DELETED.format(name=key[1]))

    def _create_table(
        self, environ: dict[str, Any], payload: dict[str, Any], key: TableKey
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        check_create_table(payload)
        wanted = tags.check_tags(payload.get("Tags") or [])
        if self.plane.tables.ghost(key) is not None:
            raise AwsError("ResourceInUseException", messages.TABLE_BEING_DELETED.format(name=key[1]))
        self.plane.check_capacity(key[0])
        untagged = {name: value for name, value in payload.items() if name != "Tags"}  # tags.py keeps them
        status, headers, answer = self._moto(environ, untagged, "CreateTable")
        if status != 200:
            return status, headers, answer
        self.plane.forget(key)
        self.plane.tables.created(key)
        self.plane.tags.tag(key, wanted)
        document = json.loads(answer)
        document["TableDescription"] = self.plane.overlay(key, document["TableDescription"])
        return status, headers, json.dumps(document).encode()

    def _delete_table(
        self, environ: dict[str, Any], payload: dict[str, Any], key: TableKey
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        ghost = self.plane.tables.ghost(key)
        if ghost is not None:  # "If the table is in the DELETING state, no error is returned."
            return _ok({"TableDescription": ghost})
        description = self._describe(environ, key)
        self._refuse_in_phase(key)
        self.plane.check_capacity(key[0])
        status, headers, answer = self._moto(environ, payload, "DeleteTable")
        if status != 200:
            return status, headers, answer
        self.plane.forget(key)
        self.plane.tables.deleted(key, description)
        self.plane.global_tables.dropped(key)
        return _ok({"TableDescription": self.plane.tables.ghost(key)})

    def _update_table(
        self, environ: dict[str, Any], payload: dict[str, Any], key: TableKey
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        check_update_table(payload)
        if self.plane.tables.ghost(key) is not None:
            raise AwsError("ResourceInUseException", messages.TABLE_BEING_DELETED.format(name=key[1]))
        description = self._describe(environ, key)
        if payload.get("ReplicaUpdates") is not None:
            return self._replica_update(environ, payload, key, description)
        self.plane.global_tables.check_other_update(key, payload)
        self._refuse_in_phase(key)
        table_change = check_table_settings(payload, description)
        if table_change and description.get("TableStatus") == "UPDATING":
            raise AwsError("ResourceInUseException", messages.TABLE_BEING_UPDATED.format(name=key[1]))
        self.plane.check_update(key, description, payload)
        check_replica_builds(self.plane, key, payload)
        if table_change or payload.get("GlobalSecondaryIndexUpdates"):
            self.plane.check_capacity(key[0])
        status, headers, answer = self._moto(
            environ, _merged_definitions(description, payload), "UpdateTable"
        )
        if status != 200:
            return status, headers, answer
        self.plane.begin(key, description, payload)
        propagate_indexes(self.plane, key, payload, self._regional(environ))
        if table_change:
            self.plane.tables.updated(key, description, payload)
        document = json.loads(answer)
        document["TableDescription"] = self.plane.overlay(key, document["TableDescription"])
        return status, headers, json.dumps(document).encode()

    def _replica_update(
        self, environ: dict[str, Any], payload: dict[str, Any], key: TableKey, description: dict[str, Any]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """UpdateTable with ReplicaUpdates (global tables 2019.11.21): replicas.py's rules, then
        replication.py's work in the other region."""
        global_tables = self.plane.global_tables
        regions = [key[0], *global_tables.others(key)]
        index_work = any(self.plane.building((region, key[1])) for region in regions)
        action = global_tables.check(key, payload, index_work)
        self._refuse_in_phase(key)
        moto = self._regional(environ)
        if action.kind == "Create":
            global_tables.check_stream(description)
            target = (action.region, key[1])
            exists = moto(action.region, "DescribeTable", {"TableName": key[1]})[0] == 200
            if exists or self.plane.tables.ghost(target) is not None:
                raise AwsError("ValidationException", messages.REPLICA_EXISTS.format(name=key[1]))
            self.plane.check_capacity(action.region)
        apply_replica_action(self.plane, key, action, moto)
        return _ok({"TableDescription": self._describe(environ, key)})

    def _moto(
        self, environ: dict[str, Any], payload: dict[str, Any], operation: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        data = json.dumps(payload).encode()
        inner = dict(environ)
        inner.update(
            {
                "wsgi.input": io.BytesIO(data),
                "CONTENT_LENGTH": str(len(data)),
                "CONTENT_TYPE": "application/x-amz-json-1.0",  # moto guesses the protocol from it
                "HTTP_X_AMZ_TARGET": TARGET_PREFIX + operation,
            }
        )
        try:
            app_iter, status, headers = run_wsgi_app(self.moto_app, inner, buffered=True)
            try:
                answer = b"".join(app_iter)
            finally:
                close = getattr(app_iter, "close", None)
                if close is not None:
                    close()
        except Exception:  # moto crashed on a request it did not expect: AWS's JSON 500
            logging.getLogger(__name__).exception("moto failed on %s", operation)
            raise AwsError("InternalServerError", "Internal server error", 500) from None
        return int(status.split()[0]), list(headers.items()), answer


def _ok(document: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    return 200, [("Content-Type", "application/x-amz-json-1.0")], json.dumps(document).encode()


def _tables_named(operation: str, payload: dict[str, Any]) -> list[str]:
    """The tables a data call touches: TableName, or the keys of RequestItems."""
    if isinstance(payload.get("TableName"), str):
        return [payload["TableName"]]
    items = payload.get("RequestItems")
    return [name for name in items if isinstance(name, str)] if isinstance(items, dict) else []


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


def _fault_answer(fault: Fault) -> tuple[int, list[tuple[str, str]], bytes]:
    """An injected error, marked so that a recording proxy can tell it from a real refusal."""
    status, headers, body = _error(AwsError(fault.code, fault.message, fault.status))
    return status, [*headers, ("x-multigsi-fault", fault.kind)], body


def _error(error: AwsError) -> tuple[int, list[tuple[str, str]], bytes]:
    body = json.dumps(error.body()).encode()
    return error.status, [("Content-Type", "application/x-amz-json-1.0")], body


REQUEST_ID_ALPHABET = string.digits + string.ascii_uppercase


def request_id() -> str:
    """DynamoDB's request id: 52 upper-case letters and digits (dynalite's listTables tests
    match /^[0-9A-Z]{52}$/ against AWS; e.g. FLMA4C456PAVR2EJUMCMC8R31NVV4KQNSO5AEMVJF66Q9ASUAAJG
    in turbot/steampipe-plugin-aws#1516, 2022-12-21). moto's ids mix in lower case."""
    return "".join(secrets.choice(REQUEST_ID_ALPHABET) for _ in range(52))


def _respond(
    start_response: StartResponse, status: int, headers: list[tuple[str, str]], body: bytes
) -> list[bytes]:
    """Send a (possibly rewritten) answer with a correct length and the CRC32 that
    botocore checks on every DynamoDB response."""
    skip = {"content-length", "x-amz-crc32", "transfer-encoding", "x-amzn-requestid"}
    kept = [
        (name, value)
        for name, value in headers
        if name.lower() not in skip and not name.lower().startswith("access-control-")  # no CORS
    ]
    kept += [
        ("x-amzn-RequestId", request_id()),
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
        limits: Limits | None = None,
        allow_reset: bool = False,
        clock: Callable[[], float] | None = None,
        replica_rules: ReplicaRules | None = None,
    ) -> None:
        """``clock``: the control plane's time (default ``time.monotonic``); a simulation
        passes its own so that builds of hours pass in moments. ``replica_rules``: the
        choices where AWS's global-table behaviour is unknown (replicas.py)."""
        from moto.moto_server.werkzeug_app import create_backend_app

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self.plane = ControlPlane(
            timing=timing or Timing(),
            build_time=build_time,
            limits=limits or Limits(),
            clock=clock or time.monotonic,
            replica_rules=replica_rules or ReplicaRules(),
        )
        moto_app = create_backend_app("dynamodb")  # DynamoDB only: no other service, no admin API
        self.faults = faults
        # One route per service served on this port; anything else is answered 404. CloudWatch
        # (OnlineIndexPercentageProgress only) is answered in front of the routes.
        self.routes: list[Route] = [
            Route("dynamodb", is_dynamodb, ControlPlaneMiddleware(moto_app, self.plane, faults))
        ]
        if allow_reset:
            self.routes.append(reset_route(self.plane))
        app = LocalCloudWatch(Router(self.routes), self.plane)
        guarded = HostGuard(app, host, lambda: self._server.port)  # no DNS rebinding (hosts.py)
        self._server: BaseWSGIServer = make_server(host, port, guarded, threaded=True)
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
