"""One budget of control-plane calls shared by every table of a run.

DynamoDB throttles the control plane per account (documented as 2,500 requests/s, shared
with every other caller in the account), and its best practices ask callers not to poll
it excessively. With a thousand tables each polling once a second, one run alone would
be most of that. So every DescribeTable, UpdateTable and GetMetricData of a run — every
HTTP attempt, botocore's own retries included — first takes a token from one bucket:

- at most ``rate`` grants per second, one at a time (no burst: in any second, never more
  than ``rate`` calls);
- when tokens are scarce, the waiting calls are served by urgency rather than arrival: a
  call's *due time* is when it asked plus how long its table can wait (an UpdateTable
  cannot wait, a table whose build ends in 5 s should look soon, one whose build ends in
  an hour can wait). Earliest due first, so nothing starves: an old request's due time is
  eventually the earliest;
- when DynamoDB throttles anyway (other callers share the account), the rate halves, then
  climbs back linearly over ``RECOVERY_SECONDS`` (additive increase, multiplicative
  decrease: what TCP and botocore's adaptive mode do).

Waiting is cheap: only the request at the head of the queue waits with a timeout; the
rest sleep on their own event until they reach the head.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import deque
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError

from multigsi.engine.clock import Clock, SystemClock

RECOVERY_SECONDS = 30.0  # after a throttle, back to the full rate within this
THROTTLE_COOLDOWN = 1.0  # one burst of throttles cuts the rate once
MIN_RATE = 1.0
INTERRUPT_CHECK = 1.0  # how often a queued call checks for Ctrl-C
SPACING_EPSILON = 1e-6  # so that float rounding never fits rate + 1 grants in a second


class CallCancelled(BotoCoreError):  # type: ignore[misc]  # botocore is untyped
    """The run was interrupted while this call waited for its turn: it was never sent."""

    fmt = "control-plane call cancelled: the run was interrupted"


@dataclass(order=True)
class _Ticket:
    due: float
    sequence: int
    ready: threading.Event = field(compare=False, default_factory=threading.Event)


class CallBudget:
    """A token bucket with a priority queue and AIMD rate. Thread-safe."""

    def __init__(
        self, rate: float, clock: Clock | None = None, interrupt: threading.Event | None = None
    ) -> None:
        if rate <= 0:
            raise ValueError(f"control-plane budget must be positive, got {rate}")
        self.max_rate = float(rate)
        self.clock: Clock = clock or SystemClock()
        self.interrupt = interrupt
        self._lock = threading.Lock()
        self._queue: list[_Ticket] = []
        self._sequence = itertools.count()
        self._next_grant = self.clock.now()
        self._cut_rate = self.max_rate  # the rate just after the last cut
        self._cut_at: float | None = None
        self.granted = 0
        self.throttles = 0
        self.peak_queue = 0
        self._recent: deque[float] = deque()  # grants of the last second
        self.busiest_second = 0  # the most grants in any one-second window so far

    def rate(self, now: float | None = None) -> float:
        """The current rate: the configured one, or recovering from the last throttle."""
        if self._cut_at is None:
            return self.max_rate
        now = self.clock.now() if now is None else now
        recovered = self._cut_rate + (now - self._cut_at) * self.max_rate / RECOVERY_SECONDS
        return min(self.max_rate, recovered)

    def acquire(self, slack: float = 0.0) -> float:
        """Block until this call may be sent; returns when it was granted (clock time).

        ``slack``: seconds this call can wait without harm (its due time is now + slack).
        Raises CallCancelled once ``interrupt`` is set: a stopping run sends nothing more.
        """
        with self._lock:
            now = self.clock.now()
            ticket = _Ticket(now + slack, next(self._sequence))
            heapq.heappush(self._queue, ticket)
            self.peak_queue = max(self.peak_queue, len(self._queue))
        while True:
            with self._lock:
                now = self.clock.now()
                if self.interrupt is not None and self.interrupt.is_set():
                    self._queue.remove(ticket)
                    heapq.heapify(self._queue)
                    raise CallCancelled()
                if self._queue[0] is ticket:
                    if now >= self._next_grant:
                        heapq.heappop(self._queue)
                        # Spacing grants by 1/rate bounds every one-second window to `rate`
                        # calls; an idle bucket does not bank tokens for a burst.
                        self._next_grant = now + 1.0 / self.rate(now) + SPACING_EPSILON
                        self._count(now)
                        if self._queue:
                            self._queue[0].ready.set()
                        return now
                    wait: float | None = self._next_grant - now
                else:
                    ticket.ready.clear()
                    wait = None
            if wait is None:
                ticket.ready.wait(None if self.interrupt is None else INTERRUPT_CHECK)
            else:
                self.clock.sleep(wait)

    def _count(self, now: float) -> None:
        self.granted += 1
        self._recent.append(now)
        while self._recent[0] <= now - 1.0:
            self._recent.popleft()
        self.busiest_second = max(self.busiest_second, len(self._recent))

    def throttled(self) -> None:
        """DynamoDB throttled a call: halve the rate (once per burst of throttles)."""
        with self._lock:
            now = self.clock.now()
            self.throttles += 1
            if self._cut_at is not None and now - self._cut_at < THROTTLE_COOLDOWN:
                return
            self._cut_rate = max(MIN_RATE, self.rate(now) / 2)
            self._cut_at = now
