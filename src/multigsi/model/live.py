"""The live state of a table, read from one DescribeTable answer into frozen data.

Reading decides nothing: whether to wait or act is the reconcile loop's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from multigsi.model.table import (
    AttributeDefinition,
    AttributeType,
    BillingMode,
    KeyElement,
    OnDemandThroughput,
    Projection,
    ProvisionedThroughput,
    WarmThroughput,
)


class IndexStatus(StrEnum):
    CREATING = "CREATING"
    UPDATING = "UPDATING"
    DELETING = "DELETING"
    ACTIVE = "ACTIVE"


class Phase(StrEnum):
    """What an index is doing, in the words the progress display uses."""

    ALLOCATING = "allocating"
    BACKFILLING = "backfilling"
    DELETING = "deleting"
    UPDATING = "updating"
    ACTIVE = "active"


# Table states in which no index can change, whatever we wait for.
UNAVAILABLE_TABLE_STATUSES = frozenset(
    {
        "DELETING",
        "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
        "ARCHIVING",
        "ARCHIVED",
        "REPLICATION_NOT_AUTHORIZED",
    }
)


@dataclass(frozen=True)
class LiveIndex:
    name: str
    key_schema: tuple[KeyElement, ...]
    projection: Projection
    status: IndexStatus
    backfilling: bool
    provisioned_throughput: ProvisionedThroughput | None
    on_demand_throughput: OnDemandThroughput | None
    warm_throughput: WarmThroughput | None
    item_count: int | None = None

    @property
    def phase(self) -> Phase:
        if self.status is IndexStatus.CREATING:
            return Phase.BACKFILLING if self.backfilling else Phase.ALLOCATING
        return {
            IndexStatus.DELETING: Phase.DELETING,
            IndexStatus.UPDATING: Phase.UPDATING,
        }.get(self.status, Phase.ACTIVE)

    @property
    def in_flight(self) -> bool:
        return self.status is not IndexStatus.ACTIVE or self.backfilling


# Replica states that end by themselves: wait. Any other (CREATION_FAILED, REGION_DISABLED,
# INACCESSIBLE_ENCRYPTION_CREDENTIALS, ARCHIVING, ARCHIVED, ...) needs a person: say so.
TRANSITIONAL_REPLICA_STATUSES = frozenset({"CREATING", "UPDATING", "DELETING"})


@dataclass(frozen=True)
class ReplicaIndexOverride:
    """One index's read overrides in one replica region, as the home region's
    ``Replicas[].GlobalSecondaryIndexes[]`` shows them (no status there: that is only in the
    replica region's own DescribeTable)."""

    name: str
    read_capacity_units: int | None = None
    max_read_request_units: int | None = None


@dataclass(frozen=True)
class LiveReplica:
    """A replica of a global table: the home region's ``Replicas[]`` entry, and ``table``,
    what DescribeTable in the replica's own region showed (None when not read yet)."""

    region: str
    status: str
    status_description: str | None = None
    overrides: tuple[ReplicaIndexOverride, ...] = ()
    table: LiveTable | None = None

    def override(self, index_name: str) -> ReplicaIndexOverride | None:
        for override in self.overrides:
            if override.name == index_name:
                return override
        return None

    @property
    def unavailable(self) -> bool:
        """In a state that does not end by itself: no index change can complete there."""
        return self.status != "ACTIVE" and self.status not in TRANSITIONAL_REPLICA_STATUSES

    def busy(self, home: LiveTable) -> bool:
        """Not settled: the replica itself changes, its table was not read, or its indexes
        are not yet (or no longer) those of the home region, or one is in flight there.
        An index the home region shows and the replica lacks is still on its way (when a
        replica's copy starts is not documented): waiting is the safe side."""
        if self.status != "ACTIVE" or self.table is None:
            return True
        if {index.name for index in self.table.indexes} != {index.name for index in home.indexes}:
            return True
        return self.table.home_busy  # its own Replicas[] (the other members) is the home's business

    @property
    def in_flight(self) -> tuple[LiveIndex, ...]:
        """The replica's own indexes in flight (what it still builds or deletes)."""
        return () if self.table is None else self.table.in_flight


@dataclass(frozen=True)
class LiveTable:
    name: str
    arn: str
    status: str
    billing_mode: BillingMode
    attribute_definitions: tuple[AttributeDefinition, ...]
    indexes: tuple[LiveIndex, ...]
    item_count: int | None = None
    projected_by_local_indexes: int = 0
    replicas: tuple[LiveReplica, ...] = ()

    @property
    def region(self) -> str | None:
        """The region this description was read in, from the table's ARN."""
        parts = self.arn.split(":")
        return parts[3] if len(parts) > 5 and parts[3] else None

    def replica(self, region: str) -> LiveReplica | None:
        for replica in self.replicas:
            if replica.region == region:
                return replica
        return None

    def index(self, name: str) -> LiveIndex | None:
        for index in self.indexes:
            if index.name == name:
                return index
        return None

    def attribute_type(self, name: str) -> AttributeType | None:
        for definition in self.attribute_definitions:
            if definition.name == name:
                return definition.type
        return None

    @property
    def busy(self) -> bool:
        """Something is in flight: the table or any index is not settled.

        TableStatus alone is not enough: it can read ACTIVE while an index is CREATING.
        A global table is settled only when every replica region is too.
        """
        return (
            self.status != "ACTIVE"
            or any(index.in_flight for index in self.indexes)
            or any(replica.busy(self) for replica in self.replicas)
        )

    @property
    def home_busy(self) -> bool:
        """This region alone is not settled (whatever its replicas do)."""
        return self.status != "ACTIVE" or any(index.in_flight for index in self.indexes)

    @property
    def in_flight(self) -> tuple[LiveIndex, ...]:
        return tuple(index for index in self.indexes if index.in_flight)
