"""Raw CloudFormation-shaped data → ``TableSpec``, reporting every problem with its path.

Accepts what CloudFormation sends: numbers and booleans as strings ("5", "true").
Nothing here talks to AWS; rules that need the live table are in ``multigsi.model.live_rules``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from multigsi.errors import Problem, SpecError
from multigsi.model import limits
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
    TableSpec,
    WarmThroughput,
)

_E = TypeVar("_E", bound=StrEnum)

TABLE_FIELDS = {"TableName", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode", "Replicas"}
INDEX_FIELDS = {
    "IndexName",
    "KeySchema",
    "Projection",
    "ProvisionedThroughput",
    "OnDemandThroughput",
    "WarmThroughput",
}
# Fields CloudFormation allows on a GSI that do not concern index builds: accepted, ignored.
IGNORED_INDEX_FIELDS = {"ContributorInsightsSpecification"}
# A replica of AWS::DynamoDB::GlobalTable (ReplicaSpecification): only its per-index read
# settings concern indexes; the rest is the table's, accepted and ignored.
REPLICA_FIELDS = {"Region", "GlobalSecondaryIndexes"}
IGNORED_REPLICA_FIELDS = {
    "ContributorInsightsSpecification",
    "DeletionProtectionEnabled",
    "KinesisStreamSpecification",
    "PointInTimeRecoverySpecification",
    "ReadOnDemandThroughputSettings",
    "ReadProvisionedThroughputSettings",
    "ReplicaStreamSpecification",
    "ResourcePolicy",
    "SSESpecification",
    "TableClass",
    "Tags",
}
REPLICA_INDEX_FIELDS = {"IndexName", "ReadProvisionedThroughputSettings", "ReadOnDemandThroughputSettings"}
# Application Auto Scaling's business, not an index build's: accepted, not managed.
IGNORED_REPLICA_INDEX_FIELDS = {"ContributorInsightsSpecification"}
REGION_PATTERN = r"[a-z]{2}(-[a-z]+)+-[0-9]+"


class _Problems:
    """Collects problems so that one pass reports all of them."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.items: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        full = f"{self.prefix}{path}" if path else self.prefix.rstrip(".")
        self.items.append(Problem(full, message))


def parse_table_spec(raw: object, *, path_prefix: str = "", source: str = "") -> TableSpec:
    """Parse one table's desired state; raise ``SpecError`` listing every problem found."""
    problems = _Problems(path_prefix)
    spec = _parse_table(raw, problems)
    if problems.items or spec is None:
        raise SpecError(problems.items, source)
    return spec


def parse_table_specs(raw: object, *, source: str = "") -> tuple[TableSpec, ...]:
    """Parse a single table mapping, a list of them, or ``{"Tables": [...]}``."""
    if isinstance(raw, Mapping) and "Tables" in raw:
        raw = raw["Tables"]
    if isinstance(raw, Mapping):
        return (parse_table_spec(raw, source=source),)
    if not isinstance(raw, list) or not raw:
        raise SpecError([Problem("", "expected a table mapping or a non-empty list of them")], source)
    specs: list[TableSpec] = []
    problems: list[Problem] = []
    for position, item in enumerate(raw):
        try:
            specs.append(parse_table_spec(item, path_prefix=f"[{position}]."))
        except SpecError as error:
            problems.extend(error.problems)
    names = Counter(spec.table_name for spec in specs)
    problems.extend(
        Problem("", f"table {name!r} appears {count} times") for name, count in names.items() if count > 1
    )
    if problems:
        raise SpecError(problems, source)
    return tuple(specs)


def _parse_table(raw: object, problems: _Problems) -> TableSpec | None:
    if not isinstance(raw, Mapping):
        problems.add("", f"expected a mapping, got {_kind(raw)}")
        return None
    _reject_unknown(raw, TABLE_FIELDS, "", problems)
    table_name = _name(raw.get("TableName"), "TableName", problems)
    definitions = _attribute_definitions(raw.get("AttributeDefinitions"), problems)
    billing_mode = _enum(raw.get("BillingMode"), BillingMode, "BillingMode", problems, required=False)
    indexes = _indexes(raw.get("GlobalSecondaryIndexes"), definitions, problems)
    replicas = _replicas(raw.get("Replicas"), {index.name for index in indexes}, problems)
    if table_name is None:
        return None
    return TableSpec(
        table_name=table_name,
        attribute_definitions=tuple(definitions.values()),
        indexes=tuple(indexes),
        billing_mode=billing_mode,
        replicas=tuple(replicas),
    )


def _replicas(raw: object, index_names: set[str], problems: _Problems) -> list[ReplicaSpec]:
    """``Replicas`` as AWS::DynamoDB::GlobalTable writes it. Only per-index read settings
    are kept; an index named here must be one of the table's listed indexes."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add("Replicas", f"expected a list, got {_kind(raw)}")
        return []
    replicas: list[ReplicaSpec] = []
    seen: dict[str, int] = {}
    for position, item in enumerate(raw):
        path = f"Replicas[{position}]"
        if not isinstance(item, Mapping):
            problems.add(path, f"expected a mapping, got {_kind(item)}")
            continue
        _reject_unknown(item, REPLICA_FIELDS | IGNORED_REPLICA_FIELDS, path, problems)
        region = item.get("Region")
        if not isinstance(region, str) or not re.fullmatch(REGION_PATTERN, region):
            problems.add(
                f"{path}.Region",
                "is required" if region is None else f"{region!r} is not a region name like eu-west-1",
            )
            continue
        if region in seen:
            problems.add(f"{path}.Region", f"{region!r} is already listed by Replicas[{seen[region]}]")
            continue
        seen[region] = position
        replicas.append(
            ReplicaSpec(
                region, _replica_indexes(item.get("GlobalSecondaryIndexes"), path, index_names, problems)
            )
        )
    return replicas


def _replica_indexes(
    raw: object, replica_path: str, index_names: set[str], problems: _Problems
) -> tuple[ReplicaIndexSpec, ...]:
    path = f"{replica_path}.GlobalSecondaryIndexes"
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add(path, f"expected a list, got {_kind(raw)}")
        return ()
    indexes: list[ReplicaIndexSpec] = []
    for position, item in enumerate(raw):
        item_path = f"{path}[{position}]"
        if not isinstance(item, Mapping):
            problems.add(item_path, f"expected a mapping, got {_kind(item)}")
            continue
        _reject_unknown(item, REPLICA_INDEX_FIELDS | IGNORED_REPLICA_INDEX_FIELDS, item_path, problems)
        name = _name(item.get("IndexName"), f"{item_path}.IndexName", problems)
        if name is not None and name not in index_names:
            problems.add(
                f"{item_path}.IndexName", f"{name!r} is not one of this table's GlobalSecondaryIndexes"
            )
            name = None
        if name is not None and any(index.name == name for index in indexes):
            problems.add(f"{item_path}.IndexName", f"{name!r} is listed twice for this replica")
            name = None
        provisioned = _object(
            item.get("ReadProvisionedThroughputSettings"),
            f"{item_path}.ReadProvisionedThroughputSettings",
            {"ReadCapacityUnits", "ReadCapacityAutoScalingSettings"},
            problems,
        )
        on_demand = _object(
            item.get("ReadOnDemandThroughputSettings"),
            f"{item_path}.ReadOnDemandThroughputSettings",
            {"MaxReadRequestUnits"},
            problems,
        )
        read_units = None
        if provisioned is not None and provisioned.get("ReadCapacityUnits") is not None:
            read_units = _integer(
                provisioned["ReadCapacityUnits"],
                f"{item_path}.ReadProvisionedThroughputSettings.ReadCapacityUnits",
                problems,
                minimum=1,
            )
        max_reads = None
        if on_demand is not None and on_demand.get("MaxReadRequestUnits") is not None:
            max_reads = _integer(
                on_demand["MaxReadRequestUnits"],
                f"{item_path}.ReadOnDemandThroughputSettings.MaxReadRequestUnits",
                problems,
                minimum=-1,
            )
            if max_reads == 0:
                problems.add(
                    f"{item_path}.ReadOnDemandThroughputSettings.MaxReadRequestUnits",
                    "must be -1 (no limit) or at least 1",
                )
                max_reads = None
        if name is not None:
            indexes.append(ReplicaIndexSpec(name, read_units, max_reads))
    return tuple(indexes)


def _attribute_definitions(raw: object, problems: _Problems) -> dict[str, AttributeDefinition]:
    definitions: dict[str, AttributeDefinition] = {}
    if raw is None:
        return definitions
    if not isinstance(raw, list):
        problems.add("AttributeDefinitions", f"expected a list, got {_kind(raw)}")
        return definitions
    for position, item in enumerate(raw):
        path = f"AttributeDefinitions[{position}]"
        if not isinstance(item, Mapping):
            problems.add(path, f"expected a mapping, got {_kind(item)}")
            continue
        _reject_unknown(item, {"AttributeName", "AttributeType"}, path, problems)
        name = _attribute_name(item.get("AttributeName"), f"{path}.AttributeName", problems)
        kind = _enum(item.get("AttributeType"), AttributeType, f"{path}.AttributeType", problems)
        if name is None or kind is None:
            continue
        if name in definitions:
            problems.add(f"{path}.AttributeName", f"{name!r} is defined more than once")
            continue
        definitions[name] = AttributeDefinition(name, kind)
    return definitions


def _indexes(
    raw: object, definitions: Mapping[str, AttributeDefinition], problems: _Problems
) -> list[IndexSpec]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add("GlobalSecondaryIndexes", f"expected a list, got {_kind(raw)}")
        return []
    if len(raw) > limits.MAX_INDEXES_PER_TABLE:
        problems.add(
            "GlobalSecondaryIndexes",
            f"{len(raw)} indexes listed; a table can have at most {limits.MAX_INDEXES_PER_TABLE}",
        )
    indexes: list[IndexSpec] = []
    seen: dict[str, int] = {}
    for position, item in enumerate(raw):
        path = f"GlobalSecondaryIndexes[{position}]"
        index = _index(item, path, definitions, problems)
        if index is None:
            continue
        if index.name in seen:
            problems.add(
                f"{path}.IndexName",
                f"{index.name!r} is already used by GlobalSecondaryIndexes[{seen[index.name]}]",
            )
            continue
        seen[index.name] = position
        indexes.append(index)
    projected = sum(len(index.projection.non_key_attributes) for index in indexes)
    if projected > limits.MAX_PROJECTED_ATTRIBUTES_PER_TABLE:
        problems.add(
            "GlobalSecondaryIndexes",
            f"{projected} NonKeyAttributes projected in all; a table allows at most "
            f"{limits.MAX_PROJECTED_ATTRIBUTES_PER_TABLE}",
        )
    return indexes


def _index(
    raw: object, path: str, definitions: Mapping[str, AttributeDefinition], problems: _Problems
) -> IndexSpec | None:
    if not isinstance(raw, Mapping):
        problems.add(path, f"expected a mapping, got {_kind(raw)}")
        return None
    _reject_unknown(raw, INDEX_FIELDS | IGNORED_INDEX_FIELDS, path, problems)
    before = len(problems.items)
    name = _name(raw.get("IndexName"), f"{path}.IndexName", problems)
    key_schema = _key_schema(raw.get("KeySchema"), f"{path}.KeySchema", definitions, problems)
    projection = _projection(raw.get("Projection"), f"{path}.Projection", key_schema, problems)
    provisioned = _provisioned(raw.get("ProvisionedThroughput"), f"{path}.ProvisionedThroughput", problems)
    on_demand = _on_demand(raw.get("OnDemandThroughput"), f"{path}.OnDemandThroughput", problems)
    warm = _warm(raw.get("WarmThroughput"), f"{path}.WarmThroughput", problems)
    if name is None or projection is None or len(problems.items) > before:
        return None
    return IndexSpec(name, key_schema, projection, provisioned, on_demand, warm)


def _key_schema(
    raw: object, path: str, definitions: Mapping[str, AttributeDefinition], problems: _Problems
) -> tuple[KeyElement, ...]:
    if raw is None:
        problems.add(path, "is required")
        return ()
    if not isinstance(raw, list) or not raw:
        problems.add(path, f"expected a non-empty list, got {_kind(raw)}")
        return ()
    elements: list[KeyElement] = []
    for position, item in enumerate(raw):
        element_path = f"{path}[{position}]"
        if not isinstance(item, Mapping):
            problems.add(element_path, f"expected a mapping, got {_kind(item)}")
            continue
        _reject_unknown(item, {"AttributeName", "KeyType"}, element_path, problems)
        name = _attribute_name(item.get("AttributeName"), f"{element_path}.AttributeName", problems)
        key_type = _enum(item.get("KeyType"), KeyType, f"{element_path}.KeyType", problems)
        if name is not None and name not in definitions:
            problems.add(f"{element_path}.AttributeName", f"{name!r} has no AttributeDefinition")
        if name is not None and any(e.attribute_name == name for e in elements):
            problems.add(f"{element_path}.AttributeName", f"{name!r} appears twice in the key")
        if name is not None and key_type is not None:
            elements.append(KeyElement(name, key_type))
    _check_key_counts(elements, path, problems)
    return tuple(elements)


def _check_key_counts(elements: list[KeyElement], path: str, problems: _Problems) -> None:
    types = [element.key_type for element in elements]
    hashes = types.count(KeyType.HASH)
    ranges = types.count(KeyType.RANGE)
    if elements and hashes == 0:
        problems.add(path, "needs at least one HASH attribute")
    if hashes > limits.MAX_HASH_ATTRIBUTES:
        problems.add(path, f"has {hashes} HASH attributes; at most {limits.MAX_HASH_ATTRIBUTES}")
    if ranges > limits.MAX_RANGE_ATTRIBUTES:
        problems.add(path, f"has {ranges} RANGE attributes; at most {limits.MAX_RANGE_ATTRIBUTES}")
    if KeyType.RANGE in types and KeyType.HASH in types[types.index(KeyType.RANGE) :]:
        problems.add(path, "HASH attributes must come before RANGE attributes")


def _projection(
    raw: object, path: str, key_schema: tuple[KeyElement, ...], problems: _Problems
) -> Projection | None:
    if raw is None:
        problems.add(path, "is required")
        return None
    if not isinstance(raw, Mapping):
        problems.add(path, f"expected a mapping, got {_kind(raw)}")
        return None
    _reject_unknown(raw, {"ProjectionType", "NonKeyAttributes"}, path, problems)
    kind = _enum(raw.get("ProjectionType"), ProjectionType, f"{path}.ProjectionType", problems)
    attributes_raw = raw.get("NonKeyAttributes")
    attributes: list[str] = []
    if attributes_raw is not None:
        if not isinstance(attributes_raw, list):
            problems.add(f"{path}.NonKeyAttributes", f"expected a list, got {_kind(attributes_raw)}")
        else:
            for position, item in enumerate(attributes_raw):
                name = _attribute_name(item, f"{path}.NonKeyAttributes[{position}]", problems)
                if name is None:
                    continue
                if name in attributes:
                    problems.add(f"{path}.NonKeyAttributes[{position}]", f"{name!r} is listed twice")
                elif any(element.attribute_name == name for element in key_schema):
                    problems.add(
                        f"{path}.NonKeyAttributes[{position}]",
                        f"{name!r} is a key attribute of this index and is always projected",
                    )
                else:
                    attributes.append(name)
    if kind is None:
        return None
    if kind is ProjectionType.INCLUDE:
        if not attributes and attributes_raw is None:
            problems.add(f"{path}.NonKeyAttributes", "is required when ProjectionType is INCLUDE")
        if len(attributes) > limits.MAX_NON_KEY_ATTRIBUTES_PER_INDEX:
            problems.add(
                f"{path}.NonKeyAttributes",
                f"{len(attributes)} attributes; at most {limits.MAX_NON_KEY_ATTRIBUTES_PER_INDEX}",
            )
    elif attributes_raw:
        problems.add(
            f"{path}.NonKeyAttributes",
            f"is only allowed when ProjectionType is INCLUDE, not {kind}",
        )
        attributes = []
    return Projection(kind, tuple(sorted(attributes)))


def _provisioned(raw: object, path: str, problems: _Problems) -> ProvisionedThroughput | None:
    fields = _object(raw, path, {"ReadCapacityUnits", "WriteCapacityUnits"}, problems)
    if fields is None:
        return None
    read = _integer(fields.get("ReadCapacityUnits"), f"{path}.ReadCapacityUnits", problems, minimum=1)
    write = _integer(fields.get("WriteCapacityUnits"), f"{path}.WriteCapacityUnits", problems, minimum=1)
    if read is None or write is None:
        return None
    return ProvisionedThroughput(read, write)


def _on_demand(raw: object, path: str, problems: _Problems) -> OnDemandThroughput | None:
    fields = _object(raw, path, {"MaxReadRequestUnits", "MaxWriteRequestUnits"}, problems)
    if fields is None:
        return None
    values: dict[str, int | None] = {}
    for field in ("MaxReadRequestUnits", "MaxWriteRequestUnits"):
        if fields.get(field) is None:
            values[field] = None
            continue
        value = _integer(fields[field], f"{path}.{field}", problems, minimum=-1)
        if value == 0:
            problems.add(f"{path}.{field}", "must be -1 (no limit) or at least 1")
        values[field] = value
    if all(value is None for value in values.values()):
        problems.add(path, "needs MaxReadRequestUnits or MaxWriteRequestUnits")
        return None
    return OnDemandThroughput(values["MaxReadRequestUnits"], values["MaxWriteRequestUnits"])


def _warm(raw: object, path: str, problems: _Problems) -> WarmThroughput | None:
    fields = _object(raw, path, {"ReadUnitsPerSecond", "WriteUnitsPerSecond"}, problems)
    if fields is None:
        return None
    read = fields.get("ReadUnitsPerSecond")
    write = fields.get("WriteUnitsPerSecond")
    if read is None and write is None:
        problems.add(path, "needs ReadUnitsPerSecond or WriteUnitsPerSecond")
        return None
    return WarmThroughput(
        None if read is None else _integer(read, f"{path}.ReadUnitsPerSecond", problems, minimum=1),
        None if write is None else _integer(write, f"{path}.WriteUnitsPerSecond", problems, minimum=1),
    )


# --- scalar helpers -------------------------------------------------------------------------


def _object(raw: object, path: str, allowed: set[str], problems: _Problems) -> Mapping[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.add(path, f"expected a mapping, got {_kind(raw)}")
        return None
    _reject_unknown(raw, allowed, path, problems)
    return raw


def _name(raw: object, path: str, problems: _Problems) -> str | None:
    """A table or index name: 3-255 characters of [a-zA-Z0-9_.-]."""
    if raw is None:
        problems.add(path, "is required")
        return None
    if not isinstance(raw, str):
        problems.add(path, f"expected a string, got {_kind(raw)}")
        return None
    if not limits.NAME_MIN_LENGTH <= len(raw) <= limits.NAME_MAX_LENGTH:
        problems.add(
            path,
            f"{raw!r} must be {limits.NAME_MIN_LENGTH} to {limits.NAME_MAX_LENGTH} characters long",
        )
        return None
    if not limits.NAME_PATTERN.fullmatch(raw):
        problems.add(path, f"{raw!r} may only contain letters, digits, '_', '.' and '-'")
        return None
    return raw


def _attribute_name(raw: object, path: str, problems: _Problems) -> str | None:
    if not isinstance(raw, str) or not raw:
        problems.add(path, "expected a non-empty string" if raw is not None else "is required")
        return None
    if len(raw.encode()) > limits.ATTRIBUTE_NAME_MAX_LENGTH:
        problems.add(path, f"is longer than {limits.ATTRIBUTE_NAME_MAX_LENGTH} bytes")
        return None
    return raw


def _enum(raw: object, enum: type[_E], path: str, problems: _Problems, *, required: bool = True) -> _E | None:
    if raw is None:
        if required:
            problems.add(path, "is required")
        return None
    if isinstance(raw, str) and raw in enum._value2member_map_:
        return enum(raw)
    allowed = ", ".join(member.value for member in enum)
    problems.add(path, f"{raw!r} is not one of {allowed}")
    return None


def _integer(raw: object, path: str, problems: _Problems, *, minimum: int) -> int | None:
    """An integer, also given as a string the way CloudFormation sends numbers."""
    value: int | None = None
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        value = int(raw.strip())
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    if value is None:
        problems.add(path, f"expected a whole number, got {raw!r}" if raw is not None else "is required")
        return None
    if value < minimum:
        problems.add(path, f"{value} is below the minimum of {minimum}")
        return None
    return value


def _reject_unknown(raw: Mapping[str, Any], allowed: set[str], path: str, problems: _Problems) -> None:
    for key in raw:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            problems.add(where, f"unknown field; expected one of {', '.join(sorted(allowed))}")


def _kind(raw: object) -> str:
    return "nothing" if raw is None else type(raw).__name__
