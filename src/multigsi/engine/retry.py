"""One backoff and one retry-until-deadline for the whole package.

Transport retries (throttling, 5xx, dropped connections) are botocore's, configured in
``multigsi.engine.clients``; what is retried here survived those, or is specific to
multigsi (a tag call refused while the table is busy, a response PUT that timed out).
Waits are bounded by a deadline, never by an attempt count alone: the caller knows how long
it may spend, and when the next try would not fit, the last error is raised as it is.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from multigsi.engine.clock import Clock

BACKOFF_BASE = 0.5  # seconds: attempt 0 waits 0.25-0.5 s
BACKOFF_CAP = 10.0  # never more than 5-10 s between two tries

T = TypeVar("T")


def backoff_delay(
    attempt: int, rng: random.Random, *, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP
) -> float:
    """Exponential backoff with jitter (botocore's and AWS's advice): half to all of
    ``min(cap, base * 2**attempt)``, so retries of many callers spread out."""
    ceiling = min(cap, base * 2**attempt)
    return rng.uniform(ceiling / 2, ceiling)


def retry_until_deadline(
    call: Callable[[], T],
    *,
    retryable: Callable[[Exception], bool],
    clock: Clock,
    rng: random.Random,
    deadline: float | None,
    on_retry: Callable[[Exception, float], None] | None = None,
) -> T:
    """``call()``, tried again after a backoff while it raises a ``retryable`` error and the
    next try still fits before ``deadline`` (None: no time limit, ``retryable`` alone
    decides). Otherwise the error is raised as it is."""
    attempt = 0
    while True:
        try:
            return call()
        except Exception as error:
            delay = backoff_delay(attempt, rng)
            if not retryable(error) or (deadline is not None and clock.now() + delay > deadline):
                raise
            if on_retry is not None:
                on_retry(error, delay)
            clock.sleep(delay)
            attempt += 1
