"""How plans, live state and results look: Terraform-style text for people, JSON for scripts."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from multigsi.engine.ownership.record import Claims
from multigsi.engine.plan import Action, Plan, Step
from multigsi.engine.reconcile import ApplyResult, IndexProgress
from multigsi.model import wire
from multigsi.model.live import LiveReplica, LiveTable
from multigsi.model.table import KeyElement, KeyType

STYLE = {"+": "green", "-": "red", "~": "yellow", "-/+": "magenta"}


def plan_text(console: Console, live: LiveTable, plan: Plan) -> None:
    header = Text.assemble(
        ("Table ", "bold"), (live.name, "bold cyan"), f"  {live.billing_mode}, {len(live.indexes)} indexes"
    )
    if plan.in_flight:
        header.append(f", in flight: {', '.join(plan.in_flight)}", style="yellow")
    if live.replicas:
        header.append(f", replicas: {replicas_text(live)}")
    console.print(header)
    if plan.empty:
        console.print("  No changes. The indexes match the spec.")
        return
    # Aligned columns for people; without a terminal, no padding, so that a line does not
    # change when another index's name gets longer (diff) and fields split on spaces.
    aligned = console.is_terminal
    width = max(len(step.label) for step in plan.steps) if aligned else 0
    for step in plan.steps:
        symbol = step.symbol
        console.print(
            Text.assemble(
                ("  ", ""),
                (f"{symbol:>3} " if aligned else f"{symbol} ", STYLE[symbol]),
                (f"{step.action:<6} " if aligned else f"{step.action} ", STYLE[symbol]),
                (f"{step.label:<{width}}  ", "bold"),
                (step.reason, "dim"),
            )
        )


def replicas_text(live: LiveTable) -> str:
    """``eu-west-1 ACTIVE, ap-south-1 CREATING``: a global table's other regions."""
    return ", ".join(f"{replica.region} {replica.status}" for replica in live.replicas)


def plan_summary(plans: list[Plan]) -> str:
    steps = [step for plan in plans for step in plan.steps]
    if not steps:
        return "No changes."
    creates = sum(1 for s in steps if s.action is Action.CREATE)
    updates = sum(1 for s in steps if s.action is Action.UPDATE)
    deletes = sum(1 for s in steps if s.action is Action.DELETE)
    replaced = sum(1 for s in steps if s.action is Action.DELETE and s.replacement)
    note = f" ({replaced} replacement{'s' if replaced != 1 else ''})" if replaced else ""
    return f"Plan: {creates} to create, {updates} to update, {deletes} to delete{note}."


def step_json(table_name: str, step: Step) -> dict[str, Any]:
    return {
        "action": str(step.action),
        "index": step.index_name,
        "region": step.region,  # a replica's settings; null: the table's own region
        "reason": step.reason,
        "replacement": step.replacement,
        "request": step.request(table_name),
    }


def plan_json(live: LiveTable, plan: Plan) -> dict[str, Any]:
    return {
        "table": live.name,
        "billing_mode": str(live.billing_mode),
        "region": live.region,
        "replicas": [replica_json(replica) for replica in live.replicas],
        "in_flight": list(plan.in_flight),
        "steps": [step_json(live.name, step) for step in plan.steps],
    }


def owner_text(claims: Claims | None, name: str) -> str:
    """``stack/LogicalId (created|adopted)``, ``unmanaged``, or ``unknown`` (record unreadable)."""
    if claims is None:
        return "unknown"
    claim = claims.of(name)
    return claim.describe() if claim is not None else "unmanaged"


def owner_json(claims: Claims | None, name: str) -> dict[str, Any] | str:
    if claims is None:
        return "unknown"
    claim = claims.of(name)
    if claim is None:
        return "unmanaged"
    return {
        "stack_name": claim.owner.stack_name,
        "stack_uuid": claim.owner.stack_uuid,
        "logical_id": claim.owner.logical_id,
        "origin": str(claim.origin),
        # which front door holds it; "unknown" for a claim written before the record said so
        "kind": str(claim.kind) if claim.kind is not None else "unknown",
    }


def status_table(live: LiveTable, managed: set[str] | None = None, owners: Claims | None = None) -> Table:
    """One row per index; a global table gets a column per replica region with that
    region's own status of the index (the home's ``Status`` column is its region's)."""
    title = f"{live.name}  ({live.status}, {live.billing_mode})"
    if live.replicas:
        title += f"  {live.region}; replicas: {replicas_text(live)}"
    table = Table(title=title, title_justify="left")
    table.add_column("Index", no_wrap=True)
    table.add_column("Status" if not live.replicas else f"Status {live.region}", no_wrap=True)
    for replica in live.replicas:
        table.add_column(replica.region, no_wrap=True)
    table.add_column("Key")
    table.add_column("Projection")
    table.add_column("Capacity", no_wrap=True)
    table.add_column("Owner")
    if managed is not None:
        table.add_column("In spec", no_wrap=True)
    for index in live.indexes:
        projection = str(index.projection.type)
        if index.projection.non_key_attributes:
            projection += f" {', '.join(index.projection.non_key_attributes)}"
        throughput = index.provisioned_throughput
        capacity = (
            f"{throughput.read_capacity_units}/{throughput.write_capacity_units}"
            if throughput
            else "on demand"
        )
        state = Text(str(index.status), style="yellow" if index.in_flight else "green")
        if index.status != index.phase.name:
            state.append(f" ({index.phase})", style="dim")
        row: list[str | Text] = [
            index.name,
            state,
            *(replica_index_text(replica, index.name) for replica in live.replicas),
            key_text(index.key_schema),
            projection,
            capacity,
            owner_text(owners, index.name),
        ]
        if managed is not None:
            row.append("yes" if index.name in managed else "no")
        table.add_row(*row)
    if not live.indexes:
        table.add_row("(no global secondary indexes)")
    return table


def replica_index_text(replica: LiveReplica, index_name: str) -> Text:
    """The index's state in a replica's region: its own status there, ``not yet`` while it
    has not reached it, ``unread`` when the region could not be read."""
    if replica.table is None:
        return Text("unread", style="dim")
    index = replica.table.index(index_name)
    if index is None:
        return Text("not yet", style="yellow")
    state = Text(str(index.status), style="yellow" if index.in_flight else "green")
    if index.status != index.phase.name:
        state.append(f" ({index.phase})", style="dim")
    return state


def key_text(key_schema: tuple[KeyElement, ...]) -> str:
    """Compact key notation: partition attributes joined by +, then / and the sort ones."""
    hashes = "+".join(e.attribute_name for e in key_schema if e.key_type is KeyType.HASH)
    ranges = "+".join(e.attribute_name for e in key_schema if e.key_type is KeyType.RANGE)
    return f"{hashes} / {ranges}" if ranges else hashes


def status_json(live: LiveTable, owners: Claims | None = None) -> dict[str, Any]:
    return {
        "table": live.name,
        "status": live.status,
        "billing_mode": str(live.billing_mode),
        "busy": live.busy,
        "region": live.region,
        "replicas": [replica_json(replica) for replica in live.replicas],
        "indexes": [
            {
                "name": index.name,
                "status": str(index.status),
                "backfilling": index.backfilling,
                "phase": str(index.phase),
                "key_schema": wire.index_properties(index.name, index.key_schema, index.projection)[
                    "KeySchema"
                ],
                "projection": {
                    "NonKeyAttributes": [],
                    **wire.index_properties(index.name, index.key_schema, index.projection)["Projection"],
                },
                "owner": owner_json(owners, index.name),
            }
            for index in live.indexes
        ],
    }


def replica_json(replica: LiveReplica) -> dict[str, Any]:
    """A replica region: its status, and each index as that region's DescribeTable shows
    it (``indexes`` is null when the region was not read), with its read overrides."""
    overrides = {
        override.name: {
            "read_capacity_units": override.read_capacity_units,
            "max_read_request_units": override.max_read_request_units,
        }
        for override in replica.overrides
    }
    indexes = None
    if replica.table is not None:
        indexes = [
            {
                "name": index.name,
                "status": str(index.status),
                "backfilling": index.backfilling,
                "phase": str(index.phase),
                "overrides": overrides.get(index.name),
            }
            for index in replica.table.indexes
        ]
    return {
        "region": replica.region,
        "status": replica.status,
        "status_description": replica.status_description,
        "indexes": indexes,
        "overrides": overrides,
    }


def progress_json(item: IndexProgress) -> dict[str, Any]:
    return {
        "index": item.name,
        "region": item.region,
        "phase": str(item.phase),
        "elapsed": round(item.elapsed, 1),
        "percent": item.percent,
        "eta": item.eta,
    }


def result_json(result: ApplyResult) -> dict[str, Any]:
    return {
        "table": result.table_name,
        "outcome": str(result.outcome),
        "elapsed": round(result.elapsed, 2),
        "steps_issued": [step_json(result.table_name, step) for step in result.steps_issued],
        "remaining": [step_json(result.table_name, step) for step in result.remaining.steps],
        "in_flight": [progress_json(item) for item in result.in_flight],
    }


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 60:
        return f"{value:.1f}s"
    value = int(value)
    if value < 3600:
        return f"{value // 60}m{value % 60:02d}s"
    return f"{value // 3600}h{value % 3600 // 60:02d}m"
