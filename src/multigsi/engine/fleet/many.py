"""Several tables at once: each table is applied serially by its own reconcile loop, and
every table's loop runs at the same time, since DynamoDB's one-at-a-time rule is per table.

There is no cap on tables in flight: the limits that matter are the account's (calls per
second, operations in flight), enforced by :mod:`multigsi.engine.fleet.account` on the shared
client. A waiting loop is a thread blocked in a sleep or a queue, which costs its stack
and a few objects; stacks are made small (``THREAD_STACK_SIZE``) so a thousand tables stay
well within a modest process (docs/many-tables.md has the measured figures).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from multigsi.engine.fleet.account import AccountLimits
from multigsi.engine.ownership.scope import Ownership
from multigsi.engine.reconcile import ApplyResult, Event, Observer, Reconciler
from multigsi.model.live import LiveTable
from multigsi.model.table import TableSpec

# Enough for botocore's deepest call chains with a wide margin (the default is 8 MiB of
# address space per thread; only touched pages cost memory, but a thousand of them still
# crowd a 32-bit or limited address space).
THREAD_STACK_SIZE = 1024 * 1024


def apply_tables(
    reconciler_for: Callable[[TableSpec], Reconciler],
    specs: Sequence[TableSpec],
    ownership: Ownership,
    *,
    deadline: float | None = None,
    interrupt: threading.Event | None = None,
    limits: AccountLimits | None = None,
    first_looks: Sequence[LiveTable | None] | None = None,
) -> list[ApplyResult | Exception]:
    """Apply every spec; one table's failure does not stop the others. Results are in
    the order of ``specs``; a failed table's entry is its exception. ``limits``, when
    given, is the one its reconcilers' clients were wrapped with: each loop's thread is
    bound to its table and its observations tell the budget how urgent the table is.
    ``first_looks``, in the order of ``specs``: each table as the plan's read showed it,
    for the loop to start from (see :meth:`Reconciler.apply`)."""
    results: list[ApplyResult | Exception] = [RuntimeError("not run")] * len(specs)

    def run(position: int, spec: TableSpec) -> None:
        try:
            if limits is not None:
                limits.bind(spec.table_name)
            reconciler = reconciler_for(spec)
            if limits is not None:
                reconciler.observer = _both(limits.observe, reconciler.observer)
            first = None if first_looks is None else first_looks[position]
            results[position] = reconciler.apply(
                spec, ownership, deadline=deadline, interrupt=interrupt, first_look=first
            )
        except Exception as error:
            results[position] = error
        finally:
            if limits is not None:
                limits.finished(spec.table_name)

    if limits is not None:
        limits.starting(spec.table_name for spec in specs)
    if len(specs) == 1:
        run(0, specs[0])
        return results
    previous = threading.stack_size(THREAD_STACK_SIZE)
    try:
        threads = [
            threading.Thread(target=run, args=(position, spec), name=f"table-{spec.table_name}", daemon=True)
            for position, spec in enumerate(specs)
        ]
        for thread in threads:
            thread.start()
    finally:
        threading.stack_size(previous)
    for thread in threads:
        thread.join()
    return results


def _both(first: Observer, second: Observer) -> Observer:
    def observe(event: Event) -> None:
        first(event)
        second(event)

    return observe
