"""Table phases moto lacks, and the account's limits on table operations.

CreateTable answers CREATING (its indexes CREATING) and the table turns ACTIVE after
``Timing.table_seconds``; until then reads and writes get ResourceNotFoundException
("You can perform read and write operations only on an ACTIVE table" — API_CreateTable).
DeleteTable answers DELETING and the table stays visible as DELETING for the same time.
A change of table throughput or billing mode makes the table UPDATING, and another
UpdateTable meanwhile is refused ("While it's UPDATING, you can't issue another
UpdateTable request" — API_UpdateTable).

The account allows a limited number of table operations at once (CREATING, UPDATING,
DELETING tables and index creates/deletes; 500 by default, "Service, account, and table
quotas"), and the control plane has a request rate (2,500/s, bp-control-plane). Both are
per region here, as quotas are.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from multigsi.local.dynamodb import messages
from multigsi.local.dynamodb.errors import AwsError
from multigsi.local.dynamodb.throughput import History

TableKey = tuple[str, str]  # (region, table name)
DEFAULT_MAX_TABLE_OPERATIONS = 500
DEFAULT_LIST_LIMIT = 100  # ListTables answers at most this many names (API_ListTables)
CONTROL_PLANE_OPERATIONS = frozenset(
    {"CreateTable", "DeleteTable", "UpdateTable", "DescribeTable", "ListTables", "DescribeLimits"}
)
# Data calls refused on a CREATING table. DELETING tables may still serve them
# ("DynamoDB might continue to accept data read and write operations" — API_DeleteTable).
DATA_OPERATIONS = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem"}
)


class Phase(StrEnum):
    CREATING = "CREATING"
    UPDATING = "UPDATING"
    DELETING = "DELETING"


@dataclass
class TablePhase:
    phase: Phase
    until: float
    description: dict[str, Any] | None = None  # DELETING: the table as it was


@dataclass
class Limits:
    """Account-level limits: ``max_table_operations`` in flight at once; and, if set,
    at most ``control_plane_rate`` control-plane requests in any second."""

    max_table_operations: int = DEFAULT_MAX_TABLE_OPERATIONS
    control_plane_rate: float | None = None


@dataclass
class Tables:
    table_seconds: float
    clock: Callable[[], float]
    limits: Limits = field(default_factory=Limits)
    phases: dict[TableKey, TablePhase] = field(default_factory=dict)
    table_ids: dict[TableKey, str] = field(default_factory=dict)
    throughput_history: dict[TableKey, History] = field(default_factory=dict)
    wall: Callable[[], float] = time.time  # dates shown (LastDecreaseDateTime, the UTC day)
    _recent: dict[str, deque[float]] = field(default_factory=dict)

    def settle(self) -> list[TableKey]:
        """End every phase whose time has come; the tables whose phase ended."""
        now = self.clock()
        ended = [key for key, phase in self.phases.items() if phase.until <= now]
        for key in ended:
            finished = self.phases.pop(key).phase
            if finished is Phase.DELETING:
                self.table_ids.pop(key, None)
                self.throughput_history.pop(key, None)
            elif finished is Phase.UPDATING and key in self.throughput_history:
                self.throughput_history[key].completed(self.wall())
        return ended

    def phase(self, key: TableKey) -> Phase | None:
        self.settle()
        current = self.phases.get(key)
        return current.phase if current else None

    # --- limits -----------------------------------------------------------------------------

    def admit(self, operation: str, region: str) -> None:
        """Refuse a control-plane request over the account's rate (if one is set)."""
        rate = self.limits.control_plane_rate
        if rate is None or operation not in CONTROL_PLANE_OPERATIONS:
            return
        now = self.clock()
        recent = self._recent.setdefault(region, deque())
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        if len(recent) >= rate:
            raise AwsError("ThrottlingException", messages.THROTTLED)
        recent.append(now)

    def check_capacity(self, region: str, index_operations: int) -> None:
        """Refuse one more table operation when the account already has its maximum."""
        self.settle()
        in_flight = index_operations + sum(1 for key in self.phases if key[0] == region)
        if in_flight >= self.limits.max_table_operations:
            raise AwsError(
                "LimitExceededException",
                messages.ACCOUNT_OPERATIONS.format(limit=self.limits.max_table_operations),
            )

    def in_flight(self, region: str) -> int:
        self.settle()
        return sum(1 for key in self.phases if key[0] == region)

    # --- transitions --------------------------------------------------------------------------

    def created(self, key: TableKey, seconds: float | None = None) -> None:
        self.table_ids[key] = str(uuid.uuid4())
        self.throughput_history.pop(key, None)
        self.phases[key] = TablePhase(Phase.CREATING, self.clock() + self._length(seconds))

    def deleted(self, key: TableKey, description: dict[str, Any], seconds: float | None = None) -> None:
        ghost = {**description, "TableStatus": "DELETING"}
        if key in self.table_ids:
            ghost["TableId"] = self.table_ids[key]
        self.phases[key] = TablePhase(Phase.DELETING, self.clock() + self._length(seconds), ghost)

    def busy(self, key: TableKey, seconds: float) -> None:
        """UPDATING for ``seconds`` without a settings change (a replica being added or removed)."""
        self.phases[key] = TablePhase(Phase.UPDATING, self.clock() + seconds)

    def _length(self, seconds: float | None) -> float:
        return self.table_seconds if seconds is None else seconds

    def updated(self, key: TableKey, before: Mapping[str, Any], request: Mapping[str, Any]) -> None:
        """A table-level change: UPDATING for a while, and the throughput history AWS keeps."""
        self.phases[key] = TablePhase(Phase.UPDATING, self.clock() + self.table_seconds)
        wanted = request.get("ProvisionedThroughput")
        if wanted:
            history = self.throughput_history.setdefault(key, History())
            history.requested(before.get("ProvisionedThroughput", {}), wanted, self.wall())

    def ghost(self, key: TableKey) -> dict[str, Any] | None:
        self.settle()
        current = self.phases.get(key)
        return current.description if current and current.phase is Phase.DELETING else None

    def deleting(self, region: str) -> list[str]:
        """The names of the region's tables still DELETING (moto has dropped them already)."""
        self.settle()
        return [
            key[1] for key, phase in self.phases.items() if key[0] == region and phase.phase is Phase.DELETING
        ]

    def forget_all(self) -> None:
        self.phases.clear()
        self.table_ids.clear()
        self.throughput_history.clear()

    # --- what DescribeTable shows -------------------------------------------------------------

    def overlay(self, key: TableKey, description: dict[str, Any]) -> dict[str, Any]:
        """Table phase, TableId and throughput history on top of moto's description."""
        description["TableId"] = self.table_ids.setdefault(key, str(uuid.uuid4()))
        phase = self.phase(key)  # first: an update that has just completed is counted
        history = self.throughput_history.get(key)
        if history and "ProvisionedThroughput" in description:
            description["ProvisionedThroughput"] = history.shown(
                description["ProvisionedThroughput"], self.wall()
            )
        if phase is Phase.CREATING:
            description["TableStatus"] = "CREATING"
            for index in description.get("GlobalSecondaryIndexes", []):
                index["IndexStatus"] = "CREATING"
                index.pop("Backfilling", None)
        elif phase is Phase.UPDATING:
            description["TableStatus"] = "UPDATING"
        return description


def list_page(names: Iterable[str], start: str | None, limit: int | None) -> dict[str, Any]:
    """One ListTables answer: the names after ``start`` in order, at most ``limit``, and
    ``LastEvaluatedTableName`` when more follow. Names compare as strings, so a start name
    that no longer exists (deleted between pages) still resumes at the right place; moto
    looked the start name up by position and answered nothing when it was gone."""
    ordered = sorted(set(names))
    after = [name for name in ordered if start is None or name > start]
    size = limit or DEFAULT_LIST_LIMIT
    page: dict[str, Any] = {"TableNames": after[:size]}
    if len(after) > size:  # dynalite's rule: no LastEvaluatedTableName on an exact last page
        page["LastEvaluatedTableName"] = after[size - 1]
    return page
