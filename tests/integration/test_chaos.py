"""A fast subset of the chaos suite and the fuzzers (the full run: `python -m chaos`).
Faults are injected at the endpoint and in the harness; the invariants are checked on
what an independent recording proxy saw."""

from __future__ import annotations

import pytest
from chaos.fuzz import fuzz_events, fuzz_specs
from chaos.scenarios import generate, run

# Two CLI (2, 5) and two custom-resource (0, 4) scenarios, both billing modes, with and
# without existing and unmanaged indexes; the slow run adds the two longest (1: a CLI run
# like 2 with one more index, 6: a custom resource replacing three existing indexes).
FAST_SEEDS = (0, 2, 4, 5)
SLOW_SEEDS = (1, 6)


@pytest.mark.parametrize(
    "seed", [*FAST_SEEDS, *(pytest.param(seed, marks=pytest.mark.slow) for seed in SLOW_SEEDS)]
)
def test_chaos_scenario_keeps_every_invariant(seed: int) -> None:
    outcome = run(generate(seed))
    assert outcome.violations == [], outcome.violations
    assert sum(outcome.faults.values()) > 0, "faults were injected"
    if not outcome.concurrent:
        # Alone on the table, even with lost answers: not one request DynamoDB would refuse.
        assert outcome.refusals == {}, outcome.refusals


def test_fuzzed_specs_give_a_spec_or_problems() -> None:
    result = fuzz_specs(400)
    assert result["violations"] == []
    assert result["valid"] and result["invalid"]


def test_fuzzed_events_always_get_failed_or_a_log_line() -> None:
    result = fuzz_events(40)
    assert result["violations"] == []
    assert result["answered_failed"] > 0 and result["logged"] > 0
