"""CreateTable's and UpdateTable's own rules: step 4 of ``validation``'s order, and the
table-level checks that need the live table (step 5).

Each rule raises the first problem DynamoDB reports, in DynamoDB's order, with its
message from ``messages.py`` (sources there). They run on requests whose member types
``validation.check_request`` has already checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from multigsi.local.dynamodb import messages
from multigsi.local.dynamodb.errors import AwsError
from multigsi.local.dynamodb.shapes import MAX_CAPACITY

MAX_GSIS = 20
MAX_LSIS = 5
# Members any one of which makes an UpdateTable request do something.
UPDATE_MEMBERS = (
    "ProvisionedThroughput",
    "BillingMode",
    "UpdateStreamEnabled",
    "StreamSpecification",
    "SSESpecification",
    "ReplicaUpdates",
    "OnDemandThroughput",
    "WarmThroughput",
    "DeletionProtectionEnabled",
    "TableClass",
    "MultiRegionConsistency",
    "GlobalTableWitnessUpdates",
)


def _invalid(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def _names(elements: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(element.get("AttributeName")) for element in elements]


def check_create_table(request: Mapping[str, Any]) -> None:
    billing = request.get("BillingMode") or "PROVISIONED"
    throughput = request.get("ProvisionedThroughput")
    if billing == "PAY_PER_REQUEST":
        if throughput:
            raise _invalid(messages.THROUGHPUT_ON_DEMAND)
    else:
        if (
            not throughput
            or not throughput.get("ReadCapacityUnits")
            or not throughput.get("WriteCapacityUnits")
        ):
            raise _invalid(messages.PROVISIONED_NEEDS_THROUGHPUT)
        _check_bounds(throughput)
    definitions = _names(request["AttributeDefinitions"])
    key_schema = request["KeySchema"]
    _check_key_schema(key_schema, definitions)
    lsis = request.get("LocalSecondaryIndexes")
    gsis = request.get("GlobalSecondaryIndexes")
    if lsis is None and gsis is None and len(key_schema) != len(definitions):
        raise _invalid(messages.DEFINITIONS_UNUSED)
    seen: set[str] = set()
    if lsis is not None:
        _check_local_indexes(lsis, key_schema, definitions, seen)
    if gsis is not None:
        if not gsis:
            raise _invalid(messages.EMPTY_INDEX_LIST.format(kind="GlobalSecondaryIndexes"))
        for index in gsis:
            name = index["IndexName"]
            _check_key_schema(index["KeySchema"], definitions)
            _check_projection(index["Projection"])
            if billing == "PAY_PER_REQUEST" and index.get("ProvisionedThroughput"):
                raise _invalid(messages.INDEX_THROUGHPUT_ON_DEMAND.format(name=name))
            if billing != "PAY_PER_REQUEST" and not index.get("ProvisionedThroughput"):
                raise _invalid(messages.THROUGHPUT_MISSING.format(name=name))
            _check_unique(name, seen)
        if len(gsis) > MAX_GSIS:
            raise _invalid(messages.TOO_MANY_GSIS_AT_CREATE)


def _check_local_indexes(
    lsis: Sequence[Mapping[str, Any]],
    key_schema: Sequence[Mapping[str, Any]],
    definitions: list[str],
    seen: set[str],
) -> None:
    if not lsis:
        raise _invalid(messages.EMPTY_INDEX_LIST.format(kind="LocalSecondaryIndexes"))
    if len(key_schema) != 2:
        raise _invalid(messages.LSI_NEEDS_RANGE_TABLE)
    table_hash = key_schema[0]["AttributeName"]
    for index in lsis:
        name = index["IndexName"]
        _check_key_schema(index["KeySchema"], definitions)
        if len(index["KeySchema"]) != 2:
            raise _invalid(messages.LSI_NEEDS_RANGE.format(name=name))
        index_hash = index["KeySchema"][0]["AttributeName"]
        if index_hash != table_hash:
            raise _invalid(
                messages.LSI_HASH_DIFFERS.format(name=name, index_hash=index_hash, table_hash=table_hash)
            )
        _check_projection(index["Projection"])
        _check_unique(name, seen)
    if len(lsis) > MAX_LSIS:
        raise _invalid(messages.TOO_MANY_LSIS)


def _check_key_schema(key_schema: Sequence[Mapping[str, Any]], definitions: list[str]) -> None:
    keys = _names(key_schema)
    if any(key not in definitions for key in keys):
        raise _invalid(
            messages.KEYS_NOT_DEFINED.format(keys=", ".join(keys), definitions=", ".join(definitions))
        )
    if len(keys) == 2 and keys[0] == keys[1]:
        raise _invalid(messages.SAME_HASH_AND_RANGE)
    if key_schema[0]["KeyType"] != "HASH":
        raise _invalid(messages.FIRST_NOT_HASH)
    if len(key_schema) == 2 and key_schema[1]["KeyType"] != "RANGE":
        raise _invalid(messages.SECOND_NOT_RANGE)


def _check_projection(projection: Mapping[str, Any]) -> None:
    kind = projection.get("ProjectionType")
    if kind is None:
        raise _invalid(messages.UNKNOWN_PROJECTION)
    if projection.get("NonKeyAttributes") is not None and kind != "INCLUDE":
        raise _invalid(messages.NON_KEY_WITHOUT_INCLUDE.format(projection=kind))


def _check_unique(name: str, seen: set[str]) -> None:
    if name in seen:
        raise _invalid(messages.DUPLICATE_INDEX.format(name=name))
    seen.add(name)


def _check_bounds(throughput: Mapping[str, Any]) -> None:
    for member in ("ReadCapacityUnits", "WriteCapacityUnits"):
        value = throughput.get(member)
        if value is not None and value > MAX_CAPACITY:
            raise _invalid(messages.OUT_OF_BOUNDS.format(value=value, member=member))


def check_update_table(request: Mapping[str, Any]) -> None:
    """The rules that need no table: before the table is looked up."""
    updates = request.get("GlobalSecondaryIndexUpdates")
    if not updates and not any(request.get(member) is not None for member in UPDATE_MEMBERS):
        raise _invalid(messages.NOTHING_TO_UPDATE)
    throughput = request.get("ProvisionedThroughput")
    if throughput:
        _check_bounds(throughput)
        if request.get("BillingMode") == "PAY_PER_REQUEST":
            raise _invalid(messages.THROUGHPUT_ON_DEMAND)
    seen: set[str] = set()
    for update in updates or []:
        actions = [action for action in ("Create", "Update", "Delete") if update.get(action) is not None]
        if not actions:
            raise _invalid(messages.UPDATE_ACTION_MISSING)
        if len(actions) > 1:
            raise _invalid(messages.ONE_ACTION_PER_UPDATE)
        action = update[actions[0]]
        name = action["IndexName"]
        if name in seen:
            raise _invalid(messages.SAME_INDEX_TWICE.format(name=name))
        seen.add(name)
        if actions[0] == "Create":
            _check_projection(action["Projection"])
        elif actions[0] == "Update" and not (
            action.get("ProvisionedThroughput")
            or action.get("OnDemandThroughput")
            or action.get("WarmThroughput")
        ):
            raise _invalid(messages.UPDATE_NEEDS_VALUE.format(name=name))


def check_table_settings(request: Mapping[str, Any], description: Mapping[str, Any]) -> bool:
    """Table-level billing and throughput against the live table. True when the request
    changes them (the table goes UPDATING)."""
    current_billing = description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    billing = request.get("BillingMode") or current_billing
    throughput = request.get("ProvisionedThroughput")
    if billing == "PAY_PER_REQUEST" and throughput:
        raise _invalid(messages.TABLE_THROUGHPUT_ON_DEMAND)
    if billing == "PROVISIONED" and current_billing != "PROVISIONED" and not throughput:
        raise _invalid(messages.UPDATE_PROVISIONED_NEEDS_THROUGHPUT)
    if throughput and billing == current_billing:
        current = description.get("ProvisionedThroughput", {})
        read, write = current.get("ReadCapacityUnits"), current.get("WriteCapacityUnits")
        if (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (read, write):
            raise _invalid(messages.THROUGHPUT_UNCHANGED.format(read=read, write=write))
    return bool(throughput) or billing != current_billing
