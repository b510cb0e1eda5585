"""The peers' waiting strategies (../shared/DOMAIN.md, "What peers do while waiting"), as
wait policies plugged into multigsi's own reconcile loop, so that only the waiting differs.

``waited`` is the time since the current wait began; each policy turns it into the next
interval by replaying its schedule. ``limit`` is the tool's own total time limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from multigsi.engine.waiting import MultigsiWaitPolicy, WaitPolicy


@dataclass
class SchedulePolicy:
    """Intervals ``ramp`` one after the other, then ``cap`` forever."""

    ramp: tuple[float, ...]
    cap: float
    confirmations: int = 1

    def interval(self, waited: float, eta: float | None) -> float:
        elapsed = 0.0
        for step in self.ramp:  # replay the schedule: which sleep is next after `waited`?
            if elapsed + step > waited + 1e-9:
                return step
            elapsed += step
        return self.cap


@dataclass(frozen=True)
class Strategy:
    name: str
    description: str
    make_policy: Callable[[], WaitPolicy]
    limit: float | None  # seconds the tool allows for the whole change, None: no limit
    uses_progress: bool = False


SEED_RAMP = tuple(float(math.floor(15 ** (r / 15))) for r in range(15))  # 1,1,1,1,2,2,2,3,4,5,6,7,8,10,12
TERRAFORM_RAMP = (5.0, *(0.2 * 2**k for k in range(6)))  # 5 s delay, then 0.2 s doubling ... 6.4


STRATEGIES = [
    Strategy(
        "multigsi",
        "1 s polls; with CloudWatch progress 2 s far from the predicted end, 0.25 s near it",
        MultigsiWaitPolicy,
        None,
        uses_progress=True,
    ),
    Strategy("multigsi (no CloudWatch)", "1 s polls, no prediction", MultigsiWaitPolicy, None),
    Strategy(
        "seed (2017 blog)",
        "sleep floor(15^(r/15)) s: 1,1,1,...,12, then 15 s",
        lambda: SchedulePolicy(SEED_RAMP, 15.0),
        300.0,
    ),
    Strategy(
        "Terraform",
        "5 s delay, then 0.2 s doubling to 10 s; settled twice in a row",
        lambda: SchedulePolicy(TERRAFORM_RAMP, 10.0, confirmations=2),
        3600.0,
    ),
    Strategy("CDK Provider", "every 5 s", lambda: SchedulePolicy((), 5.0), 1800.0),
    Strategy("Amplify", "every 10 s, one step per poll", lambda: SchedulePolicy((), 10.0), 3600.0),
    Strategy("crhelper", "EventBridge rule every 2 minutes", lambda: SchedulePolicy((), 120.0), 3600.0),
]
