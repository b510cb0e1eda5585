"""A simulated-time setup for the registry type: ``multigsi local`` over HTTP on a clock the
protocol stand-in controls, so builds of hours pass in moments of real time."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

from multigsi.cloudformation.resource_type.handlers import Runtime, make_resource
from multigsi.engine.clock import FakeClock
from multigsi.local import LocalDynamoDB, Timing
from multigsi.local.cloudformation.resource_type_caller import RegistryStandIn
from multigsi.local.dynamodb.control_plane import TableKey
from multigsi.local.dynamodb.faults import FaultInjector

START = 1000.0
# A region of the simulations' own: moto keeps every test's tables in one process-wide
# backend, and the type's List reads every table of its region, so in us-east-1 it would
# page through the whole suite's tables (hundreds; a List test once ran past pytest's timeout).
REGION = "eu-south-2"


@dataclass
class Simulation:
    local: LocalDynamoDB
    clock: FakeClock
    standin: RegistryStandIn
    client: Any

    def create_table(self, name: str, indexes: list[dict[str, Any]] | None = None, items: int = 10) -> None:
        definitions = [{"AttributeName": "pk", "AttributeType": "S"}]
        extra: dict[str, Any] = {}
        if indexes:
            extra["GlobalSecondaryIndexes"] = indexes
            for index in indexes:
                for element in index["KeySchema"]:
                    if all(d["AttributeName"] != element["AttributeName"] for d in definitions):
                        definitions.append({"AttributeName": element["AttributeName"], "AttributeType": "S"})
        self.client.create_table(
            TableName=name,
            AttributeDefinitions=definitions,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            **extra,
        )
        self.clock.sleep(1.0)  # past CREATING on the endpoint's (simulated) clock
        for number in range(items):
            self.client.put_item(
                TableName=name,
                Item={"pk": {"S": f"item-{number}"}, **{k: {"S": f"{k}-{number % 3}"} for k in "abcdefg"}},
            )

    def indexes(self, name: str) -> dict[str, dict[str, Any]]:
        table = self.client.describe_table(TableName=name)["Table"]
        return {index["IndexName"]: index for index in table.get("GlobalSecondaryIndexes", [])}

    def lags(self, table: str) -> list[float]:
        """Seconds from each index operation's end to the next one's start, on the endpoint's clock."""
        events = sorted(
            (e for e in self.local.plane.events if e.table == table and e.kind in ("started", "finished")),
            key=lambda e: e.at,
        )
        return [
            after.at - before.at
            for before, after in itertools.pairwise(events)
            if before.kind == "finished" and after.kind == "started"
        ]


@contextmanager
def simulation(
    *,
    build_seconds: float = 60.0,
    build_time: Callable[[TableKey, str, int], float] | None = None,
    seed: int = 7,
    faults: FaultInjector | None = None,
) -> Iterator[Simulation]:
    clock = FakeClock(
        START, epoch=time.time() - START
    )  # the endpoint's CloudWatch dates its points in real time
    timing = Timing(build_seconds=build_seconds, table_seconds=0.5, delete_seconds=30.0, seed=seed)
    with LocalDynamoDB(timing=timing, build_time=build_time, clock=clock.now, faults=faults) as local:
        runtime = Runtime(endpoint_url=local.url, clock=clock, rng=random.Random(seed))
        client = boto3.client(
            "dynamodb",
            endpoint_url=local.url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        yield Simulation(local, clock, RegistryStandIn(make_resource(runtime), clock, region=REGION), client)
