"""A cap on structural operations in flight across every table of a run.

DynamoDB allows a limited number of table operations at once per account (500; an index
create or delete is one) and refuses the next with a LimitExceededException. So a run
holds a slot from the UpdateTable that starts an operation until a DescribeTable shows
the table settled again, and a table that wants to start one while all slots are taken
waits its turn: first come, first served.

Other callers share the account's limit. When DynamoDB refuses an operation for the
account's sake anyway, the cap shrinks to what this run holds (so the queue stops
knocking) and grows back by one with each operation DynamoDB accepts.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

DEFAULT_MAX_OPERATIONS = 400  # below the account's 500, leaving room for other callers
INTERRUPT_CHECK = 1.0  # how often a queued table checks for Ctrl-C


@dataclass
class _Waiter:
    table: str
    ready: threading.Event = field(default_factory=threading.Event)


class OperationSlots:
    """Thread-safe; the tables are identified by name."""

    def __init__(self, limit: int = DEFAULT_MAX_OPERATIONS) -> None:
        if limit < 1:
            raise ValueError(f"the cap on operations in flight must be at least 1, got {limit}")
        self.limit = limit
        self.allowed = limit  # the cap now: lower after the account refused an operation
        self._lock = threading.Lock()
        self._held: set[str] = set()
        self._queue: deque[_Waiter] = deque()
        self.peak = 0
        self.refusals = 0

    @property
    def in_flight(self) -> int:
        with self._lock:
            return len(self._held)

    def holds(self, table: str) -> bool:
        with self._lock:
            return table in self._held

    def acquire(
        self, table: str, *, deadline: float | None = None, interrupt: threading.Event | None = None
    ) -> bool:
        """Take a slot for ``table`` (at once if it holds one already), waiting in line
        for one to free up. False when ``deadline`` (time.monotonic) or ``interrupt``
        came first."""
        waiter = _Waiter(table)
        with self._lock:
            if table in self._held:
                return True
            self._queue.append(waiter)
        while True:
            with self._lock:
                if self._queue[0] is waiter and len(self._held) < self.allowed:
                    self._queue.popleft()
                    self._take(table)
                    self._wake_next()
                    return True
                waiter.ready.clear()
            now = time.monotonic()
            stopped = (deadline is not None and now >= deadline) or (
                interrupt is not None and interrupt.is_set()
            )
            if stopped:
                with self._lock:
                    self._queue.remove(waiter)
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

    def _wake_next(self) -> None:
        if self._queue and len(self._held) < self.allowed:
            self._queue[0].ready.set()
