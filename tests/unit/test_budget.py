"""The shared control-plane budget and the cap on operations in flight, on their own.

Pacing and recovery run in simulated time (FakeClock); the queue orders use real threads
but assert only who is served first, never how fast.
"""

from __future__ import annotations

import heapq
import random
import threading
import time
from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

from multigsi.engine.clock import FakeClock
from multigsi.engine.fleet.account import (
    ACTING_SLACK,
    LOOK_WITHIN_SHARES,
    MAX_SLACK,
    NEAR_END,
    RESERVE,
    STEP_SLACK,
    UNKNOWN_SLACK,
    AccountLimits,
    account_level,
)
from multigsi.engine.fleet.budget import RECOVERY_SECONDS, CallBudget
from multigsi.engine.fleet.slots import OperationSlots, Order
from multigsi.engine.plan import Action, Plan, Step
from multigsi.engine.progress import Estimate, Sample
from multigsi.engine.reconcile import IndexProgress, Observed, StepIssued
from multigsi.engine.waiting import JITTER, MultigsiWaitPolicy
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
    # One table has the whole budget (a share is a second): its read waits two at most.
    assert limits.slack("DescribeTable") == pytest.approx(min(slack, LOOK_WITHIN_SHARES * 1.0))
    assert limits.slack("UpdateTable") == STEP_SLACK
    limits.finished("t")
    assert limits.slack("DescribeTable") == ACTING_SLACK


def test_a_step_goes_ahead_of_reads_already_waiting() -> None:
    """A hundred tables starting together: every table's read of a settled table is as
    urgent as acting, but a step asked after them still goes first, so that it follows its
    own read closely and its build starts as soon as the budget allows."""
    limits = AccountLimits(1.0)
    limits.budget.acquire()  # one grant a second: the next calls queue
    order: list[str] = []

    def call(table: str, operation: str) -> threading.Thread:
        def run() -> None:
            limits.bind(table)
            limits.budget.acquire(limits.slack(operation))
            order.append(operation)

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    threads = [call("a", "DescribeTable")]
    wait_until(lambda: limits.budget.peak_queue >= 1)
    threads.append(call("b", "UpdateTable"))
    for thread in threads:
        thread.join()
    assert order == ["UpdateTable", "DescribeTable"]


def test_a_fleet_is_saturated_once_its_tables_share_less_than_a_read_a_second() -> None:
    limits = AccountLimits(50.0)
    limits.starting(f"t{n}" for n in range(40))  # 45 reads/s among 40: more than one each
    assert not limits.saturated()
    limits.starting(f"t{n}" for n in range(100))  # before any thread has bound itself
    assert limits.saturated() and limits.share() == pytest.approx(0.45)


def makespan(order: Order, fleet: dict[str, int], build: float = 10.0, cap: int = 4) -> float:
    """Simulated time until every build of ``fleet`` (table → builds, one at a time per
    table) is done, with ``cap`` operation slots served in ``order``. Tables ask for a
    slot in the fleet's order; the slots decide who gets the next one."""
    clock = FakeClock()
    slots = OperationSlots(cap, order=order)
    left = dict(fleet)
    wanting = list(fleet)  # asking for a slot, in arrival order
    ends: list[tuple[float, str]] = []
    while wanting or ends:
        granted = True
        while granted:  # everyone asks again until nobody more gets a slot
            granted = False
            for table in list(wanting):
                if slots.request(table, work=left[table] * build):
                    wanting.remove(table)
                    heapq.heappush(ends, (clock.now() + build, table))
                    granted = True
        at, table = heapq.heappop(ends)
        clock.sleep(at - clock.now())
        slots.release(table)
        left[table] -= 1
        if left[table]:
            wanting.append(table)
    return clock.now()


def test_longest_work_first_beats_first_come_first_served_on_a_skewed_fleet() -> None:
    """30 tables with one new index, then 3 with six, 4 slots: first come, first served
    starts the long chains last and ends with them (2 waves of small ones + 6 builds in a
    row); the most work first starts them at once and fills the other slot with the rest,
    ending at the work over the cap (480 s / 4)."""
    fleet = {f"small-{n:02d}": 1 for n in range(30)} | {f"big-{n}": 6 for n in range(3)}
    fcfs, lpt = makespan("fcfs", fleet), makespan("lpt", fleet)
    assert fcfs == pytest.approx(140.0)
    assert lpt == pytest.approx(120.0)  # the floor: Σ build-seconds / cap = 480 / 4
    assert lpt < fcfs


def test_the_slots_serve_the_table_with_the_most_work_left_first() -> None:
    slots = OperationSlots(1)
    assert slots.acquire("a")
    order: list[str] = []
    threads = []
    for name, work in (("one", 10.0), ("six", 60.0), ("three", 30.0)):
        thread = threading.Thread(
            target=lambda name=name, work=work: (slots.acquire(name, work=work), order.append(name))
        )
        thread.start()
        threads.append(thread)
        wait_until(lambda: slots.waiting == len(threads))
    for expected in ("six", "three", "one"):
        holder = order[-1] if order else "a"
        slots.release(holder)
        wait_until(lambda expected=expected: order[-1:] == [expected])
    for thread in threads:
        thread.join()


def test_the_budget_is_shared_among_the_tables_reading_not_those_queued_for_a_slot() -> None:
    limits = AccountLimits(50, max_operations=4)
    for n in range(10):
        limits.bind(f"t{n}")
    # Ten tables, four slots: at most four can wait on a build and read steadily.
    assert limits.share() == pytest.approx(50 * (1 - RESERVE) / 4)
    for n in range(7):
        limits.finished(f"t{n}")
    assert limits.share() == pytest.approx(50 * (1 - RESERVE) / 3)
    for other in ("x1", "x2", "x3", "x4"):  # another part of the run holds every slot
        assert limits.slots.acquire(other)
    queued = threading.Thread(target=lambda: limits.slots.acquire("t7"))
    queued.start()
    wait_until(lambda: limits.slots.waiting == 1)
    assert limits.share() == pytest.approx(50 * (1 - RESERVE) / 2)
    limits.slots.release("x1")
    queued.join()
    for n in range(7, 10):
        limits.finished(f"t{n}")
    assert limits.share() == pytest.approx(50 * (1 - RESERVE))


def create_step(name: str) -> Step:
    return Step(Action.CREATE, name, "listed")


def looked_at(table: str, busy: bool, steps: int) -> Observed:
    index = LiveIndex(
        "i", (), Projection(ProjectionType.ALL), IndexStatus.CREATING if busy else IndexStatus.ACTIVE,
        busy, None, None, None,
    )  # fmt: skip
    live = LiveTable(table, "arn", "ACTIVE", BillingMode.PAY_PER_REQUEST, (), (index,))
    plan = Plan(table, tuple(create_step(f"new-{n}") for n in range(steps)))
    return Observed(table, live, plan, ())


def test_the_slots_weigh_every_waiting_table_with_what_is_known_when_the_turn_comes() -> None:
    """A table queued before any build had ended (two builds left, length unknown) and one
    queued after its first 100 s build (one left): the first has more work and goes
    first, although when it asked nobody knew a build takes 100 s."""
    clock = FakeClock()
    limits = AccountLimits(50, max_operations=1, clock=clock)
    assert limits.slots.acquire("holder")
    limits.observe(looked_at("fresh", busy=False, steps=2))
    fresh = threading.Thread(
        target=lambda: limits.slots.acquire("fresh", work=limits.work_left("fresh")), daemon=True
    )
    fresh.start()
    wait_until(lambda: limits.slots.waiting == 1)
    limits.observe(looked_at("second", busy=False, steps=2))
    limits.observe(StepIssued("second", create_step("new-0")))
    clock.sleep(100.0)
    limits.observe(looked_at("second", busy=True, steps=1))
    limits.observe(looked_at("second", busy=False, steps=1))
    assert limits.work_left("second") == pytest.approx(100.0)
    assert limits.work_left("fresh") == pytest.approx(200.0)  # two steps at the run's 100 s
    order: list[str] = []
    second = threading.Thread(
        target=lambda: (
            limits.slots.acquire("second", work=limits.work_left("second")),
            order.append("second"),
        )
    )
    second.start()
    wait_until(lambda: limits.slots.waiting == 2)
    limits.slots.release("holder")
    fresh.join(timeout=5)
    assert limits.slots.holds("fresh") and not order
    limits.slots.release("fresh")
    second.join(timeout=5)
    assert order == ["second"]


def test_at_a_share_below_one_read_a_second_a_table_polls_once_per_share() -> None:
    """Four seconds a look at a quarter read a second, wherever the estimate puts the end:
    the tables together ask for what the budget grants, never more."""
    policy = MultigsiWaitPolicy(random.Random(3), share=lambda: 0.25)
    waited, looks = 0.0, 0
    for call in range(60):
        estimate = Estimate(eta=30.0 - waited, spread=5.0) if call % 2 else None
        interval = policy.interval(waited, estimate, allocating=call < 5)
        if call:
            assert interval >= 4.0 * (1 - JITTER) - 1e-9  # allocating: jittered around the share
        waited += interval
        looks += 1
    assert looks <= waited * 0.25 + 1


class CountingSource:
    def __init__(self) -> None:
        self.reads = 0

    def sample(self, table_name: str, index_name: str) -> Sample | None:
        self.reads += 1
        return Sample(50.0, 0.0)


def test_progress_is_read_only_where_the_share_leaves_reads_to_place() -> None:
    """At half a read a second or less a table's looks are a share apart whatever the
    estimate says: the metric is not read, the last sample stands."""
    limits = AccountLimits(10)
    source = CountingSource()
    progress = limits.progress(source)
    limits.bind("t0")
    assert progress.sample("t0", "i") is not None and source.reads == 1
    for n in range(1, 40):
        limits.bind(f"t{n}")  # 40 tables at 10/s: a quarter read a second each
    assert progress.sample("t0", "i") == Sample(50.0, 0.0) and source.reads == 1
    assert progress.sample("t1", "i") is None and source.reads == 1


def test_the_longest_gap_between_looks_is_kept_only_while_work_is_in_flight() -> None:
    limits = AccountLimits()
    limits.looked("t", busy=False)
    time.sleep(0.02)
    limits.looked("t", busy=True)
    assert limits.longest_gap == 0.0
    time.sleep(0.05)
    limits.looked("t", busy=False)
    assert 0.05 <= limits.longest_gap < 1.0 and limits.longest_gap_table == "t"
