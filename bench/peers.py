"""The waiting strategies compared, as wait policies plugged into multigsi's own reconcile
loop, so that only the waiting differs. Each peer follows the source file it cites
(../shared/DOMAIN.md, "What peers do while waiting").

``waited`` is the time since the current wait began; a schedule policy turns it into the
next interval by replaying its schedule. ``limit`` is the tool's own time limit.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from multigsi.engine.progress import Estimate
from multigsi.engine.waiting import MultigsiWaitPolicy, WaitPolicy
from multigsi.local.dynamodb.metric_model import MetricModel

HOUR = 3600.0


@dataclass
class SchedulePolicy:
    """Intervals ``ramp`` one after the other, then ``cap`` forever."""

    ramp: tuple[float, ...]
    cap: float
    confirmations: int = 1

    def interval(self, waited: float, estimate: Estimate | None, *, allocating: bool = False) -> float:
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
    source: str  # the file (or page) the model follows
    make_policy: Callable[[random.Random], WaitPolicy]
    limit: float | None  # seconds the tool allows for the whole change, None: no limit
    metric: MetricModel | None = None  # CloudWatch progress as the loop sees it, None: not read
    cloud: str = (
        "none"  # where the waiting runs in CloudFormation mode: lambda / stepfunctions / schedule / none
    )


SEED_RAMP = tuple(float(math.floor(15 ** (r / 15))) for r in range(15))  # 1,1,1,1,2,2,2,3,4,5,6,7,8,10,12
TERRAFORM_RAMP = tuple(0.2 * 2**k for k in range(6))  # 0.2 s doubling: 0.2 … 6.4, then the 10 s cap

FIVE_MINUTE = MetricModel()  # AWS's documented 5-minute granularity, late, non-linear, gaps
ONE_MINUTE = MetricModel(period=60.0)  # the variant: one point a minute

MULTIGSI = "multigsi"
PURE_POLLING = "plain 1 s polling"

STRATEGIES = [
    Strategy(
        MULTIGSI,
        "budgeted polling: every 2 s while allocating, never over 1 s once backfilling, the saved reads "
        "spent in the estimate's window, ≤ 4/s (5-min metric)",
        "src/multigsi/engine/waiting.py",
        lambda rng: MultigsiWaitPolicy(rng),
        None,
        FIVE_MINUTE,
        "lambda",
    ),
    Strategy(
        "multigsi (1-min metric)",
        "the same policy, the metric published every minute",
        "src/multigsi/engine/waiting.py",
        lambda rng: MultigsiWaitPolicy(rng),
        None,
        ONE_MINUTE,
        "lambda",
    ),
    Strategy(
        "multigsi (no CloudWatch)",
        "the same policy, no metric (no permission, or none published)",
        "src/multigsi/engine/waiting.py",
        lambda rng: MultigsiWaitPolicy(rng),
        None,
        None,
        "lambda",
    ),
    Strategy(
        PURE_POLLING,
        "DescribeTable every 1 s exactly (the baseline multigsi must never lose to)",
        "—",
        lambda rng: SchedulePolicy((), 1.0),
        None,
    ),
    Strategy(
        "seed (2017 blog)",
        "sleep floor(15^(r/15)) s: 1,1,1,...,12, then 15 s; inside one 300 s Lambda",
        "the 2017 AWS blog post's Lambda code (DOMAIN.md)",
        lambda rng: SchedulePolicy(SEED_RAMP, 15.0),
        300.0,
        cloud="lambda-peer",
    ),
    Strategy(
        "Terraform",
        "checks at once, then 0.2 s doubling to a 10 s cap, one confirmation",
        "terraform-provider-aws internal/service/dynamodb/wait.go (waitGSIActive)",
        lambda rng: SchedulePolicy(TERRAFORM_RAMP, 10.0),
        HOUR,
    ),
    Strategy(
        "CDK Provider",
        "isComplete right after onEvent, then every 5 s (Step Functions)",
        "aws-cdk custom-resources/lib/provider-framework/util.ts, provider.ts",
        lambda rng: SchedulePolicy((), 5.0),
        1800.0,
        cloud="stepfunctions",
    ),
    Strategy(
        "Amplify",
        "every 10 s, one step per poll",
        "amplify-category-api amplify-table-manager-lambda (Custom::AmplifyDynamoDBTable)",
        lambda rng: SchedulePolicy((), 10.0),
        HOUR,
        cloud="stepfunctions",
    ),
    Strategy(
        "crhelper",
        "EventBridge rule every 2 minutes",
        "aws-cloudformation/custom-resource-helper crhelper/resource_helper.py (_poll_enabled, _set_timeout)",
        lambda rng: SchedulePolicy((), 120.0),
        HOUR,
        cloud="schedule",
    ),
]
