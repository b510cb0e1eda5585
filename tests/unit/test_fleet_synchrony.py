"""Many tables waiting at once must not poll in step. The detector (bench/synchrony.py) is
checked on requests whose phases are known, then the real reconcile loop with multigsi's
wait policy runs a small fleet in the benchmark's simulation (no AWS: the local endpoint's
control plane and metric in virtual time) beside plain 1 s polling, which inherits one phase
from the common start and must be caught."""

from __future__ import annotations

import random

from bench.peers import MULTIGSI, PURE_POLLING, STRATEGIES
from bench.synchrony import coincidences, measure_synchrony, p_value, phase_concentration, windows
from bench.workloads import Workload, run


def polls(phase: float, seconds: int, rng: random.Random | None = None) -> list[float]:
    """One request a second from ``phase``, each moved by up to ±50 ms if ``rng``."""
    wobble = (lambda: rng.uniform(-0.05, 0.05)) if rng else (lambda: 0.0)
    return [second + phase + wobble() for second in range(1, seconds)]


def test_tables_sharing_one_phase_are_synchronised() -> None:
    rng = random.Random(1)
    requests = {f"t{n}": polls(0.3, 600, rng) for n in range(30)}
    result = measure_synchrony(requests)
    assert result.synchronised
    assert result.coincidences_p == p_value(result.coincidences, result.shifted_coincidences) == 0.01
    assert result.busiest >= 20 > max(result.shifted_busiest)
    assert result.concentration > 0.9


def test_tables_with_their_own_phases_are_not() -> None:
    rng = random.Random(2)
    requests = {f"t{n}": polls(rng.random(), 600, rng) for n in range(30)}
    result = measure_synchrony(requests)
    assert not result.synchronised, result.summary()
    assert result.coincidences_p >= 0.05
    assert result.concentration < result.concentration_bar


def test_windows_count_shifted_times_and_coincidences_count_pairs() -> None:
    requests = {"a": [1.01, 2.01], "b": [1.02, 5.55], "c": [1.03, 0.5]}  # 0.5: the common start, left out
    assert windows(requests) == {10: 3, 20: 1, 55: 1}
    assert coincidences(windows(requests)) == 3
    assert windows(requests, {"a": 0.0, "b": 0.5, "c": 0.0}) == {10: 2, 20: 1, 15: 1, 60: 1}
    assert phase_concentration([1.25, 2.25, 3.25]) == 1.0
    assert p_value(5, [1, 5, 9, 2]) == 3 / 5


def test_a_fleet_does_not_poll_in_step_while_plain_polling_started_together_does() -> None:
    rng = random.Random(2026)
    workload = Workload(
        "20 tables x 2", {f"t-{n:02d}": [rng.uniform(120, 600) for _ in range(2)] for n in range(20)}, seed=7
    )
    by_name = {strategy.name: strategy for strategy in STRATEGIES}
    mine = run(by_name[MULTIGSI], workload).synchrony
    plain = run(by_name[PURE_POLLING], workload).synchrony
    assert mine is not None and plain is not None
    assert not mine.synchronised, mine.summary()
    assert plain.synchronised, plain.summary()  # the detector can tell: plain polling keeps one phase
