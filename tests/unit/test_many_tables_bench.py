"""The many-tables benchmark's own arithmetic: the fleets it builds and where it says each
table's time went (no endpoint, no process: its inputs written out by hand)."""

from __future__ import annotations

import pytest
from bench.many_tables import CountingApp, fleet_indexes, spec_document, timeline, variant

from multigsi.local.dynamodb.control_plane import EndpointEvent, OpKind


def test_a_skewed_fleet_lists_its_long_chains_last() -> None:
    assert fleet_indexes(5, 1, (2, 6)) == [1, 1, 1, 6, 6]
    assert fleet_indexes(3, 2, None) == [2, 2, 2]
    tables = spec_document(["a", "b"], [1, 3])
    assert [len(table["GlobalSecondaryIndexes"]) for table in tables] == [1, 3]
    assert len(tables[1]["AttributeDefinitions"]) == 4  # the key and one per index
    assert variant("lpt", 2, None) == ""  # the standard run keeps its plain key
    assert variant("fcfs", 2, None) == "fcfs"
    assert variant("lpt", 1, (3, 6)) == "1 new index each, the last 3 with 6, lpt"


def test_the_timeline_splits_a_tables_time_into_start_builds_lags_and_steps() -> None:
    """Process started at 100: the plan read at +0.5, the first build from +2 to +12, seen
    at +12.4, the next step at +12.45, its build to +22, seen at +22.7."""
    counter = CountingApp(lambda environ, start: [])
    counter.arrivals = [(100.3, "DescribeTable")]
    counter.looks = [(100.5, "t"), (106.0, "t"), (112.4, "t"), (118.0, "t"), (122.7, "t")]
    events = [
        EndpointEvent(102.0, "t", "started", "one", OpKind.CREATE),
        EndpointEvent(112.0, "t", "finished", "one", OpKind.CREATE),
        EndpointEvent(112.45, "t", "started", "two", OpKind.CREATE),
        EndpointEvent(122.0, "t", "finished", "two", OpKind.CREATE),
    ]
    parts = timeline(100.0, counter, events, {})
    last = parts["last_table"]
    assert last["table"] == "t"
    assert last["plan_read"] == pytest.approx(0.5)
    assert last["first_step"] == pytest.approx(2.0)
    assert last["builds"] == pytest.approx(19.55)
    assert last["lags"] == pytest.approx(0.4 + 0.7)
    assert last["to_step"] == pytest.approx(0.05)
    assert last["done"] == pytest.approx(22.7)
    # The parts add up to when the table was seen done.
    assert last["first_step"] + last["builds"] + last["lags"] + last["to_step"] == pytest.approx(last["done"])
    assert parts["first_request"] == pytest.approx(0.3)
