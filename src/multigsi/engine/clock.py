"""Time as a parameter, so the same reconcile loop runs in real or simulated time."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale; only differences matter."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time. ``interrupt``, when set, cuts every sleep short (Ctrl-C, shutdown)."""

    def __init__(self, interrupt: threading.Event | None = None) -> None:
        self.interrupt = interrupt

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if self.interrupt is None:
            time.sleep(max(0.0, seconds))
        else:
            self.interrupt.wait(max(0.0, seconds))


class FakeClock:
    """Simulated time: sleeping advances ``now`` instantly. For tests and the benchmark."""

    def __init__(self, start: float = 0.0) -> None:
        self.time = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += max(0.0, seconds)
