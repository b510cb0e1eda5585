"""When a handler comes back, and what the stack's status message says meanwhile.

One invocation does a bounded stretch of work (``INVOCATION_BUDGET``) and then returns
IN_PROGRESS with a ``callbackDelaySeconds`` chosen from what is in flight:

- nothing in flight, a delete or a throughput update (seconds to minutes), or a build whose
  estimate is near or overdue: poll inside the invocation with the engine's own wait policy,
  as the CLI does, so the next step follows a build within about a second;
- a build still allocating (no progress metric yet): come back in ``ALLOCATING_DELAY``;
- a backfill without any point yet (the metric's first point is minutes late): come back
  after a tenth of the time it has been seen, at most ``UNKNOWN_DELAY_MAX``;
- a backfill whose completion window (OnlineIndexPercentageProgress ETA minus its spread)
  opens later than this invocation can poll: come back halfway there (at latest ``LEAD``
  seconds before it opens),
  at most ``MAX_DELAY`` later, so a revised estimate is read at least that often;
- and never later than a quarter of the time the index has been seen in flight (see
  ``callback_delay``).

The time CloudFormation gives one handler call is not documented for resource types
(unconfirmed); ``INVOCATION_BUDGET`` keeps every invocation to 30 s of work, well inside a
minute.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from multigsi.engine.reconcile import ApplyResult, IndexProgress
from multigsi.model.live import Phase

INVOCATION_BUDGET = 30.0  # seconds of work per handler call
LEAD = 10.0  # come back this long before an estimated completion window opens
ALLOCATING_DELAY = 60  # a build still allocating: look again in at most a minute
SEEN_SHARE = 0.25  # never stay away longer than a quarter of the time an index has been seen in flight
ESTIMATE_SHARE = 0.5  # nor longer than half the time until the estimated window opens
UNKNOWN_SHARE = 0.1  # a backfill without an estimate: away for a tenth of the time seen ...
UNKNOWN_DELAY_MAX = 30  # ... and at most this long
MAX_DELAY = 600  # never stay away longer: the estimate is re-read at least every 10 minutes
MIN_DELAY = 1
MESSAGE_LIMIT = 1024  # keep the status message short (it is shown in the stack's events)


def callback_delay(progress: Sequence[IndexProgress], seen_for: Mapping[str, float]) -> int | None:
    """Seconds until the next invocation should look, or None: poll now, inside this one.
    ``seen_for``: how long each index has been seen in flight, over all invocations of the
    operation.

    Besides the phase, the delay is at most half the time until the estimated window opens
    and ``SEEN_SHARE`` of the time an index has been seen in flight: the metric's points are
    late and progress is not linear (DOMAIN.md), so an estimate can be minutes off; closing
    in on the window by halves, and staying away for no more than a quarter of what has been
    watched, bounds what a wrong estimate can cost while the delays still grow over a long
    build."""
    if not progress:
        return None
    delays: list[float] = []
    for item in progress:
        if item.phase is Phase.ALLOCATING:
            delays.append(ALLOCATING_DELAY)
        elif item.phase is Phase.BACKFILLING and item.estimate is not None:
            opens = item.estimate.eta - item.estimate.spread
            if opens - LEAD < MIN_DELAY:
                return None
            delays.append(min(opens - LEAD, ESTIMATE_SHARE * opens))
        elif item.phase is Phase.BACKFILLING and item.estimate is None and item.percent is None:
            # No point yet (a build's first minutes: points come minutes late) or no metric
            # at all: come back soon, but not continuously. A build that never shows a point
            # (no cloudwatch:GetMetricData permission) is noticed up to UNKNOWN_DELAY_MAX late.
            delay = min(UNKNOWN_DELAY_MAX, UNKNOWN_SHARE * seen_for.get(item.name, 0.0))
            if delay < MIN_DELAY:
                return None
            delays.append(delay)
        else:  # deleting, updating, or an estimate already overdue: the end is near
            return None
        delays.append(SEEN_SHARE * seen_for.get(item.name, 0.0))
    return int(max(MIN_DELAY, min(MAX_DELAY, math.floor(min(delays)))))


def poll_here(delay: int | None, now: float, invocation_end: float) -> bool:
    """Whether the wait belongs to this invocation: the next look is due before it ends."""
    return delay is None or now + delay < invocation_end - LEAD


def progress_message(result: ApplyResult, done: str = "") -> str:
    """Index, phase, percent and ETA of what is in flight, and the steps left (the stack's
    status message: kept short)."""
    message = "; ".join(part for part in (done, result.describe()) if part) or "waiting for the table"
    return message if len(message) <= MESSAGE_LIMIT else message[: MESSAGE_LIMIT - 1] + "…"
