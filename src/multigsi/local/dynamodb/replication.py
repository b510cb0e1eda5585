"""Acting on a global table's other regions: what DynamoDB does behind a ReplicaUpdates
call, an index change and an item write, done on moto's tables region by region.

- A replica Create makes the table in the target region (same keys, billing, indexes,
  stream) with the source's items, CREATING for ``Timing.replica``; the source reads
  UPDATING meanwhile (DDB-TABLE-226). A table without a stream gets NEW_AND_OLD_IMAGES
  (DDB-TABLE-305). A Delete drops the target's table (DELETING for ``Timing.replica``).
- An index Create or Delete made in one region is made in every other member too, each
  region with its own build time (its own jitter); a replica's copy of a new index starts
  when the issuing region's allocation ends (DDB-TABLE-296) or, with
  ``IndexStart.ACTIVE``, once it is ACTIVE there.
- An item written in one region (PutItem, UpdateItem, DeleteItem, BatchWriteItem) is
  copied, as it now is, to the other regions ``Timing.replication_seconds`` later;
  copies are applied when the endpoint next serves a request (``deliver``).

``Moto`` is the one way in: (region, operation, request) → (status, answer).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from multigsi.local.dynamodb import messages
from multigsi.local.dynamodb.control_plane import ControlPlane, OpKind
from multigsi.local.dynamodb.errors import AwsError
from multigsi.local.dynamodb.replicas import Copy, IndexStart, ReplicaAction

TableKey = tuple[str, str]
Moto = Callable[[str, str, dict[str, Any]], tuple[int, dict[str, Any]]]
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})
NEW_AND_OLD = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
COPIED = ("AttributeDefinitions", "KeySchema", "BillingModeSummary", "ProvisionedThroughput")


def describe(moto: Moto, region: str, table: str) -> dict[str, Any]:
    """moto's own description of a table (no overlay): what exists in that region."""
    status, answer = moto(region, "DescribeTable", {"TableName": table})
    if status != 200:
        raise AwsError("InternalServerError", "Internal server error", 500)
    table_description: dict[str, Any] = answer["Table"]
    return table_description


# --- ReplicaUpdates ------------------------------------------------------------------------------


def apply_replica_action(plane: ControlPlane, key: TableKey, action: ReplicaAction, moto: Moto) -> None:
    seconds = plane.timing.replica
    target = (action.region, key[1])
    if action.kind == "Create":
        source = describe(moto, key[0], key[1])
        if not (source.get("StreamSpecification") or {}).get("StreamEnabled"):
            moto(key[0], "UpdateTable", {"TableName": key[1], "StreamSpecification": NEW_AND_OLD})
            source = describe(moto, key[0], key[1])
        _create_copy(moto, action.region, source)
        _copy_items(moto, key, action.region)
        plane.forget(target)
        plane.tables.created(target, seconds)
    elif action.kind == "Delete":
        description = plane.overlay(target, describe(moto, *target))
        moto(action.region, "DeleteTable", {"TableName": key[1]})
        plane.forget(target)
        plane.tables.deleted(target, description, seconds)
    plane.global_tables.begin(key, action, seconds)
    plane.tables.busy(key, seconds)


def _create_copy(moto: Moto, region: str, source: Mapping[str, Any]) -> None:
    request: dict[str, Any] = {name: source[name] for name in COPIED if name in source}
    request["TableName"] = source["TableName"]
    request["BillingMode"] = request.pop("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    throughput = request.pop("ProvisionedThroughput", {})
    if request["BillingMode"] == "PROVISIONED":
        request["ProvisionedThroughput"] = _capacity(throughput)
    request["StreamSpecification"] = {
        "StreamEnabled": True,
        "StreamViewType": source["StreamSpecification"]["StreamViewType"],
    }
    indexes = [
        _index_request(index, request["BillingMode"]) for index in source.get("GlobalSecondaryIndexes", [])
    ]
    if indexes:
        request["GlobalSecondaryIndexes"] = indexes
    local = [
        {name: index[name] for name in ("IndexName", "KeySchema", "Projection")}
        for index in source.get("LocalSecondaryIndexes") or []
    ]
    if local:
        request["LocalSecondaryIndexes"] = local
    status, _ = moto(region, "CreateTable", request)
    if status != 200:
        raise AwsError("InternalServerError", "Internal server error", 500)


def _index_request(index: Mapping[str, Any], billing: str) -> dict[str, Any]:
    wanted = {name: index[name] for name in ("IndexName", "KeySchema", "Projection")}
    if billing == "PROVISIONED":
        wanted["ProvisionedThroughput"] = _capacity(index.get("ProvisionedThroughput", {}))
    return wanted


def _capacity(throughput: Mapping[str, Any]) -> dict[str, int]:
    return {name: int(throughput.get(name) or 1) for name in ("ReadCapacityUnits", "WriteCapacityUnits")}


def _copy_items(moto: Moto, key: TableKey, region: str) -> None:
    request: dict[str, Any] = {"TableName": key[1]}
    while True:
        status, page = moto(key[0], "Scan", request)
        if status != 200:
            raise AwsError("InternalServerError", "Internal server error", 500)
        for item in page.get("Items", []):
            moto(region, "PutItem", {"TableName": key[1], "Item": item})
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# --- index changes -------------------------------------------------------------------------------


def propagate_indexes(plane: ControlPlane, key: TableKey, request: Mapping[str, Any], moto: Moto) -> None:
    """Make the request's index creates and deletes in every other member region."""
    changes = [u for u in request.get("GlobalSecondaryIndexUpdates") or [] if "Create" in u or "Delete" in u]
    if not changes:
        return
    issued = plane.operations.get(key, {})
    for region in plane.global_tables.others(key):
        replica = (region, key[1])
        before = describe(moto, region, key[1])
        change: dict[str, Any] = {"TableName": key[1], "GlobalSecondaryIndexUpdates": changes}
        if request.get("AttributeDefinitions"):
            known = {d["AttributeName"] for d in before.get("AttributeDefinitions", [])}
            extra = [d for d in request["AttributeDefinitions"] if d["AttributeName"] not in known]
            change["AttributeDefinitions"] = before.get("AttributeDefinitions", []) + extra
        status, _ = moto(region, "UpdateTable", change)
        if status != 200:
            raise AwsError("InternalServerError", "Internal server error", 500)
        for update in changes:
            name = (update.get("Create") or update.get("Delete"))["IndexName"]
            plane.begin(
                replica, before, {"GlobalSecondaryIndexUpdates": [update]}, _start(plane, issued.get(name))
            )


def _start(plane: ControlPlane, issued: Any) -> float | None:
    """When a replica's copy of an index change starts: deletes at once; creates when the
    issuing region's allocation ends, or its build (``IndexStart.ACTIVE``)."""
    if issued is None or issued.kind is not OpKind.CREATE:
        return None
    if plane.replica_rules.index_start is IndexStart.ACTIVE:
        return float(issued.done_at)
    return float(issued.allocated_at)


# --- item writes ---------------------------------------------------------------------------------


def written_keys(
    operation: str, request: Mapping[str, Any], key_names: Callable[[str], list[str]]
) -> list[tuple[str, dict[str, Any]]]:
    """(table, key) of every item a successful write touched."""
    if operation == "BatchWriteItem":
        touched = []
        for table, writes in (request.get("RequestItems") or {}).items():
            for write in writes:
                if "PutRequest" in write:
                    item = write["PutRequest"]["Item"]
                    touched.append((table, {name: item[name] for name in key_names(table)}))
                elif "DeleteRequest" in write:
                    touched.append((table, dict(write["DeleteRequest"]["Key"])))
        return touched
    table = str(request["TableName"])
    if operation == "PutItem":
        return [(table, {name: request["Item"][name] for name in key_names(table)})]
    return [(table, dict(request["Key"]))]


def replicate_writes(
    plane: ControlPlane, region: str, operation: str, request: Mapping[str, Any], moto: Moto
) -> list[Copy]:
    """The copies a successful write sends to the other regions of its tables."""
    if operation not in WRITES:
        return []
    names = _tables_of(operation, request)
    if not any(plane.global_tables.others((region, table)) for table in names):
        return []
    schemas: dict[str, list[str]] = {}

    def key_names(table: str) -> list[str]:
        if table not in schemas:
            schema = describe(moto, region, table)["KeySchema"]
            schemas[table] = [element["AttributeName"] for element in schema]
        return schemas[table]

    due = plane.clock() + plane.timing.replication_seconds
    copies = []
    for table, item_key in written_keys(operation, request, key_names):
        others = plane.global_tables.others((region, table))
        if not others:
            continue
        status, answer = moto(
            region, "GetItem", {"TableName": table, "Key": item_key, "ConsistentRead": True}
        )
        item = answer.get("Item") if status == 200 else None
        copies += [Copy(due, other, table, item_key, item) for other in others]
    return copies


def deliver(copies: list[Copy], now: float, moto: Moto) -> list[Copy]:
    """Write the copies that are due, in the order they were made; the rest are returned."""
    waiting = []
    for copy in copies:
        if copy.due > now:
            waiting.append(copy)
        elif copy.item is None:
            moto(copy.region, "DeleteItem", {"TableName": copy.table, "Key": copy.key})
        else:
            moto(copy.region, "PutItem", {"TableName": copy.table, "Item": copy.item})
    return waiting


def _tables_of(operation: str, request: Mapping[str, Any]) -> list[str]:
    if operation == "BatchWriteItem":
        return [str(name) for name in request.get("RequestItems") or {}]
    return [str(request.get("TableName"))]


def check_replica_builds(plane: ControlPlane, key: TableKey, request: Mapping[str, Any]) -> None:
    """``ReplicaRules.builds_block_index_changes``: no index create or delete while another
    region of the group still creates or deletes one (deleting that very index is allowed,
    as it is in one region: it cancels the build)."""
    changes = [u for u in request.get("GlobalSecondaryIndexUpdates") or [] if "Create" in u or "Delete" in u]
    if not changes or not plane.replica_rules.builds_block_index_changes:
        return
    deleting = {u["Delete"]["IndexName"] for u in changes if "Delete" in u}
    for region in plane.global_tables.others(key):
        if any(op.index_name not in deleting for op in plane.index_changes((region, key[1]))):
            raise AwsError("LimitExceededException", messages.ONE_AT_A_TIME)


def moto_json(status: int, answer: bytes) -> tuple[int, dict[str, Any]]:
    try:
        document = json.loads(answer) if answer else {}
    except ValueError:
        document = {}
    return status, document if isinstance(document, dict) else {}
