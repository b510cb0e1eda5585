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


def _replay(schedule: Callable[[int], float], waited: float) -> float:
    """The interval after the sleeps that fit in ``waited``."""
    step, elapsed = 0, 0.0
    while elapsed + schedule(step) <= waited + 1e-9:
        elapsed += schedule(step)
        step += 1
    return schedule(step)


@dataclass
class SchedulePolicy:
    schedule: Callable[[int], float]
    confirmations: int = 1

    def interval(self, waited: float, eta: float | None) -> float:
        return _replay(self.schedule, waited)


@dataclass(frozen=True)
class Strategy:
    name: str
    description: str
    make_policy: Callable[[], WaitPolicy]
    limit: float | None  # seconds the tool allows for the whole change, None: no limit
    uses_progress: bool = False


def _seed(step: int) -> float:
    return float(min(15, math.floor(15 ** (step / 15))))


def _terraform(step: int) -> float:
    return 5.0 if step == 0 else min(10.0, 0.2 * 2 ** (step - 1))


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
        lambda: SchedulePolicy(_seed),
        300.0,
    ),
    Strategy(
        "Terraform",
        "5 s delay, then 0.2 s doubling to 10 s; settled twice in a row",
        lambda: SchedulePolicy(_terraform, confirmations=2),
        3600.0,
    ),
    Strategy("CDK Provider", "every 5 s", lambda: SchedulePolicy(lambda step: 5.0), 1800.0),
    Strategy("Amplify", "every 10 s, one step per poll", lambda: SchedulePolicy(lambda step: 10.0), 3600.0),
    Strategy(
        "crhelper", "EventBridge rule every 2 minutes", lambda: SchedulePolicy(lambda step: 120.0), 3600.0
    ),
]
