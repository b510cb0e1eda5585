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
from multigsi.cli.exits import Exit
from multigsi.cli.failures import where
from multigsi.cli.options import AwsTarget
from multigsi.cli.progress import ProgressView
from multigsi.engine.clock import SystemClock
from multigsi.engine.fleet.account import DEFAULT_CALLS_PER_SECOND, RESERVE, AccountLimits
from multigsi.engine.fleet.many import apply_tables
from multigsi.engine.fleet.slots import DEFAULT_MAX_OPERATIONS
from multigsi.engine.ownership.record import owners_of
from multigsi.engine.ownership.scope import Ownership
from multigsi.engine.plan import Plan
from multigsi.engine.progress import CloudWatchProgress, PerRegion
from multigsi.engine.reconcile import ApplyResult, Event, Observer, Outcome, Reconciler, Retrying
from multigsi.errors import TableNotFoundError
from multigsi.model.live import LiveTable
from multigsi.model.table import TableSpec

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = Exit.OK, Exit.ERROR, Exit.CHANGES
EXIT_INCOMPLETE, EXIT_UNCONFIRMED, EXIT_INTERRUPTED = Exit.INCOMPLETE, Exit.UNCONFIRMED, Exit.INTERRUPTED
EXIT_OWNED = Exit.OWNED  # apply would delete or replace an index a CloudFormation resource owns


class Unconfirmed(click.ClickException):
    """Deletes that nobody confirmed: nothing was changed."""

    exit_code = EXIT_UNCONFIRMED


def reconcilers(
    target: AwsTarget,
    observer: Observer | None = None,
    interrupt: threading.Event | None = None,
    limits: AccountLimits | None = None,
) -> Callable[[TableSpec], Reconciler]:
    """Reconcilers sharing one set of clients, held to ``limits`` (the account's call
    budget and operation slots; default: a fresh one with the default limits). UpdateTable
    goes through its own client without botocore's retries: it is not idempotent."""
    limits = limits or AccountLimits()
    clients = target.clients()
    dynamodb, steps, cloudwatch = clients.dynamodb, clients.step, clients.cloudwatch
    dynamodb = limits.wrap(dynamodb)
    steps = limits.wrap(steps)
    limits.attach(cloudwatch)
    clock = SystemClock(interrupt)
    progress = limits.progress(CloudWatchProgress(cloudwatch, clock))
    # A global table's replica regions: their reads take from the same budget.
    regions = clients.regions.prepared(limits.attach) if clients.regions is not None else None
    replica_progress = (
        PerRegion(lambda region: limits.progress(CloudWatchProgress(regions.cloudwatch(region), clock)))
        if regions is not None
        else None
    )

    def make(spec: TableSpec) -> Reconciler:
        reconciler = Reconciler(
            dynamodb,
            clock=clock,
            progress=progress,
            step_client=steps,
            policy=limits.policy(),
            regions=regions,
            replica_progress=replica_progress,
        )
        if observer is not None:
            reconciler.observer = observer
        return reconciler

    return make


def plans_for(
    target: AwsTarget,
    specs: tuple[TableSpec, ...],
    ownership: Ownership,
    limits: AccountLimits | None = None,
) -> list[tuple[LiveTable, Plan]]:
    """Read and validate every table before anything changes: one bad table stops all."""
    make = reconcilers(target, report_retry, limits=limits)
    plans = []
    for spec in specs:
        reconciler = make(spec)
        try:
            plans.append(reconciler.plan(spec, ownership))
        except TableNotFoundError as error:
            raise missing_table(error, reconciler.client) from None
    return plans


def missing_table(error: TableNotFoundError, client: Any) -> click.ClickException:
    return click.ClickException(
        f"{error} in {where(client)} (if it is elsewhere: --region, --profile, --endpoint-url)"
    )


def report_retry(event: Event) -> None:
    """Before the live display starts, say what is being retried and for how long."""
    if isinstance(event, Retrying):
        err.print(f"{event.table_name}: {event.code}: {event.message} — retrying in {event.delay:.1f}s")


def execute_apply(
    target: AwsTarget,
    specs: tuple[TableSpec, ...],
    ownership: Ownership,
    *,
    yes: bool,
    as_json: bool,
    timeout: float | None,
    calls_per_second: float = DEFAULT_CALLS_PER_SECOND,
    max_operations: int = DEFAULT_MAX_OPERATIONS,
    force: bool = False,
) -> int:
    interrupt = threading.Event()
    limits = AccountLimits(calls_per_second, max_operations, interrupt=interrupt)
    plans = plans_for(target, specs, ownership, limits)
    owned = [] if force else owned_and_doomed(target, plans)
    if owned:
        err.print(
            "[red]Refusing:[/] " + "; ".join(owned) + ". The stack would not know (drift); change the "
            "stack's template instead, or re-run with --force.",
            highlight=False,
        )
        return EXIT_OWNED
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
    clock = SystemClock()
    deadline = clock.now() + timeout if timeout else None
    limits.deadline = deadline
    previous = signal.signal(signal.SIGINT, lambda *_: interrupt.set())
    view = ProgressView(out, [plan for _, plan in plans])
    make = reconcilers(target, None if as_json else view.observe, interrupt, limits)
    looks = [live for live, _ in plans]  # each loop starts from the plan's read when it can
    try:
        if as_json:
            results = apply_tables(
                make,
                specs,
                ownership,
                deadline=deadline,
                interrupt=interrupt,
                limits=limits,
                first_looks=looks,
            )
        else:
            with Live(view, console=out, refresh_per_second=4, transient=True):
                results = apply_tables(
                    make,
                    specs,
                    ownership,
                    deadline=deadline,
                    interrupt=interrupt,
                    limits=limits,
                    first_looks=looks,
                )
    finally:
        signal.signal(signal.SIGINT, previous)
    return report(results, specs, as_json, timeout, limits)


def owned_and_doomed(target: AwsTarget, plans: list[tuple[LiveTable, Plan]]) -> list[str]:
    """Indexes the plans would delete or replace that a CloudFormation resource owns."""
    found = []
    client = target.clients().dynamodb
    for live, plan in plans:
        doomed = [step.index_name for step in plan.steps if step.destructive]
        if not doomed:
            continue
        claims = owners_of(client, live.arn, doomed)
        found += [
            f"{live.name}.{name} is owned by CloudFormation resource {claim.describe()}"
            for name in doomed
            if (claim := claims.of(name)) is not None
        ]
    return found


def confirm_destruction(plans: list[Plan], yes: bool) -> None:
    doomed = [
        f"{plan.table_name}.{step.index_name}" for plan in plans for step in plan.steps if step.destructive
    ]
    if not doomed or yes:
        return
    if not sys.stdin.isatty():
        raise Unconfirmed(
            f"refusing to delete without confirmation: {', '.join(doomed)}. Nothing was changed. "
            "Re-run with --yes (or in a terminal, to be asked); --keep-unlisted keeps unlisted indexes."
        )
    noun = "index" if len(doomed) == 1 else "indexes"
    question = f"Delete {len(doomed)} {noun} ({', '.join(doomed)})? Queries on them fail until rebuilt."
    if not click.confirm(question, default=False):
        raise Unconfirmed("not confirmed; nothing was changed.")


def report(
    results: list[ApplyResult | Exception],
    specs: tuple[TableSpec, ...],
    as_json: bool,
    timeout: float | None = None,
    limits: AccountLimits | None = None,
) -> int:
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
            print_result(result, timeout)
    if as_json:
        document: dict[str, Any] = {"tables": documents}
        if limits is not None:
            document["control_plane"] = control_plane_json(limits)
            document["fleet"] = fleet_json(results, limits)
        click.echo(json.dumps(document, indent=2))
    return code


def control_plane_json(limits: AccountLimits) -> dict[str, Any]:
    """What the run asked of the account's control plane, for --json."""
    return {
        "max_calls_per_second": limits.budget.max_rate,
        "calls": limits.budget.granted,
        "busiest_second_calls": limits.budget.busiest_second,
        "throttled": limits.budget.throttles,
        "max_operations": limits.slots.limit,
        "peak_operations_in_flight": limits.slots.peak,
        "operations_refused_by_account": limits.slots.refusals,
    }


def fleet_json(results: list[ApplyResult | Exception], limits: AccountLimits) -> dict[str, Any]:
    """How the run compares with its floor, for --json (docs/many-tables.md explains it).

    The floor: no run can end before its slowest table's own builds, nor before every
    build has had its turn in the operation slots (Σ build-seconds / cap); and each of the
    slowest table's steps is seen later than a table alone would see it when the budget
    gives each table fewer than one read a second. Build-seconds are as the loop saw them, from
    the step to the last look still showing it in flight: a lower bound of each build.
    The read-share term is what sharing adds: half of what a share exceeds a second, per
    step (a table alone looks once a second)."""
    elapsed = sorted(result.elapsed for result in results if isinstance(result, ApplyResult))
    builds = limits.build_seconds
    slowest_alone = max((sum(seconds) for seconds in builds.values()), default=0.0)
    total = sum(sum(seconds) for seconds in builds.values())
    steps = max((len(seconds) for seconds in builds.values()), default=0)
    reading = min(len(results), limits.slots.limit)  # tables queued for a slot do not read
    share_interval = max(1.0, reading / (limits.budget.max_rate * (1.0 - RESERVE)))
    read_share = steps * (share_interval - 1.0) / 2  # beyond a table alone's one read a second
    floor = max(slowest_alone, total / limits.slots.limit) + read_share
    slowest = elapsed[-1] if elapsed else 0.0
    median = elapsed[len(elapsed) // 2] if elapsed else 0.0
    return {
        "tables": len(results),
        "elapsed_median_seconds": round(median, 2),
        "elapsed_max_seconds": round(slowest, 2),
        "max_over_median": round(slowest / median, 4) if median else None,
        "slowest_table_builds_seconds": round(slowest_alone, 2),
        "build_seconds_total": round(total, 2),
        "read_share_seconds": round(read_share, 2),
        "floor_seconds": round(floor, 2),
        "slowest_over_floor": round(slowest / floor, 4) if floor else None,
        "longest_gap_between_looks_seconds": round(limits.longest_gap, 2),
        "longest_gap_table": limits.longest_gap_table,
        "calls_by_operation": dict(sorted(limits.calls.items())),
    }


def print_result(result: ApplyResult, timeout: float | None = None) -> None:
    took = render.seconds(result.elapsed)
    if result.converged:
        out.print(f"[green]{result.table_name}: converged[/] — {len(result.steps_issued)} step(s) in {took}.")
        return
    left = ", ".join(step.describe() for step in result.remaining.steps) or "nothing"
    flying = ", ".join(f"{item.name} ({item.phase})" for item in result.in_flight)
    if result.outcome is Outcome.INTERRUPTED:
        stopped = f"interrupted[/] after {took}"
    else:
        # The loop stops before a wait or a step that would end past the deadline, so
        # usually some time before it: say so rather than "at --timeout".
        limit = f" {timeout:g}s" if timeout is not None else ""
        stopped = f"stopped[/] after {took} to stay within --timeout{limit}"
    out.print(f"[yellow]{result.table_name}: {stopped}. Still to do: {left}.")
    if flying:
        out.print(f"  In flight (DynamoDB carries on): {flying}. Re-run apply to continue.")
