"""Build progress: percent complete from CloudWatch, and a completion estimate from it.

DynamoDB publishes ``OnlineIndexPercentageProgress`` about once a minute while an index
backfills. It is optional: without permission or data, progress is simply unknown and the
loop falls back to plain polling.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from multigsi.engine.clock import Clock

METRIC_PERIOD = 60  # DynamoDB publishes the metric per minute; asking more often is waste
METRIC_WINDOW = datetime.timedelta(minutes=10)


@dataclass(frozen=True)
class Sample:
    """A published progress value and when it was measured, on the loop's clock: the
    metric is up to a minute old when read, and the estimate must know that."""

    percent: float
    at: float


class ProgressSource(Protocol):
    def sample(self, table_name: str, index_name: str) -> Sample | None: ...


class NoProgress:
    def sample(self, table_name: str, index_name: str) -> Sample | None:
        return None


class CloudWatchProgress:
    """Reads the metric at most once per METRIC_PERIOD per index; gives up on the first
    error (no permission, no CloudWatch at a local endpoint) rather than retrying."""

    def __init__(self, cloudwatch: Any, clock: Clock) -> None:
        self.cloudwatch = cloudwatch
        self.clock = clock
        self.enabled = True
        self._cache: dict[tuple[str, str], tuple[float, Sample | None]] = {}

    def sample(self, table_name: str, index_name: str) -> Sample | None:
        if not self.enabled:
            return None
        key = (table_name, index_name)
        cached = self._cache.get(key)
        if cached is not None and self.clock.now() - cached[0] < METRIC_PERIOD:
            return cached[1]
        value = self._fetch(table_name, index_name)
        self._cache[key] = (self.clock.now(), value)
        return value

    def _fetch(self, table_name: str, index_name: str) -> Sample | None:
        end = datetime.datetime.now(datetime.UTC)
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
        if not values:
            return None
        age = (end - stamps[0]).total_seconds() if stamps else 0.0
        return Sample(float(values[0]), self.clock.now() - max(0.0, age))


@dataclass
class _Observation:
    first_seen: float
    first_percent: float | None = None
    first_percent_at: float = 0.0
    last_percent: float | None = None
    last_percent_at: float = 0.0


@dataclass
class BuildTracker:
    """Remembers when each build was first seen and how its percent moved, to estimate
    the seconds left by extrapolating the observed rate."""

    builds: dict[tuple[str, str], _Observation] = field(default_factory=dict)

    def observe(self, table_name: str, index_name: str, now: float, sample: Sample | None) -> None:
        observation = self.builds.setdefault((table_name, index_name), _Observation(first_seen=now))
        if sample is None or sample.at <= observation.last_percent_at:
            return
        if observation.first_percent is None:
            observation.first_percent, observation.first_percent_at = sample.percent, sample.at
        observation.last_percent, observation.last_percent_at = sample.percent, sample.at

    def elapsed(self, table_name: str, index_name: str, now: float) -> float:
        observation = self.builds.get((table_name, index_name))
        return 0.0 if observation is None else now - observation.first_seen

    def eta(self, table_name: str, index_name: str, now: float) -> float | None:
        observation = self.builds.get((table_name, index_name))
        if observation is None or observation.last_percent is None or observation.first_percent is None:
            return None
        gained = observation.last_percent - observation.first_percent
        span = observation.last_percent_at - observation.first_percent_at
        if gained <= 0 or span <= 0:
            return None
        rate = gained / span
        remaining = (100.0 - observation.last_percent) / rate
        return max(0.0, remaining - (now - observation.last_percent_at))

    def forget(self, table_name: str, index_name: str) -> None:
        self.builds.pop((table_name, index_name), None)
