"""`python -m bench [--quick] [--output docs]`: run the benchmark and write the report."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from bench import costs, handler_costs, realtime, report, sweep
from bench.peers import MULTIGSI, ONE_MINUTE, STRATEGIES

CREATE_WORKLOADS = {"1 index", "5 indexes", "5 x 30-min builds", "20 indexes"}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a small sweep, no fleet, no real-time runs (CI: checks the targets)",
    )
    parser.add_argument(
        "--output", default="docs", type=Path, help="where benchmarks.md/.json and img/ go (default: docs)"
    )
    parser.add_argument("--processes", default=2, type=int, help="simulation processes (default: 2)")
    arguments = parser.parse_args()
    started = time.monotonic()
    load_before = os.getloadavg()
    seeds = sweep.SEEDS_QUICK if arguments.quick else sweep.SEEDS_FULL
    tasks = sweep.plan(seeds, arguments.quick)
    print(f"{len(tasks)} simulated runs on {arguments.processes} processes ...", flush=True)
    measurements = sweep.measure(tasks, arguments.processes)
    pooled = sweep.pooled(measurements)
    for row in pooled:
        print(
            f"{row['workload']:>24} {row['strategy']:<26} lag p50 {row['lag_p50']:6.3f} p95 {row['lag_p95']:6.3f}",
            flush=True,
        )
    twins, cli = [], None
    if not arguments.quick:
        by_name = {s.name: s for s in STRATEGIES}
        chosen = [by_name[MULTIGSI], by_name["multigsi (no CloudWatch)"], by_name["CDK Provider"]]
        twins = [realtime.compare(strategy).summary() for strategy in chosen]
        cli = realtime.cli_check()
    cost_rows = {}
    for strategy in STRATEGIES:
        rows = [r for r in pooled if r["strategy"] == strategy.name and r["workload"] in CREATE_WORKLOADS]
        describes = sum(r["describes_per_index_hour"] for r in rows) / max(1, len(rows))
        reads = sum(r["metric_reads_per_index_hour"] for r in rows) / max(1, len(rows))
        cost_rows[strategy.name] = {
            "describes_per_index_hour": round(describes, 1),
            "metric_reads_per_index_hour": round(reads, 1),
            **costs.cloud_costs(strategy.cloud, describes, reads),
        }
    results: dict[str, Any] = {
        "command": "python -m bench" + (" --quick" if arguments.quick else ""),
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs",
        "seeds": list(seeds),
        "metric_variant": {"period": ONE_MINUTE.period},
        "strategies": {
            s.name: {"description": s.description, "source": s.source, "limit": s.limit, "cloud": s.cloud}
            for s in STRATEGIES
        },
        "pooled": pooled,
        "simulated": [m.summary() for m in measurements],
        "costs": cost_rows,
        "real_time": twins,
        "cli": cli,
        "handler": {"package": handler_costs.package_costs()},
    }
    results["targets"] = report.targets(results)
    results["seconds"] = round(time.monotonic() - started, 1)
    results["load"] = {
        "before": [round(x, 2) for x in load_before],
        "after": [round(x, 2) for x in os.getloadavg()],
    }
    report.write(results, arguments.output)
    print(f"Wrote {arguments.output}/benchmarks.md in {results['seconds']:.0f}s.")
    for target in results["targets"]:
        print(f"  {'met' if target['met'] else 'NOT MET'}: {target['target']} — {target['measured']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
