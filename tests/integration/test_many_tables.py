"""Many tables at once against the local endpoint over real HTTP: every table's loop in
flight together, within one call budget and one cap on operations in flight."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from multigsi import Outcome, Ownership, Reconciler
from multigsi.engine.fleet.account import AccountLimits
from multigsi.engine.fleet.many import apply_tables
from multigsi.engine.reconcile import ApplyResult
from multigsi.local import Limits, LocalDynamoDB, Timing
from multigsi.local.dynamodb.faults import FaultInjector, FaultRates
from tests.conftest import TABLE_SECONDS, create_table, make_client
from tests.integration.test_apply import spec_for
from tests.integration.test_cli import run

ONE = (("by-a", "a"),)
TWO = (("by-a", "a"), ("by-b", "b"))
OLD_CAP = 32  # tables at a time before issue 15


def apply_many(
    endpoint: LocalDynamoDB,
    names: list[str],
    limits: AccountLimits,
    indexes: tuple[tuple[str, str], ...] = ONE,
) -> list[ApplyResult | Exception]:
    """Every table gets ``indexes`` (by default one: a second index per table doubles the
    wait and proves nothing about the caps a first one does not)."""
    client = limits.wrap(make_client(endpoint.url))
    specs = [spec_for(name, *indexes) for name in names]

    def reconciler_for(spec: Any) -> Reconciler:
        return Reconciler(client)

    return apply_tables(reconciler_for, specs, Ownership.everything(), limits=limits)


def tables(endpoint: LocalDynamoDB, prefix: str, count: int) -> list[str]:
    client = make_client(endpoint.url)
    names = [f"{prefix}-{number:03d}" for number in range(count)]
    for name in names:
        create_table(client, name, items=0)
    return names


def operations(endpoint: LocalDynamoDB, names: Iterable[str]) -> list[tuple[str, float, float]]:
    """(table, start, end) of every index operation the endpoint ran on these tables."""
    wanted = set(names)
    started: dict[tuple[str, str], float] = {}
    spans = []
    for event in sorted(endpoint.plane.events, key=lambda item: item.at):
        if event.table not in wanted:
            continue
        if event.kind == "started":
            started[(event.table, event.index)] = event.at
        elif event.kind == "finished" and (event.table, event.index) in started:
            spans.append((event.table, started.pop((event.table, event.index)), event.at))
    assert not started, f"operations never seen finishing: {started}"
    return spans


def peak(spans: list[tuple[str, float, float]]) -> int:
    edges = sorted([(start, 1) for _, start, _ in spans] + [(end, -1) for _, _, end in spans])
    current = best = 0
    for _, change in edges:
        current += change
        best = max(best, current)
    return best


def assert_converged(results: list[ApplyResult | Exception]) -> None:
    problems = [r for r in results if isinstance(r, Exception) or r.outcome is not Outcome.CONVERGED]
    assert problems == []


@pytest.fixture(scope="module")
def five_second_builds() -> Iterator[LocalDynamoDB]:
    with LocalDynamoDB(timing=Timing(build_seconds=5.0, seed=15, table_seconds=TABLE_SECONDS)) as local:
        yield local


@pytest.fixture(scope="module")
def ten_second_builds() -> Iterator[LocalDynamoDB]:
    """Builds long enough that 40 tables' first steps (a plan read, a fresh read, a random
    pause of up to 0.5 s, the UpdateTable) all fit before the first build ends, even on a
    loaded 2-core machine; with the old cap of 32 the 33rd waited for two whole builds."""
    with LocalDynamoDB(timing=Timing(build_seconds=10.0, seed=15, table_seconds=TABLE_SECONDS)) as local:
        yield local


@pytest.mark.parametrize(
    ("count", "indexes"),
    [
        # One table past the old cap, one index each: the 33rd table waited for the first
        # to converge (one build), so it fails the same way; about 15 s.
        pytest.param(OLD_CAP + 1, ONE, id="33-tables-one-index"),
        # The 40 tables with two indexes each (the second builds after the first):
        # the same property with room past the cap, and every table's second step; ~50 s.
        pytest.param(OLD_CAP + 8, TWO, id="40-tables-two-indexes", marks=pytest.mark.slow),
    ],
)
def test_more_tables_than_the_old_cap_all_start_their_first_build_together(
    ten_second_builds: LocalDynamoDB, count: int, indexes: tuple[tuple[str, str], ...]
) -> None:
    """With 32 tables at a time, the 33rd began only after a whole table had converged;
    now every table's first build is under way before any first build has finished."""
    names = tables(ten_second_builds, f"together-{count}", count)
    limits = AccountLimits(calls_per_second=50)
    results = apply_many(ten_second_builds, names, limits, indexes)
    assert_converged(results)
    spans = operations(ten_second_builds, names)
    first: dict[str, tuple[float, float]] = {}
    for table, start, end in sorted(spans, key=lambda span: span[1]):
        first.setdefault(table, (start, end))
    assert len(first) == len(names)
    last_first_start = max(start for start, _ in first.values())
    earliest_first_end = min(end for _, end in first.values())
    assert last_first_start < earliest_first_end
    assert limits.budget.busiest_second <= 50


def test_operations_in_flight_never_exceed_the_cap(endpoint: LocalDynamoDB) -> None:
    names = tables(endpoint, "capped", 6)  # 6 single-index tables: two rounds of 3
    limits = AccountLimits(max_operations=3)
    results = apply_many(endpoint, names, limits)
    assert_converged(results)
    assert peak(operations(endpoint, names)) == 3  # reached, never passed
    assert limits.slots.peak == 3
    assert limits.slots.in_flight == 0


def test_the_accounts_operation_limit_is_waited_out_not_reported() -> None:
    """The endpoint enforces an account-wide cap of 2 table operations (500 on AWS); the
    run allows itself 5, is refused, and waits the refusals out."""
    with LocalDynamoDB(
        timing=Timing(build_seconds=1.0, seed=3, table_seconds=TABLE_SECONDS),
        limits=Limits(max_table_operations=2),
    ) as local:
        names = tables(local, "account", 5)
        limits = AccountLimits(max_operations=5)  # more than the account allows
        results = apply_many(local, names, limits)
        assert_converged(results)
        refused = [e for e in local.plane.events if e.kind == "refused" and "LimitExceeded" in e.detail]
        assert refused, "the endpoint's account cap was reached"
        assert limits.slots.refusals > 0
        assert peak(operations(local, names)) <= 2


def test_throttling_slows_the_whole_run_down_and_it_still_converges() -> None:
    injector = FaultInjector(FaultRates(throttle=0.2), seed=7)
    with LocalDynamoDB(
        timing=Timing(build_seconds=1.0, seed=4, table_seconds=TABLE_SECONDS), faults=injector
    ) as local:
        names = tables(local, "throttled", 5)
        limits = AccountLimits(calls_per_second=40)
        results = apply_many(local, names, limits)
        assert_converged(results)
        assert limits.budget.throttles > 0
        assert limits.budget.rate() < 40


def test_apply_reports_every_table_and_what_it_asked_of_the_control_plane(
    endpoint: LocalDynamoDB, tmp_path: Path
) -> None:
    names = tables(endpoint, "cli-many", 9)  # more than twice the cap of 4: three rounds
    spec = [
        {
            "TableName": name,
            "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "by-a",
                    "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        }
        for name in names
    ]
    path = tmp_path / "tables.json"
    path.write_text(json.dumps(spec))
    done = run(
        endpoint,
        "apply",
        str(path),
        "--json",
        "--yes",
        "--max-calls-per-second",
        "20",
        "--max-operations",
        "4",
        "--operation-order",
        "fcfs",
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert [table["table"] for table in document["tables"]] == names
    assert {table["outcome"] for table in document["tables"]} == {"converged"}
    plane = document["control_plane"]
    assert plane["max_calls_per_second"] == 20 and plane["max_operations"] == 4
    assert plane["operation_order"] == "fcfs"
    waits = plane["queue_wait_seconds"]  # how long calls waited for the budget, by operation
    assert {"DescribeTable", "UpdateTable"} <= set(waits)
    assert all(0 <= wait["p50"] <= wait["p95"] <= wait["max"] for wait in waits.values())
    assert 0 < plane["busiest_second_calls"] <= 20
    assert plane["peak_operations_in_flight"] == 4
    assert peak(operations(endpoint, names)) <= 4
    # The bound: 9 builds through 4 slots cannot end before Σ build-seconds / 4, nor before
    # the slowest table's own build; the run is measured against that floor. Build-seconds
    # are as the loop saw them (a lower bound: the endpoint's 1 s builds may show in flight
    # only in the step's own answer, 0 s), so the ratio is checked when there is a floor.
    fleet = document["fleet"]
    elapsed = sorted(table["elapsed"] for table in document["tables"])
    assert fleet["elapsed_max_seconds"] == pytest.approx(elapsed[-1], abs=0.01)
    assert fleet["elapsed_median_seconds"] == pytest.approx(elapsed[len(elapsed) // 2], abs=0.01)
    assert fleet["floor_seconds"] >= fleet["build_seconds_total"] / 4 >= 0
    assert fleet["floor_seconds"] >= fleet["slowest_table_builds_seconds"] >= 0
    assert fleet["floor_seconds"] == 0 or fleet["slowest_over_floor"] >= 1.0
    assert fleet["calls_by_operation"]["UpdateTable"] == 9
    assert sum(fleet["calls_by_operation"].values()) == plane["calls"]
    assert 0 < fleet["longest_gap_between_looks_seconds"] < 30


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--max-operations", "0"),
        ("--max-calls-per-second", "0"),
        ("--max-calls-per-second", "x"),
        ("--operation-order", "random"),
    ],
)
def test_bad_limits_are_refused_before_anything_changes(
    endpoint: LocalDynamoDB, option: str, value: str
) -> None:
    done = run(endpoint, "apply", "tests/specs/does-not-matter.yaml", option, value)
    assert done.returncode == 1  # every error is 1, a bad option included (cli/exits.py)
    assert option in done.stderr


def test_an_interrupted_run_stops_every_table_without_more_calls(five_second_builds: LocalDynamoDB) -> None:
    """Tables queued for the budget when Ctrl-C comes send nothing more: each stops with
    what it saw last, reported as interrupted (not as an error)."""
    names = tables(five_second_builds, "interrupted", 20)
    interrupt = threading.Event()
    limits = AccountLimits(calls_per_second=5, interrupt=interrupt)
    client = limits.wrap(make_client(five_second_builds.url))
    for name in names:  # as `apply` does: every table read (and checked) first
        client.describe_table(TableName=name)
    results: list[ApplyResult | Exception] = []
    specs = [spec_for(name, *TWO) for name in names]
    worker = threading.Thread(
        target=lambda: results.extend(
            apply_tables(
                lambda spec: Reconciler(client),
                specs,
                Ownership.everything(),
                interrupt=interrupt,
                limits=limits,
            )
        )
    )
    worker.start()
    while limits.budget.granted < len(names) + 5:
        time.sleep(0.05)
    interrupt.set()
    granted = limits.budget.granted
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert limits.budget.granted <= granted + 1  # at most the one already granted
    assert [r.outcome if isinstance(r, ApplyResult) else r for r in results] == [Outcome.INTERRUPTED] * len(
        names
    )
