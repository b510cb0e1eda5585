"""The live display's summary for many tables: how many tables are in each phase, the
slowest few, and when the whole run should end.

The estimate per table is what CloudWatch predicts for the index in flight (when it
knows) or, failing that, the average of the index changes this run has already seen
finish, plus that average for each step still to come. The run ends with its slowest
table, so the overall ETA is the largest of these.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rich.console import Group
from rich.table import Table
from rich.text import Text

from multigsi.cli.render import seconds
from multigsi.engine.plan import Step
from multigsi.engine.reconcile import IndexProgress

ROWS_LIMIT = 12  # more tables than this: summarise
SLOWEST_SHOWN = 5
PLANNING = "waiting to act"  # between builds: planning, or queued for the account's limits
CONVERGED = "converged"


@dataclass
class TableState:
    planned: int
    issued: int = 0
    current: Step | None = None
    in_flight: tuple[IndexProgress, ...] = ()
    done: bool = False
    issued_at: dict[str, float] = field(default_factory=dict)


def phase_of(state: TableState) -> str:
    if state.done:
        return CONVERGED
    if not state.in_flight:
        return PLANNING
    return str(state.in_flight[0].phase)


def remaining_seconds(state: TableState, typical: float | None) -> float | None:
    """Seconds until the table converges, or None when nothing is known yet."""
    if state.done:
        return 0.0
    to_come = max(0, state.planned - state.issued)
    etas = [item.eta for item in state.in_flight]
    if etas and all(eta is not None for eta in etas):
        current: float | None = max(eta for eta in etas if eta is not None)
    elif typical is None:
        return None
    elif state.in_flight:
        current = max(0.0, typical - max(item.elapsed for item in state.in_flight))
    else:
        current = 0.0
    if to_come and typical is None:
        return None
    return (current or 0.0) + to_come * (typical or 0.0)


def summary_view(tables: dict[str, TableState], build_seconds: list[float]) -> Group:
    """Counts per phase, the slowest tables and the overall ETA. ``build_seconds``: how
    long the index changes seen finishing in this run took."""
    typical = sum(build_seconds) / len(build_seconds) if build_seconds else None
    counts = Counter(phase_of(state) for state in tables.values())
    steps_done = sum(state.issued for state in tables.values())
    steps_all = sum(max(state.planned, state.issued) for state in tables.values())
    estimates = {name: remaining_seconds(state, typical) for name, state in tables.items()}
    open_tables = [name for name, state in tables.items() if not state.done]
    unknown = any(estimates[name] is None for name in open_tables)
    overall = None if unknown or not open_tables else max(estimates[name] or 0.0 for name in open_tables)

    head = Text.assemble(
        (f"{counts[CONVERGED]}/{len(tables)} tables converged", "bold"),
        f"  ·  {steps_done}/{steps_all} steps issued  ·  ETA ",
        (seconds(overall) if open_tables else "done", "bold"),
    )
    phases = Text("  ".join(f"{phase}: {count}" for phase, count in sorted(counts.items())), style="dim")

    def order(name: str) -> tuple[float, int]:
        estimate = estimates[name]
        remaining = max(0, tables[name].planned - tables[name].issued)
        return (float("inf") if estimate is None else estimate, remaining)

    slowest = sorted(open_tables, key=order, reverse=True)[:SLOWEST_SHOWN]
    table = Table(box=None, padding=(0, 2), show_edge=False, title="slowest tables", title_justify="left")
    for column in ("Table", "Steps", "Index", "Phase", "Elapsed", "ETA"):
        table.add_column(column, style="dim" if column in ("Elapsed", "ETA") else None)
    for name in slowest:
        state = tables[name]
        steps = f"{state.issued}/{max(state.planned, state.issued)}"
        item = state.in_flight[0] if state.in_flight else None
        table.add_row(
            name,
            steps,
            item.name if item else "",
            phase_of(state),
            seconds(item.elapsed) if item else "",
            seconds(estimates[name]),
        )
    return Group(head, phases, table) if slowest else Group(head, phases)
