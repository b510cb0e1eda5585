"""The local endpoint's control plane without HTTP or moto: an in-memory DynamoDB for
simulated time. Same ControlPlane, same rules and errors as ``multigsi local``; only the
tables' bookkeeping is here, so hours of index builds pass in milliseconds.

It speaks boto3's client interface for the calls the engine makes (describe_table,
update_table), raising botocore's ClientError as a real client would.
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from multigsi.engine.progress import Sample
from multigsi.local.control_plane import AwsError, ControlPlane, OpKind

REGION = "us-east-1"
ACCOUNT = "123456789012"


@dataclass
class SimulatedDynamoDB:
    plane: ControlPlane
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_table(self, name: str, *, billing: str = "PAY_PER_REQUEST", items: int = 0) -> None:
        self.tables[name] = {
            "TableName": name,
            "TableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
            "TableStatus": "ACTIVE",
            "BillingModeSummary": {"BillingMode": billing},
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "ItemCount": items,
            "GlobalSecondaryIndexes": [],
        }

    def describe_table(self, TableName: str) -> dict[str, Any]:
        key = (REGION, TableName)
        with self.plane.lock:
            self.plane.record(key, "describe")
            # A shallow copy is enough: overlay() replaces the index list and copies each index.
            return {"Table": self.plane.overlay(key, dict(self._table(TableName, "DescribeTable")))}

    def update_table(self, **request: Any) -> dict[str, Any]:
        name = request["TableName"]
        key = (REGION, name)
        with self.plane.lock:
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
            return {"TableDescription": self.plane.overlay(key, copy.deepcopy(stored))}

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


@dataclass
class SimulatedProgress:
    """CloudWatch's OnlineIndexPercentageProgress as DynamoDB publishes it: once every
    ``period`` seconds while an index backfills, with a little noise. A ProgressSource."""

    plane: ControlPlane
    period: float = 60.0
    noise: float = 1.0  # percentage points, uniform ±
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def sample(self, table_name: str, index_name: str) -> Sample | None:
        op = self.plane.operations.get((REGION, table_name), {}).get(index_name)
        now = self.plane.clock()
        if op is None or op.kind is not OpKind.CREATE or now < op.allocated_at + self.period:
            return None
        published = op.allocated_at + math.floor((now - op.allocated_at) / self.period) * self.period
        fraction = (published - op.allocated_at) / max(1e-9, op.done_at - op.allocated_at)
        percent = min(100.0, max(0.0, 100 * fraction + self.rng.uniform(-self.noise, self.noise)))
        return Sample(percent, published)
