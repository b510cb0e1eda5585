"""The index control plane moto lacks: phases, build times and AWS's rules.

For each table it remembers the index operations in flight, with the times their phases
end. Time only moves when asked (``settle``), so there is no background thread: every
request sees the state AWS would show at that moment.

Create: table UPDATING and index CREATING (Backfilling false) while resources are
allocated, then table ACTIVE and index CREATING with Backfilling true, then ACTIVE.
Delete: table UPDATING, index DELETING, then gone. Throughput update: index UPDATING.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from multigsi.local.dynamodb import messages
from multigsi.local.dynamodb.errors import AwsError
from multigsi.local.dynamodb.replicas import GlobalTables, ReplicaRules
from multigsi.local.dynamodb.tables import Limits, Tables
from multigsi.local.dynamodb.tags import TagStore

MAX_INDEXES = 20
MAX_UPDATES_PER_CALL = 5

TableKey = tuple[str, str]  # (region, table name)


@dataclass(frozen=True)
class Timing:
    """How long index work takes. A build takes ``build_seconds`` plus
    ``seconds_per_item`` for every item in the table; the first ``allocation_fraction`` of
    it is the resource-allocation phase, the rest backfilling."""

    build_seconds: float = 30.0
    seconds_per_item: float = 0.0
    allocation_fraction: float = 0.2
    delete_seconds: float | None = None  # default: a fifth of build_seconds
    update_seconds: float | None = None  # default: a fifth of build_seconds
    # Real builds never take a round number of seconds: each one gets a random extra of up
    # to a quarter of its length, and at least up to ``min_jitter_seconds``, so that a
    # poller cannot line up with a build's end by luck.
    jitter: float = 0.25
    min_jitter_seconds: float = 1.0
    seed: int = 0
    # CreateTable → ACTIVE, DeleteTable → gone, a table throughput change → ACTIVE again.
    table_seconds: float = 0.5
    # A replica's Create/Update/Delete (default: table_seconds; AWS: 15-50 s for an empty
    # table, minutes with items, DDB-TABLE-226/298), and the delay before an item written in
    # one region is in the others (AWS gives no figure: its ReplicationLatency metric).
    replica_seconds: float | None = None
    replication_seconds: float = 0.5

    def build(self, item_count: int, rng: random.Random) -> float:
        base = self.build_seconds + self.seconds_per_item * item_count
        return base + rng.uniform(0, max(self.min_jitter_seconds, base * self.jitter))

    @property
    def replica(self) -> float:
        return self.table_seconds if self.replica_seconds is None else self.replica_seconds

    @property
    def delete(self) -> float:
        return self.build_seconds / 5 if self.delete_seconds is None else self.delete_seconds

    @property
    def update(self) -> float:
        return self.build_seconds / 5 if self.update_seconds is None else self.update_seconds


class OpKind(StrEnum):
    CREATE = "create"
    DELETE = "delete"
    UPDATE = "update"


@dataclass
class IndexOperation:
    kind: OpKind
    index_name: str
    started: float
    done_at: float
    allocated_at: float = 0.0  # CREATE: when backfilling begins
    ghost: dict[str, Any] | None = None  # DELETE: the index as it was, shown as DELETING


@dataclass(frozen=True)
class EndpointEvent:
    """What happened at the endpoint, for tests and the benchmark: ``kind`` is
    ``started`` / ``finished`` (index work), ``refused`` (an error AWS would give) or
    ``describe``; ``region``: where (a global table's regions each have their own)."""

    at: float
    table: str
    kind: str
    index: str = ""
    detail: str = ""
    region: str = ""


@dataclass
class ControlPlane:
    timing: Timing = field(default_factory=Timing)
    clock: Callable[[], float] = time.monotonic
    lock: threading.RLock = field(default_factory=threading.RLock)
    operations: dict[TableKey, dict[str, IndexOperation]] = field(default_factory=dict)
    on_demand: dict[TableKey, dict[str, dict[str, int]]] = field(default_factory=dict)
    events: list[EndpointEvent] = field(default_factory=list)
    # Overrides Timing for creates: (table key, index name, item count) → seconds.
    build_time: Callable[[TableKey, str, int], float] | None = None
    limits: Limits = field(default_factory=Limits)
    tags: TagStore = field(default_factory=TagStore)
    replica_rules: ReplicaRules = field(default_factory=ReplicaRules)
    rng: random.Random = field(init=False)
    tables: Tables = field(init=False)
    global_tables: GlobalTables = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.timing.seed)
        self.tables = Tables(self.timing.table_seconds, self.clock, self.limits)
        self.global_tables = GlobalTables(self.clock, self.replica_rules)

    # --- time ---------------------------------------------------------------------------

    def settle(self, key: TableKey) -> None:
        """Finish every operation whose time has come."""
        now = self.clock()
        ops = self.operations.get(key, {})
        for name, op in list(ops.items()):
            if op.done_at <= now:
                del ops[name]
                self.events.append(EndpointEvent(op.done_at, key[1], "finished", name, op.kind, key[0]))

    def index_operations(self, region: str) -> int:
        """Index creates, deletes and updates in flight in a region (account-level count)."""
        for key in [key for key in self.operations if key[0] == region]:
            self.settle(key)
        return sum(len(ops) for key, ops in self.operations.items() if key[0] == region)

    def index_changes(self, key: TableKey) -> list[IndexOperation]:
        """The index creates and deletes in flight (or about to start) on a table."""
        self.settle(key)
        return [op for op in self.operations.get(key, {}).values() if op.kind is not OpKind.UPDATE]

    def building(self, key: TableKey) -> bool:
        return bool(self.index_changes(key))

    def check_capacity(self, region: str) -> None:
        self.tables.check_capacity(region, self.index_operations(region))

    def forget(self, key: TableKey) -> None:
        """The table was created or deleted: nothing of an earlier table carries over."""
        self.operations.pop(key, None)
        self.on_demand.pop(key, None)
        self.tags.forget(key)

    def record(self, key: TableKey, kind: str, index: str = "", detail: str = "") -> None:
        self.events.append(EndpointEvent(self.clock(), key[1], kind, index, detail, key[0]))

    # --- what DescribeTable shows -----------------------------------------------------------

    def overlay(self, key: TableKey, description: dict[str, Any]) -> dict[str, Any]:
        """Rewrite moto's (always ACTIVE) description into what AWS would show now."""
        self.settle(key)
        now = self.clock()
        ops = self.operations.get(key, {})
        _local_indexes(description)
        indexes = [dict(index) for index in description.get("GlobalSecondaryIndexes", [])]
        for index in indexes:
            op = ops.get(index["IndexName"])
            _index_figures(index, description)
            # Every GSI's throughput carries NumberOfDecreasesToday, on-demand ones 0/0/0
            # (dynalite test/createTable.js "multiple GlobalSecondaryIndexes", asserted against AWS).
            index["ProvisionedThroughput"] = {
                "NumberOfDecreasesToday": 0,
                **index.get("ProvisionedThroughput", {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}),
            }
            on_demand = self.on_demand.get(key, {}).get(index["IndexName"])
            if on_demand:
                index["OnDemandThroughput"] = on_demand
            if op is None:
                continue
            if op.kind is OpKind.CREATE and now < op.started:
                index["IndexStatus"] = "PENDING"  # a replica's copy that has not started: not shown
            elif op.kind is OpKind.CREATE:
                index.update(IndexStatus="CREATING", Backfilling=now >= op.allocated_at)
                index.update(IndexSizeBytes=0, ItemCount=0)
            elif op.kind is OpKind.UPDATE:
                index["IndexStatus"] = "UPDATING"
        indexes = [index for index in indexes if index.get("IndexStatus") != "PENDING"]
        present = {index["IndexName"] for index in indexes}
        for op in ops.values():
            if op.kind is OpKind.DELETE and op.ghost is not None and op.index_name not in present:
                # A replica's copy of a delete that has not started still shows as it was.
                indexes.append(
                    {**op.ghost, "IndexStatus": "DELETING"} if now >= op.started else dict(op.ghost)
                )
        if indexes:
            description["GlobalSecondaryIndexes"] = indexes
        else:
            description.pop("GlobalSecondaryIndexes", None)
        if any(self._table_updating(op, now) for op in ops.values()):
            description["TableStatus"] = "UPDATING"
        return self.global_tables.describe(key, self.tables.overlay(key, description), self.building)

    @staticmethod
    def _table_updating(op: IndexOperation, now: float) -> bool:
        # The table reads ACTIVE while an index backfills: clients must watch IndexStatus.
        return op.kind is not OpKind.CREATE or now < op.allocated_at

    # --- UpdateTable --------------------------------------------------------------------

    def check_update(self, key: TableKey, description: Mapping[str, Any], request: Mapping[str, Any]) -> None:
        """Raise the AwsError DynamoDB would answer, or return if it would accept."""
        updates = request.get("GlobalSecondaryIndexUpdates") or []
        if not updates:
            return
        creates_deletes = sum(1 for u in updates if "Create" in u or "Delete" in u)
        if len(updates) > MAX_UPDATES_PER_CALL or creates_deletes > 1:
            raise AwsError("LimitExceededException", messages.ONE_AT_A_TIME)
        existing = {index["IndexName"]: index for index in description.get("GlobalSecondaryIndexes", [])}
        billing = description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
        ops = self.operations.get(key, {})
        busy = any(op.kind in (OpKind.CREATE, OpKind.DELETE) for op in ops.values())
        for update in updates:
            if "Create" in update:
                self._check_create(update["Create"], request, existing, billing, busy)
            elif "Delete" in update:
                self._check_delete(update["Delete"]["IndexName"], key[1], existing, ops, busy)
            else:
                self._check_throughput_update(update["Update"], key[1], existing, ops, billing)

    def _check_create(
        self,
        create: Mapping[str, Any],
        request: Mapping[str, Any],
        existing: Mapping[str, Any],
        billing: str,
        busy: bool,
    ) -> None:
        name = create["IndexName"]
        if busy:
            raise AwsError("LimitExceededException", messages.ONE_AT_A_TIME)
        if name in existing:
            raise AwsError("ValidationException", messages.INDEX_EXISTS)
        if len(existing) + 1 > MAX_INDEXES:
            raise AwsError("LimitExceededException", messages.TOO_MANY_INDEXES)
        keys = [element["AttributeName"] for element in create.get("KeySchema", [])]
        defined = [d["AttributeName"] for d in request.get("AttributeDefinitions") or []]
        if any(k not in defined for k in keys):
            raise AwsError(
                "ValidationException",
                messages.KEYS_NOT_DEFINED.format(keys=", ".join(keys), definitions=", ".join(defined)),
            )
        _check_billing(create, billing, name, creating=True)

    def _check_delete(
        self,
        name: str,
        table: str,
        existing: Mapping[str, Any],
        ops: Mapping[str, IndexOperation],
        busy: bool,
    ) -> None:
        index = existing.get(name)
        if index is None:
            raise AwsError("ResourceNotFoundException", messages.INDEX_MISSING.format(name=name, table=table))
        op = ops.get(name)
        if op is not None and op.kind is OpKind.CREATE:
            if self.clock() < op.allocated_at:
                raise AwsError("ResourceInUseException", messages.INDEX_BEING_CREATED.format(name=name))
            return  # deleting an index while it backfills cancels the build: allowed
        if busy:
            raise AwsError("LimitExceededException", messages.ONE_AT_A_TIME)

    def _check_throughput_update(
        self,
        update: Mapping[str, Any],
        table: str,
        existing: Mapping[str, Any],
        ops: Mapping[str, IndexOperation],
        billing: str,
    ) -> None:
        name = update["IndexName"]
        if name not in existing:
            raise AwsError("ResourceNotFoundException", messages.INDEX_MISSING.format(name=name, table=table))
        if existing[name].get("IndexStatus") == "DELETING":
            raise AwsError("ValidationException", messages.UPDATE_MISSING)
        op = ops.get(name)
        if op is not None and (op.kind is OpKind.UPDATE or self.clock() < op.allocated_at):
            raise AwsError("ResourceInUseException", messages.INDEX_BEING_UPDATED.format(name=name))
        _check_billing(update, billing, name, creating=False)

    def begin(
        self,
        key: TableKey,
        description: Mapping[str, Any],
        request: Mapping[str, Any],
        start: float | None = None,
    ) -> None:
        """Moto accepted the call: start the clock on each index operation it carries (at
        ``start`` for a replica's copy of a change made in another region)."""
        now = self.clock() if start is None else start
        ops = self.operations.setdefault(key, {})
        existing = {index["IndexName"]: index for index in description.get("GlobalSecondaryIndexes", [])}
        for update in request.get("GlobalSecondaryIndexUpdates") or []:
            if "Create" in update:
                name = update["Create"]["IndexName"]
                items = int(description.get("ItemCount", 0))
                build = (
                    self.build_time(key, name, items)
                    if self.build_time
                    else self.timing.build(items, self.rng)
                )
                allocated = now + build * self.timing.allocation_fraction
                ops[name] = IndexOperation(OpKind.CREATE, name, now, now + build, allocated_at=allocated)
                self._remember_on_demand(key, name, update["Create"])
            elif "Delete" in update:
                name = update["Delete"]["IndexName"]
                ghost = {k: v for k, v in existing[name].items() if k != "Backfilling"}
                ops[name] = IndexOperation(OpKind.DELETE, name, now, now + self.timing.delete, ghost=ghost)
                self.on_demand.get(key, {}).pop(name, None)
            else:
                name = update["Update"]["IndexName"]
                ops[name] = IndexOperation(OpKind.UPDATE, name, now, now + self.timing.update)
                self._remember_on_demand(key, name, update["Update"])
            self.record(key, "started", name, next(iter(update)).lower())

    def _remember_on_demand(self, key: TableKey, name: str, action: Mapping[str, Any]) -> None:
        if "OnDemandThroughput" in action:
            current = self.on_demand.setdefault(key, {}).setdefault(name, {})
            current.update(action["OnDemandThroughput"])

    # --- reads ----------------------------------------------------------------------------

    def check_read(self, key: TableKey, index_name: str | None) -> None:
        if index_name is None:
            return
        self.settle(key)
        op = self.operations.get(key, {}).get(index_name)
        if op is not None and op.kind is OpKind.CREATE:
            raise AwsError("ValidationException", messages.READ_BACKFILLING)


def _index_figures(index: dict[str, Any], table: Mapping[str, Any]) -> None:
    """IndexArn, IndexSizeBytes and ItemCount, which every index description carries. AWS
    refreshes the figures about every six hours; the table's own stand in."""
    index["IndexArn"] = f"{table.get('TableArn', '')}/index/{index['IndexName']}"
    index.setdefault("IndexSizeBytes", table.get("TableSizeBytes", 0))
    index.setdefault("ItemCount", table.get("ItemCount", 0))


def _local_indexes(description: dict[str, Any]) -> None:
    """LSIs as DynamoDB describes them (dynalite test/createTable.js "should succeed for
    LocalSecondaryIndexes", asserted against AWS): moto's plus IndexArn and the figures."""
    indexes = [dict(index) for index in description.get("LocalSecondaryIndexes") or []]
    for index in indexes:
        _index_figures(index, description)
    if indexes:
        description["LocalSecondaryIndexes"] = indexes


def _check_billing(action: Mapping[str, Any], billing: str, name: str, *, creating: bool) -> None:
    if billing == "PAY_PER_REQUEST" and action.get("ProvisionedThroughput"):
        raise AwsError("ValidationException", messages.INDEX_UPDATE_THROUGHPUT_ON_DEMAND.format(name=name))
    if billing == "PROVISIONED":
        if creating and not action.get("ProvisionedThroughput"):
            raise AwsError("ValidationException", messages.UPDATE_THROUGHPUT_MISSING.format(name=name))
        on_demand = action.get("OnDemandThroughput") or {}
        for member in ("MaxReadRequestUnits", "MaxWriteRequestUnits"):
            if member in on_demand:
                raise AwsError("ValidationException", messages.ON_DEMAND_ON_PROVISIONED.format(member=member))
