"""When the registry type's handler comes back: pure decisions over what is in flight."""

from __future__ import annotations

from multigsi.cloudformation.resource_type.pacing import (
    ALLOCATING_DELAY,
    MAX_DELAY,
    UNKNOWN_DELAY_MAX,
    callback_delay,
    poll_here,
    progress_message,
)
from multigsi.engine.plan import Plan
from multigsi.engine.progress import Estimate
from multigsi.engine.reconcile import ApplyResult, IndexProgress, Outcome
from multigsi.model.live import Phase


def backfilling(eta: float | None, spread: float = 0.0, percent: float | None = 40.0) -> IndexProgress:
    estimate = None if eta is None else Estimate(eta, spread)
    return IndexProgress("by-a", Phase.BACKFILLING, 100.0, percent, eta, estimate)


LONG_SEEN = {"by-a": 10 * 3600.0}


def test_nothing_in_flight_deletes_and_updates_are_polled_here() -> None:
    assert callback_delay((), {}) is None
    assert callback_delay((IndexProgress("by-a", Phase.DELETING, 5.0),), LONG_SEEN) is None
    assert callback_delay((IndexProgress("by-a", Phase.UPDATING, 5.0),), LONG_SEEN) is None


def test_a_far_estimate_comes_back_before_its_window_opens() -> None:
    assert callback_delay((backfilling(eta=400, spread=100),), LONG_SEEN) == 150  # halfway
    assert callback_delay((backfilling(eta=40, spread=10),), LONG_SEEN) == 15


def test_a_near_or_overdue_estimate_is_polled_here() -> None:
    assert callback_delay((backfilling(eta=20, spread=15),), LONG_SEEN) is None
    assert callback_delay((backfilling(eta=-30, spread=5),), LONG_SEEN) is None


def test_a_backfill_that_shows_progress_but_no_estimate_is_polled_here() -> None:
    assert callback_delay((backfilling(eta=None, percent=93.0),), LONG_SEEN) is None


def test_a_backfill_without_any_point_comes_back_soon_and_not_continuously() -> None:
    assert callback_delay((backfilling(eta=None, percent=None),), {"by-a": 5.0}) is None
    assert callback_delay((backfilling(eta=None, percent=None),), {"by-a": 100.0}) == 10
    assert callback_delay((backfilling(eta=None, percent=None),), LONG_SEEN) == UNKNOWN_DELAY_MAX


def test_delays_are_capped_and_never_exceed_half_the_time_seen() -> None:
    assert callback_delay((backfilling(eta=20 * 3600),), LONG_SEEN) == MAX_DELAY
    assert callback_delay((backfilling(eta=20 * 3600),), {"by-a": 60.0}) == 15
    allocating = IndexProgress("by-a", Phase.ALLOCATING, 1.0)
    assert callback_delay((allocating,), LONG_SEEN) == ALLOCATING_DELAY
    assert callback_delay((allocating,), {"by-a": 20.0}) == 5


def test_the_wait_stays_here_only_when_the_next_look_falls_inside_the_invocation() -> None:
    assert poll_here(None, now=0.0, invocation_end=30.0)
    assert poll_here(5, now=0.0, invocation_end=30.0)
    assert not poll_here(25, now=0.0, invocation_end=30.0)


def test_the_message_names_index_phase_percent_and_eta() -> None:
    result = ApplyResult("orders", Outcome.DEADLINE, (), Plan("orders", ()), (backfilling(eta=3725),), 1.0)
    assert progress_message(result) == "by-a backfilling 40% ETA 1h02m"
