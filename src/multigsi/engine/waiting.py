"""How long to wait between looks at a table while something is in flight.

The policy is a parameter of the reconcile loop (the benchmark plugs the peers' policies
into the same loop). multigsi's own keeps a budget of one DescribeTable per second of
waiting (the read right after a step aside) and never spends it worse than steady
one-second polling would:

- no estimate, or one the table contradicts (overdue past its spread): poll every second,
  exactly as plain polling does, on a grid whose phase is random per wait, so that many
  tables never poll in lockstep;
- an estimate whose window [eta - spread, eta + spread] is still far: poll every 2-3
  seconds (a quarter of the way to the window, jittered), saving reads;
- inside the window: spend what was saved, spread evenly to the window's end, down to
  a poll every quarter second.

Polling slower than once a second is the only way to lose against plain polling, and it
happens only before a window the estimate's own spread puts well ahead; the benchmark's
seed sweep checks that this never costs lag p95 (tests/unit/test_wait_policy.py).
"""

from __future__ import annotations

import random
from typing import Protocol

from multigsi.engine.progress import Estimate

POLL_INTERVAL = 1.0  # steady polling: one DescribeTable a second
BUDGET = 1.0 / POLL_INTERVAL  # reads per second of waiting, the read after a step aside
FAR_POLL_INTERVAL = 2.0  # the window is far ahead: save reads, polling at least this slowly ...
FAR_POLL_MAX = 3.0  # ... and at most this slowly, a quarter of the way to the window
FAR_SHARE = 0.25
NEAR_POLL_INTERVAL = 0.25  # the fastest, inside the window
FAR_AHEAD = 2 * FAR_POLL_INTERVAL  # "far": the window opens more than this many seconds from now
JITTER = 0.1  # ± share of an interval, so tables drift apart

BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0


class WaitPolicy(Protocol):
    # How many settled reads in a row before acting on them (1: act on the first).
    confirmations: int

    def interval(self, waited: float, estimate: Estimate | None) -> float:
        """Seconds to sleep before the next look.

        ``waited``: seconds since this wait began (0 at its first call); ``estimate``:
        when the slowest in-flight index should finish, or None when unknown.
        """
        ...


class MultigsiWaitPolicy:
    confirmations = 1

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng or random.Random()
        self._reads = 0  # reads in the current wait, the one that led to this call included
        self._last = -1.0

    def interval(self, waited: float, estimate: Estimate | None) -> float:
        if waited <= 0.0 or waited < self._last:  # a new wait
            self._reads = 0
        self._last = waited
        self._reads += 1
        # The budget: after the next read, reads ≤ 1 + BUDGET * waited.
        earliest = self._reads / BUDGET - waited
        if self._reads == 1:
            # The first interval of a wait sets its phase: 1-2 s, then whole seconds.
            return max(earliest, POLL_INTERVAL * self.rng.uniform(1.0, 2.0))
        if estimate is None or estimate.eta + estimate.spread < 0:
            return max(earliest, POLL_INTERVAL)  # steady polling
        opens = estimate.eta - estimate.spread
        if opens > FAR_AHEAD:
            far = min(FAR_POLL_MAX, max(FAR_POLL_INTERVAL, FAR_SHARE * opens))
            return max(earliest, min(far * self.rng.uniform(1 - JITTER, 1 + JITTER), opens / 2))
        closes = estimate.eta + estimate.spread
        saved = max(0.0, 1 + BUDGET * waited - self._reads)  # reads in hand
        spread_out = closes / (saved + BUDGET * closes) if closes > 0 else POLL_INTERVAL
        return max(earliest, NEAR_POLL_INTERVAL, min(POLL_INTERVAL, spread_out))


def backoff_delay(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with jitter: attempt 0 → 0.25-0.5 s, capped at 5-10 s."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
    return rng.uniform(ceiling / 2, ceiling)
