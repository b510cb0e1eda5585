"""Workloads in simulated time: the real reconcile loop, its clock and sleep injected,
against the simulated control plane (the local endpoint's rules), with build times drawn
from a seeded log-normal distribution clipped to 2 minutes .. 3 hours."""

from __future__ import annotations

import functools
import math
import random
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.peers import Strategy
from bench.simtime import VirtualTime
from bench.simulation import REGION, SimulatedDynamoDB, SimulatedProgress
from multigsi.engine.ownership import Ownership
from multigsi.engine.progress import NoProgress
from multigsi.engine.reconcile import ApplyResult, Reconciler
from multigsi.local.control_plane import ControlPlane, Timing
from multigsi.spec.parse import parse_table_spec

MIN_BUILD, MAX_BUILD = 120.0, 3 * 3600.0
MEDIAN_BUILD = 20 * 60.0


@dataclass(frozen=True)
class Workload:
    name: str
    builds: dict[str, list[float]]  # table → build seconds of each index, in order


def lognormal_builds(rng: random.Random, count: int) -> list[float]:
    return [
        min(MAX_BUILD, max(MIN_BUILD, rng.lognormvariate(math.log(MEDIAN_BUILD), 1.0))) for _ in range(count)
    ]


def workloads(seed: int = 2026, quick: bool = False) -> list[Workload]:
    rng = random.Random(seed)
    result = [
        Workload("1 index", {"t-one": lognormal_builds(rng, 1)}),
        Workload("5 indexes", {"t-five": lognormal_builds(rng, 5)}),
        # Nominally 30 minutes; real builds never end on a whole second, so add 0-5 s.
        Workload("5 x 30-min builds", {"t-thirty": [1800.0 + rng.uniform(0, 5) for _ in range(5)]}),
    ]
    if not quick:
        result.append(Workload("20 indexes", {"t-twenty": lognormal_builds(rng, 20)}))
        result.append(Workload("50 tables x 5", {f"t-{n:02d}": lognormal_builds(rng, 5) for n in range(50)}))
    return result


def spec_for(table: str, count: int) -> Any:
    return parse_table_spec(
        {
            "TableName": table,
            "AttributeDefinitions": [
                {"AttributeName": f"k{n:02d}", "AttributeType": "S"} for n in range(count)
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": f"index-{n:02d}",
                    "KeySchema": [{"AttributeName": f"k{n:02d}", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
                for n in range(count)
            ],
        }
    )


@dataclass(frozen=True)
class Measurement:
    strategy: str
    workload: str
    total: float  # seconds until the last table converged
    slowest_builds: float  # the largest per-table sum of build times
    lags: list[float]  # build finished → next step issued (or convergence noticed)
    describes: int
    in_flight_seconds: float  # Σ over tables of time with something in flight
    refused: int
    peak_requests_per_second: int
    within_limit: bool

    def summary(self) -> dict[str, Any]:
        lags = sorted(self.lags)
        return {
            "strategy": self.strategy,
            "workload": self.workload,
            "total_seconds": round(self.total, 1),
            "total_over_builds": round(self.total / self.slowest_builds, 4),
            "lag_p50": round(percentile(lags, 50), 3),
            "lag_p95": round(percentile(lags, 95), 3),
            "describes_per_index_hour": round(self.describes / (self.index_hours or 1), 1),
            "describes_per_second_in_flight": round(self.describes / max(1.0, self.in_flight_seconds), 3),
            "refused_requests": self.refused,
            "peak_requests_per_second": self.peak_requests_per_second,
            "within_tool_limit": self.within_limit,
        }

    @property
    def index_hours(self) -> float:
        return self.in_flight_seconds / 3600


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run(strategy: Strategy, workload: Workload) -> Measurement:
    clock = VirtualTime()
    durations = {
        (REGION, table): dict(zip([f"index-{n:02d}" for n in range(len(b))], b, strict=True))
        for table, b in workload.builds.items()
    }
    plane = ControlPlane(
        timing=Timing(build_seconds=0.0, delete_seconds=60.0, update_seconds=30.0),
        clock=clock.now,
        build_time=lambda key, index, items: durations[key][index],
    )
    simulated = SimulatedDynamoDB(plane)
    for table in workload.builds:
        simulated.add_table(table)
    progress = SimulatedProgress(plane) if strategy.uses_progress else NoProgress()
    ended: dict[str, float] = {}

    def job(table: str, count: int) -> ApplyResult:
        reconciler = Reconciler(
            simulated, clock=clock, rng=random.Random(table), policy=strategy.make_policy(), progress=progress
        )
        result = reconciler.apply(spec_for(table, count), Ownership.everything())
        ended[table] = clock.now()
        return result

    results = clock.run([functools.partial(job, table, len(b)) for table, b in workload.builds.items()])
    errors = [r for r in results if isinstance(r, Exception)]
    if errors:
        raise errors[0]
    lags: list[float] = []
    in_flight = 0.0
    for table in workload.builds:
        events = sorted(
            (e for e in plane.events if e.table == table and e.kind in ("started", "finished")),
            key=lambda e: e.at,
        )
        for position, event in enumerate(events):
            if event.kind != "finished":
                continue
            following = next((e.at for e in events[position + 1 :] if e.kind == "started"), ended[table])
            lags.append(following - event.at)
        starts = [e.at for e in events if e.kind == "started"]
        finishes = [e.at for e in events if e.kind == "finished"]
        in_flight += sum(f - s for s, f in zip(starts, finishes, strict=True))
    per_second = Counter(int(e.at) for e in plane.events if e.kind in ("describe", "started", "refused"))
    total = max(ended.values())
    return Measurement(
        strategy=strategy.name,
        workload=workload.name,
        total=total,
        slowest_builds=max(sum(b) for b in workload.builds.values()),
        lags=lags,
        describes=sum(1 for e in plane.events if e.kind == "describe"),
        in_flight_seconds=in_flight,
        refused=sum(1 for e in plane.events if e.kind == "refused"),
        peak_requests_per_second=max(per_second.values(), default=0),
        within_limit=strategy.limit is None or total <= strategy.limit,
    )
