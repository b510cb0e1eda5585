"""The local endpoint's control plane without HTTP or moto: an in-memory DynamoDB and
CloudWatch for simulated time. Same ControlPlane, same rules and errors as ``multigsi
local``, and the same CloudWatch service and progress model (multigsi.local.dynamodb.cloudwatch,
multigsi.local.dynamodb.metric_model), minus the wire; hours of index builds pass in milliseconds.

The clients speak boto3's interface for the calls the engine makes (describe_table,
update_table, get_metric_data), raising botocore's ClientError as a real client would,
so the loop reads progress through the real ``CloudWatchProgress`` (its cache, its dating).
"""

from __future__ import annotations

import copy
import datetime
import random
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from multigsi.engine.clock import SIMULATED_EPOCH
from multigsi.local.dynamodb.cloudwatch import LocalCloudWatch
from multigsi.local.dynamodb.control_plane import AwsError, ControlPlane, EndpointEvent, OpKind
from multigsi.local.dynamodb.metric_model import MetricModel

REGION = "us-east-1"
ACCOUNT = "123456789012"
EPOCH = datetime.datetime.fromtimestamp(SIMULATED_EPOCH, datetime.UTC)  # wall clock at simulated time 0


def wall(seconds: float) -> datetime.datetime:
    return EPOCH + datetime.timedelta(seconds=seconds)


@dataclass(frozen=True)
class Durations:
    """How long deletes and throughput updates take (unpublished; drawn per operation)."""

    delete: tuple[float, float] = (30.0, 240.0)
    update: tuple[float, float] = (10.0, 120.0)


@dataclass
class SimulatedDynamoDB:
    plane: ControlPlane
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    durations: Durations = field(default_factory=Durations)
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    # (table, index) → share of the build after which its first attempt fails
    failures: dict[tuple[str, str], float] = field(default_factory=dict)

    def add_table(
        self,
        name: str,
        *,
        billing: str = "PAY_PER_REQUEST",
        items: int = 0,
        indexes: list[dict[str, Any]] | None = None,
    ) -> None:
        indexes = [{**copy.deepcopy(i), "IndexStatus": "ACTIVE"} for i in indexes or []]
        keys = {e["AttributeName"] for i in indexes for e in i["KeySchema"]}
        self.tables[name] = {
            "TableName": name,
            "TableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
            "TableStatus": "ACTIVE",
            "BillingModeSummary": {"BillingMode": billing},
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]
            + [{"AttributeName": k, "AttributeType": "S"} for k in sorted(keys)],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "ItemCount": items,
            "GlobalSecondaryIndexes": indexes,
        }
        if billing == "PROVISIONED":
            self.tables[name]["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}

    def describe_table(self, TableName: str) -> dict[str, Any]:
        key = (REGION, TableName)
        with self.plane.lock:
            self.plane.record(key, "describe")
            self._fail_builds(TableName)
            # A shallow copy is enough: overlay() replaces the index list and copies each index.
            return {"Table": self.plane.overlay(key, dict(self._table(TableName, "DescribeTable")))}

    def update_table(self, **request: Any) -> dict[str, Any]:
        name = request["TableName"]
        key = (REGION, name)
        with self.plane.lock:
            self._fail_builds(name)
            stored = self._table(name, "UpdateTable")
            description = self.plane.overlay(key, copy.deepcopy(stored))
            try:
                self.plane.check_update(key, description, request)
            except AwsError as error:
                self.plane.record(key, "refused", "", f"UpdateTable: {error.code}")
                raise ClientError(
                    {
                        "Error": {"Code": error.code, "Message": error.message},
                        "ResponseMetadata": {"HTTPStatusCode": error.status},
                    },
                    "UpdateTable",
                ) from None
            self._apply(stored, request)
            self.plane.begin(key, description, request)
            for op in self.plane.operations.get(key, {}).values():  # unpublished durations, drawn
                if op.started == self.plane.clock() and op.kind is not OpKind.CREATE:
                    bounds = self.durations.delete if op.kind is OpKind.DELETE else self.durations.update
                    op.done_at = op.started + self.rng.uniform(*bounds)
            return {"TableDescription": self.plane.overlay(key, copy.deepcopy(stored))}

    def _fail_builds(self, name: str) -> None:
        """A build that fails: DynamoDB drops the index before it becomes ACTIVE (the loop
        sees it gone and, level-triggered, creates it again)."""
        key = (REGION, name)
        now = self.plane.clock()
        for index, op in list(self.plane.operations.get(key, {}).items()):
            share = self.failures.get((name, index))
            if op.kind is not OpKind.CREATE or share is None:
                continue
            failed_at = op.started + share * (op.done_at - op.started)
            if now >= failed_at:
                del self.plane.operations[key][index]
                del self.failures[(name, index)]  # only the first attempt fails
                stored = self.tables[name]["GlobalSecondaryIndexes"]
                stored[:] = [i for i in stored if i["IndexName"] != index]
                self.plane.events.append(EndpointEvent(failed_at, name, "finished", index, "failed"))

    def _table(self, name: str, operation: str) -> dict[str, Any]:
        if name not in self.tables:
            message = f"Requested resource not found: Table: {name} not found"
            raise ClientError(
                {
                    "Error": {"Code": "ResourceNotFoundException", "Message": message},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                operation,
            )
        return self.tables[name]

    @staticmethod
    def _apply(stored: dict[str, Any], request: dict[str, Any]) -> None:
        known = {d["AttributeName"] for d in stored["AttributeDefinitions"]}
        stored["AttributeDefinitions"] += [
            d for d in request.get("AttributeDefinitions") or [] if d["AttributeName"] not in known
        ]
        indexes = stored["GlobalSecondaryIndexes"]
        for update in request.get("GlobalSecondaryIndexUpdates") or []:
            if "Create" in update:
                indexes.append({**copy.deepcopy(update["Create"]), "IndexStatus": "ACTIVE"})
            elif "Delete" in update:
                indexes[:] = [i for i in indexes if i["IndexName"] != update["Delete"]["IndexName"]]
            else:
                action = update["Update"]
                for index in indexes:
                    if index["IndexName"] == action["IndexName"]:
                        index.update({k: v for k, v in action.items() if k != "IndexName"})


class SimulatedCloudWatch:
    """GetMetricData as a boto3 client offers it, answered by the local endpoint's own
    CloudWatch service (same model, same aggregation), with simulated time as wall time."""

    def __init__(self, plane: ControlPlane, model: MetricModel, *, scaled: bool = False) -> None:
        self.service = LocalCloudWatch(None, plane, model, scaled=scaled, wall_offset=EPOCH.timestamp)
        self.calls = 0

    def get_metric_data(self, **request: Any) -> dict[str, Any]:
        self.calls += 1
        return self.service.get_metric_data(request, REGION)
