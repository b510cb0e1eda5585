"""CDK's index shapes → the custom resource's CloudFormation properties, checked by the CLI's parser.

The construct takes indexes as CDK users write them for ``Table.addGlobalSecondaryIndex``
(``GlobalSecondaryIndexProps``: keys as ``Attribute`` objects, multi-attribute keys in
``partition_keys``/``sort_keys``, projection, numbers for capacity and on-demand limits,
``WarmThroughput``) or ``TableV2`` (``GlobalSecondaryIndexPropsV2``), or as the
CloudFormation mappings the CLI reads. They become the ``TableName`` /
``AttributeDefinitions`` / ``GlobalSecondaryIndexes`` properties of ``Custom::MultiGsi``,
and those go through ``parse_table_spec`` — the parser the CLI and the Lambda use — so a
bad index fails ``cdk synth`` with the same paths and messages as ``multigsi plan``.

Only what CloudFormation could read back is accepted: a value CDK leaves unresolved until
deploy (a token) is refused, because the index set must be known to be checked, and a
``Capacity`` object (``TableV2``) is refused because its number cannot be read in Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Token
from aws_cdk import aws_dynamodb as dynamodb

from multigsi.errors import Problem, SpecError
from multigsi.model.parse import parse_table_spec
from multigsi.model.table import BillingMode, TableSpec

ATTRIBUTE_TYPES = {"STRING": "S", "NUMBER": "N", "BINARY": "B"}
# What CDK's Table gives an index of a PROVISIONED table when no capacity is given.
CDK_DEFAULT_CAPACITY = 5
UNKNOWN_TABLE_NAME = "named-at-deploy"  # the spec's name for a table CloudFormation names


def index_properties(
    indexes: Sequence[Any], *, billing_mode: BillingMode | None
) -> tuple[list[dict[str, Any]], list[dict[str, str]], list[Problem]]:
    """The ``GlobalSecondaryIndexes`` and ``AttributeDefinitions`` the indexes need, and the
    problems only CDK's shapes can have (paths as in the properties)."""
    rendered: list[dict[str, Any]] = []
    types: dict[str, tuple[str, str]] = {}  # attribute → (type, where first given)
    problems: list[Problem] = []
    for position, index in enumerate(indexes):
        path = f"GlobalSecondaryIndexes[{position}]"
        index = _struct(index, path, problems)
        if index is None:
            continue
        item, keys = _from_cdk(index, path, billing_mode, problems)
        rendered.append(item)
        for element_path, name, kind in keys:
            seen = types.setdefault(name, (kind, element_path))
            if seen[0] != kind:
                problems.append(Problem(element_path, f"{name!r} is {kind} here but {seen[0]} in {seen[1]}"))
    definitions = [{"AttributeName": name, "AttributeType": kind} for name, (kind, _) in types.items()]
    return rendered, definitions, problems


def index_names_of(indexes: Sequence[Any]) -> list[str]:
    """The names the indexes are given (before checking): what replica overrides may name."""
    names = []
    for index in indexes:
        name = index.get("index_name") if isinstance(index, Mapping) else getattr(index, "index_name", None)
        if isinstance(name, str) and not Token.is_unresolved(name):
            names.append(name)
    return names


def _struct(index: Any, path: str, problems: list[Problem]) -> Any:
    """A ``GlobalSecondaryIndexProps(V2)``; a mapping of its keyword arguments (as jsii
    accepts for structs) is turned into one."""
    if isinstance(index, Mapping):
        try:
            return dynamodb.GlobalSecondaryIndexProps(**index)
        except TypeError as error:
            problems.append(Problem(path, f"not GlobalSecondaryIndexProps: {error}"))
            return None
    if isinstance(index, dynamodb.GlobalSecondaryIndexProps | dynamodb.GlobalSecondaryIndexPropsV2):
        return index
    problems.append(
        Problem(
            path,
            f"expected GlobalSecondaryIndexProps(V2) or a mapping of its fields, got {type(index).__name__}",
        )
    )
    return None


def check(
    table_name: str,
    indexes: Sequence[Any],
    *,
    billing_mode: BillingMode | None,
    source: str,
    known_name: str | None = None,
    replicas: Sequence[Mapping[str, Any]] = (),
    replica_problems: Sequence[Problem] = (),
) -> tuple[TableSpec, dict[str, Any]]:
    """The spec and the custom resource's properties (without ServiceToken/ServiceTimeout);
    raise ``SpecError`` with every problem, the CLI's and CDK's together. ``table_name``
    goes into the properties (a token for a table of this app); the spec carries
    ``known_name`` (the name the app gives it) or, when CloudFormation names the table,
    ``UNKNOWN_TABLE_NAME``. ``replicas``: the ``Replicas`` property (``cdk/replicas.py``),
    left out when empty so that a table without replicas keeps its properties as they were;
    ``replica_problems``: what that module found, reported with the rest."""
    rendered, definitions, problems = index_properties(indexes, billing_mode=billing_mode)
    problems += replica_problems
    properties: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": definitions,
        "GlobalSecondaryIndexes": rendered,
    }
    if replicas:
        properties["Replicas"] = [dict(replica) for replica in replicas]
    checked = dict(properties)
    if Token.is_unresolved(table_name):
        checked["TableName"] = known_name or UNKNOWN_TABLE_NAME
    try:
        spec = parse_table_spec(checked, source=source)
    except SpecError as error:
        raise SpecError([*error.problems, *problems], source) from None
    if problems:
        raise SpecError(problems, source)
    return spec, properties


def _from_cdk(
    index: Any, path: str, billing_mode: BillingMode | None, problems: list[Problem]
) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """One ``GlobalSecondaryIndexProps(V2)`` → its CloudFormation mapping, and its key
    attributes as (path, name, type)."""
    item: dict[str, Any] = {"IndexName": _known(index.index_name, f"{path}.IndexName", problems)}
    partition = _keys(index, "partition_key", "partition_keys", f"{path}.KeySchema", problems)
    sort = _keys(index, "sort_key", "sort_keys", f"{path}.KeySchema", problems)
    schema: list[dict[str, str]] = []
    keys: list[tuple[str, str, str]] = []
    for key_type, attributes in (("HASH", partition), ("RANGE", sort)):
        for attribute in attributes:
            element_path = f"{path}.KeySchema[{len(schema)}].AttributeName"
            name = _known(attribute.name, element_path, problems)
            schema.append({"AttributeName": name, "KeyType": key_type})
            keys.append((element_path, name, ATTRIBUTE_TYPES.get(attribute.type.name, str(attribute.type))))
    if schema:
        item["KeySchema"] = schema
    projection: dict[str, Any] = {
        "ProjectionType": index.projection_type.name if index.projection_type is not None else "ALL"
    }
    if index.non_key_attributes is not None:
        projection["NonKeyAttributes"] = list(index.non_key_attributes)
    item["Projection"] = projection
    _throughput(index, item, path, billing_mode, problems)
    return item, keys


def _keys(index: Any, single: str, several: str, path: str, problems: list[Problem]) -> list[Any]:
    one, many = getattr(index, single), getattr(index, several)
    if one is not None and many is not None:
        problems.append(Problem(path, f"give {single} or {several}, not both"))
    if many is not None:
        return list(many)
    return [one] if one is not None else []


def _throughput(
    index: Any, item: dict[str, Any], path: str, billing_mode: BillingMode | None, problems: list[Problem]
) -> None:
    read, write = index.read_capacity, index.write_capacity
    for value, name in ((read, "read_capacity"), (write, "write_capacity")):
        if value is not None and not isinstance(value, int | float):
            problems.append(
                Problem(
                    f"{path}.ProvisionedThroughput",
                    f"{name}: a Capacity object cannot be read at synth time; "
                    "give GlobalSecondaryIndexProps with a number",
                )
            )
            return
    if read is None and write is None and billing_mode is BillingMode.PROVISIONED:
        read = write = CDK_DEFAULT_CAPACITY
    if read is not None or write is not None:
        item["ProvisionedThroughput"] = {
            "ReadCapacityUnits": _number(read, f"{path}.ProvisionedThroughput.ReadCapacityUnits", problems),
            "WriteCapacityUnits": _number(
                write, f"{path}.ProvisionedThroughput.WriteCapacityUnits", problems
            ),
        }
    on_demand = {
        "MaxReadRequestUnits": index.max_read_request_units,
        "MaxWriteRequestUnits": index.max_write_request_units,
    }
    if any(value is not None for value in on_demand.values()):
        item["OnDemandThroughput"] = {
            key: _number(value, f"{path}.OnDemandThroughput.{key}", problems)
            for key, value in on_demand.items()
            if value is not None
        }
    warm = index.warm_throughput
    if warm is not None:
        values = {
            "ReadUnitsPerSecond": warm.read_units_per_second,
            "WriteUnitsPerSecond": warm.write_units_per_second,
        }
        item["WarmThroughput"] = {
            key: _number(value, f"{path}.WarmThroughput.{key}", problems)
            for key, value in values.items()
            if value is not None
        }


def _known(value: Any, path: str, problems: list[Problem]) -> Any:
    if Token.is_unresolved(value):
        problems.append(Problem(path, "must be known at synth time, not a deploy-time token"))
    return value


def _number(value: Any, path: str, problems: list[Problem]) -> Any:
    """Whole numbers come back from jsii as floats (5.0): give the parser an int, as a
    template would carry it."""
    _known(value, path, problems)
    if isinstance(value, float) and value.is_integer() and not Token.is_unresolved(value):
        return int(value)
    return value
