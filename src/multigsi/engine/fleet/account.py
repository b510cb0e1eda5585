"""The account's control-plane limits, applied to the clients every table of a run shares.

The reconcile loop stays as it is: it gets a client that behaves like boto3's but

- takes a token from the shared :class:`CallBudget` before every HTTP attempt
  (botocore's ``before-send`` event, so botocore's own retries are counted too) and halves
  the rate when DynamoDB answers with throttling (``needs-retry``);
- holds one of the run's :class:`OperationSlots` from each UpdateTable until a
  DescribeTable shows the table settled, queueing when all are taken;
- orders the waiting calls by how soon each table needs its answer, learnt from the
  loop's own observer events (an UpdateTable ahead of every read, a table about to act next, a build
  whose estimate says it ends soon before one that ends in an hour), never holding a
  read back longer than one share (below);
- gives each table its fair share of the budget (:meth:`AccountLimits.share`: the rate,
  less a reserve for UpdateTable and progress reads, divided among the tables that are
  reading), which :meth:`AccountLimits.policy` hands to the table's wait policy so the
  tables together ask for what the budget can grant;
- reads CloudWatch progress only where it can change a decision (:class:`SharedProgress`);
- tells the operation slots how much work each table has left, so that the tables with
  the most builds ahead start first (LPT).

An account-level LimitExceededException reaches the loop as the conflict it is (wait,
re-read, retry): never a failure.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from multigsi.engine.clock import Clock, SystemClock
from multigsi.engine.fleet.budget import CallBudget, CallCancelled
from multigsi.engine.fleet.slots import DEFAULT_MAX_OPERATIONS, OperationSlots, Order
from multigsi.engine.plan import Action
from multigsi.engine.progress import ProgressSource, Sample
from multigsi.engine.reconcile import STEP_MARGIN, Event, Observed, StepIssued
from multigsi.engine.waiting import ALLOCATING_POLL_INTERVAL, MultigsiWaitPolicy

DEFAULT_CALLS_PER_SECOND = 50.0  # 2 % of the account's documented 2,500/s: see docs/cli.md

# How long (s) a table's next call can wait when tokens are scarce: the due time is the
# request time plus this.
ACTING_SLACK = 0.0  # a read of a table with nothing in flight: it is about to act
# An UpdateTable goes ahead of every read asked within this many seconds: it is sent on a
# read that should still be fresh (the loop's FRESH_READ), and it starts a build. Queued
# behind the other tables' reads, as it was at slack 0, the steps of a hundred tables
# starting together waited for all their reads first (1.9 s at the 95th percentile,
# measured): every first build started that much later. Steps are few (one per table per
# build), so the reads behind them are held at most a step per table.
STEP_SLACK = -60.0
UNKNOWN_SLACK = 5.0  # a build with no completion estimate
NEAR_END = 5.0  # a build estimated to end within this is as urgent as acting
MAX_SLACK = 60.0  # however far the end: a read is never held back longer than this
# The share of the budget left for UpdateTable and progress reads: the tables' looks are
# paced to the rest.
RESERVE = 0.1
# However far a table's end: its read waits in the queue at most this many shares, so no
# table goes much longer than a few shares without a look (issue 25).
LOOK_WITHIN_SHARES = 2.0
STRUCTURAL = frozenset({Action.CREATE, Action.DELETE})

THROTTLING_CODES = frozenset(
    {"ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException"}
)
ACCOUNT_LIMIT_MESSAGE = "multigsi: waited for one of the {limit} operation slots until stopped"


def account_level(error: ClientError) -> bool:
    """A LimitExceededException about the account's simultaneous table operations, not
    about this table (one index change at a time, 20 indexes per table)."""
    details = error.response.get("Error", {})
    message = str(details.get("Message", "")).lower()
    return details.get("Code") == "LimitExceededException" and not (
        "per table" in message or "per-table" in message
    )


def _settled(description: dict[str, Any]) -> bool:
    indexes = description.get("GlobalSecondaryIndexes", [])
    return description.get("TableStatus", "ACTIVE") == "ACTIVE" and all(
        index.get("IndexStatus", "ACTIVE") == "ACTIVE" and not index.get("Backfilling", False)
        for index in indexes
    )


class AccountLimits:
    """Shared by every table of one run. ``deadline`` is on time.monotonic's scale."""

    def __init__(
        self,
        calls_per_second: float = DEFAULT_CALLS_PER_SECOND,
        max_operations: int = DEFAULT_MAX_OPERATIONS,
        *,
        deadline: float | None = None,
        interrupt: threading.Event | None = None,
        order: Order = "lpt",
        clock: Clock | None = None,
    ) -> None:
        self.budget = CallBudget(calls_per_second, interrupt=interrupt)
        self.slots = OperationSlots(max_operations, order=order, work=self.work_left)
        self.deadline = deadline
        self.interrupt = interrupt
        self.clock: Clock = clock or SystemClock()  # when builds and looks were seen
        self._lock = threading.Lock()
        self._slack: dict[str, float] = {}
        self.last_seen: dict[str, Any] = {}  # each table's last DescribeTable answer
        self._thread = threading.local()
        self._active: set[str] = set()  # tables whose loop runs
        self.calls: Counter[str] = Counter()  # HTTP attempts let through, by operation
        # Seconds each attempt waited in the budget's queue, by operation (for --json).
        self.queue_waits: dict[str, list[float]] = {}
        # Looks: when each table was last read while something was in flight, and the
        # longest gap between two such reads of one table.
        self._looked: dict[str, float] = {}
        self.longest_gap = 0.0
        self.longest_gap_table: str | None = None
        # Work left, for the slots' order: structural steps the last plan showed, and the
        # builds seen so far (seconds from the step to the last look still showing it).
        self._steps_left: dict[str, int] = {}
        self._step_at: dict[str, float] = {}
        self._busy_at: dict[str, float] = {}
        self.build_seconds: dict[str, list[float]] = {}
        self._built = [0.0, 0]  # every build so far: seconds, count (the run's mean)

    # --- which table a thread works for, and how urgent it is -------------------------

    def starting(self, tables: Iterable[str]) -> None:
        """These tables' loops are about to run: count them in the share from the start,
        before each thread has bound itself."""
        with self._lock:
            self._active.update(tables)

    def bind(self, table: str) -> None:
        """Calls made by this thread from now on are for ``table``."""
        self._thread.table = table
        with self._lock:
            self._active.add(table)

    def share(self) -> float:
        """Reads per second each reading table may spend now: the rate, less the reserve,
        divided among the tables whose loop runs and that are not queued for a slot (at
        most as many as there are slots)."""
        with self._lock:
            active = len(self._active)
        # Tables queued for a slot do not read; those reading steadily wait on a build,
        # so at most as many as the slots (before the queue forms, too).
        reading = max(1, min(active - self.slots.waiting, self.slots.allowed))
        return self.budget.rate() * (1.0 - RESERVE) / reading

    def saturated(self) -> bool:
        """The budget gives each reading table less than one read a second: an extra read
        of every table costs the whole run tables / rate seconds."""
        return self.share() < 1.0

    def share_interval(self) -> float:
        """Seconds between a table's looks at its share (at least one: one look a second)."""
        return max(1.0, 1.0 / self.share())

    def policy(self) -> MultigsiWaitPolicy:
        """A table's wait policy, paced to its share of the budget."""
        return MultigsiWaitPolicy(share=self.share)

    def progress(self, source: ProgressSource) -> ProgressSource:
        """``source``, read only where it can change a decision (:class:`SharedProgress`)."""
        return SharedProgress(source, self)

    def observe(self, event: Event) -> None:
        """The reconcile loop's observer: learn how long the table's next look can wait,
        how much work it has left and how long its builds take."""
        if isinstance(event, StepIssued):
            if event.step.action in STRUCTURAL:
                with self._lock:
                    self._step_at[event.table_name] = self.clock.now()
                    self._busy_at.pop(event.table_name, None)
            return
        if not isinstance(event, Observed):
            return
        table = event.table_name
        now = self.clock.now()
        with self._lock:
            self._steps_left[table] = sum(step.action in STRUCTURAL for step in event.plan.steps)
            if event.live.busy:
                self._busy_at[table] = now
            elif table in self._step_at:
                started = self._step_at.pop(table)
                seen = self._busy_at.pop(table, started)
                seconds = max(0.0, seen - started)
                self.build_seconds.setdefault(table, []).append(seconds)
                self._built[0] += seconds
                self._built[1] += 1
        if not event.live.busy:
            slack = ACTING_SLACK
        else:
            etas = [item.eta for item in event.progress]
            known = [eta for eta in etas if eta is not None]
            if not known or len(known) < len(etas):
                slack = UNKNOWN_SLACK
            else:
                slack = min(MAX_SLACK, max(0.0, max(known) - NEAR_END))
        self._slack[table] = slack

    def work_left(self, table: str) -> float:
        """Seconds of builds ``table`` has ahead, estimated from what is known now: the
        steps its last plan showed, times its own builds so far (or the run's, or one
        second). Called when the slots decide whose turn it is, so that every waiting
        table is measured with the same, latest yardstick."""
        with self._lock:
            steps = self._steps_left.get(table, 1)
            own = self.build_seconds.get(table)
            total, count = self._built
        per_step = sum(own) / len(own) if own else (total / count if count else 1.0)
        return max(1, steps) * per_step

    def finished(self, table: str) -> None:
        """The table's loop is over: it holds no slot any more."""
        self.slots.release(table)
        self._slack.pop(table, None)
        with self._lock:
            self._active.discard(table)

    def slack(self, operation: str) -> float:
        if operation == "UpdateTable":
            return STEP_SLACK
        table = getattr(self._thread, "table", None)
        if operation == "GetMetricData":
            # After every look due within the next shares: never ahead of a DescribeTable
            # of a table whose build may have ended.
            return LOOK_WITHIN_SHARES * self.share_interval()
        own = ACTING_SLACK if table is None else self._slack.get(table, ACTING_SLACK)
        return min(own, LOOK_WITHIN_SHARES * self.share_interval())

    def looked(self, table: str, busy: bool) -> None:
        """A DescribeTable of ``table`` was answered; ``busy``: it showed work in flight."""
        now = self.clock.now()
        with self._lock:
            previous = self._looked.pop(table, None)
            if previous is not None and now - previous > self.longest_gap:
                self.longest_gap, self.longest_gap_table = now - previous, table
            if busy:
                self._looked[table] = now

    # --- the clients ----------------------------------------------------------------------

    def attach(self, client: Any) -> Any:
        """Make every HTTP attempt of ``client`` take a token; returns the client."""
        events = client.meta.events
        service = client.meta.service_model.service_id.hyphenize()
        events.register(f"before-send.{service}", self._before_send)
        events.register(f"needs-retry.{service}", self._after_attempt)
        return client

    def wrap(self, dynamodb: Any) -> BudgetedClient:
        return BudgetedClient(self.attach(dynamodb), self)

    def _before_send(self, event_name: str = "", **kwargs: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        asked = self.budget.clock.now()
        granted = self.budget.acquire(self.slack(operation))
        with self._lock:
            self.calls[operation] += 1
            self.queue_waits.setdefault(operation, []).append(granted - asked)

    def queue_wait_summary(self) -> dict[str, dict[str, float]]:
        """Per operation: how long its attempts waited for a token (seconds: mean, median,
        95th percentile, max)."""
        with self._lock:
            waits = {operation: sorted(values) for operation, values in self.queue_waits.items()}
        return {
            operation: {
                "mean": round(sum(values) / len(values), 3),
                "p50": round(values[len(values) // 2], 3),
                "p95": round(values[min(len(values) - 1, int(0.95 * len(values)))], 3),
                "max": round(values[-1], 3),
            }
            for operation, values in sorted(waits.items())
            if values
        }

    def _after_attempt(self, response: Any = None, **kwargs: Any) -> None:
        """After each HTTP attempt, before botocore decides on a retry: throttling slows
        the budget; the account's operation limit shrinks the cap (botocore's standard
        mode retries that refusal itself, so the client may never see it)."""
        if response is None:
            return
        error = response[1].get("Error", {})
        if error.get("Code") in THROTTLING_CODES:
            self.budget.throttled()
        elif account_level(ClientError(response[1], "UpdateTable")):
            table = getattr(self._thread, "table", None)
            if table is not None:
                self.slots.refused(table)


class BudgetedClient:
    """A DynamoDB client whose UpdateTable waits for an operation slot and whose
    DescribeTable hands the slot back once the table has settled. Everything else is the
    wrapped client's."""

    def __init__(self, client: Any, limits: AccountLimits) -> None:
        self._client = client
        self._limits = limits

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def describe_table(self, **kwargs: Any) -> Any:
        """When the run is interrupted while this read waits for its turn, the table's last
        answer stands in for it: the loop looks once more, sees the interrupt and stops,
        without another call."""
        table = kwargs["TableName"]
        try:
            answer = self._client.describe_table(**kwargs)
        except CallCancelled:
            if table in self._limits.last_seen:
                return self._limits.last_seen[table]
            raise
        self._limits.last_seen[table] = answer
        settled = _settled(answer.get("Table", {}))
        self._limits.looked(table, busy=not settled)
        if settled:
            self._limits.slots.release(table)
        else:
            self._limits.slots.adopt(table)
        return answer

    def update_table(self, **kwargs: Any) -> Any:
        table = kwargs["TableName"]
        limits = self._limits
        deadline = None if limits.deadline is None else limits.deadline - STEP_MARGIN
        work = limits.work_left(table)
        if not limits.slots.acquire(table, work=work, deadline=deadline, interrupt=limits.interrupt):
            message = ACCOUNT_LIMIT_MESSAGE.format(limit=limits.slots.limit)
            raise ClientError(
                {"Error": {"Code": "LimitExceededException", "Message": message}}, "UpdateTable"
            )
        try:
            answer = self._client.update_table(**kwargs)
        except CallCancelled:
            limits.slots.release(table)
            message = "multigsi: the run was interrupted before this change was sent"
            raise ClientError(
                {"Error": {"Code": "LimitExceededException", "Message": message}}, "UpdateTable"
            ) from None
        except ClientError as error:
            if account_level(error):
                limits.slots.refused(table)
            else:
                limits.slots.release(table)
            raise
        except Exception:
            limits.slots.release(table)
            raise
        limits.slots.adopt(table)  # a refused attempt gave the slot back; botocore's retry won
        limits.slots.accepted()
        limits.looked(table, busy=True)  # its answer is the step's own look (Reconciler)
        return answer


class SharedProgress:
    """A progress source read only where an estimate can change a decision. A table's
    wait policy places the reads it banked while its builds allocated; at a share of
    ALLOCATING_POLL_INTERVAL's rate or less it banks none (its looks are a share apart
    either way), so the estimate would change nothing and the read would only take a
    DescribeTable's place in the budget: then the last sample stands, unread."""

    def __init__(self, source: ProgressSource, limits: AccountLimits) -> None:
        self.source = source
        self.limits = limits
        self.skipped = 0
        self._last: dict[tuple[str, str], Sample | None] = {}

    def sample(self, table_name: str, index_name: str) -> Sample | None:
        key = (table_name, index_name)
        if self.limits.share() <= 1.0 / ALLOCATING_POLL_INTERVAL:
            self.skipped += 1
            return self._last.get(key)
        value = self.source.sample(table_name, index_name)
        self._last[key] = value
        return value
