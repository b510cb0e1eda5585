"""A table's throughput history, as DescribeTable's ProvisionedThroughput reports it.

What a throughput change looks like (dynalite's test/updateTable.js "should triple rates
and then reduce if requested", asserted against AWS, last changed 2016-04-20):

- the UpdateTable answer and DescribeTable while the table is UPDATING still show the old
  ReadCapacityUnits/WriteCapacityUnits; LastIncreaseDateTime or LastDecreaseDateTime is
  set at the request, and NumberOfDecreasesToday is not yet counted;
- when the update completes the new values show, the date is set again, and a decrease
  adds one to NumberOfDecreasesToday. An update that raises one value and lowers the other
  is an increase (dynalite's updateTable.js counts it so);
- NumberOfDecreasesToday counts "during this UTC calendar day" (API
  ProvisionedThroughputDescription): it starts again from 0 at 00:00 UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

MEMBERS = ("ReadCapacityUnits", "WriteCapacityUnits")


def _day(wall: float) -> date:
    return datetime.fromtimestamp(wall, UTC).date()


@dataclass
class Change:
    """A throughput change requested and not yet complete."""

    old: tuple[int, int]
    increase: bool
    decrease: bool


@dataclass
class History:
    decreases: int = 0
    counted_on: date | None = None  # the UTC day ``decreases`` belongs to
    last_increase: float | None = None
    last_decrease: float | None = None
    pending: Change | None = None

    def requested(self, before: Mapping[str, Any], wanted: Mapping[str, Any], wall: float) -> None:
        old = tuple(int(before.get(member, 0)) for member in MEMBERS)
        new = tuple(int(wanted[member]) for member in MEMBERS)
        increase = any(n > o for n, o in zip(new, old, strict=True))
        decrease = not increase and any(n < o for n, o in zip(new, old, strict=True))
        if increase:
            self.last_increase = wall
        elif decrease:
            self.last_decrease = wall
        self.pending = Change((old[0], old[1]), increase, decrease)

    def completed(self, wall: float) -> None:
        change, self.pending = self.pending, None
        if change is None:
            return
        if change.increase:
            self.last_increase = wall
        elif change.decrease:
            self.last_decrease = wall
            self.decreases = self.today(wall) + 1
            self.counted_on = _day(wall)

    def today(self, wall: float) -> int:
        """NumberOfDecreasesToday at ``wall``: 0 once the UTC day has changed."""
        return self.decreases if self.counted_on == _day(wall) else 0

    def shown(self, throughput: Mapping[str, Any], wall: float) -> dict[str, Any]:
        """``throughput`` (moto's, already the new values) as DynamoDB shows it now."""
        shown = {**throughput, "NumberOfDecreasesToday": self.today(wall)}
        if self.pending is not None:
            shown.update(zip(MEMBERS, self.pending.old, strict=True))
        if self.last_increase is not None:
            shown["LastIncreaseDateTime"] = self.last_increase
        if self.last_decrease is not None:
            shown["LastDecreaseDateTime"] = self.last_decrease
        return shown
