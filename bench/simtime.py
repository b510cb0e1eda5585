"""Virtual time shared by many threads: the benchmark runs 50 reconcile loops at once, each
in its own thread calling ``sleep``; time jumps to the earliest wake-up once every thread
is asleep or done. API calls take no virtual time. Deterministic: ties wake in order.
Each sleeper waits on its own event, so a wake-up touches one thread, not all of them."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any

from multigsi.engine.clock import SIMULATED_EPOCH


class VirtualTime:
    def __init__(self) -> None:
        self.time = 0.0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # only the driver waits on this
        self._sleepers: list[tuple[float, int, threading.Event]] = []
        self._sequence = itertools.count()
        self._running = 0
        self._alone = False

    # --- the Clock protocol, for any thread -------------------------------------------------
    def now(self) -> float:
        return self.time

    def wall(self) -> float:
        return SIMULATED_EPOCH + self.time

    def sleep(self, seconds: float) -> None:
        if self._alone:  # one job: no other thread to hand over to, time simply moves on
            self.time += max(0.0, seconds)
            return
        wake = threading.Event()
        with self._lock:
            heapq.heappush(self._sleepers, (self.time + max(0.0, seconds), next(self._sequence), wake))
            self._running -= 1
            if self._running == 0:
                self._idle.notify()
        wake.wait()

    # --- running work -------------------------------------------------------------------------
    def run(self, jobs: Sequence[Callable[[], Any]]) -> list[Any]:
        """Run the jobs concurrently in virtual time; return their results (or exceptions)."""
        results: list[Any] = [None] * len(jobs)
        if len(jobs) == 1:
            self._alone = True
            try:
                results[0] = jobs[0]()
            except Exception as error:  # reported to the caller, like a future
                results[0] = error
            finally:
                self._alone = False
            return results

        def wrap(position: int, job: Callable[[], Any]) -> None:
            try:
                results[position] = job()
            except Exception as error:  # reported to the caller, like a future
                results[position] = error
            finally:
                with self._lock:
                    self._running -= 1
                    if self._running == 0:
                        self._idle.notify()

        with self._lock:
            self._running = len(jobs)
        threads = [threading.Thread(target=wrap, args=(n, job), daemon=True) for n, job in enumerate(jobs)]
        for thread in threads:
            thread.start()
        with self._lock:
            while True:
                self._idle.wait_for(lambda: self._running == 0)
                if not self._sleepers:
                    break
                wake, _, event = heapq.heappop(self._sleepers)
                self.time = max(self.time, wake)
                self._running += 1
                event.set()
        for thread in threads:
            thread.join()
        return results
