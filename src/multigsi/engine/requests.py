"""A planned step → the keyword arguments of exactly one UpdateTable call (the wire shape)."""

from __future__ import annotations

from typing import Any

from multigsi.engine.plan import Action, Step
from multigsi.spec.model import (
    IndexSpec,
    OnDemandThroughput,
    ProvisionedThroughput,
    WarmThroughput,
)


def update_table_request(table_name: str, step: Step) -> dict[str, Any]:
    if step.action is Action.DELETE:
        action: dict[str, Any] = {"Delete": {"IndexName": step.index_name}}
        return {"TableName": table_name, "GlobalSecondaryIndexUpdates": [action]}
    if step.action is Action.CREATE:
        assert step.index is not None, "a create step carries its index"
        return {
            "TableName": table_name,
            "AttributeDefinitions": [
                {"AttributeName": d.name, "AttributeType": str(d.type)} for d in step.attribute_definitions
            ],
            "GlobalSecondaryIndexUpdates": [{"Create": create_action(step.index)}],
        }
    assert step.change is not None, "an update step carries its change"
    update: dict[str, Any] = {"IndexName": step.index_name}
    if step.change.provisioned_throughput is not None:
        update["ProvisionedThroughput"] = provisioned_wire(step.change.provisioned_throughput)
    if step.change.on_demand_throughput is not None:
        update["OnDemandThroughput"] = on_demand_wire(step.change.on_demand_throughput)
    if step.change.warm_throughput is not None:
        update["WarmThroughput"] = warm_wire(step.change.warm_throughput)
    return {"TableName": table_name, "GlobalSecondaryIndexUpdates": [{"Update": update}]}


def create_action(index: IndexSpec) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": str(index.projection.type)}
    if index.projection.non_key_attributes:
        projection["NonKeyAttributes"] = list(index.projection.non_key_attributes)
    action: dict[str, Any] = {
        "IndexName": index.name,
        "KeySchema": [
            {"AttributeName": e.attribute_name, "KeyType": str(e.key_type)} for e in index.key_schema
        ],
        "Projection": projection,
    }
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
