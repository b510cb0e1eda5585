"""The seeded sweep: every strategy on every workload of every seed, on two processes
(the simulation is CPU-bound Python), and the figures pooled over the seeds."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable
from typing import Any

from bench.peers import STRATEGIES, Strategy
from bench.workloads import Measurement, Workload, percentile, run, workloads

FLEET = "50 tables x 5"
SEEDS_FULL = (2026, 2027, 2028, 2029, 2030)
SEEDS_QUICK = (2026, 2027, 2028)
# The fleet runs 50 loops in threads of virtual time (slow in Python): the policy's variants
# that differ from multigsi only by the metric are left out of it.
FLEET_SKIPS = ("multigsi (1-min metric)", "multigsi (no CloudWatch)")


def _one(task: tuple[int, Workload]) -> Measurement:
    position, workload = task
    return run(STRATEGIES[position], workload)


def plan(
    seeds: Iterable[int], quick: bool, strategies: list[Strategy] | None = None
) -> list[tuple[int, Workload]]:
    chosen = strategies or STRATEGIES
    tasks = []
    for n, seed in enumerate(seeds):
        for workload in workloads(seed, quick=quick):
            if workload.name == FLEET and n > 0:
                continue  # the fleet once: 250 builds already
            fleet_skip = FLEET_SKIPS if workload.name == FLEET else ()
            tasks.extend((STRATEGIES.index(s), workload) for s in chosen if s.name not in fleet_skip)
    # the longest first, so the two processes finish together
    return sorted(tasks, key=lambda t: -sum(sum(b) for b in t[1].builds.values()))


def measure(tasks: list[tuple[int, Workload]], processes: int = 2) -> list[Measurement]:
    if processes <= 1:
        return [_one(task) for task in tasks]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return pool.map(_one, tasks, chunksize=1)


def pooled(measurements: list[Measurement]) -> list[dict[str, Any]]:
    """Per strategy and workload: lags pooled over the seeds, and the spread of the
    per-seed figures."""
    groups: dict[tuple[str, str], list[Measurement]] = {}
    for m in measurements:
        groups.setdefault((m.strategy, m.workload), []).append(m)
    rows = []
    for (strategy, workload), group in groups.items():
        lags = sorted(lag for m in group for lag in m.lags)
        per_seed = [m.summary() for m in group]
        hours = sum(m.waiting_seconds for m in group) / 3600 or 1.0
        rows.append(
            {
                "strategy": strategy,
                "workload": workload,
                "seeds": len(group),
                "operations": len(lags),
                "lag_p50": round(percentile(lags, 50), 3),
                "lag_p95": round(percentile(lags, 95), 3),
                "lag_max": round(max(lags), 3) if lags else 0.0,
                "seed_p50_range": [min(r["lag_p50"] for r in per_seed), max(r["lag_p50"] for r in per_seed)],
                "seed_p95_range": [min(r["lag_p95"] for r in per_seed), max(r["lag_p95"] for r in per_seed)],
                "polls_per_second_waiting_max": max(r["polls_per_second_waiting"] for r in per_seed),
                "describes_per_index_hour": round(sum(m.describes for m in group) / hours, 1),
                "metric_reads_per_index_hour": round(sum(m.metric_reads for m in group) / hours, 1),
                "total_hours_max": round(max(m.total for m in group) / 3600, 3),
                "total_over_builds_max": max((r["total_over_builds"] or 0) for r in per_seed),
                "peak_requests_per_second": max(m.peak_requests_per_second for m in group),
                "peak_requests_per_100ms": max(m.peak_requests_per_100ms for m in group),
                "refused_requests": sum(m.refused for m in group),
                "converged": all(m.converged for m in group),
            }
        )
    return rows
