"""The desired state of a table's global secondary indexes, as frozen data.

These types are the only shapes that travel past the parsing boundary
(``multigsi.model.parse``): the planner, the reconcile loop and the adapters never see the
raw CloudFormation-shaped dictionaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class KeyType(StrEnum):
    HASH = "HASH"
    RANGE = "RANGE"


class AttributeType(StrEnum):
    S = "S"
    N = "N"
    B = "B"


class ProjectionType(StrEnum):
    ALL = "ALL"
    KEYS_ONLY = "KEYS_ONLY"
    INCLUDE = "INCLUDE"


class BillingMode(StrEnum):
    PROVISIONED = "PROVISIONED"
    PAY_PER_REQUEST = "PAY_PER_REQUEST"


@dataclass(frozen=True)
class AttributeDefinition:
    name: str
    type: AttributeType


@dataclass(frozen=True)
class KeyElement:
    attribute_name: str
    key_type: KeyType


@dataclass(frozen=True)
class Projection:
    """``non_key_attributes`` is kept sorted so that equal projections compare equal."""

    type: ProjectionType
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProvisionedThroughput:
    read_capacity_units: int
    write_capacity_units: int


@dataclass(frozen=True)
class OnDemandThroughput:
    """Maximum request units; ``None`` means "not specified", ``-1`` means "no limit"."""

    max_read_request_units: int | None = None
    max_write_request_units: int | None = None


@dataclass(frozen=True)
class WarmThroughput:
    """A floor: multigsi raises warm throughput to at least these values, never lowers it."""

    read_units_per_second: int | None = None
    write_units_per_second: int | None = None


@dataclass(frozen=True)
class IndexSpec:
    """One global secondary index as it should be."""

    name: str
    key_schema: tuple[KeyElement, ...]
    projection: Projection
    provisioned_throughput: ProvisionedThroughput | None = None
    on_demand_throughput: OnDemandThroughput | None = None
    warm_throughput: WarmThroughput | None = None

    @property
    def key_attributes(self) -> tuple[str, ...]:
        return tuple(element.attribute_name for element in self.key_schema)


@dataclass(frozen=True)
class ReplicaIndexSpec:
    """One index's read settings in one replica region, as ``AWS::DynamoDB::GlobalTable``
    writes them (``Replicas[].GlobalSecondaryIndexes[]``); ``None`` members are not managed.
    Writes are global (the index's own settings); reads may differ per region."""

    name: str
    read_capacity_units: int | None = None
    max_read_request_units: int | None = None


@dataclass(frozen=True)
class ReplicaSpec:
    """What one replica region of a global table should override for its indexes."""

    region: str
    indexes: tuple[ReplicaIndexSpec, ...] = ()

    def index(self, name: str) -> ReplicaIndexSpec | None:
        for index in self.indexes:
            if index.name == name:
                return index
        return None


@dataclass(frozen=True)
class TableSpec:
    """The indexes one table should have.

    ``attribute_definitions`` may define more than the indexes need (a CloudFormation
    template also defines the table's own keys); a step sends only what it uses.
    ``billing_mode`` is optional: when given it must match the live table, since
    multigsi changes indexes, never the table's billing mode.
    ``replicas``: per-region index settings of a global table; replicas not listed keep
    theirs. Which regions hold replicas is the table's business, never multigsi's.
    """

    table_name: str
    attribute_definitions: tuple[AttributeDefinition, ...]
    indexes: tuple[IndexSpec, ...]
    billing_mode: BillingMode | None = None
    replicas: tuple[ReplicaSpec, ...] = ()

    def replica(self, region: str) -> ReplicaSpec | None:
        for replica in self.replicas:
            if replica.region == region:
                return replica
        return None

    def attribute_type(self, name: str) -> AttributeType | None:
        for definition in self.attribute_definitions:
            if definition.name == name:
                return definition.type
        return None

    def index(self, name: str) -> IndexSpec | None:
        for index in self.indexes:
            if index.name == name:
                return index
        return None


@dataclass(frozen=True)
class ThroughputChange:
    """What an UPDATE step changes; ``None`` members stay as they are."""

    provisioned_throughput: ProvisionedThroughput | None = None
    on_demand_throughput: OnDemandThroughput | None = None
    warm_throughput: WarmThroughput | None = None
