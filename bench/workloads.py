"""Workloads in simulated time: the real reconcile loop, its clock and sleep injected,
against the simulated control plane (the local endpoint's rules) and CloudWatch (the
local endpoint's progress model), with build times drawn from a seeded log-normal
distribution clipped to 2 minutes .. 3 hours. Beyond creates: deletes, throughput
updates, a replacement, a build that fails, and builds whose metric never appears."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import random
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.peers import Strategy
from bench.simtime import VirtualTime
from bench.simulation import REGION, SimulatedCloudWatch, SimulatedDynamoDB
from bench.synchrony import Synchrony, measure_synchrony
from multigsi.engine.ownership.scope import Ownership
from multigsi.engine.progress import CloudWatchProgress, NoProgress, ProgressSource
from multigsi.engine.reconcile import ApplyResult, Reconciler
from multigsi.local.dynamodb.control_plane import ControlPlane, Timing
from multigsi.local.dynamodb.metric_model import MetricModel
from multigsi.model.parse import parse_table_spec

MIN_BUILD, MAX_BUILD = 120.0, 3 * 3600.0
MEDIAN_BUILD = 20 * 60.0
FAIL_AT = 0.6  # a failing build fails after this share of its time


@dataclass(frozen=True)
class Workload:
    name: str
    builds: dict[str, list[float]]  # table → build seconds of each index, in order
    kind: str = "create"  # create / delete / update / replace / fail / nometric
    seed: int = 0
    metric_scaled: bool = False  # the real-time twin: metric scaled to the build, as locally


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
        Workload("3 deletes", {"t-del": [0.0] * 3}, "delete"),
        Workload("3 throughput updates", {"t-upd": [0.0] * 3}, "update"),
        Workload("1 replacement", {"t-rep": lognormal_builds(rng, 1)}, "replace"),
        Workload("failed build, rebuilt", {"t-fail": lognormal_builds(rng, 2)}, "fail"),
        Workload("metric never appears", {"t-none": lognormal_builds(rng, 3)}, "nometric"),
    ]
    if not quick:
        result.append(Workload("20 indexes", {"t-twenty": lognormal_builds(rng, 20)}))
        result.append(Workload("50 tables x 5", {f"t-{n:02d}": lognormal_builds(rng, 5) for n in range(50)}))
    return [dataclasses.replace(w, seed=seed) for w in result]


def spec_for(table: str, count: int, *, projection: str = "KEYS_ONLY", throughput: int | None = None) -> Any:
    raw: dict[str, Any] = {
        "TableName": table,
        "AttributeDefinitions": [{"AttributeName": f"k{n:02d}", "AttributeType": "S"} for n in range(count)],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": f"index-{n:02d}",
                "KeySchema": [{"AttributeName": f"k{n:02d}", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": projection},
            }
            for n in range(count)
        ],
    }
    if throughput is not None:
        raw["BillingMode"] = "PROVISIONED"
        for index in raw["GlobalSecondaryIndexes"]:
            index["ProvisionedThroughput"] = {
                "ReadCapacityUnits": throughput,
                "WriteCapacityUnits": throughput,
            }
    return parse_table_spec(raw)


def existing_indexes(
    count: int, *, projection: str = "KEYS_ONLY", throughput: int | None = None
) -> list[dict[str, Any]]:
    indexes: list[dict[str, Any]] = []
    for n in range(count):
        index: dict[str, Any] = {
            "IndexName": f"index-{n:02d}",
            "KeySchema": [{"AttributeName": f"k{n:02d}", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": projection},
        }
        if throughput is not None:
            index["ProvisionedThroughput"] = {
                "ReadCapacityUnits": throughput,
                "WriteCapacityUnits": throughput,
            }
        indexes.append(index)
    return indexes


@dataclass(frozen=True)
class Measurement:
    strategy: str
    workload: str
    seed: int
    total: float  # seconds until the last table converged
    slowest_builds: float  # the largest per-table sum of build times
    lags: list[float]  # operation finished → next step issued (or convergence noticed)
    describes: int  # every DescribeTable
    polls: int  # DescribeTable calls while waiting (the read right after each step aside)
    waiting_seconds: float  # Σ over tables of time from each step to the next step or the end
    metric_reads: int  # GetMetricData calls
    refused: int
    peak_requests_per_second: int
    peak_requests_per_100ms: int  # 50 tables polling in lockstep: 50 at once
    converged: bool
    per_table_totals: list[float] = field(default_factory=list)
    synchrony: Synchrony | None = None  # several tables: do they poll in step?

    def summary(self) -> dict[str, Any]:
        lags = sorted(self.lags)
        hours = self.waiting_seconds / 3600 or 1.0
        return {
            "strategy": self.strategy,
            "workload": self.workload,
            "seed": self.seed,
            "total_seconds": round(self.total, 1),
            "total_over_builds": round(self.total / self.slowest_builds, 4) if self.slowest_builds else None,
            "lags": [round(lag, 3) for lag in lags],
            "lag_p50": round(percentile(lags, 50), 3),
            "lag_p95": round(percentile(lags, 95), 3),
            "describes_per_index_hour": round(self.describes / hours, 1),
            "metric_reads_per_index_hour": round(self.metric_reads / hours, 1),
            "polls_per_second_waiting": round(self.polls / max(1.0, self.waiting_seconds), 3),
            "waiting_seconds": round(self.waiting_seconds, 1),
            "refused_requests": self.refused,
            "peak_requests_per_second": self.peak_requests_per_second,
            "peak_requests_per_100ms": self.peak_requests_per_100ms,
            "converged": self.converged,
            "per_table_totals": [round(t, 1) for t in self.per_table_totals],
            "synchrony": None if self.synchrony is None else self.synchrony.summary(),
        }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _setup(workload: Workload, simulated: SimulatedDynamoDB) -> dict[str, Any]:
    """Create each table as the workload starts it; return table → spec."""
    specs = {}
    for table, builds in workload.builds.items():
        count = len(builds)
        if workload.kind == "delete":
            simulated.add_table(table, indexes=existing_indexes(count))
            specs[table] = spec_for(table, 0)
        elif workload.kind == "update":
            simulated.add_table(table, billing="PROVISIONED", indexes=existing_indexes(count, throughput=5))
            specs[table] = spec_for(table, count, throughput=10)
        elif workload.kind == "replace":
            simulated.add_table(table, indexes=existing_indexes(count, projection="KEYS_ONLY"))
            specs[table] = spec_for(table, count, projection="ALL")
        else:
            simulated.add_table(table)
            specs[table] = spec_for(table, count)
            if workload.kind == "fail":
                simulated.failures[(table, "index-00")] = FAIL_AT
    return specs


def run(strategy: Strategy, workload: Workload) -> Measurement:
    clock = VirtualTime()
    durations = {
        (REGION, table): dict(zip([f"index-{n:02d}" for n in range(len(b))], b, strict=True))
        for table, b in workload.builds.items()
    }
    plane = ControlPlane(
        timing=Timing(build_seconds=0.0),
        clock=clock.now,
        build_time=lambda key, index, items: durations[key][index],
    )
    simulated = SimulatedDynamoDB(plane, rng=random.Random(f"durations:{workload.seed}:{workload.name}"))
    specs = _setup(workload, simulated)
    metric: MetricModel | None = strategy.metric
    if metric is not None and workload.kind == "nometric":
        metric = dataclasses.replace(metric, absent=1.0)
    cloudwatch = None
    progress: ProgressSource = NoProgress()
    if metric is not None:
        cloudwatch = SimulatedCloudWatch(
            plane, dataclasses.replace(metric, seed=workload.seed), scaled=workload.metric_scaled
        )
        # One reader for all tables, as the CLI has: the real code path, its cache, its dating.
        progress = CloudWatchProgress(cloudwatch, clock)
    ended: dict[str, float] = {}

    def job(table: str) -> ApplyResult:
        rng = random.Random(f"{workload.seed}:{table}")
        reconciler = Reconciler(
            simulated, clock=clock, rng=rng, policy=strategy.make_policy(rng), progress=progress
        )
        result = reconciler.apply(specs[table], Ownership.everything())
        ended[table] = clock.now()
        return result

    results = clock.run([functools.partial(job, table) for table in workload.builds])
    errors = [r for r in results if isinstance(r, Exception)]
    if errors:
        raise errors[0]
    lags: list[float] = []
    waiting = 0.0
    polls = 0
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
        starts = sorted({e.at for e in events if e.kind == "started"})
        marks = [*starts, ended[table]]
        waiting += sum(b - a for a, b in itertools.pairwise(marks))
        describes = [e.at for e in plane.events if e.table == table and e.kind == "describe"]
        # The read at the very moment of each step (and the first look) plans; the rest wait.
        polls += sum(1 for at in describes if at not in set(starts) and at != 0.0)
    by_table: dict[str, list[float]] = {table: [] for table in workload.builds}
    for e in plane.events:
        if e.kind in ("describe", "started", "refused"):
            by_table[e.table].append(e.at)
    requests = [at for times in by_table.values() for at in times]
    # Every loop starts at the same instant (its first read, step and read): a start burst
    # that the CLI's own call budget spreads (docs/many-tables.md); what is measured here is
    # the waiting.
    per_second = Counter(int(at) for at in requests if at >= 1.0)
    per_tenth = Counter(int(at * 10) for at in requests if at >= 1.0)
    return Measurement(
        strategy=strategy.name,
        workload=workload.name,
        seed=workload.seed,
        total=max(ended.values()),
        slowest_builds=max(sum(b) for b in workload.builds.values()),
        lags=lags,
        describes=sum(1 for e in plane.events if e.kind == "describe"),
        polls=polls,
        waiting_seconds=waiting,
        metric_reads=0 if cloudwatch is None else cloudwatch.calls,
        refused=sum(1 for e in plane.events if e.kind == "refused"),
        peak_requests_per_second=max(per_second.values(), default=0),
        peak_requests_per_100ms=max(per_tenth.values(), default=0),
        converged=all(isinstance(r, ApplyResult) and r.converged for r in results),
        per_table_totals=[ended[t] for t in workload.builds],
        synchrony=measure_synchrony(by_table, workload.seed) if len(by_table) > 1 else None,
    )
