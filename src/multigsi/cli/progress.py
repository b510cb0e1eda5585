"""Live progress for `multigsi apply`: one row per table, with the index in flight, its
phase (allocating / backfilling / deleting / updating), elapsed time, percent and ETA
when CloudWatch knows them. Every step and every finished index is also printed as a log
line, so a non-interactive log (CI) keeps the history.

With more than ``ROWS_LIMIT`` tables a row each would scroll off the screen, so the view
summarises instead (:mod:`multigsi.cli.summary`): how many tables are in each phase, the
slowest few, and an overall ETA."""

from __future__ import annotations

import threading
import time

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from multigsi.cli.render import STYLE, seconds
from multigsi.cli.summary import ROWS_LIMIT, TableState, summary_view
from multigsi.engine.plan import Plan
from multigsi.engine.reconcile import Event, Retrying, StepIssued


class ProgressView:
    def __init__(self, console: Console, plans: list[Plan]) -> None:
        self.console = console
        self.lock = threading.Lock()
        self.tables = {plan.table_name: TableState(planned=len(plan.steps)) for plan in plans}
        self.build_seconds: list[float] = []  # how long finished index changes took

    def observe(self, event: Event) -> None:
        # Print only after releasing the lock: the Live refresh thread holds the console's
        # lock while it calls __rich__, which takes ours.
        with self.lock:
            lines = self._update(event)
        for line in lines:
            self.console.print(line, highlight=False)

    def _update(self, event: Event) -> list[Text]:
        state = self.tables.setdefault(event.table_name, TableState(planned=0))
        prefix = (f"{event.table_name}: ", "cyan")
        if isinstance(event, StepIssued):
            state.issued += 1
            state.current = event.step
            state.issued_at[event.step.index_name] = time.monotonic()
            symbol = event.step.symbol
            action = (f"{symbol} {event.step.action} {event.step.index_name}", STYLE[symbol])
            return [Text.assemble(prefix, action, (f"  ({event.step.reason})", "dim"))]
        if isinstance(event, Retrying):
            return [Text.assemble(prefix, (event.code, "yellow"), f" — retrying in {event.delay:.1f}s")]
        lines = []
        still = {item.label for item in event.progress}
        for item in state.in_flight:
            if item.label not in still:
                # A global table's replicas finish the same step later: timed from it too.
                began = state.issued_at.get(item.name)
                took = ""
                if began is not None:
                    self.build_seconds.append(time.monotonic() - began)
                    took = f" after {seconds(self.build_seconds[-1])}"
                outcome = "deleted" if event.live.index(item.name) is None else "ACTIVE"
                lines.append(Text.assemble(prefix, f"{item.label} {outcome}{took}"))
        state.in_flight = event.progress
        state.done = event.plan.empty and not event.live.busy
        return lines

    def __rich__(self) -> RenderableType:
        if len(self.tables) > ROWS_LIMIT:
            with self.lock:
                return summary_view(self.tables, self.build_seconds)
        table = Table(box=None, padding=(0, 2), show_edge=False)
        for column in ("Table", "Steps", "Index", "Phase", "Elapsed", "Progress", "ETA"):
            table.add_column(column, style="dim" if column in ("Elapsed", "ETA") else None)
        with self.lock:
            for name, state in self.tables.items():
                steps = f"{state.issued}/{max(state.planned, state.issued)}"
                if state.done:
                    table.add_row(name, steps, Text("converged", style="green"), "", "", "", "")
                    continue
                if not state.in_flight:
                    table.add_row(name, steps, Text("planning next step", style="dim"), "", "", "", "")
                for item in state.in_flight:
                    percent = f"{item.percent:.0f}%" if item.percent is not None else "—"
                    table.add_row(
                        name,
                        steps,
                        item.label,
                        str(item.phase),
                        seconds(item.elapsed),
                        percent,
                        seconds(item.eta),
                    )
        return table
