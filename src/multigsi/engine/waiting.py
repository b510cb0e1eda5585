"""How long to wait between looks at a table while something is in flight.

The policy is a parameter of the reconcile loop (the benchmark plugs the peers' policies
into the same loop). multigsi's own aims at noticing a finished build within about half a
second while averaging at most one DescribeTable per second per table: without a
prediction it polls every second; with a completion estimate (from CloudWatch's
OnlineIndexPercentageProgress) it polls less while the end is far and faster near it.
"""

from __future__ import annotations

import random
from typing import Protocol

POLL_INTERVAL = 1.0  # no prediction: at most one DescribeTable a second
FAR_POLL_INTERVAL = 2.0  # predicted end more than FAR_AHEAD seconds away
NEAR_POLL_INTERVAL = 0.25  # predicted end within NEAR_AHEAD seconds, or overdue
FAR_AHEAD = 30.0
NEAR_AHEAD = 5.0

BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0


class WaitPolicy(Protocol):
    # How many settled reads in a row before acting on them (1: act on the first).
    confirmations: int

    def interval(self, waited: float, eta: float | None) -> float:
        """Seconds to sleep before the next look.

        ``waited``: seconds since this wait began; ``eta``: predicted seconds until the
        slowest in-flight index finishes, or None when unknown.
        """
        ...


class MultigsiWaitPolicy:
    confirmations = 1

    def interval(self, waited: float, eta: float | None) -> float:
        if eta is None:
            return POLL_INTERVAL
        if eta > FAR_AHEAD:
            return FAR_POLL_INTERVAL
        if eta > NEAR_AHEAD:
            return POLL_INTERVAL
        return NEAR_POLL_INTERVAL


def backoff_delay(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with jitter: attempt 0 → 0.25-0.5 s, capped at 5-10 s."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
    return rng.uniform(ceiling / 2, ceiling)
