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
        """
        return self.status != "ACTIVE" or any(index.in_flight for index in self.indexes)

    @property
    def in_flight(self) -> tuple[LiveIndex, ...]:
        return tuple(index for index in self.indexes if index.in_flight)
