"""The resource model: the identifier, who a request may act for, and what Read reports.

The properties are CloudFormation's own shapes, parsed by
``multigsi.cloudformation.properties.properties_spec`` exactly as for ``Custom::MultiGsi``.
The identifier names the table and the owner recorded in its tags
(``multigsi.engine.ownership.record``), so Read and Delete work from the identifier alone,
as the protocol requires::

    Id = <TableName>/<stack name>/<stack uuid>/<logical id>

A resource made without a stack (the Cloud Control API: no stack id, no logical id) is a
stack of its own: ``<TableName>/-/<random uuid>/CloudControl``, the uuid made at its Create.

An identifier is never trusted for what it says alone. It must parse (the schema's pattern
and every part checked), its table must be the request's TableName, and the owner it names
must be the one the request may act for: with a stack, this request's stack and logical id;
without one, a stack-less owner. Claims the custom resource holds are never the type's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from multigsi.cloudformation.properties import listed_index_names
from multigsi.engine.ownership.record import NO_STACK, STACKLESS_LOGICAL_ID, UUID_PATTERN, Owner
from multigsi.errors import ResourceMissingError
from multigsi.model import limits, wire
from multigsi.model.live import LiveReplica, LiveTable, ReplicaIndexOverride

STACK_NAME = re.compile(r"[A-Za-z0-9._-]{1,128}")
STACK_UUID = re.compile(rf"(?:{UUID_PATTERN.pattern}|[0-9a-f]{{32}})")  # a stack's uuid, or the hash fallback
LOGICAL_ID = re.compile(r"[A-Za-z0-9]{1,64}|=[0-9a-f]{32}")  # an id, or the hash of a long one
# The schema's pattern for Id (schema.json), checked against this module by a test.
ID_PATTERN = (
    r"^[a-zA-Z0-9_.-]{3,255}/[A-Za-z0-9._-]{1,128}/"
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})/"
    r"([A-Za-z0-9]{1,64}|=[0-9a-f]{32})$"
)
WRITE_ONLY_INDEX_PROPERTIES = ("WarmThroughput",)


@dataclass(frozen=True)
class ResourceId:
    table_name: str
    owner: Owner

    def __str__(self) -> str:
        o = self.owner
        return f"{self.table_name}/{o.stack_name}/{o.stack_uuid}/{o.logical_id}"

    @classmethod
    def parse(cls, value: object) -> ResourceId | None:
        """None for anything this type cannot have written."""
        if not isinstance(value, str) or not re.fullmatch(ID_PATTERN, value):
            return None
        table, name, stack_uuid, logical = value.split("/")
        if not limits.NAME_PATTERN.fullmatch(table) or not STACK_NAME.fullmatch(name):
            return None
        if name == NO_STACK and (logical != STACKLESS_LOGICAL_ID or not UUID_PATTERN.fullmatch(stack_uuid)):
            return None
        return cls(table, Owner(stack_uuid, name, logical))


def acting_for(
    properties: Mapping[str, Any],
    stack_id: str | None,
    logical_id: str | None,
    *,
    created_owner: str | None = None,
) -> ResourceId | None:
    """The resource a request may act for, or None when the properties name no valid table.

    With a stack: the request's own stack and logical id, and an Id in the model must name
    exactly that. Without a stack: the owner of ``created_owner`` (the uuid a Create made,
    carried in the callback context), else the Id's stack-less owner. Raises
    ResourceMissingError for an Id this request may not act on: another stack's or logical
    id's resource, a custom resource's, another table's."""
    table = properties.get("TableName")
    carried = properties.get("Id")
    parsed = ResourceId.parse(carried) if carried is not None else None
    if carried is not None and parsed is None:
        raise ResourceMissingError(f"Id {str(carried)[:300]!r} is not an identifier of this type")
    if not isinstance(table, str):
        table = parsed.table_name if parsed is not None else None
    if table is None or not limits.NAME_PATTERN.fullmatch(table) or not 3 <= len(table) <= 255:
        return None
    if parsed is not None and parsed.table_name != table:
        raise ResourceMissingError(f"Id {parsed} names table {parsed.table_name}, not TableName {table}")
    if stack_id:
        mine = ResourceId(table, Owner.of(stack_id, logical_id or ""))
        if parsed is not None and parsed.owner != mine.owner:
            raise ResourceMissingError(f"Id {parsed} is not this stack's resource {mine.owner}")
        return mine
    if created_owner is not None and UUID_PATTERN.fullmatch(created_owner):
        mine = ResourceId(table, Owner.stackless(created_owner))
        if parsed is not None and parsed.owner != mine.owner:
            raise ResourceMissingError(f"Id {parsed} is not the resource this operation created")
        return mine
    if parsed is None:
        return None
    if not parsed.owner.is_stackless:
        raise ResourceMissingError(
            f"Id {parsed} belongs to a stack's resource: without a stack only a stack-less resource can be named"
        )
    return parsed


def without_id(properties: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in properties.items() if key != "Id"}


def listed(properties: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    """The index names a model lists; None when it has no GlobalSecondaryIndexes at all
    (a request that carries only the identifier)."""
    if not isinstance((properties or {}).get("GlobalSecondaryIndexes"), list):
        return None
    return listed_index_names(properties)


def without_write_only(properties: Mapping[str, Any]) -> dict[str, Any]:
    """The model a final answer may return: write-only properties are never returned
    ("The model MUST NOT return properties defined as writeOnlyProperties")."""
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


def live_model(
    live: LiveTable,
    owned: Iterable[str],
    identifier: ResourceId,
    asked: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The model Read returns: the live shape of the indexes the resource owns, the
    definitions of their key attributes, the table's billing mode, and a global table's
    per-replica read overrides (``live_replicas``). WarmThroughput is write-only (a floor;
    the live value may be higher) and is not reported.

    ``asked``: the model the request carried (Read's is the one CloudFormation keeps).
    Every attribute definition it lists that the table defines, with the same type, is
    reported too, in the request's order: the contract wants every property a request
    set back as it was set, and a resource may list more definitions than its indexes
    use (the table's own key, say). A Read with only the identifier gets the used ones."""
    names = set(owned)
    indexes = [index for index in live.indexes if index.name in names]
    used = {element.attribute_name for index in indexes for element in index.key_schema}
    defined = {d.name: d for d in live.attribute_definitions}
    reported = [
        defined[name]
        for name, kind in _asked_definitions(asked)
        if name in defined and str(defined[name].type) == kind
    ]
    reported += [d for d in live.attribute_definitions if d.name in used and d not in reported]
    model: dict[str, Any] = {
        "Id": str(identifier),
        "TableName": live.name,
        "BillingMode": str(live.billing_mode),
        "AttributeDefinitions": wire.attribute_definitions(reported),
        "GlobalSecondaryIndexes": [
            wire.live_index_properties(index) for index in sorted(indexes, key=lambda i: i.name)
        ],
    }
    replicas = live_replicas(live, names, asked)
    if replicas is not None:
        model["Replicas"] = replicas
    return model


def live_replicas(
    live: LiveTable, owned: set[str], asked: Mapping[str, Any] | None
) -> list[dict[str, Any]] | None:
    """``Replicas`` as the live table shows it (the home region's DescribeTable
    ``Replicas[].GlobalSecondaryIndexes[]``), for the owned indexes only; None for nothing to say.

    For the regions the request's model lists, in its order (so a converged resource reads
    back what it set): the home region as ``{Region}`` alone (its settings are the indexes'
    own), a replica with its owned indexes (the model's order, then others with an
    override), a region that is not a replica left out. A model without ``Replicas`` (an
    identifier alone, List) gets each replica that overrides an owned index."""
    listed = _asked_replicas(asked)
    if listed is None:
        shown = []
        for replica in live.replicas:
            overridden = sorted(o.name for o in replica.overrides if o.name in owned and _has_values(o))
            if overridden:
                shown.append(_replica_entry(replica, overridden))
        return shown or None
    reported: list[dict[str, Any]] = []
    for region, names in listed:
        found = live.replica(region)
        if region == live.region:
            reported.append({"Region": region})
        elif found is not None:
            present = {o.name for o in found.overrides if o.name in owned}
            extra = sorted(
                o.name for o in found.overrides if o.name in present - set(names) and _has_values(o)
            )
            reported.append(_replica_entry(found, [n for n in names if n in present] + extra))
    return reported


def _replica_entry(replica: LiveReplica, names: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"Region": replica.region}
    overrides = [replica.override(name) for name in names]
    if names:
        entry["GlobalSecondaryIndexes"] = [
            wire.replica_index_properties(o.name, o.read_capacity_units, o.max_read_request_units)
            for o in overrides
            if o is not None
        ]
    return entry


def _has_values(override: ReplicaIndexOverride) -> bool:
    return override.read_capacity_units is not None or override.max_read_request_units is not None


def _asked_replicas(asked: Mapping[str, Any] | None) -> list[tuple[str, list[str]]] | None:
    """The regions (and their index names) a model's ``Replicas`` lists; None without any."""
    raw = (asked or {}).get("Replicas")
    if not isinstance(raw, list):
        return None
    found: list[tuple[str, list[str]]] = []
    for item in raw:
        region = item.get("Region") if isinstance(item, Mapping) else None
        if not isinstance(region, str) or any(region == seen for seen, _ in found):
            continue
        indexes = item.get("GlobalSecondaryIndexes")
        names = [
            index["IndexName"]
            for index in (indexes if isinstance(indexes, list) else [])
            if isinstance(index, Mapping) and isinstance(index.get("IndexName"), str)
        ]
        found.append((region, list(dict.fromkeys(names))))
    return found


def _asked_definitions(asked: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    raw = (asked or {}).get("AttributeDefinitions")
    if not isinstance(raw, list):
        return []
    found: list[tuple[str, str]] = []
    for item in raw:
        if isinstance(item, Mapping):
            name, kind = item.get("AttributeName"), item.get("AttributeType")
            if isinstance(name, str) and isinstance(kind, str) and (name, kind) not in found:
                found.append((name, kind))
    return found
