"""How CloudWatch shows ``OnlineIndexPercentageProgress`` for one index build: the one
progress model that both the local endpoint's CloudWatch and the benchmark publish, so a
wait policy tuned in the simulation meets the same data locally.

What it follows, and where that comes from (../../../docs/benchmarks.md repeats it):

- Granularity: AWS's DynamoDB metrics page lists the metrics aggregated every minute and
  this one is not among them ("for all other DynamoDB metrics, the aggregation granularity
  is five minutes"), so one point per 5-minute period by default; 1 minute is a variant.
- A point is labelled with the start of its period (CloudWatch's convention for
  aggregated data) and, progress only growing, its Maximum is the progress at the period's
  end.
- Publication delay, the shape of progress over time, noise, where 100 % falls against
  ACTIVE and gaps are not documented (unconfirmed): points appear 1-3 minutes after their
  period ends, progress is a power curve whose exponent is drawn per build (0.6-1.6:
  fast-then-slow or slow-then-fast), values carry ±2 points of noise, the metric reaches
  100 % up to 10 % of the backfill early or stops short of it, some points are missing,
  and for some builds none ever appear.

Times are floats on the caller's clock (seconds); the caller maps them to timestamps.
Standard library only.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace

REFERENCE_BUILD = 40 * 60.0  # a local build stands for a 40-minute AWS build: about 8 points


@dataclass(frozen=True)
class MetricModel:
    period: float = 300.0  # seconds per data point (AWS: 5 minutes; 60 as a variant)
    delay: tuple[float, float] = (60.0, 180.0)  # a point appears this long after its period ends
    noise: float = 2.0  # ± percentage points, uniform
    shape: tuple[float, float] = (0.6, 1.6)  # exponent range of progress = fraction ** shape
    finish: tuple[float, float] = (-0.10, 0.05)  # 100 % at ACTIVE + this share of the backfill
    missing: float = 0.1  # probability that any one point never appears
    absent: float = 0.0  # probability that a build publishes nothing at all
    seed: int = 0  # with the build's key, seeds every draw

    def scaled(self, factor: float) -> MetricModel:
        """The same model on a clock ``factor`` times faster (a 5 s local build standing
        for a 20 minute one): periods and delays shrink, shares and noise stay."""
        return replace(
            self, period=self.period * factor, delay=(self.delay[0] * factor, self.delay[1] * factor)
        )


@dataclass(frozen=True)
class Point:
    timestamp: float  # the start of the point's period (CloudWatch's label)
    value: float  # percent
    published: float  # from when a reader can see it


def build_points(model: MetricModel, backfill_start: float, active_at: float, key: str) -> list[Point]:
    """Every point the build ever publishes, in time order. ``key`` seeds the draws (the
    same build always gets the same points); periods align on multiples of the period,
    as CloudWatch's do on the clock."""
    rng = random.Random(f"metric:{model.seed}:{key}")
    if active_at <= backfill_start or rng.random() < model.absent:
        return []
    length = active_at - backfill_start
    exponent = rng.uniform(*model.shape)
    full_at = active_at + rng.uniform(*model.finish) * length  # when the metric would read 100 %

    def progress(at: float) -> float:
        fraction = min(1.0, max(0.0, (at - backfill_start) / max(1e-9, full_at - backfill_start)))
        return 100.0 * float(fraction**exponent)

    points = []
    start = math.floor(backfill_start / model.period) * model.period
    while start < active_at:
        end = start + model.period
        value = progress(min(end, active_at)) + rng.uniform(-model.noise, model.noise)
        published = end + rng.uniform(*model.delay)
        if rng.random() >= model.missing:
            points.append(Point(start, round(min(100.0, max(0.0, value)), 2), published))
        start = end
    return points


def visible(points: list[Point], now: float, since: float, until: float) -> list[Point]:
    """The points a query at ``now`` for [since, until) returns, newest first."""
    return sorted(
        (p for p in points if p.published <= now and since <= p.timestamp < until),
        key=lambda p: p.timestamp,
        reverse=True,
    )
