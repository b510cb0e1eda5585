"""The account's control-plane limits, applied to the clients every table of a run shares.

The reconcile loop stays as it is: it gets a client that behaves like boto3's but

- takes a token from the shared :class:`CallBudget` before every HTTP attempt
  (botocore's ``before-send`` event, so botocore's own retries are counted too) and halves
  the rate when DynamoDB answers with throttling (``needs-retry``);
- holds one of the run's :class:`OperationSlots` from each UpdateTable until a
  DescribeTable shows the table settled, queueing when all are taken;
- orders the waiting calls by how soon each table needs its answer, learnt from the
  loop's own observer events (an UpdateTable or a table about to act first, a build
  whose estimate says it ends soon before one that ends in an hour).

An account-level LimitExceededException reaches the loop as the conflict it is (wait,
re-read, retry): never a failure.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import ClientError

from multigsi.engine.fleet.budget import CallBudget, CallCancelled
from multigsi.engine.fleet.slots import DEFAULT_MAX_OPERATIONS, OperationSlots
from multigsi.engine.reconcile import STEP_MARGIN, Event, Observed

DEFAULT_CALLS_PER_SECOND = 50.0  # 2 % of the account's documented 2,500/s: see README

# How long (s) a table's next call can wait when tokens are scarce: the due time is the
# request time plus this.
ACTING_SLACK = 0.0  # an UpdateTable, or a read of a table with nothing in flight
UNKNOWN_SLACK = 5.0  # a build with no completion estimate
NEAR_END = 5.0  # a build estimated to end within this is as urgent as acting
MAX_SLACK = 60.0  # however far the end: a read is never held back longer than this

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
    ) -> None:
        self.budget = CallBudget(calls_per_second, interrupt=interrupt)
        self.slots = OperationSlots(max_operations)
        self.deadline = deadline
        self.interrupt = interrupt
        self._slack: dict[str, float] = {}
        self.last_seen: dict[str, Any] = {}  # each table's last DescribeTable answer
        self._thread = threading.local()

    # --- which table a thread works for, and how urgent it is -------------------------

    def bind(self, table: str) -> None:
        """Calls made by this thread from now on are for ``table``."""
        self._thread.table = table

    def observe(self, event: Event) -> None:
        """The reconcile loop's observer: learn how long the table's next look can wait."""
        if not isinstance(event, Observed):
            return
        if not event.live.busy:
            slack = ACTING_SLACK
        else:
            etas = [item.eta for item in event.progress]
            known = [eta for eta in etas if eta is not None]
            if not known or len(known) < len(etas):
                slack = UNKNOWN_SLACK
            else:
                slack = min(MAX_SLACK, max(0.0, max(known) - NEAR_END))
        self._slack[event.table_name] = slack

    def finished(self, table: str) -> None:
        """The table's loop is over: it holds no slot any more."""
        self.slots.release(table)
        self._slack.pop(table, None)

    def slack(self, operation: str) -> float:
        if operation == "UpdateTable":
            return ACTING_SLACK
        table = getattr(self._thread, "table", None)
        return ACTING_SLACK if table is None else self._slack.get(table, ACTING_SLACK)

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
        self.budget.acquire(self.slack(event_name.rsplit(".", 1)[-1]))

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
        if _settled(answer.get("Table", {})):
            self._limits.slots.release(table)
        else:
            self._limits.slots.adopt(table)
        return answer

    def update_table(self, **kwargs: Any) -> Any:
        table = kwargs["TableName"]
        limits = self._limits
        deadline = None if limits.deadline is None else limits.deadline - STEP_MARGIN
        if not limits.slots.acquire(table, deadline=deadline, interrupt=limits.interrupt):
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
        return answer
