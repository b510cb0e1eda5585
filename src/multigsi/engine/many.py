"""Several tables at once: each table is applied serially by its own reconcile loop, and
the tables run concurrently, since DynamoDB's one-at-a-time rule is per table."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from multigsi.engine.ownership import Ownership
from multigsi.engine.reconcile import ApplyResult, Reconciler
from multigsi.spec.model import TableSpec

MAX_PARALLEL_TABLES = 32


def apply_tables(
    reconciler_for: Callable[[TableSpec], Reconciler],
    specs: Sequence[TableSpec],
    ownership: Ownership,
    *,
    deadline: float | None = None,
    interrupt: threading.Event | None = None,
) -> list[ApplyResult | Exception]:
    """Apply every spec; one table's failure does not stop the others. Results are in
    the order of ``specs``; a failed table's entry is its exception."""

    def run(spec: TableSpec) -> ApplyResult | Exception:
        try:
            return reconciler_for(spec).apply(spec, ownership, deadline=deadline, interrupt=interrupt)
        except Exception as error:
            return error

    if len(specs) == 1:
        return [run(specs[0])]
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_TABLES, len(specs))) as pool:
        return list(pool.map(run, specs))
