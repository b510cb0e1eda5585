"""The shared control-plane budget and the cap on operations in flight, on their own.

Pacing and recovery run in simulated time (FakeClock); the queue orders use real threads
but assert only who is served first, never how fast.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

from multigsi.engine.clock import FakeClock
from multigsi.engine.fleet.account import (
    ACTING_SLACK,
    MAX_SLACK,
    NEAR_END,
    UNKNOWN_SLACK,
    AccountLimits,
    account_level,
)
from multigsi.engine.fleet.budget import RECOVERY_SECONDS, CallBudget
from multigsi.engine.fleet.slots import OperationSlots
from multigsi.engine.plan import Plan
from multigsi.engine.reconcile import IndexProgress, Observed
from multigsi.model.live import IndexStatus, LiveIndex, LiveTable, Phase
from multigsi.model.table import BillingMode, Projection, ProjectionType


def wait_until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("condition never held")


def test_grants_are_spaced_by_the_rate_so_no_second_holds_more_than_the_budget() -> None:
    clock = FakeClock()
    budget = CallBudget(5, clock)
    granted = [budget.acquire() for _ in range(12)]
    assert granted == pytest.approx([n * 0.2 for n in range(12)], abs=1e-4)
    assert budget.busiest_second == 5


def test_an_idle_budget_banks_no_burst() -> None:
    clock = FakeClock()
    budget = CallBudget(10, clock)
    budget.acquire()
    clock.sleep(60)
    first, second = budget.acquire(), budget.acquire()
    assert second - first == pytest.approx(0.1, abs=1e-4)


def test_throttling_halves_the_rate_once_per_burst_then_it_climbs_back() -> None:
    clock = FakeClock()
    budget = CallBudget(40, clock)
    budget.throttled()
    budget.throttled()  # same burst: no second cut
    assert budget.rate() == pytest.approx(20)
    clock.sleep(RECOVERY_SECONDS / 4)
    assert budget.rate() == pytest.approx(30)
    clock.sleep(RECOVERY_SECONDS)
    assert budget.rate() == pytest.approx(40)
    budget.throttled()
    clock.sleep(2)
    budget.throttled()
    assert budget.rate() < 20
    assert budget.throttles == 4


def test_a_throttled_budget_spaces_its_grants_wider() -> None:
    clock = FakeClock()
    budget = CallBudget(10, clock)
    budget.acquire()
    budget.throttled()
    first, second = budget.acquire(), budget.acquire()
    assert second - first > 0.1


def test_waiting_calls_are_served_by_due_time_not_arrival() -> None:
    """An UpdateTable (no slack) asked last is served before reads that can wait."""
    budget = CallBudget(1)  # one grant a second: the queue fills long before the next
    budget.acquire()
    order: list[str] = []

    def call(name: str, slack: float) -> threading.Thread:
        thread = threading.Thread(target=lambda: (budget.acquire(slack), order.append(name)))
        thread.start()
        return thread

    threads = [call("far", 30.0)]
    wait_until(lambda: budget.peak_queue >= 1)
    threads.append(call("unknown", 5.0))
    wait_until(lambda: budget.peak_queue >= 2)
    threads.append(call("update", 0.0))
    for thread in threads:
        thread.join()
    assert order == ["update", "unknown", "far"]


def test_slots_cap_operations_and_serve_the_queue_first_come_first_served() -> None:
    slots = OperationSlots(2)
    assert slots.acquire("a") and slots.acquire("b")
    assert slots.acquire("a")  # holds one already: no second slot
    assert slots.in_flight == 2
    order: list[str] = []
    threads = []
    for name in ("c", "d"):
        thread = threading.Thread(target=lambda name=name: (slots.acquire(name), order.append(name)))
        thread.start()
        threads.append(thread)
        wait_until(lambda: len(slots._queue) == len(threads))
    assert order == []
    slots.release("b")
    wait_until(lambda: order == ["c"])
    assert slots.in_flight == 2
    slots.release("a")
    for thread in threads:
        thread.join()
    assert order == ["c", "d"]
    assert slots.peak == 2


def test_a_queued_table_gives_up_at_the_deadline_or_on_interrupt() -> None:
    slots = OperationSlots(1)
    slots.acquire("a")
    assert not slots.acquire("b", deadline=time.monotonic() + 0.05)
    interrupt = threading.Event()
    interrupt.set()
    assert not slots.acquire("c", interrupt=interrupt)
    slots.release("a")
    assert slots.acquire("d") and slots.in_flight == 1


def test_operations_already_in_flight_are_counted_and_refusals_shrink_the_cap() -> None:
    slots = OperationSlots(5)
    slots.adopt("old")
    slots.acquire("a")
    slots.acquire("b")
    slots.refused("b")  # the account is full (others use it too): cap at what we hold
    assert slots.allowed == 2 and slots.in_flight == 2 and slots.refusals == 1
    assert not slots.acquire("c", deadline=time.monotonic() + 0.05)
    slots.accepted()
    assert slots.allowed == 3
    assert slots.acquire("c")
    for _ in range(10):
        slots.accepted()
    assert slots.allowed == 5


def limit_error(message: str) -> ClientError:
    return ClientError({"Error": {"Code": "LimitExceededException", "Message": message}}, "UpdateTable")


def test_only_the_accounts_limit_counts_as_account_level() -> None:
    assert account_level(limit_error("Subscriber limit exceeded: too many table operations in progress"))
    assert not account_level(
        limit_error(
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"
        )
    )
    assert not account_level(limit_error("Number of global secondary indexes exceeds per-table limit of 20"))


def observed(busy: bool, etas: list[float | None]) -> Observed:
    index = LiveIndex(
        "i", (), Projection(ProjectionType.ALL), IndexStatus.CREATING if busy else IndexStatus.ACTIVE,
        busy, None, None, None,
    )  # fmt: skip
    live = LiveTable("t", "arn", "ACTIVE", BillingMode.PAY_PER_REQUEST, (), (index,))
    progress = tuple(IndexProgress(f"i{n}", Phase.BACKFILLING, 1.0, eta=eta) for n, eta in enumerate(etas))
    return Observed("t", live, Plan("t", ()), progress)


@pytest.mark.parametrize(
    ("busy", "etas", "slack"),
    [
        (False, [], ACTING_SLACK),
        (True, [None], UNKNOWN_SLACK),
        (True, [3.0], 0.0),
        (True, [40.0], 40.0 - NEAR_END),
        (True, [40.0, None], UNKNOWN_SLACK),
        (True, [7200.0], MAX_SLACK),
    ],
)
def test_a_tables_next_call_can_wait_as_long_as_its_build_has_left(
    busy: bool, etas: list[float | None], slack: float
) -> None:
    limits = AccountLimits()
    limits.bind("t")
    limits.observe(observed(busy, etas))
    assert limits.slack("DescribeTable") == pytest.approx(slack)
    assert limits.slack("UpdateTable") == ACTING_SLACK
    limits.finished("t")
    assert limits.slack("DescribeTable") == ACTING_SLACK
