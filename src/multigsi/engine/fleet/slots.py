"""A cap on structural operations in flight across every table of a run.

DynamoDB allows a limited number of table operations at once per account (500; an index
create or delete is one) and refuses the next with a LimitExceededException. So a run
holds a slot from the UpdateTable that starts an operation until a DescribeTable shows
the table settled again, and a table that wants to start one while all slots are taken
waits its turn. Whose turn: the table with the most work left (longest processing time
first, LPT), since the run ends when its longest chain of builds ends; a table started
last with the most builds left is what makes a first-come-first-served run long. Equal
work: first come, first served. ``order="fcfs"`` serves by arrival alone (for comparison).

Other callers share the account's limit. When DynamoDB refuses an operation for the
account's sake anyway, the cap shrinks to what this run holds (so the queue stops
knocking) and grows back by one with each operation DynamoDB accepts.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

DEFAULT_MAX_OPERATIONS = 400  # below the account's 500, leaving room for other callers
INTERRUPT_CHECK = 1.0  # how often a queued table checks for Ctrl-C


Order = Literal["lpt", "fcfs"]


@dataclass
class _Waiter:
    table: str
    work: float
    sequence: int
    ready: threading.Event = field(default_factory=threading.Event)


class OperationSlots:
    """Thread-safe; the tables are identified by name."""

    def __init__(
        self,
        limit: int = DEFAULT_MAX_OPERATIONS,
        order: Order = "lpt",
        work: Callable[[str], float] | None = None,
    ) -> None:
        """``work``, when given, tells each waiting table's work left when the next turn is
        decided (an estimate that improves as the run goes: a table queued before any
        build had ended is compared with the same yardstick as one queued later); without
        it, the ``work`` each table asked with counts."""
        if limit < 1:
            raise ValueError(f"the cap on operations in flight must be at least 1, got {limit}")
        self.limit = limit
        self.order: Order = order
        self.work = work
        self.allowed = limit  # the cap now: lower after the account refused an operation
        self._lock = threading.Lock()
        self._held: set[str] = set()
        self._queue: dict[str, _Waiter] = {}  # by table: one waiter each
        self._sequence = itertools.count()
        self.peak = 0
        self.refusals = 0

    @property
    def in_flight(self) -> int:
        with self._lock:
            return len(self._held)

    def holds(self, table: str) -> bool:
        with self._lock:
            return table in self._held

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._queue)

    def request(self, table: str, work: float = 1.0) -> bool:
        """Take a slot for ``table`` if it holds one, or one is free and no table ahead of it
        waits; otherwise join (or stay in) the line and return False. ``work``: how much
        the table has left to do (any unit, the same for every table), which orders the line."""
        with self._lock:
            return self._request(table, work) is None

    def _request(self, table: str, work: float) -> _Waiter | None:
        if table in self._held:
            return None
        waiter = self._queue.get(table)
        if waiter is None:
            waiter = self._queue[table] = _Waiter(table, work, next(self._sequence))
        waiter.work = work
        if len(self._held) < self.allowed and self._next() is waiter:
            del self._queue[table]
            self._take(table)
            self._wake_next()
            return None
        waiter.ready.clear()
        return waiter

    def acquire(
        self,
        table: str,
        *,
        work: float = 1.0,
        deadline: float | None = None,
        interrupt: threading.Event | None = None,
    ) -> bool:
        """Take a slot for ``table`` (at once if it holds one already), waiting in line
        for one to free up. False when ``deadline`` (time.monotonic) or ``interrupt``
        came first."""
        while True:
            with self._lock:
                waiter = self._request(table, work)
                if waiter is None:
                    return True
            now = time.monotonic()
            stopped = (deadline is not None and now >= deadline) or (
                interrupt is not None and interrupt.is_set()
            )
            if stopped:
                with self._lock:
                    self._queue.pop(table, None)
                    self._wake_next()
                return False
            timeout = None if interrupt is None else INTERRUPT_CHECK
            if deadline is not None:
                timeout = min(timeout if timeout is not None else deadline - now, deadline - now)
            waiter.ready.wait(timeout)

    def adopt(self, table: str) -> None:
        """The table already has an operation in flight (started before this run, or by
        someone else): count it, without waiting."""
        with self._lock:
            if table not in self._held:
                self._take(table)

    def release(self, table: str) -> None:
        with self._lock:
            if table in self._held:
                self._held.discard(table)
                self._wake_next()

    def accepted(self) -> None:
        """DynamoDB accepted an operation: the account has room, the cap may grow back."""
        with self._lock:
            self.allowed = min(self.limit, self.allowed + 1)

    def refused(self, table: str) -> None:
        """DynamoDB refused an operation for the account's limit: give the slot back and
        cap at what this run holds, so the queue waits for an operation to finish."""
        with self._lock:
            self.refusals += 1
            self._held.discard(table)
            self.allowed = max(1, len(self._held))
            self._wake_next()

    def _take(self, table: str) -> None:
        self._held.add(table)
        self.peak = max(self.peak, len(self._held))

    def _next(self) -> _Waiter | None:
        """Whose turn it is: the most work left first (LPT), then the earliest arrival."""
        if not self._queue:
            return None
        if self.order == "fcfs":
            return min(self._queue.values(), key=lambda w: w.sequence)
        if self.work is not None:
            estimate = self.work
            return min(self._queue.values(), key=lambda w: (-estimate(w.table), w.sequence))
        return min(self._queue.values(), key=lambda w: (-w.work, w.sequence))

    def _wake_next(self) -> None:
        waiter = self._next()
        if waiter is not None and len(self._held) < self.allowed:
            waiter.ready.set()
