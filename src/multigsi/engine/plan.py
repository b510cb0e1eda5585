"""The pure diff: (live table, desired spec, ownership) → ordered steps.

Each step is exactly one UpdateTable call. Deletes come first (they free the one
create/delete slot and index quota), then throughput updates, then creates in spec order.
A key schema or projection change cannot be made in place: it is a replacement, a delete
and then a create, both marked ``replacement``. A global table's per-replica read settings
come last, one replica and index per step (``region`` set): they apply to indexes that
exist, so after every create.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from multigsi.engine.ownership.scope import Ownership
from multigsi.model import wire
from multigsi.model.live import IndexStatus, LiveIndex, LiveTable
from multigsi.model.table import (
    AttributeDefinition,
    BillingMode,
    IndexSpec,
    OnDemandThroughput,
    ProvisionedThroughput,
    ReplicaIndexSpec,
    TableSpec,
    ThroughputChange,
    WarmThroughput,
)


class Action(StrEnum):
    CREATE = "create"
    DELETE = "delete"
    UPDATE = "update"


@dataclass(frozen=True)
class Step:
    action: Action
    index_name: str
    reason: str
    replacement: bool = False
    index: IndexSpec | None = None
    attribute_definitions: tuple[AttributeDefinition, ...] = ()
    change: ThroughputChange | None = None
    region: str | None = None  # an UPDATE of one replica's read overrides in this region
    replica_index: ReplicaIndexSpec | None = None

    @property
    def symbol(self) -> str:
        if self.replacement:
            return "-/+"
        return {Action.CREATE: "+", Action.DELETE: "-", Action.UPDATE: "~"}[self.action]

    @property
    def destructive(self) -> bool:
        """Deleting an index loses it for as long as a rebuild takes: ask before doing it."""
        return self.action is Action.DELETE

    @property
    def label(self) -> str:
        """The index, and the replica region for a replica's settings."""
        return self.index_name if self.region is None else f"{self.index_name} in {self.region}"

    def describe(self) -> str:
        where = f" in {self.region}" if self.region else ""
        return f"{self.action} {self.index_name}{where} ({self.reason})"

    def same_as(self, other: Step) -> bool:
        """The same change of the same index (in the same region)."""
        return (self.action, self.index_name, self.region) == (other.action, other.index_name, other.region)

    def request(self, table_name: str) -> dict[str, Any]:
        """The keyword arguments of the one UpdateTable call this step is (``model.wire``)."""
        if self.action is Action.DELETE:
            return wire.delete_index_request(table_name, self.index_name)
        if self.action is Action.CREATE:
            assert self.index is not None, "a create step carries its index"
            return wire.create_index_request(table_name, self.index, self.attribute_definitions)
        if self.region is not None:
            assert self.replica_index is not None, "a replica update carries its index's overrides"
            return wire.replica_update_request(table_name, self.region, (self.replica_index,))
        assert self.change is not None, "an update step carries its change"
        return wire.update_index_request(table_name, self.index_name, self.change)


@dataclass(frozen=True)
class Plan:
    table_name: str
    steps: tuple[Step, ...]
    in_flight: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.steps

    @property
    def destructive(self) -> bool:
        return any(step.destructive for step in self.steps)


def make_plan(live: LiveTable, spec: TableSpec, ownership: Ownership) -> Plan:
    deletes: list[Step] = []
    updates: list[Step] = []
    creates: list[Step] = []
    for current in live.indexes:
        wanted = spec.index(current.name)
        if wanted is None:
            if ownership.manages(current.name, spec) and current.status is not IndexStatus.DELETING:
                deletes.append(Step(Action.DELETE, current.name, "not in the spec"))
            continue
        if current.status is IndexStatus.DELETING:
            creates.append(_create(wanted, spec, "being deleted; created again after"))
            continue
        difference = _definition_difference(current, wanted)
        if difference:
            deletes.append(Step(Action.DELETE, current.name, difference, replacement=True))
            creates.append(_create(wanted, spec, difference, replacement=True))
            continue
        change, reason = _throughput_change(current, wanted, live.billing_mode)
        if change is not None:
            updates.append(Step(Action.UPDATE, current.name, reason, index=wanted, change=change))
    for wanted in spec.indexes:
        if live.index(wanted.name) is None:
            creates.append(_create(wanted, spec, "new index"))
    order = {index.name: position for position, index in enumerate(spec.indexes)}
    creates.sort(key=lambda step: order[step.index_name])
    return Plan(
        table_name=spec.table_name,
        steps=(*deletes, *updates, *creates, *_replica_updates(live, spec)),
        in_flight=tuple(index.name for index in live.in_flight),
    )


def _replica_updates(live: LiveTable, spec: TableSpec) -> list[Step]:
    """One step per replica and index whose read overrides differ from what the home
    region's ``Replicas[]`` shows. Regions that are not replicas are the rules' to report."""
    steps: list[Step] = []
    for wanted in spec.replicas:
        current = live.replica(wanted.region)
        if current is None or wanted.region == live.region:
            continue
        for index in wanted.indexes:
            override = current.override(index.name)
            have_reads = None if override is None else override.read_capacity_units
            have_max = None if override is None else override.max_read_request_units
            reasons = []
            if index.read_capacity_units is not None and index.read_capacity_units != have_reads:
                reasons.append(f"ReadCapacityUnits {_or_own(have_reads)} → {index.read_capacity_units}")
            if index.max_read_request_units is not None and index.max_read_request_units != have_max:
                reasons.append(f"MaxReadRequestUnits {_or_own(have_max)} → {index.max_read_request_units}")
            if reasons:
                steps.append(
                    Step(
                        Action.UPDATE,
                        index.name,
                        "replica reads: " + "; ".join(reasons),
                        index=spec.index(index.name),
                        region=wanted.region,
                        replica_index=index,
                    )
                )
    return steps


def _or_own(value: int | None) -> str:
    return "the index's own" if value is None else str(value)


def _create(wanted: IndexSpec, spec: TableSpec, reason: str, *, replacement: bool = False) -> Step:
    definitions = tuple(
        definition for definition in spec.attribute_definitions if definition.name in wanted.key_attributes
    )
    return Step(
        Action.CREATE,
        wanted.name,
        reason,
        replacement=replacement,
        index=wanted,
        attribute_definitions=definitions,
    )


def _definition_difference(current: LiveIndex, wanted: IndexSpec) -> str:
    """Why the index must be replaced, or "" when its definition matches."""
    reasons = []
    if current.key_schema != wanted.key_schema:
        reasons.append(f"key {_key_text(current)} → {_key_text(wanted)}")
    if current.projection != wanted.projection:
        reasons.append(f"projection {_projection_text(current)} → {_projection_text(wanted)}")
    return "; ".join(reasons)


def _throughput_change(
    current: LiveIndex, wanted: IndexSpec, billing_mode: BillingMode
) -> tuple[ThroughputChange | None, str]:
    reasons: list[str] = []
    provisioned = None
    if (
        billing_mode is BillingMode.PROVISIONED
        and wanted.provisioned_throughput is not None
        and wanted.provisioned_throughput != current.provisioned_throughput
    ):
        provisioned = wanted.provisioned_throughput
        reasons.append(
            f"ProvisionedThroughput {_capacity_text(current.provisioned_throughput)} → "
            f"{_capacity_text(provisioned)}"
        )
    on_demand = _on_demand_change(current.on_demand_throughput, wanted.on_demand_throughput)
    if on_demand is not None:
        reasons.append(f"OnDemandThroughput → {_on_demand_text(on_demand)}")
    warm = _warm_change(current.warm_throughput, wanted.warm_throughput)
    if warm is not None:
        reasons.append(f"WarmThroughput → {_warm_text(warm)}")
    if not reasons:
        return None, ""
    return ThroughputChange(provisioned, on_demand, warm), "; ".join(reasons)


def _on_demand_change(
    current: OnDemandThroughput | None, wanted: OnDemandThroughput | None
) -> OnDemandThroughput | None:
    if wanted is None:
        return None
    live = current or OnDemandThroughput()
    differs = any(
        want is not None and want != (have if have is not None else -1)
        for want, have in (
            (wanted.max_read_request_units, live.max_read_request_units),
            (wanted.max_write_request_units, live.max_write_request_units),
        )
    )
    return wanted if differs else None


def _warm_change(current: WarmThroughput | None, wanted: WarmThroughput | None) -> WarmThroughput | None:
    """Warm throughput is a floor: raise it when the table is below, never lower it."""
    if wanted is None:
        return None
    live = current or WarmThroughput()
    below = any(
        want is not None and (have is None or have < want)
        for want, have in (
            (wanted.read_units_per_second, live.read_units_per_second),
            (wanted.write_units_per_second, live.write_units_per_second),
        )
    )
    return wanted if below else None


def _key_text(index: LiveIndex | IndexSpec) -> str:
    return "(" + ", ".join(f"{e.attribute_name} {e.key_type}" for e in index.key_schema) + ")"


def _projection_text(index: LiveIndex | IndexSpec) -> str:
    projection = index.projection
    if projection.non_key_attributes:
        return f"{projection.type} [{', '.join(projection.non_key_attributes)}]"
    return str(projection.type)


def _capacity_text(throughput: ProvisionedThroughput | None) -> str:
    if throughput is None:
        return "none"
    return f"{throughput.read_capacity_units}/{throughput.write_capacity_units}"


def _on_demand_text(throughput: OnDemandThroughput) -> str:
    return f"{throughput.max_read_request_units}/{throughput.max_write_request_units}"


def _warm_text(throughput: WarmThroughput) -> str:
    return f"{throughput.read_units_per_second}/{throughput.write_units_per_second}"
