"""The one place where the model meets the wire: DynamoDB request dictionaries built from
the model's types (and index properties as CloudFormation and DynamoDB both write them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from multigsi.model.live import IndexStatus, LiveIndex, LiveReplica, LiveTable, ReplicaIndexOverride
from multigsi.model.table import (
    AttributeDefinition,
    AttributeType,
    BillingMode,
    IndexSpec,
    KeyElement,
    KeyType,
    OnDemandThroughput,
    Projection,
    ProjectionType,
    ProvisionedThroughput,
    ReplicaIndexSpec,
    ReplicaSpec,
    ThroughputChange,
    WarmThroughput,
)


def delete_index_request(table_name: str, index_name: str) -> dict[str, Any]:
    """UpdateTable deleting one index."""
    return {"TableName": table_name, "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": index_name}}]}


def create_index_request(
    table_name: str, index: IndexSpec, definitions: Iterable[AttributeDefinition]
) -> dict[str, Any]:
    """UpdateTable creating one index, with the definitions of its key attributes."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": attribute_definitions(definitions),
        "GlobalSecondaryIndexUpdates": [{"Create": create_action(index)}],
    }


def update_index_request(table_name: str, index_name: str, change: ThroughputChange) -> dict[str, Any]:
    """UpdateTable changing one index's throughput settings."""
    update: dict[str, Any] = {"IndexName": index_name}
    if change.provisioned_throughput is not None:
        update["ProvisionedThroughput"] = provisioned_wire(change.provisioned_throughput)
    if change.on_demand_throughput is not None:
        update["OnDemandThroughput"] = on_demand_wire(change.on_demand_throughput)
    if change.warm_throughput is not None:
        update["WarmThroughput"] = warm_wire(change.warm_throughput)
    return {"TableName": table_name, "GlobalSecondaryIndexUpdates": [{"Update": update}]}


def replica_update_request(
    table_name: str, region: str, indexes: Iterable[ReplicaIndexSpec]
) -> dict[str, Any]:
    """UpdateTable changing one replica's per-index read overrides (``ReplicaUpdates``
    ``Update``). Alone in its request: DynamoDB refuses ReplicaUpdates next to any other
    change ("Replica modification must be the only operation in the request")."""
    overrides = []
    for index in indexes:
        override: dict[str, Any] = {"IndexName": index.name}
        if index.read_capacity_units is not None:
            override["ProvisionedThroughputOverride"] = {"ReadCapacityUnits": index.read_capacity_units}
        if index.max_read_request_units is not None:
            override["OnDemandThroughputOverride"] = {"MaxReadRequestUnits": index.max_read_request_units}
        overrides.append(override)
    return {
        "TableName": table_name,
        "ReplicaUpdates": [{"Update": {"RegionName": region, "GlobalSecondaryIndexes": overrides}}],
    }


def bare_table_request(table_name: str, key: str = "pk") -> dict[str, Any]:
    """CreateTable of an on-demand table keyed on one string attribute, without indexes:
    the table the demos and ``--create-table`` add indexes to (also its CloudFormation
    properties, which take the same shape)."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }


def attribute_definitions(definitions: Iterable[AttributeDefinition]) -> list[dict[str, str]]:
    return [{"AttributeName": d.name, "AttributeType": str(d.type)} for d in definitions]


def index_properties(name: str, key_schema: Iterable[KeyElement], projection: Projection) -> dict[str, Any]:
    """An index's name, key schema and projection, as GlobalSecondaryIndexes lists them."""
    rendered: dict[str, Any] = {"ProjectionType": str(projection.type)}
    if projection.non_key_attributes:
        rendered["NonKeyAttributes"] = list(projection.non_key_attributes)
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": e.attribute_name, "KeyType": str(e.key_type)} for e in key_schema],
        "Projection": rendered,
    }


def create_action(index: IndexSpec) -> dict[str, Any]:
    action = index_properties(index.name, index.key_schema, index.projection)
    if index.provisioned_throughput is not None:
        action["ProvisionedThroughput"] = provisioned_wire(index.provisioned_throughput)
    if index.on_demand_throughput is not None:
        action["OnDemandThroughput"] = on_demand_wire(index.on_demand_throughput)
    if index.warm_throughput is not None:
        action["WarmThroughput"] = warm_wire(index.warm_throughput)
    return action


def provisioned_wire(throughput: ProvisionedThroughput) -> dict[str, int]:
    return {
        "ReadCapacityUnits": throughput.read_capacity_units,
        "WriteCapacityUnits": throughput.write_capacity_units,
    }


def on_demand_wire(throughput: OnDemandThroughput) -> dict[str, int]:
    wire = {
        "MaxReadRequestUnits": throughput.max_read_request_units,
        "MaxWriteRequestUnits": throughput.max_write_request_units,
    }
    return {key: value for key, value in wire.items() if value is not None}


def warm_wire(throughput: WarmThroughput) -> dict[str, int]:
    wire = {
        "ReadUnitsPerSecond": throughput.read_units_per_second,
        "WriteUnitsPerSecond": throughput.write_units_per_second,
    }
    return {key: value for key, value in wire.items() if value is not None}


def live_index_properties(index: LiveIndex) -> dict[str, Any]:
    """A live index as GlobalSecondaryIndexes lists it (what the resource type's Read
    reports). WarmThroughput is left out: it is a floor the live value may exceed."""
    raw = index_properties(index.name, index.key_schema, index.projection)
    if index.provisioned_throughput is not None:
        raw["ProvisionedThroughput"] = provisioned_wire(index.provisioned_throughput)
    on_demand = index.on_demand_throughput
    if on_demand is not None and (
        on_demand.max_read_request_units,
        on_demand.max_write_request_units,
    ) not in (
        (None, None),
        (-1, -1),
    ):
        raw["OnDemandThroughput"] = on_demand_wire(on_demand)
    return raw


# --- DynamoDB's answers into the model ------------------------------------------------------


def live_table_from_describe(description: Mapping[str, Any]) -> LiveTable:
    """Build a LiveTable from DescribeTable's ``Table`` member."""
    billing = description.get("BillingModeSummary", {}).get("BillingMode", BillingMode.PROVISIONED)
    local_indexes = description.get("LocalSecondaryIndexes", [])
    return LiveTable(
        name=description["TableName"],
        arn=description.get("TableArn", ""),
        status=description.get("TableStatus", "ACTIVE"),
        billing_mode=BillingMode(billing),
        attribute_definitions=tuple(
            AttributeDefinition(item["AttributeName"], AttributeType(item["AttributeType"]))
            for item in description.get("AttributeDefinitions", [])
        ),
        indexes=tuple(_live_index(item) for item in description.get("GlobalSecondaryIndexes", [])),
        item_count=description.get("ItemCount"),
        projected_by_local_indexes=sum(
            len(item.get("Projection", {}).get("NonKeyAttributes", [])) for item in local_indexes
        ),
        replicas=tuple(_live_replica(item) for item in description.get("Replicas", [])),
    )


def _live_replica(raw: Mapping[str, Any]) -> LiveReplica:
    """One ``Replicas[]`` entry: the other region's status and its per-index overrides."""
    return LiveReplica(
        region=raw["RegionName"],
        status=raw.get("ReplicaStatus", "ACTIVE"),
        status_description=raw.get("ReplicaStatusDescription"),
        overrides=tuple(
            ReplicaIndexOverride(
                item["IndexName"],
                (item.get("ProvisionedThroughputOverride") or {}).get("ReadCapacityUnits"),
                (item.get("OnDemandThroughputOverride") or {}).get("MaxReadRequestUnits"),
            )
            for item in raw.get("GlobalSecondaryIndexes", [])
        ),
    )


def _live_index(raw: Mapping[str, Any]) -> LiveIndex:
    projection = raw.get("Projection", {})
    throughput = raw.get("ProvisionedThroughput") or {}
    on_demand = raw.get("OnDemandThroughput")
    warm = raw.get("WarmThroughput")
    return LiveIndex(
        name=raw["IndexName"],
        key_schema=tuple(
            KeyElement(item["AttributeName"], KeyType(item["KeyType"])) for item in raw.get("KeySchema", [])
        ),
        projection=Projection(
            ProjectionType(projection.get("ProjectionType", "ALL")),
            tuple(sorted(projection.get("NonKeyAttributes", []))),
        ),
        status=IndexStatus(raw.get("IndexStatus", "ACTIVE")),
        backfilling=bool(raw.get("Backfilling", False)),
        provisioned_throughput=(
            ProvisionedThroughput(throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"])
            if throughput.get("ReadCapacityUnits")
            else None
        ),
        on_demand_throughput=(
            OnDemandThroughput(on_demand.get("MaxReadRequestUnits"), on_demand.get("MaxWriteRequestUnits"))
            if on_demand
            else None
        ),
        warm_throughput=(
            WarmThroughput(warm.get("ReadUnitsPerSecond"), warm.get("WriteUnitsPerSecond")) if warm else None
        ),
        item_count=raw.get("ItemCount"),
    )


# --- Global tables in CloudFormation's shapes (AWS::DynamoDB::GlobalTable) -----------------


def replica_index_properties(
    name: str, read_capacity_units: int | None, max_read_request_units: int | None
) -> dict[str, Any]:
    """One index's read settings in one replica, as ``Replicas[].GlobalSecondaryIndexes[]``
    lists them (only the settings that are given)."""
    rendered: dict[str, Any] = {"IndexName": name}
    if read_capacity_units is not None:
        rendered["ReadProvisionedThroughputSettings"] = {"ReadCapacityUnits": read_capacity_units}
    if max_read_request_units is not None:
        rendered["ReadOnDemandThroughputSettings"] = {"MaxReadRequestUnits": max_read_request_units}
    return rendered


def replica_properties(replica: ReplicaSpec) -> dict[str, Any]:
    """A spec's replica as ``Replicas[]`` lists it: the region and its index read settings."""
    rendered: dict[str, Any] = {"Region": replica.region}
    if replica.indexes:
        rendered["GlobalSecondaryIndexes"] = [
            replica_index_properties(i.name, i.read_capacity_units, i.max_read_request_units)
            for i in replica.indexes
        ]
    return rendered


def bare_global_table_properties(table_name: str, regions: Iterable[Any], key: str = "pk") -> dict[str, Any]:
    """``AWS::DynamoDB::GlobalTable`` properties of an on-demand table keyed on one string
    attribute, without indexes, with a replica in each of ``regions`` (the stack's own region
    among them: CloudFormation requires it). Replicas need a NEW_AND_OLD_IMAGES stream."""
    bare = bare_table_request(table_name, key)
    return {
        **bare,
        "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
        "Replicas": [{"Region": region} for region in regions],
    }
