"""Whether many tables poll in step: permutation tests on the requests' times.

A fleet's busiest 100 ms says little alone: 50 tables each polling once a second send 5
requests in an average 100 ms, and over hours of windows the busiest holds 15-18 even when
every table keeps its own phase, more while several tables spend saved reads at once. What
would make bursts synchronised is tables sharing a phase. So the fleet is compared with
itself: shift each table's whole sequence of requests by its own random fraction of a second
(keeping its rhythm and its busy stretches, breaking only any alignment between tables) and
measure again. If the tables are independent, the fleet as it ran is just one more draw; the
share of draws (the fleet included) at least as extreme is the p-value, and below 5 % the
tables are taken to be in step.

Two statistics are tested, both over every 100 ms window of the run:
- coincidences: pairs of requests in the same window (Σ count·(count-1)/2), what tables in
  step multiply wherever they overlap. This is the test that decides.
- the busiest window, the figure people quote. It is an extreme over tens of thousands of
  windows: a single chance coincidence moves it, so it tells tables in step from tables out
  of step poorly (measured: docs/benchmarks.md). Reported with its p-value, not decided on.

And the phases' concentration (the mean resultant length of the requests' times modulo one
second: 0 when phases are spread evenly, 1 when every request lands at the same point of the
second): a table's requests share its phase, so the fleet holds as many independent phases
as tables (N), and by Rayleigh's test a concentration above sqrt(-ln 0.05 / N) (0.24 for 50
tables) arises by chance 5 % of the time.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FALSE_ALARM = 0.05
SHIFTS = 99  # draws with independent phases: p-values to the nearest 1 %
WINDOW = 0.1  # seconds
IGNORE_BEFORE = 1.0  # every loop starts at the same instant: its plan and first step are not waiting


def windows(
    requests: Mapping[str, Sequence[float]], shifts: Mapping[str, float] | None = None
) -> Counter[int]:
    """Requests per 100 ms window (fixed windows from 0), each table's times moved by its shift."""
    counts: Counter[int] = Counter()
    for table, times in requests.items():
        offset = (0.0 if shifts is None else shifts[table]) / WINDOW
        counts.update(map(int, [at / WINDOW + offset for at in times if at >= IGNORE_BEFORE]))
    return counts


def coincidences(counts: Counter[int]) -> int:
    """Pairs of requests that share a window."""
    return sum(n * (n - 1) // 2 for n in counts.values())


def phase_concentration(times: Iterable[float]) -> float:
    """Mean resultant length of the times' phases within a second (0 spread, 1 in step)."""
    cos = sin = 0.0
    count = 0
    for at in times:
        if at < IGNORE_BEFORE:
            continue
        angle = 2 * math.pi * (at % 1.0)
        cos, sin, count = cos + math.cos(angle), sin + math.sin(angle), count + 1
    return math.hypot(cos, sin) / count if count else 0.0


def p_value(observed: int, draws: Sequence[int]) -> float:
    """The share of draws, the observation included, at least as large as the observation."""
    return (1 + sum(1 for draw in draws if draw >= observed)) / (1 + len(draws))


@dataclass(frozen=True)
class Synchrony:
    busiest: int  # the fleet as it ran
    coincidences: int
    shifted_busiest: list[int]  # the same requests, each table shifted by its own random phase
    shifted_coincidences: list[int]
    concentration: float
    tables: int

    @property
    def concentration_bar(self) -> float:
        """Rayleigh: P(concentration > bar | independent uniform phases) ≈ exp(-N bar²)."""
        return math.sqrt(-math.log(FALSE_ALARM) / max(1, self.tables))

    @property
    def coincidences_p(self) -> float:
        return p_value(self.coincidences, self.shifted_coincidences)

    @property
    def busiest_p(self) -> float:
        return p_value(self.busiest, self.shifted_busiest)

    @property
    def synchronised(self) -> bool:
        """More coincidences than independent phases make likely, or phases more
        concentrated than chance allows (each test 5 % false alarms)."""
        return self.coincidences_p < FALSE_ALARM or self.concentration > self.concentration_bar

    def summary(self) -> dict[str, Any]:
        return {
            "coincidences": self.coincidences,
            "coincidences_independent_phases": [
                min(self.shifted_coincidences),
                max(self.shifted_coincidences),
            ],
            "coincidences_p_value": round(self.coincidences_p, 3),
            "busiest_100ms": self.busiest,
            "busiest_100ms_independent_phases": [min(self.shifted_busiest), max(self.shifted_busiest)],
            "busiest_100ms_p_value": round(self.busiest_p, 3),
            "phase_concentration": round(self.concentration, 3),
            "phase_concentration_bar": round(self.concentration_bar, 3),
            "synchronised": self.synchronised,
        }


def measure_synchrony(requests: Mapping[str, Sequence[float]], seed: int = 0) -> Synchrony:
    rng = random.Random(f"synchrony:{seed}")
    shifted_busiest, shifted_coincidences = [], []
    for _ in range(SHIFTS):
        counts = windows(requests, {table: rng.random() for table in requests})
        shifted_busiest.append(max(counts.values(), default=0))
        shifted_coincidences.append(coincidences(counts))
    actual = windows(requests)
    return Synchrony(
        busiest=max(actual.values(), default=0),
        coincidences=coincidences(actual),
        shifted_busiest=shifted_busiest,
        shifted_coincidences=shifted_coincidences,
        concentration=phase_concentration(at for times in requests.values() for at in times),
        tables=len(requests),
    )
