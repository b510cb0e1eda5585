"""Build progress: percent complete from CloudWatch, and a completion estimate from it.

DynamoDB publishes ``OnlineIndexPercentageProgress`` about once a minute while an index
backfills. It is optional: without permission or data, progress is simply unknown and the
loop falls back to plain polling.
"""

from __future__ import annotations

import datetime
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from multigsi.engine.clock import Clock

METRIC_PERIOD = 60  # the Period asked for; the metric itself comes per 5 minutes (DOMAIN.md)
DEFAULT_GRANULARITY = 300.0  # documented aggregation of DynamoDB's other metrics: five minutes
METRIC_WINDOW = datetime.timedelta(minutes=30)
CACHE_MAX = 60.0  # never read one index's metric more often than its points can change ...
CACHE_MIN = 0.5  # ... nor more than twice a second (a local endpoint scales its points down)
NOISE_POINTS = 2.0  # how far one published value may be off (unconfirmed; see docs/benchmarks.md)


@dataclass(frozen=True)
class Sample:
    """The newest published progress value and when it was measured, on the loop's clock
    (a point is labelled with the start of its period, and its Maximum is the progress at
    the period's end: it is dated there). ``history`` has every point the read returned,
    oldest first, as (label, at, percent) with the label in epoch seconds, so a fresh reader (a new Lambda hop) sees the trend at
    once. ``granularity`` is the seconds between points, as far as the read could tell."""

    percent: float
    at: float
    history: tuple[tuple[float, float, float], ...] = ()
    granularity: float = DEFAULT_GRANULARITY


class ProgressSource(Protocol):
    def sample(self, table_name: str, index_name: str) -> Sample | None: ...


class PerRegion:
    """One progress source per replica region of a global table, made on first use
    (CloudWatch publishes each replica's OnlineIndexPercentageProgress in its region)."""

    def __init__(self, make: Callable[[str], ProgressSource]) -> None:
        self._make = make
        self._made: dict[str, ProgressSource] = {}
        self._lock = threading.Lock()

    def __call__(self, region: str) -> ProgressSource:
        with self._lock:
            if region not in self._made:
                self._made[region] = self._make(region)
            return self._made[region]


class NoProgress:
    def sample(self, table_name: str, index_name: str) -> Sample | None:
        return None


class CloudWatchProgress:
    """Reads the metric at most once per half granularity (between CACHE_MIN and
    CACHE_MAX seconds) per index, backing off from 1 s while no point exists yet; gives up
    on the first error (no permission, an endpoint without CloudWatch) rather than
    retrying. CloudWatch's timestamps are compared with the clock's wall time."""

    def __init__(self, cloudwatch: Any, clock: Clock) -> None:
        self.cloudwatch = cloudwatch
        self.clock = clock
        self.enabled = True
        self.reads = 0
        self._cache: dict[tuple[str, str], tuple[float, float, Sample | None]] = {}
        self._empty: dict[tuple[str, str], int] = {}
        self._granularity: dict[tuple[str, str], float] = {}

    def sample(self, table_name: str, index_name: str) -> Sample | None:
        if not self.enabled:
            return None
        key = (table_name, index_name)
        cached = self._cache.get(key)
        now = self.clock.now()
        if cached is not None and now - cached[0] < cached[1]:
            return cached[2]
        value = self._fetch(table_name, index_name)
        if value is None:
            misses = self._empty.get(key, 0)
            self._empty[key] = misses + 1
            keep = min(CACHE_MAX, 2.0**misses)
        else:
            keep = min(CACHE_MAX, max(CACHE_MIN, value.granularity / 2))
        self._cache[key] = (now, keep, value)
        return value

    def _fetch(self, table_name: str, index_name: str) -> Sample | None:
        end = datetime.datetime.fromtimestamp(self.clock.wall(), datetime.UTC)
        self.reads += 1
        try:
            answer = self.cloudwatch.get_metric_data(
                MetricDataQueries=[
                    {
                        "Id": "progress",
                        "MetricStat": {
                            "Metric": {
                                "Namespace": "AWS/DynamoDB",
                                "MetricName": "OnlineIndexPercentageProgress",
                                "Dimensions": [
                                    {"Name": "TableName", "Value": table_name},
                                    {"Name": "GlobalSecondaryIndexName", "Value": index_name},
                                ],
                            },
                            "Period": METRIC_PERIOD,
                            "Stat": "Maximum",
                        },
                    }
                ],
                StartTime=end - METRIC_WINDOW,
                EndTime=end,
                ScanBy="TimestampDescending",
            )
        except (ClientError, BotoCoreError):
            self.enabled = False
            return None
        results = answer.get("MetricDataResults", [])
        values = results[0].get("Values", []) if results else []
        stamps = results[0].get("Timestamps", []) if results else []
        if not values or len(stamps) != len(values):
            return None
        now = self.clock.now()
        # (label in epoch seconds, seconds from the label to `end`, value), oldest first
        points = sorted(
            (stamp.timestamp(), (end - stamp).total_seconds(), float(value))
            for stamp, value in zip(stamps, values, strict=True)
        )
        gaps = [b[0] - a[0] for a, b in itertools.pairwise(points) if b[0] - a[0] > 1e-6]
        key = (table_name, index_name)
        if gaps:
            granularity = min(gaps)
        else:  # one point: its period ended before now; keep the tightest bound seen
            granularity = min(self._granularity.get(key, DEFAULT_GRANULARITY), max(0.0, points[-1][1]))
        self._granularity[key] = granularity
        history = tuple((label, now - max(0.0, age - granularity), value) for label, age, value in points)
        return Sample(history[-1][2], history[-1][1], history, granularity)


@dataclass(frozen=True)
class Estimate:
    """When the slowest build should end, seen from the loop: ``eta`` seconds from now
    (negative: overdue), give or take ``spread`` seconds."""

    eta: float
    spread: float


@dataclass
class _Observation:
    first_seen: float
    points: dict[float, tuple[float, float]] = field(default_factory=dict)  # label → (at, percent)
    granularity: float = DEFAULT_GRANULARITY
    last_percent: float | None = None


@dataclass
class BuildTracker:
    """Remembers when each build was first seen and every progress point read for it, to
    estimate the seconds left from the recent rate, with an honest spread: the further the
    extrapolation reaches and the fewer points it rests on, the wider."""

    builds: dict[tuple[str, str], _Observation] = field(default_factory=dict)

    def observe(self, table_name: str, index_name: str, now: float, sample: Sample | None) -> None:
        observation = self.builds.setdefault((table_name, index_name), _Observation(first_seen=now))
        if sample is None:
            return
        for label, at, percent in sample.history or ((sample.at, sample.at, sample.percent),):
            observation.points[round(label, 3)] = (at, percent)  # a later read may date it better
        observation.granularity = sample.granularity
        observation.last_percent = sample.percent

    def elapsed(self, table_name: str, index_name: str, now: float) -> float:
        observation = self.builds.get((table_name, index_name))
        return 0.0 if observation is None else now - observation.first_seen

    def estimate(self, table_name: str, index_name: str, now: float) -> Estimate | None:
        observation = self.builds.get((table_name, index_name))
        if observation is None or not observation.points:
            return None
        points = sorted(observation.points.values())
        recent = points[-3:]
        last_at, last_percent = recent[-1]
        if len(recent) >= 2:
            rate = _slope(recent)
            reach = 0.5  # share of the extrapolated time the estimate may be off
        else:  # one point: from when the build was first seen (early: allocation counts too)
            if last_at <= observation.first_seen:
                return None
            rate = last_percent / max(1e-9, last_at - observation.first_seen)
            reach = 0.8
        if rate <= 0:
            return None
        ahead = max(0.0, 100.0 - last_percent) / rate  # from the last point to 100 %
        spread = reach * ahead + NOISE_POINTS / rate + 0.02 * (now - observation.first_seen)
        return Estimate(ahead - (now - last_at), spread)

    def eta(self, table_name: str, index_name: str, now: float) -> float | None:
        estimate = self.estimate(table_name, index_name, now)
        return None if estimate is None else max(0.0, estimate.eta)

    def forget(self, table_name: str, index_name: str) -> None:
        self.builds.pop((table_name, index_name), None)


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares percent per second."""
    mean_t = sum(t for t, _ in points) / len(points)
    mean_p = sum(p for _, p in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread <= 0:
        return 0.0
    return sum((t - mean_t) * (p - mean_p) for t, p in points) / spread
