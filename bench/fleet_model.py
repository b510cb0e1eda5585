"""What the wall time of many tables could be, from a model of the run rather than a run:
how much of `python -m bench.many_tables --tables 100 --build-seconds 20` against one
table alone is the scheduler's to remove, and how much is the budget's and the builds'.

    python -m bench.fleet_model

The model (each part measured in the benchmark's timeline, docs/many-tables.md):

- the plan reads every table first: the last read is done at ``start`` (0.3 s of process
  start-up + tables / rate at the budget's rate), and the tables' first steps follow, one
  call each, so table i starts its first build ``uniform(0, tables / rate)`` later;
- every build takes ``build + uniform(0, build / 4)`` seconds, as `multigsi local` draws
  it (Timing: jitter 0.25), one after another on each table (a variant gives every build
  its mean length: what the slowest of many random builds costs against a typical one);
- each build's end is seen a ``uniform(0, interval)`` lag later, ``interval`` being the
  seconds between a table's looks (its share of the budget less the 10 % reserve); the
  step after it follows at once.

The wall is the last table seen done. Each variant below removes or changes one part,
over 4,000 draws: the expected wall, and the ratio to one table alone as measured.
"""

from __future__ import annotations

import argparse
import random
import statistics
from collections.abc import Callable

START_UP = 0.3  # seconds from the process's start to its first request (measured: 0.33-0.55)
RESERVE = 0.1  # the engine's reserve for UpdateTable and progress reads


def wall(
    rng: random.Random,
    tables: int,
    rate: float,
    build: float,
    builds: int,
    *,
    spread: bool = True,
    jitter: bool = True,
    interval: Callable[[int, int], float] | None = None,
) -> float:
    """One draw of the run's wall time. ``interval(table, build)``: seconds between that
    table's looks during that build (default: its even share of the budget)."""
    share = max(1.0, tables / (rate * (1.0 - RESERVE)))
    plans = START_UP + tables / rate
    ends = []
    for table in range(tables):
        at = plans + (rng.uniform(0, tables / rate) if spread else 0.0)
        for number in range(builds):
            at += build + (rng.uniform(0, build / 4) if jitter else build / 8)
            looks = share if interval is None else interval(table, number)
            at += rng.uniform(0, looks)
        ends.append(at)
    return max(ends)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet_model", description=__doc__)
    parser.add_argument("--tables", type=int, default=100)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--build-seconds", type=float, default=20.0)
    parser.add_argument("--builds", type=int, default=2)
    parser.add_argument(
        "--alone", type=float, nargs=2, default=[46.16, 46.9], help="one table alone, measured"
    )
    parser.add_argument("--draws", type=int, default=4000)
    arguments = parser.parse_args()
    share = max(1.0, arguments.tables / (arguments.rate * (1.0 - RESERVE)))
    variants: dict[str, dict[str, object]] = {
        "as run (plan reads, start spread, read share)": {},
        "no start spread (every first build at once after the plan)": {"spread": False},
        "no lag at all (every end seen at once)": {"interval": lambda table, number: 0.0},
        "no lag, no start spread": {"spread": False, "interval": lambda table, number: 0.0},
        "one look a second, as a table alone": {"interval": lambda table, number: 1.0},
        "every build its mean length (no slowest of 100)": {"jitter": False},
        "mean builds, no lag, no start spread: plan reads only": {
            "jitter": False,
            "spread": False,
            "interval": lambda table, number: 0.0,
        },
    }
    print(f"{arguments.tables} tables x {arguments.builds} builds of {arguments.build_seconds:g} s, "
          f"{arguments.rate:g} calls/s: a look every {share:.2f} s; one table alone: "
          f"{arguments.alone[0]:g}-{arguments.alone[1]:g} s")  # fmt: skip
    for name, options in variants.items():
        rng = random.Random(0)
        draws = [
            wall(rng, arguments.tables, arguments.rate, arguments.build_seconds, arguments.builds, **options)  # type: ignore[arg-type]
            for _ in range(arguments.draws)
        ]
        mean = statistics.fmean(draws)
        low, high = mean / arguments.alone[1], mean / arguments.alone[0]
        print(f"- {name}: {mean:.2f} s, {low:.3f}-{high:.3f}x one table alone")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
