"""Invariants checked on what the proxy recorded and on the table before and after."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chaos.proxy import Exchange


def overlapping_index_work(
    exchanges: Sequence[Exchange], finished: Mapping[tuple[str, str], Sequence[float]]
) -> list[str]:
    """Never more than one index create/delete in flight on a table: an accepted create or
    delete (as the proxy saw it on the wire) must come after the previous one ended. When it
    ended is known from a DescribeTable the proxy saw, or from ``finished``: the times the
    control plane finished each (table, index) operation, since a build can end unobserved.
    Deleting the index that is being created (cancelling its backfill) is allowed by AWS."""
    violations: list[str] = []
    in_flight: dict[str, tuple[str, str, float]] = {}  # table → (kind, index, accepted at)
    events = sorted(exchanges, key=lambda e: e.answered_at)
    for exchange in events:
        if exchange.status != 200 or exchange.answer is None:
            continue
        table = exchange.table
        if exchange.operation == "DescribeTable" and table in in_flight:
            indexes = exchange.answer.get("Table", {}).get("GlobalSecondaryIndexes", [])
            busy = any(i.get("IndexStatus") in ("CREATING", "DELETING") for i in indexes)
            if not busy and exchange.sent_at > in_flight[table][2]:
                del in_flight[table]
        if exchange.operation != "UpdateTable":
            continue
        for update in exchange.request.get("GlobalSecondaryIndexUpdates") or []:
            kind = "Create" if "Create" in update else "Delete" if "Delete" in update else None
            if kind is None:
                continue
            name = update[kind]["IndexName"]
            if table in in_flight:
                _, running_index, accepted = in_flight[table]
                ended = [
                    t for t in finished.get((table, running_index), ()) if accepted <= t <= exchange.sent_at
                ]
                if ended:
                    del in_flight[table]
            if table in in_flight:
                running_kind, running_index, _ = in_flight[table]
                if not (kind == "Delete" and running_kind == "Create" and running_index == name):
                    violations.append(
                        f"{table}: {kind} {name} accepted while {running_kind} {running_index} was in flight"
                    )
            in_flight[table] = (kind, name, exchange.answered_at)
    return violations


def definition(index: dict[str, Any]) -> tuple[Any, ...]:
    projection = index.get("Projection", {})
    return (
        tuple((e["AttributeName"], e["KeyType"]) for e in index.get("KeySchema", [])),
        projection.get("ProjectionType"),
        tuple(sorted(projection.get("NonKeyAttributes", []))),
    )
