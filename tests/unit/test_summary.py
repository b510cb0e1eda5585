"""The live display's summary for many tables: counts per phase, slowest tables, ETA."""

from __future__ import annotations

import pytest
from rich.console import Console

from multigsi.cli.progress import ProgressView
from multigsi.cli.summary import ROWS_LIMIT, TableState, remaining_seconds, summary_view
from multigsi.engine.plan import Plan
from multigsi.engine.reconcile import IndexProgress
from multigsi.model.live import Phase


def building(name: str, phase: Phase, elapsed: float, eta: float | None = None) -> tuple[IndexProgress, ...]:
    return (IndexProgress(name, phase, elapsed, eta=eta),)


def rendered(renderable: object) -> str:
    console = Console(record=True, width=140)
    console.print(renderable)
    return console.export_text()


def test_a_tables_remaining_time_is_its_build_estimate_plus_the_typical_change_per_step_to_come() -> None:
    with_eta = TableState(planned=3, issued=1, in_flight=building("a", Phase.BACKFILLING, 10.0, eta=30.0))
    assert remaining_seconds(with_eta, typical=100.0) == pytest.approx(30.0 + 2 * 100.0)
    without_eta = TableState(planned=2, issued=1, in_flight=building("a", Phase.BACKFILLING, 40.0))
    assert remaining_seconds(without_eta, typical=100.0) == pytest.approx(60.0 + 1 * 100.0)
    assert remaining_seconds(without_eta, typical=None) is None
    assert remaining_seconds(TableState(planned=2, issued=2, done=True), typical=None) == 0.0
    between = TableState(planned=2, issued=1)
    assert remaining_seconds(between, typical=50.0) == pytest.approx(50.0)


def test_the_summary_counts_phases_names_the_slowest_and_gives_the_overall_eta() -> None:
    tables = {
        "fast": TableState(planned=2, issued=2, done=True),
        "slow": TableState(planned=3, issued=1, in_flight=building("by-a", Phase.BACKFILLING, 5.0)),
        "mid": TableState(planned=2, issued=1, in_flight=building("by-b", Phase.ALLOCATING, 5.0)),
        "queued": TableState(planned=2, issued=0),
    }
    text = rendered(summary_view(tables, build_seconds=[20.0]))
    assert "1/4 tables converged" in text
    assert "4/9 steps issued" in text
    assert "allocating: 1" in text and "backfilling: 1" in text and "converged: 1" in text
    assert "waiting to act: 1" in text
    # slow: 15 s left of its build and two more of 20 s: the run ends with it, in 55 s.
    assert "ETA 55.0s" in text
    rows = [line.split()[0] for line in text.splitlines() if line.split() and line.split()[0] in tables]
    assert rows == ["slow", "queued", "mid"]


def test_the_eta_is_unknown_until_something_has_finished_or_cloudwatch_predicts() -> None:
    tables = {
        f"t{n}": TableState(planned=1, in_flight=building("i", Phase.BACKFILLING, 1.0)) for n in range(3)
    }
    assert "ETA —" in rendered(summary_view(tables, build_seconds=[]))


def test_the_live_view_summarises_past_the_row_limit_and_lists_rows_below_it() -> None:
    console = Console(record=True, width=140)
    few = ProgressView(console, [Plan(f"t{n}", ()) for n in range(ROWS_LIMIT)])
    many = ProgressView(console, [Plan(f"t{n}", ()) for n in range(ROWS_LIMIT + 1)])
    assert "tables converged" not in rendered(few.__rich__())
    assert rendered(few.__rich__()).count("planning next step") == ROWS_LIMIT
    assert f"0/{ROWS_LIMIT + 1} tables converged" in rendered(many.__rich__())
