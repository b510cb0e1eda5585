"""Whether many tables poll in step: a permutation test on the requests' times.

A fleet's busiest 100 ms says little alone: 50 tables each polling once a second send 5
requests in an average 100 ms, and over hours of windows the busiest holds 15-18 even when
every table keeps its own phase, more while several tables spend saved reads at once. What
would make it a synchronised burst is tables sharing a phase. So the measure compares the
fleet with itself: shift each table's whole sequence of requests by its own random fraction
of a second (keeping its rhythm and its busy stretches, breaking only any alignment between
tables) and take the busiest 100 ms again. If the tables are independent, the real fleet is
just one more such draw, and the chance that it is busier than all ``SHIFTS`` shifted copies
is 1 / (SHIFTS + 1) = 5 %. Tables in lockstep stand far above every copy.

The phases' concentration (the mean resultant length of the requests' times modulo one
second: 0 when phases are spread evenly, 1 when every request lands at the same point of the
second) is the sharper test when the fleet is small: a table's requests share its phase, so
the fleet holds as many independent phases as tables (N), and by Rayleigh's test a
concentration above sqrt(-ln 0.05 / N) (0.24 for 50 tables) arises by chance 5 % of the
time. Tables that inherit one phase from a common start sit far above it.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FALSE_ALARM = 0.05

SHIFTS = 19  # a 5 % test: P(real > every shifted copy | independent phases) = 1 / 20
WINDOW = 0.1  # seconds: the busiest 100 ms
IGNORE_BEFORE = 1.0  # every loop starts at the same instant: its first read is not waiting


def busiest_window(requests: Mapping[str, Sequence[float]], shifts: Mapping[str, float] | None = None) -> int:
    """The most requests in one 100 ms window (fixed windows from 0), each table's times
    moved by its shift."""
    counts: Counter[int] = Counter()
    for table, times in requests.items():
        shift = 0.0 if shifts is None else shifts[table]
        counts.update(int((at + shift) / WINDOW) for at in times if at >= IGNORE_BEFORE)
    return max(counts.values(), default=0)


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


@dataclass(frozen=True)
class Synchrony:
    busiest: int  # the fleet as it ran
    shifted: list[int]  # the same requests, each table shifted by its own random phase
    concentration: float
    tables: int

    @property
    def concentration_bar(self) -> float:
        """Rayleigh: P(concentration > bar | independent uniform phases) ≈ exp(-N bar²)."""
        return math.sqrt(-math.log(FALSE_ALARM) / max(1, self.tables))

    @property
    def synchronised(self) -> bool:
        """Busier than every shifted copy, or phases more concentrated than chance allows
        (each test 5 % false alarms)."""
        return self.busiest > max(self.shifted) or self.concentration > self.concentration_bar

    def summary(self) -> dict[str, Any]:
        return {
            "busiest_100ms": self.busiest,
            "busiest_100ms_independent_phases": sorted(self.shifted),
            "phase_concentration": round(self.concentration, 3),
            "phase_concentration_bar": round(self.concentration_bar, 3),
            "synchronised": self.synchronised,
        }


def measure_synchrony(requests: Mapping[str, Sequence[float]], seed: int = 0) -> Synchrony:
    rng = random.Random(f"synchrony:{seed}")
    shifted = [busiest_window(requests, {table: rng.random() for table in requests}) for _ in range(SHIFTS)]
    return Synchrony(
        busiest_window(requests),
        shifted,
        phase_concentration(at for times in requests.values() for at in times),
        len(requests),
    )
