"""Time as a parameter, so the same reconcile loop runs in real or simulated time.

One notion of time for the whole package: ``now`` measures (monotonic seconds, only
differences matter: deadlines, waits, budgets), ``wall`` dates (epoch seconds: CloudWatch
queries, a hand-off's start, a callback context's), ``sleep`` waits. Every side effect on
time goes through a Clock, so tests and the benchmark run in simulated time without
patching anything.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

SIMULATED_EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z: simulated time 0 as a date


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale; only differences matter."""
        ...

    def wall(self) -> float:
        """Epoch seconds: what dates are made of."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time. ``interrupt``, when set, cuts every sleep short (Ctrl-C, shutdown).
    ``skew`` moves the wall clock only (a machine whose clock is off, for the harness)."""

    def __init__(self, interrupt: threading.Event | None = None, *, skew: float = 0.0) -> None:
        self.interrupt = interrupt
        self.skew = skew

    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time() + self.skew

    def sleep(self, seconds: float) -> None:
        if self.interrupt is None:
            time.sleep(max(0.0, seconds))
        else:
            self.interrupt.wait(max(0.0, seconds))


class FakeClock:
    """Simulated time: sleeping advances ``now`` instantly, and ``wall`` with it (from
    ``epoch``). For tests and the benchmark."""

    def __init__(self, start: float = 0.0, *, epoch: float = SIMULATED_EPOCH) -> None:
        self.time = start
        self.epoch = epoch
        self.slept: list[float] = []

    def now(self) -> float:
        return self.time

    def wall(self) -> float:
        return self.epoch + self.time

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += max(0.0, seconds)
