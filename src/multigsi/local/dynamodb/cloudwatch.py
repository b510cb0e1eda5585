"""CloudWatch on the local endpoint's port, for one metric only: DynamoDB's
``OnlineIndexPercentageProgress`` while an index builds, published the way
``metric_model`` says CloudWatch publishes it (one point per 5-minute period, late,
not linear, a few missing), with every duration scaled to the local build's length so
that a 5-second build still shows four or five points.

It answers what botocore sends: since botocore 1.40-something CloudWatch requests are
Smithy RPC v2 CBOR (``POST /service/GraniteServiceVersion20100801/operation/<Op>``);
the AWS JSON 1.0 form (``X-Amz-Target: GraniteServiceVersion20100801.<Op>``) is served
too. The older query protocol is not. GetMetricData and GetMetricStatistics only;
any other operation is refused, and any other metric has no data.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from multigsi.local.dynamodb import cbor
from multigsi.local.dynamodb.control_plane import ControlPlane, OpKind
from multigsi.local.dynamodb.metric_model import REFERENCE_BUILD, MetricModel, Point, build_points, visible
from multigsi.local.dynamodb.regions import region_of

SERVICE = "GraniteServiceVersion20100801"
CBOR_PATH = f"/service/{SERVICE}/operation/"
NAMESPACE, METRIC = "AWS/DynamoDB", "OnlineIndexPercentageProgress"
STATISTICS = ("Maximum", "Minimum", "Average", "Sum", "SampleCount")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class CloudWatchError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Build:
    started: float
    backfill_start: float
    active_at: float

    @property
    def scale(self) -> float:
        """How much faster than an AWS build of REFERENCE_BUILD this one runs."""
        return max(1e-6, (self.active_at - self.started) / REFERENCE_BUILD)


class LocalCloudWatch:
    """WSGI middleware: answers CloudWatch requests, passes everything else to ``app``."""

    def __init__(
        self,
        app: WsgiApp | None,
        plane: ControlPlane,
        model: MetricModel | None = None,
        *,
        scaled: bool = True,
        wall_offset: Callable[[], float] | None = None,
    ) -> None:
        """``scaled``: scale each build's metric to its length (a local endpoint); off, the
        model's durations are taken as they are (the benchmark's simulated AWS).
        ``wall_offset``: wall-clock seconds at the plane's clock zero (default: now)."""
        self.app = app
        started = time.time() - plane.clock()  # fixed, so a point's timestamp never moves
        self.wall_offset = wall_offset or (lambda: started)
        self.plane = plane
        self.model = model or MetricModel()
        self.scaled = scaled
        self._builds: dict[tuple[str, str, str], dict[float, Build]] = {}
        self._points: dict[tuple[str, str, str, float], list[Point]] = {}
        self._last_seen: dict[tuple[str, str, str, float], float] = {}  # a build last seen in flight

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if path.startswith(CBOR_PATH):
            operation, encoding = path[len(CBOR_PATH) :], "cbor"
        elif target.startswith(SERVICE + "."):
            operation, encoding = target[len(SERVICE) + 1 :], "json"
        elif self.app is not None:
            return self.app(environ, start_response)
        else:
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            request = _decode(body, encoding)
            try:
                answer = self.handle(operation, request, region_of(environ))
            except (TypeError, ValueError, KeyError, AttributeError, OverflowError, OSError) as error:
                # a member of the wrong shape somewhere: answer it, never a 500
                raise CloudWatchError("ValidationError", f"Invalid request: {type(error).__name__}") from None
            status = 200
        except CloudWatchError as error:
            status, answer = (
                400,
                {"__type": f"com.amazonaws.cloudwatch#{error.code}", "message": error.message},
            )
        payload = cbor.encode(answer) if encoding == "cbor" else json.dumps(answer, default=_epoch).encode()
        headers = [
            ("Content-Type", "application/cbor" if encoding == "cbor" else "application/x-amz-json-1.0"),
            ("Content-Length", str(len(payload))),
        ]
        if encoding == "cbor":
            headers.append(("smithy-protocol", "rpc-v2-cbor"))
        if status != 200:
            headers.append(("x-amzn-query-error", f"{answer['__type'].split('#')[1]};Sender"))
        start_response("200 OK" if status == 200 else "400 Bad Request", headers)
        return [payload]

    # --- operations ---------------------------------------------------------------------------

    def handle(self, operation: str, request: dict[str, Any], region: str) -> dict[str, Any]:
        if operation == "GetMetricData":
            return self.get_metric_data(request, region)
        if operation == "GetMetricStatistics":
            return self.get_metric_statistics(request, region)
        raise CloudWatchError(
            "UnknownOperationException",
            f"{operation}: this endpoint serves only GetMetricData and GetMetricStatistics",
        )

    def get_metric_data(self, request: dict[str, Any], region: str) -> dict[str, Any]:
        queries = _required(request, "MetricDataQueries", list)
        since, until = _time(request, "StartTime"), _time(request, "EndTime")
        newest_first = request.get("ScanBy", "TimestampDescending") == "TimestampDescending"
        results = []
        for query in queries:
            if not isinstance(query, dict) or not isinstance(query.get("Id"), str):
                raise CloudWatchError("ValidationError", "Each MetricDataQuery needs an Id")
            stat = query.get("MetricStat")
            series: list[tuple[datetime.datetime, float]] = []
            if isinstance(stat, dict):
                metric = stat.get("Metric") or {}
                statistic = str(stat.get("Stat", "Average"))
                series = self._series(metric, region, since, until, _period(stat), statistic)
            series.sort(key=lambda pair: pair[0], reverse=newest_first)
            results.append(
                {
                    "Id": query["Id"],
                    "Label": query.get("Label", METRIC),
                    "Timestamps": [stamp for stamp, _ in series],
                    "Values": [value for _, value in series],
                    "StatusCode": "Complete",
                }
            )
        return {"MetricDataResults": results, "Messages": []}

    def get_metric_statistics(self, request: dict[str, Any], region: str) -> dict[str, Any]:
        statistics = _required(request, "Statistics", list)
        metric = {k: request.get(k) for k in ("Namespace", "MetricName", "Dimensions")}
        since, until, period = _time(request, "StartTime"), _time(request, "EndTime"), _period(request)
        datapoints: dict[datetime.datetime, dict[str, Any]] = {}
        for statistic in statistics:
            for stamp, value in self._series(metric, region, since, until, period, str(statistic)):
                datapoints.setdefault(stamp, {"Timestamp": stamp})[statistic] = value
        return {"Label": str(request.get("MetricName", "")), "Datapoints": list(datapoints.values())}

    # --- the metric ---------------------------------------------------------------------------

    def _series(
        self,
        metric: dict[str, Any],
        region: str,
        since: datetime.datetime,
        until: datetime.datetime,
        period: float,
        statistic: str,
    ) -> list[tuple[datetime.datetime, float]]:
        if statistic not in STATISTICS:
            raise CloudWatchError("InvalidParameterValueException", f"Stat {statistic} is not supported here")
        if metric.get("Namespace") != NAMESPACE or metric.get("MetricName") != METRIC:
            return []
        dimensions = {
            d.get("Name"): d.get("Value") for d in metric.get("Dimensions") or [] if isinstance(d, dict)
        }
        if set(dimensions) != {"TableName", "GlobalSecondaryIndexName"}:
            return []
        key = (region, str(dimensions["TableName"]), str(dimensions["GlobalSecondaryIndexName"]))
        with self.plane.lock:
            self._remember_builds()
            now = self.plane.clock()
        offset = self.wall_offset()  # the plane's clock → wall-clock seconds
        start, end = since.timestamp() - offset, until.timestamp() - offset
        buckets: dict[float, list[float]] = {}
        for attempt, build in enumerate(self._builds.get(key, {}).values()):
            scale = build.scale if self.scaled else 1.0
            points = self._points_of(key, attempt, build)
            last_seen = self._last_seen.get((*key, build.started), build.active_at)
            if last_seen < build.active_at:  # gone before its time (failed, or deleted): no more points
                points = [p for p in points if p.timestamp < last_seen]
            width = period * scale  # the request's period on the build's (scaled) clock
            for point in visible(points, now, start, end):
                # CloudWatch aligns periods on the clock (start times round down to the minute)
                buckets.setdefault((point.timestamp // width) * width, []).append(point.value)
        return [
            (datetime.datetime.fromtimestamp(at + offset, datetime.UTC), _aggregate(values, statistic))
            for at, values in buckets.items()
        ]

    def _remember_builds(self) -> None:
        """Note every create in flight (the plane forgets an operation once it ends; the
        metric's points stay readable, as CloudWatch keeps them)."""
        now = self.plane.clock()
        in_flight = set()
        for (region, table), operations in self.plane.operations.items():
            for name, op in operations.items():
                if op.kind is OpKind.CREATE:
                    builds = self._builds.setdefault((region, table, name), {})
                    builds.setdefault(op.started, Build(op.started, op.allocated_at, op.done_at))
                    in_flight.add((region, table, name, op.started))
        for (region, table, name), builds in self._builds.items():
            for started in builds:
                if (region, table, name, started) in in_flight:
                    self._last_seen[(region, table, name, started)] = now

    def _points_of(self, key: tuple[str, str, str], attempt: int, build: Build) -> list[Point]:
        cached = self._points.get((*key, build.started))
        if cached is None:  # seeded by index and attempt: a simulation of the same builds agrees
            model = self.model.scaled(build.scale) if self.scaled else self.model
            cached = build_points(model, build.backfill_start, build.active_at, f"{key}:{attempt}")
            self._points[(*key, build.started)] = cached
        return cached


def _aggregate(values: list[float], statistic: str) -> float:
    if statistic == "Maximum":
        return max(values)
    if statistic == "Minimum":
        return min(values)
    if statistic == "Sum":
        return float(sum(values))
    if statistic == "SampleCount":
        return float(len(values))
    return sum(values) / len(values)


def _decode(body: bytes, encoding: str) -> dict[str, Any]:
    try:
        request = (cbor.decode(body) if body else {}) if encoding == "cbor" else json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as error:
        raise CloudWatchError(
            "SerializationException", f"Could not parse the request body: {error}"
        ) from None
    if not isinstance(request, dict):
        raise CloudWatchError("SerializationException", "The request body must be an object")
    return request


def _required(request: dict[str, Any], name: str, kind: type) -> Any:
    value = request.get(name)
    if not isinstance(value, kind):
        raise CloudWatchError("MissingParameter", f"The parameter {name} is required.")
    return value


def _time(request: dict[str, Any], name: str) -> datetime.datetime:
    value = request.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.datetime.fromtimestamp(value, datetime.UTC)
    if not isinstance(value, datetime.datetime):
        raise CloudWatchError("MissingParameter", f"The parameter {name} is required.")
    return value


def _period(request: dict[str, Any]) -> float:
    period = request.get("Period", 60)
    if not isinstance(period, int) or isinstance(period, bool) or period < 1:
        raise CloudWatchError(
            "InvalidParameterValueException", "The parameter Period must be a positive integer."
        )
    return float(period)


def _epoch(value: Any) -> float:
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    raise TypeError(type(value).__name__)
