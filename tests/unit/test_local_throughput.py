"""NumberOfDecreasesToday counts within one UTC calendar day (pure: wall times given)."""

from __future__ import annotations

from datetime import UTC, datetime

from multigsi.local.dynamodb.throughput import History

FIVE = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
TWO = {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2}


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_decreases_start_again_at_midnight_utc() -> None:
    history = History()
    for before, after, when in (
        (FIVE, TWO, "2026-12-04T22:00"),
        (TWO, {**TWO, "ReadCapacityUnits": 1}, "2026-12-04T23:30"),
    ):
        history.requested(before, after, at(when))
        history.completed(at(when) + 1)
    assert history.shown(TWO, at("2026-12-04T23:59:59"))["NumberOfDecreasesToday"] == 2
    assert history.shown(TWO, at("2026-12-05T00:00:01"))["NumberOfDecreasesToday"] == 0
    history.requested(TWO, {**TWO, "WriteCapacityUnits": 1}, at("2026-12-05T01:00"))
    assert history.shown(TWO, at("2026-12-05T01:00"))["NumberOfDecreasesToday"] == 0  # not complete yet
    history.completed(at("2026-12-05T01:00:30"))
    assert history.shown(TWO, at("2026-12-05T02:00"))["NumberOfDecreasesToday"] == 1
