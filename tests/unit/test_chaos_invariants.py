"""The chaos suite's wire invariant can fail: overlapping index work is caught."""

from __future__ import annotations

from typing import Any

from chaos.invariants import overlapping_index_work
from chaos.proxy import Exchange


def update(kind: str, index: str, at: float) -> Exchange:
    request: dict[str, Any] = {
        "TableName": "t",
        "GlobalSecondaryIndexUpdates": [{kind: {"IndexName": index}}],
    }
    return Exchange("UpdateTable", "t", request, 200, {}, at, at + 0.01)


def test_a_second_create_while_one_is_in_flight_is_a_violation() -> None:
    exchanges = [update("Create", "a", 1.0), update("Create", "b", 2.0)]
    assert overlapping_index_work(exchanges, {}) == ["t: Create b accepted while Create a was in flight"]


def test_work_that_ended_before_the_next_step_is_fine() -> None:
    exchanges = [update("Create", "a", 1.0), update("Create", "b", 2.0)]
    assert overlapping_index_work(exchanges, {("t", "a"): [1.5]}) == []


def test_cancelling_the_index_being_built_is_allowed() -> None:
    assert overlapping_index_work([update("Create", "a", 1.0), update("Delete", "a", 1.2)], {}) == []
