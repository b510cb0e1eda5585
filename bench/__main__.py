"""`python -m bench [--quick] [--output docs]`: run the benchmark and write the report."""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
import time
from pathlib import Path

from bench import handler_costs, realtime, report
from bench.peers import STRATEGIES
from bench.workloads import run, workloads


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="small workloads only, no real-time runs (about a minute)"
    )
    parser.add_argument(
        "--output", default="docs", type=Path, help="where benchmarks.md/.json and img/ go (default: docs)"
    )
    parser.add_argument("--seed", default=2026, type=int, help="seed of the build-time distribution")
    arguments = parser.parse_args()
    started = time.monotonic()
    simulated = []
    for workload in workloads(arguments.seed, quick=arguments.quick):
        for strategy in STRATEGIES:
            measurement = run(strategy, workload)
            row = measurement.summary() | {"slowest_builds_hours": measurement.slowest_builds / 3600}
            simulated.append(row)
            print(
                f"{workload.name:>20} {strategy.name:<26} lag p50 {row['lag_p50']:>8.3f}s  calls/index-h {row['describes_per_index_hour']:>8}",
                flush=True,
            )
    twins = (
        []
        if arguments.quick
        else [realtime.compare(strategy).summary() for strategy in (STRATEGIES[1], STRATEGIES[4])]
    )
    results = {
        "command": "python -m bench" + (" --quick" if arguments.quick else ""),
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}",
        "seed": arguments.seed,
        "strategies": {strategy.name: strategy.description for strategy in STRATEGIES},
        "simulated": simulated,
        "real_time": twins,
        "handler": {"package": handler_costs.package_costs(), "hand_off": handler_costs.hand_off_gaps()},
    }
    results["targets"] = report.targets(results)
    report.write(results, arguments.output)
    print(f"Wrote {arguments.output}/benchmarks.md in {time.monotonic() - started:.0f}s.")
    for target in results["targets"]:
        print(f"  {'met' if target['met'] else 'NOT MET'}: {target['target']} — {target['measured']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
