"""The resource model: raw properties in, the identifier, and what Read reports.

The properties are CloudFormation's own shapes; ``multigsi.cfn.event.properties_spec``
parses them exactly as it does for ``Custom::MultiGsi``. The identifier names the table and
the owner recorded in its tags (``multigsi.engine.ownership``), so Read and Delete work from
the identifier alone, as the protocol requires::

    Id = <TableName>/<stack name>/<stack uuid>/<logical id>

None of the four parts contains ``/`` (table names are ``[a-zA-Z0-9_.-]``, the owner's parts
are what ``Owner.of`` makes of them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from multigsi.engine.live import LiveIndex, LiveTable
from multigsi.engine.ownership import Owner
from multigsi.spec import limits


@dataclass(frozen=True)
class ResourceId:
    table_name: str
    owner: Owner

    def __str__(self) -> str:
        o = self.owner
        return f"{self.table_name}/{o.stack_name}/{o.stack_uuid}/{o.logical_id}"

    @classmethod
    def parse(cls, value: object) -> ResourceId | None:
        """None for anything this type did not write."""
        if not isinstance(value, str):
            return None
        parts = value.split("/")
        if len(parts) != 4 or not all(parts):
            return None
        table, name, uuid, logical = parts
        if not limits.NAME_PATTERN.fullmatch(table) or not 3 <= len(table) <= 255:
            return None
        return cls(table, Owner(uuid, name, logical))


def resource_id(
    properties: Mapping[str, Any], stack_id: str | None, logical_id: str | None
) -> ResourceId | None:
    """The identifier a request's model carries, or the one its stack and logical id make."""
    carried = ResourceId.parse(properties.get("Id"))
    if carried is not None:
        return carried
    table = properties.get("TableName")
    if not isinstance(table, str) or not limits.NAME_PATTERN.fullmatch(table):
        return None
    return ResourceId(table, Owner.of(stack_id or "", logical_id or ""))


WRITE_ONLY_INDEX_PROPERTIES = ("WarmThroughput",)  # the schema's writeOnlyProperties, per index


def live_model(
    live: LiveTable,
    owned: Iterable[str],
    identifier: ResourceId,
    asked: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The model Read returns: the live shape of the indexes the resource owns, the
    definitions of their key attributes, the table's billing mode. WarmThroughput is
    write-only (a floor; the live value may be higher) and is not reported.

    ``asked``: the model the request carried (Read's is the one CloudFormation keeps).
    Every attribute definition it lists that the table defines, with the same type, is
    reported too, in the request's order: the contract wants every property a request
    set back as it was set, and a resource may list more definitions than its indexes
    use (the table's own key, say). A Read with only the identifier gets the used ones."""
    names = set(owned)
    indexes = [index for index in live.indexes if index.name in names]
    used = {element.attribute_name for index in indexes for element in index.key_schema}
    defined = {d.name: str(d.type) for d in live.attribute_definitions}
    reported = [
        {"AttributeName": name, "AttributeType": kind}
        for name, kind in _asked_definitions(asked)
        if defined.get(name) == kind
    ]
    listed = {d["AttributeName"] for d in reported}
    reported += [
        {"AttributeName": d.name, "AttributeType": str(d.type)}
        for d in live.attribute_definitions
        if d.name in used and d.name not in listed
    ]
    return {
        "Id": str(identifier),
        "TableName": live.name,
        "BillingMode": str(live.billing_mode),
        "AttributeDefinitions": reported,
        "GlobalSecondaryIndexes": [_index(index) for index in sorted(indexes, key=lambda i: i.name)],
    }


def without_write_only(properties: Mapping[str, Any]) -> dict[str, Any]:
    """``properties`` without the schema's write-only properties: what a final (SUCCESS)
    model may carry ("The model MUST NOT return properties defined as writeOnlyProperties").
    IN_PROGRESS models keep them: they are the next invocation's desired state."""
    reported = dict(properties)
    indexes = reported.get("GlobalSecondaryIndexes")
    if isinstance(indexes, list):
        reported["GlobalSecondaryIndexes"] = [
            {k: v for k, v in index.items() if k not in WRITE_ONLY_INDEX_PROPERTIES}
            if isinstance(index, Mapping)
            else index
            for index in indexes
        ]
    return reported


def _asked_definitions(asked: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    raw = asked.get("AttributeDefinitions") if asked is not None else None
    if not isinstance(raw, list):
        return []
    found: list[tuple[str, str]] = []
    for item in raw:
        if isinstance(item, Mapping):
            name, kind = item.get("AttributeName"), item.get("AttributeType")
            if isinstance(name, str) and isinstance(kind, str) and (name, kind) not in found:
                found.append((name, kind))
    return found


def _index(index: LiveIndex) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": str(index.projection.type)}
    if index.projection.non_key_attributes:
        projection["NonKeyAttributes"] = list(index.projection.non_key_attributes)
    raw: dict[str, Any] = {
        "IndexName": index.name,
        "KeySchema": [
            {"AttributeName": e.attribute_name, "KeyType": str(e.key_type)} for e in index.key_schema
        ],
        "Projection": projection,
    }
    if index.provisioned_throughput is not None:
        raw["ProvisionedThroughput"] = {
            "ReadCapacityUnits": index.provisioned_throughput.read_capacity_units,
            "WriteCapacityUnits": index.provisioned_throughput.write_capacity_units,
        }
    on_demand = index.on_demand_throughput
    if on_demand is not None and (
        on_demand.max_read_request_units,
        on_demand.max_write_request_units,
    ) not in (
        (None, None),
        (-1, -1),
    ):
        raw["OnDemandThroughput"] = {
            key: value
            for key, value in (
                ("MaxReadRequestUnits", on_demand.max_read_request_units),
                ("MaxWriteRequestUnits", on_demand.max_write_request_units),
            )
            if value is not None
        }
    return raw
