"""Running the engine for the CLI: validate everything first, confirm deletions, apply the
tables concurrently with live progress, and report. Shared by `apply` and `demo`."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import click
from rich.live import Live

from multigsi.cli import render
from multigsi.cli.console import err, out
from multigsi.cli.options import AwsTarget
from multigsi.cli.progress import ProgressView
from multigsi.engine.clock import SystemClock
from multigsi.engine.live import LiveTable
from multigsi.engine.many import apply_tables
from multigsi.engine.ownership import Ownership
from multigsi.engine.plan import Plan
from multigsi.engine.progress import CloudWatchProgress
from multigsi.engine.reconcile import ApplyResult, Observer, Outcome, Reconciler
from multigsi.spec.model import TableSpec

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def reconcilers(
    target: AwsTarget, observer: Observer | None = None, interrupt: threading.Event | None = None
) -> Callable[[TableSpec], Reconciler]:
    dynamodb, steps, cloudwatch = target.clients()
    clock = SystemClock(interrupt)
    progress = CloudWatchProgress(cloudwatch, clock)

    def make(spec: TableSpec) -> Reconciler:
        reconciler = Reconciler(dynamodb, clock=clock, progress=progress, step_client=steps)
        if observer is not None:
            reconciler.observer = observer
        return reconciler

    return make


def plans_for(
    target: AwsTarget, specs: tuple[TableSpec, ...], ownership: Ownership
) -> list[tuple[LiveTable, Plan]]:
    """Read and validate every table before anything changes: one bad table stops all."""
    make = reconcilers(target)
    return [make(spec).plan(spec, ownership) for spec in specs]


def execute_apply(
    target: AwsTarget,
    specs: tuple[TableSpec, ...],
    ownership: Ownership,
    *,
    yes: bool,
    as_json: bool,
    timeout: float | None,
) -> int:
    plans = plans_for(target, specs, ownership)
    if not as_json:
        for live, plan in plans:
            render.plan_text(out, live, plan)
        out.print(render.plan_summary([plan for _, plan in plans]), style="bold")
    if all(plan.empty and not live.busy for live, plan in plans):
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "tables": [
                            {"table": live.name, "outcome": "converged", "steps_issued": []}
                            for live, _ in plans
                        ]
                    }
                )
            )
        return EXIT_OK
    confirm_destruction([plan for _, plan in plans], yes)
    interrupt = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: interrupt.set())
    view = ProgressView(out, [plan for _, plan in plans])
    make = reconcilers(target, None if as_json else view.observe, interrupt)
    clock = SystemClock()
    deadline = clock.now() + timeout if timeout else None
    try:
        if as_json:
            results = apply_tables(make, specs, ownership, deadline=deadline, interrupt=interrupt)
        else:
            with Live(view, console=out, refresh_per_second=4, transient=True):
                results = apply_tables(make, specs, ownership, deadline=deadline, interrupt=interrupt)
    finally:
        signal.signal(signal.SIGINT, previous)
    return report(results, specs, as_json)


def confirm_destruction(plans: list[Plan], yes: bool) -> None:
    doomed = [
        f"{plan.table_name}.{step.index_name}" for plan in plans for step in plan.steps if step.destructive
    ]
    if not doomed or yes:
        return
    if not sys.stdin.isatty():
        raise click.UsageError(
            f"refusing to delete without confirmation: {', '.join(doomed)}. Re-run with --yes."
        )
    noun = "index" if len(doomed) == 1 else "indexes"
    question = f"Delete {len(doomed)} {noun} ({', '.join(doomed)})? Queries on them fail until rebuilt."
    if not click.confirm(question, default=False):
        raise click.Abort()


def report(results: list[ApplyResult | Exception], specs: tuple[TableSpec, ...], as_json: bool) -> int:
    code = EXIT_OK
    documents: list[dict[str, Any]] = []
    for spec, result in zip(specs, results, strict=True):
        if isinstance(result, Exception):
            code = EXIT_ERROR
            documents.append({"table": spec.table_name, "outcome": "error", "error": str(result)})
            if not as_json:
                err.print(f"[red]Error:[/] {result}", highlight=False)
            continue
        documents.append(render.result_json(result))
        if code != EXIT_ERROR and result.outcome is Outcome.INTERRUPTED:
            code = EXIT_INTERRUPTED
        elif code == EXIT_OK and result.outcome is Outcome.DEADLINE:
            code = EXIT_INCOMPLETE
        if not as_json:
            print_result(result)
    if as_json:
        click.echo(json.dumps({"tables": documents}, indent=2))
    return code


def print_result(result: ApplyResult) -> None:
    took = render.seconds(result.elapsed)
    if result.converged:
        out.print(f"[green]{result.table_name}: converged[/] — {len(result.steps_issued)} step(s) in {took}.")
        return
    left = ", ".join(step.describe() for step in result.remaining.steps) or "nothing"
    flying = ", ".join(f"{item.name} ({item.phase})" for item in result.in_flight)
    reason = "interrupted" if result.outcome is Outcome.INTERRUPTED else "stopped at --timeout"
    out.print(f"[yellow]{result.table_name}: {reason}[/] after {took}. Still to do: {left}.")
    if flying:
        out.print(f"  In flight (DynamoDB carries on): {flying}. Re-run apply to continue.")
