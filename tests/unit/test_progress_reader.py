"""The real CloudWatchProgress reader against the local endpoint's CloudWatch service (no
HTTP: the benchmark's in-memory stand-in, same code), on simulated time: how it dates
points, caches reads and feeds the estimate; and the service never answers a malformed
request with a crash."""

from __future__ import annotations

import io
import json
import random
from typing import Any

from bench.simulation import SimulatedCloudWatch, wall

from multigsi.engine.clock import FakeClock
from multigsi.engine.progress import CACHE_MAX, BuildTracker, CloudWatchProgress
from multigsi.local.dynamodb import cbor
from multigsi.local.dynamodb.cloudwatch import CBOR_PATH, LocalCloudWatch
from multigsi.local.dynamodb.control_plane import ControlPlane, IndexOperation, OpKind
from multigsi.local.dynamodb.metric_model import MetricModel

KEY = ("us-east-1", "t")


def building(clock: FakeClock, *, start: float, build: float, model: MetricModel) -> tuple[ControlPlane, Any]:
    plane = ControlPlane(clock=clock.now)
    plane.operations[KEY] = {
        "i": IndexOperation(OpKind.CREATE, "i", start, start + build, allocated_at=start + 0.2 * build)
    }
    return plane, SimulatedCloudWatch(plane, model)


def test_points_are_dated_at_the_end_of_their_period_and_read_at_most_once_a_minute() -> None:
    clock = FakeClock()
    model = MetricModel(
        period=300.0, delay=(60.0, 60.0), noise=0.0, missing=0.0, shape=(1.0, 1.0), finish=(0.0, 0.0)
    )
    _, cloudwatch = building(clock, start=0.0, build=3000.0, model=model)
    reader = CloudWatchProgress(cloudwatch, clock)
    clock.time = 1700.0  # points for the periods starting at 600 .. 1200 are out (each 60 s after its end)
    sample = reader.sample("t", "i")
    assert sample is not None
    assert [label - wall(0).timestamp() for label, _, _ in sample.history] == [600.0, 900.0, 1200.0]
    assert sample.granularity == 300.0
    assert sample.at == 1500.0  # the Maximum of [1200, 1500) is the progress at 1500
    assert abs(sample.percent - 100 * (1500 - 600) / 2400) < 1e-6
    calls = cloudwatch.calls
    clock.time += CACHE_MAX / 2
    assert reader.sample("t", "i") == sample and cloudwatch.calls == calls  # cached
    clock.time += CACHE_MAX
    reader.sample("t", "i")
    assert cloudwatch.calls == calls + 1


def test_linear_progress_gives_an_estimate_whose_window_holds_the_end() -> None:
    clock = FakeClock()
    model = MetricModel(
        period=300.0, delay=(90.0, 90.0), noise=0.0, missing=0.0, shape=(1.0, 1.0), finish=(0.0, 0.0)
    )
    _, cloudwatch = building(clock, start=0.0, build=3000.0, model=model)
    reader = CloudWatchProgress(cloudwatch, clock)
    tracker = BuildTracker()
    for now in range(0, 2400, 60):
        clock.time = float(now)
        tracker.observe("t", "i", clock.now(), reader.sample("t", "i"))
    estimate = tracker.estimate("t", "i", clock.now())
    assert estimate is not None
    assert abs(estimate.eta - (3000.0 - clock.now())) < 1.0
    assert estimate.spread < 3000.0 - clock.now()


def test_no_points_yet_backs_off_from_one_second() -> None:
    clock = FakeClock()
    _, cloudwatch = building(clock, start=0.0, build=3000.0, model=MetricModel())
    reader = CloudWatchProgress(cloudwatch, clock)
    while clock.now() < 200:
        reader.sample("t", "i")
        clock.sleep(0.5)
    assert cloudwatch.calls <= 9  # 1, 2, 4, … 60 s apart, not one per poll


def test_malformed_requests_get_an_answer_never_a_crash() -> None:
    service = LocalCloudWatch(None, ControlPlane())
    rng = random.Random(3)
    shapes: list[Any] = [None, 1, -1, 1e300, "x", [], {}, [{}], [{"Id": 1}], {"a": 1}, True, 2**60]
    metric = {"Namespace": "AWS/DynamoDB", "MetricName": "OnlineIndexPercentageProgress"}
    for _ in range(1500):
        request = {
            name: rng.choice([*shapes, [{"Id": "p", "MetricStat": {"Metric": {**metric, "Dimensions": rng.choice(shapes)},
                                                                   "Period": rng.choice(shapes), "Stat": rng.choice(shapes)}}]])
            for name in ("MetricDataQueries", "StartTime", "EndTime", "ScanBy", "Statistics", "Period", "Dimensions")
            if rng.random() < 0.6
        }  # fmt: skip
        operation = rng.choice(["GetMetricData", "GetMetricStatistics"])
        for body, environ in (
            (cbor.encode(request), {"PATH_INFO": CBOR_PATH + operation}),
            (
                json.dumps(request).encode(),
                {"PATH_INFO": "/", "HTTP_X_AMZ_TARGET": f"GraniteServiceVersion20100801.{operation}"},
            ),
        ):
            statuses: list[str] = []
            service(
                {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))},
                lambda s, h, seen=statuses: seen.append(s),
            )
            assert statuses[0].split()[0] in ("200", "400"), request
