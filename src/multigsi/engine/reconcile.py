"""The level-triggered reconcile loop: read → wait while anything is in flight → plan →
issue the first step → repeat until the plan is empty.

Because every iteration starts from the live state, a re-run, an interrupted run and two
concurrent runs on one table all converge without special cases: whatever the other
actor did is simply part of what the next DescribeTable shows.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from multigsi.engine.classify import ErrorKind, classify
from multigsi.engine.clients import Regions
from multigsi.engine.clock import Clock, SystemClock
from multigsi.engine.ownership.scope import Ownership
from multigsi.engine.plan import Action, Plan, Step, make_plan
from multigsi.engine.progress import BuildTracker, Estimate, NoProgress, ProgressSource
from multigsi.engine.retry import backoff_delay, retry_until_deadline
from multigsi.engine.rules import problems_against_live
from multigsi.engine.waiting import MultigsiWaitPolicy, WaitPolicy
from multigsi.errors import (
    ReadOutOfTime,
    SpecError,
    StepFailedError,
    TableNotFoundError,
    TableUnavailableError,
)
from multigsi.model.live import UNAVAILABLE_TABLE_STATUSES, LiveIndex, LiveTable, Phase
from multigsi.model.table import TableSpec
from multigsi.model.wire import live_table_from_describe

STEP_MARGIN = 0.25  # never issue a step closer than this to the deadline (an UpdateTable takes ms)
MAX_STALE_RETRIES = 5  # "already exists"/"not found" more often than this: our view is wrong
# A create/delete is sent only on a read at most this old; an older one (say, after slow
# progress samples) is read again first. Another actor's step in between would get ours refused.
# One exception: a saturated fleet's first create, on the plan's read (create_on_first_look).
FRESH_READ = 0.5
# Before the first step of a run (create, delete or update), and before every one once
# another actor has shown itself (one of our steps was refused), wait a random 0..CONTENTION_JITTER s and send
# it only on the read that follows. Two runs started together (a duplicate delivery of a
# CloudFormation event) or polling in step then rarely race to the same step; a run alone
# pays at most this once, against index builds of minutes. (A fleet whose call budget is
# saturated sends its first creates on the plan's read instead: create_on_first_look.)
CONTENTION_JITTER = 0.5
STRUCTURAL = frozenset({Action.CREATE, Action.DELETE})


class Outcome(StrEnum):
    CONVERGED = "converged"
    DEADLINE = "deadline"  # stopped cleanly before the deadline; more to do
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class IndexProgress:
    name: str
    phase: Phase
    elapsed: float
    percent: float | None = None
    eta: float | None = None
    estimate: Estimate | None = None  # eta with its spread, negative when overdue: for the policy
    region: str | None = None  # a global table's replica region, None for the home region

    @property
    def label(self) -> str:
        return self.name if self.region is None else f"{self.name} in {self.region}"


@dataclass(frozen=True)
class Observed:
    """The loop looked at the table."""

    table_name: str
    live: LiveTable
    plan: Plan
    progress: tuple[IndexProgress, ...]


@dataclass(frozen=True)
class StepIssued:
    table_name: str
    step: Step


@dataclass(frozen=True)
class Retrying:
    table_name: str
    step: Step | None
    code: str
    message: str
    delay: float


@dataclass(frozen=True)
class ApplyResult:
    table_name: str
    outcome: Outcome
    steps_issued: tuple[Step, ...]
    remaining: Plan
    in_flight: tuple[IndexProgress, ...]
    elapsed: float

    @property
    def converged(self) -> bool:
        return self.outcome is Outcome.CONVERGED

    def describe(self) -> str:
        """What is in flight (index, phase, percent, ETA) and what is not started yet: the
        one wording both CloudFormation front doors report progress and timeouts in."""
        parts = []
        for item in self.in_flight:
            text = f"{item.label} {item.phase}"
            if item.percent is not None:
                text += f" {item.percent:.0f}%"
            if item.eta is not None:
                text += f" ETA {duration(item.eta)}"
            parts.append(text)
        steps = self.remaining.steps
        if steps:
            parts.append("not started: " + ", ".join(step.describe() for step in steps))
        return "; ".join(parts)


def duration(seconds: float) -> str:
    """``1h02m``, ``3m05s``, ``42s``."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


Event = Observed | StepIssued | Retrying
Observer = Callable[[Event], None]


def _ignore(event: Event) -> None:
    return None


@dataclass
class Reconciler:
    """Applies one table's spec. Every side effect is a parameter: the DynamoDB client,
    the clock, the random source of the backoff jitter, the wait policy and the progress
    source.

    ``step_client`` sends UpdateTable (``client`` when None). Give it a client without
    automatic retries (``multigsi.engine.clients.dynamodb_step_client``): UpdateTable is not
    idempotent, and after any failed one the loop re-reads the table before sending again."""

    client: Any
    clock: Clock = field(default_factory=SystemClock)
    rng: random.Random = field(default_factory=random.Random)
    policy: WaitPolicy = field(default_factory=MultigsiWaitPolicy)
    progress: ProgressSource = field(default_factory=NoProgress)
    observer: Observer = _ignore
    step_client: Any = None
    # A global table's replica regions (each read in its own region) and their progress.
    regions: Regions | None = None
    replica_progress: Callable[[str], ProgressSource] | None = None
    # Whether a create may be sent on ``first_look`` (the plan's read) as it stands, without
    # the random pause and a fresh read first. A fleet whose call budget is saturated says
    # yes (AccountLimits.saturated): there the extra read of every table delays the last
    # first build by tables / rate seconds (2 s for 100 tables at 50 calls/s). A create sent
    # on an older read is at worst refused (another actor changed the table since) and then
    # handled like any conflict: re-read, re-plan, pause before the next structural step.
    # Deletes always wait for the pause and a fresh read.
    create_on_first_look: Callable[[], bool] = lambda: False

    def read(self, table_name: str, deadline: float | None = None, *, replicas: bool = True) -> LiveTable:
        """One DescribeTable, with the loop's own retry for transient trouble (never
        sleeping past ``deadline``: then the trouble is raised as it is). A global table
        is also read in each replica's region: only there does a replica show its indexes'
        IndexStatus (the home region's Replicas[] names them, without status).
        ``replicas=False``: the home region's answer only (what a listing needs)."""
        live = self._describe(self.client, table_name, deadline)
        return self._with_replicas(live, deadline) if replicas else live

    def _with_replicas(self, live: LiveTable, deadline: float | None) -> LiveTable:
        if not live.replicas:
            return live
        seen = []
        for replica in live.replicas:
            if replica.region == live.region or replica.unavailable:
                seen.append(replica)  # never read: the home itself, or a replica that cannot answer
                continue
            if self.regions is None:
                raise RuntimeError(f"{live.name} is a global table: reading it needs Reconciler.regions")
            try:
                table = self._describe(self.regions.dynamodb(replica.region), live.name, deadline)
            except TableNotFoundError:
                table = None  # a replica still being created may not answer yet: not settled
            seen.append(dataclasses.replace(replica, table=table))
        return dataclasses.replace(live, replicas=tuple(seen))

    def _describe(self, client: Any, table_name: str, deadline: float | None) -> LiveTable:
        tries = [0]

        def describe() -> LiveTable:
            tries[0] += 1
            return live_table_from_describe(client.describe_table(TableName=table_name)["Table"])

        def retryable(error: Exception) -> bool:
            return classify(error).retryable and tries[0] <= MAX_STALE_RETRIES

        def report(error: Exception, delay: float) -> None:
            classified = classify(error)
            self.observer(Retrying(table_name, None, classified.code, classified.message, delay))

        try:
            return retry_until_deadline(
                describe,
                retryable=retryable,
                clock=self.clock,
                rng=self.rng,
                deadline=deadline,
                on_retry=report,
            )
        except Exception as error:
            classified = classify(error)
            if classified.code == "ResourceNotFoundException":
                raise TableNotFoundError(table_name) from error
            if classified.retryable and tries[0] <= MAX_STALE_RETRIES:
                raise ReadOutOfTime(f"reading table {table_name}") from error  # the deadline came first
            raise StepFailedError(
                table_name,
                "DescribeTable",
                classified.code,
                classified.message,
                transient=classified.retryable,
            ) from error

    def plan(
        self, spec: TableSpec, ownership: Ownership, deadline: float | None = None
    ) -> tuple[LiveTable, Plan]:
        """Read the table, check the spec against it and compute the remaining steps."""
        live = self.read(spec.table_name, deadline)
        if live.status in UNAVAILABLE_TABLE_STATUSES:
            raise TableUnavailableError(live.name, live.status)
        for replica in live.replicas:
            if replica.unavailable:  # waiting would not end it: a person must act
                why = f" ({replica.status_description})" if replica.status_description else ""
                raise TableUnavailableError(
                    live.name, f"a global table whose replica in {replica.region} is {replica.status}{why}"
                )
        problems = problems_against_live(spec, live, ownership)
        if problems:
            raise SpecError(problems, f"table {spec.table_name}")
        return live, make_plan(live, spec, ownership)

    def apply(
        self,
        spec: TableSpec,
        ownership: Ownership,
        *,
        deadline: float | None = None,
        interrupt: threading.Event | None = None,
        first_look: LiveTable | None = None,
    ) -> ApplyResult:
        """``first_look``: the table as a read just before showed it (the CLI reads every
        table to plan before anything changes). When it shows nothing in flight and a
        create or delete first, the loop starts from it instead of reading again: that step
        is sent on the read after the random pause, so the look's age does not matter
        (unless ``create_on_first_look`` lets a create go on the look itself); otherwise it
        is ignored. Many tables then start with one read each fewer."""
        started = self.clock.now()
        tracker = BuildTracker()
        issued: list[Step] = []
        replacing: dict[str, str] = {}
        conflicts = 0
        stale = 0
        wait_started: float | None = None
        settled = 0
        plan = Plan(spec.table_name, ())
        progress: tuple[IndexProgress, ...] = ()
        unanswered: Step | None = None  # sent, but the answer was lost: applied or not?
        contended = False  # another actor has shown itself: jitter before create/delete
        jittered_at: float | None = None
        refreshed = False  # looked again because the read was stale: act on the next one
        look: tuple[LiveTable, Plan] | None = None  # a look that stands in for the next read
        planned = False  # this iteration's look is the plan's read (first_look)

        def stop(outcome: Outcome) -> ApplyResult:
            """The result, with what the last look showed still to do and in flight."""
            return ApplyResult(
                spec.table_name, outcome, tuple(issued), plan, progress, self.clock.now() - started
            )

        def sent(step: Step) -> None:
            if step.action is Action.DELETE and step.replacement:
                replacing[step.index_name] = step.reason
            issued.append(step)
            self.observer(StepIssued(spec.table_name, step))

        while True:
            # When this look was asked for: a call budget shared by many tables (or retries)
            # may hold the read back; it still follows the pause if it was asked for after it.
            asked = self.clock.now()
            try:
                planned = False
                if first_look is not None:
                    look = self._start_from(first_look, spec, ownership)
                    planned = look is not None
                    first_look = None
                if look is not None:
                    live, plan = look
                    look = None
                else:
                    live, plan = self.plan(spec, ownership, deadline)
            except ReadOutOfTime:
                # Transient trouble reading the table and no time left to retry: stop like
                # any other deadline.
                return stop(Outcome.DEADLINE)
            if unanswered is not None and _applied(unanswered, plan):
                sent(unanswered)  # the read shows it took effect: it was sent, answer lost
            unanswered = None
            now = self.clock.now()
            progress = self._progress(live, tracker, now)
            self.observer(Observed(spec.table_name, live, plan, progress))

            settled = 0 if live.busy else settled + 1
            if not live.busy and settled < self.policy.confirmations:
                # Some tools only trust "settled" after seeing it more than once in a row.
                delay = self.policy.interval(now - (wait_started or now), None)
                if deadline is not None and now + delay > deadline:
                    return stop(Outcome.DEADLINE)
                self.clock.sleep(delay)
                continue
            if plan.empty and not live.busy:
                return stop(Outcome.CONVERGED)
            if interrupt is not None and interrupt.is_set():
                return stop(Outcome.INTERRUPTED)
            if live.busy:
                wait_started = now if wait_started is None else wait_started
                known = [item.estimate for item in progress if item.estimate is not None]
                slowest = (
                    max(known, key=lambda e: e.eta + e.spread)
                    if known and len(known) == len(progress)
                    else None
                )
                # Every index in flight still allocating: none can become ACTIVE before it backfills.
                allocating = bool(progress) and all(item.phase is Phase.ALLOCATING for item in progress)
                delay = self.policy.interval(
                    now - wait_started, slowest if known else None, allocating=allocating
                )
                if deadline is not None and now + delay > deadline:
                    return stop(Outcome.DEADLINE)
                self.clock.sleep(delay)
                continue
            wait_started = None
            step = plan.steps[0]
            if step.action is Action.CREATE and step.index_name in replacing:
                # A replacement spans iterations: after its delete the index is simply absent.
                step = dataclasses.replace(step, replacement=True, reason=replacing[step.index_name])
            if deadline is not None and now > deadline - STEP_MARGIN:
                return stop(Outcome.DEADLINE)
            on_plan = planned and step.action is Action.CREATE and self.create_on_first_look()
            # Every kind of step: a throughput or replica update sent while another actor's
            # create starts is refused (ResourceInUse) as surely as a second create.
            if not on_plan:
                first = not issued
                if (first or contended) and (
                    jittered_at is None or not 0 <= asked - jittered_at <= FRESH_READ
                ):
                    # Send only on a read taken right after a random pause.
                    delay = self.rng.uniform(0, CONTENTION_JITTER)
                    if deadline is not None and self.clock.now() + delay > deadline - STEP_MARGIN:
                        return stop(Outcome.DEADLINE)
                    self.clock.sleep(delay)
                    jittered_at = self.clock.now()
                    continue
                if self.clock.now() - now > FRESH_READ and not refreshed:
                    refreshed = True
                    continue  # the read is stale: look again (once) before acting on it
            jittered_at = None
            refreshed = False
            try:
                answer = (self.step_client or self.client).update_table(**step.request(spec.table_name))
            except Exception as error:
                classified = classify(error)
                if classified.kind is ErrorKind.PERMANENT or (
                    classified.kind is ErrorKind.STALE and stale >= MAX_STALE_RETRIES
                ):
                    raise StepFailedError(
                        spec.table_name, step.describe(), classified.code, classified.message
                    ) from error
                if classified.kind is ErrorKind.STALE:
                    stale += 1
                if classified.kind in (ErrorKind.CONFLICT, ErrorKind.STALE):
                    contended = True  # refused: someone else changed the table since our read
                if classified.kind is ErrorKind.AMBIGUOUS:
                    unanswered = step  # the next read tells whether it was applied
                # Never resend blindly: back off, then the loop re-reads and re-plans.
                attempt = conflicts
                conflicts += 1
                delay = backoff_delay(attempt, self.rng)
                self.observer(Retrying(spec.table_name, step, classified.code, classified.message, delay))
                if deadline is not None and self.clock.now() + delay > deadline:
                    return stop(Outcome.DEADLINE)
                self.clock.sleep(delay)
                continue
            conflicts = 0
            stale = 0
            sent(step)
            look = self._answered(answer, spec, ownership)

    def _answered(self, answer: Any, spec: TableSpec, ownership: Ownership) -> tuple[LiveTable, Plan] | None:
        """The step's own look from UpdateTable's answer (its TableDescription, the table
        right after the step) when it shows work in flight: the loop waits either way, so
        a read right after the step would only confirm it. Otherwise None: read."""
        description = answer.get("TableDescription") if isinstance(answer, dict) else None
        if not isinstance(description, dict):
            return None
        try:
            live = live_table_from_describe(description)
        except (KeyError, TypeError, ValueError):
            return None
        if (
            not live.busy
            or live.status in UNAVAILABLE_TABLE_STATUSES
            or problems_against_live(spec, live, ownership)
        ):
            return None
        return live, make_plan(live, spec, ownership)

    def _start_from(
        self, live: LiveTable, spec: TableSpec, ownership: Ownership
    ) -> tuple[LiveTable, Plan] | None:
        """The plan from an earlier look, when its first step is a create or delete on a
        settled table (sent only after the pause and a fresh read); otherwise None."""
        if (
            live.busy
            or live.status in UNAVAILABLE_TABLE_STATUSES
            or problems_against_live(spec, live, ownership)
        ):
            return None
        plan = make_plan(live, spec, ownership)
        if plan.empty or plan.steps[0].action not in STRUCTURAL:
            return None
        return live, plan

    def _progress(self, live: LiveTable, tracker: BuildTracker, now: float) -> tuple[IndexProgress, ...]:
        """Every index in flight, in the home region and in each replica's (where the slowest
        usually is: a replica's copy starts after the home's allocation). An index the home
        shows and a replica does not have yet counts as allocating there."""
        items = self._region_progress(live.name, live.indexes, None, self.progress, tracker, now)
        for replica in live.replicas:
            if replica.table is None:
                continue
            progress = self.replica_progress(replica.region) if self.replica_progress else NoProgress()
            items.extend(
                self._region_progress(
                    live.name, replica.table.indexes, replica.region, progress, tracker, now
                )
            )
            have = {index.name for index in replica.table.indexes}
            for index in live.indexes:
                if index.name not in have:  # on its way to this replica
                    key = f"{live.name}@{replica.region}"
                    tracker.observe(key, index.name, now, None)
                    items.append(
                        IndexProgress(
                            index.name,
                            Phase.ALLOCATING,
                            tracker.elapsed(key, index.name, now),
                            region=replica.region,
                        )
                    )
        return tuple(items)

    @staticmethod
    def _region_progress(
        table_name: str,
        indexes: tuple[LiveIndex, ...],
        region: str | None,
        source: ProgressSource,
        tracker: BuildTracker,
        now: float,
    ) -> list[IndexProgress]:
        key = table_name if region is None else f"{table_name}@{region}"
        items = []
        for index in indexes:
            if not index.in_flight:
                tracker.forget(key, index.name)
                continue
            sample = source.sample(table_name, index.name) if index.phase is Phase.BACKFILLING else None
            tracker.observe(key, index.name, now, sample)
            estimate = tracker.estimate(key, index.name, now)
            items.append(
                IndexProgress(
                    name=index.name,
                    phase=index.phase,
                    elapsed=tracker.elapsed(key, index.name, now),
                    percent=None if sample is None else sample.percent,
                    eta=None if estimate is None else max(0.0, estimate.eta),
                    estimate=estimate,
                    region=region,
                )
            )
        return items


def _applied(step: Step, plan: Plan) -> bool:
    """Whether a step whose answer was lost took effect: a fresh plan no longer asks for it."""
    return not any(s.same_as(step) for s in plan.steps)
