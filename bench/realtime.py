"""The same comparison in real time, smaller: a few indexes with builds of a few seconds on
the local endpoint over HTTP, and the simulation of exactly those builds, to show that the
simulation predicts reality."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from bench.peers import Strategy
from bench.workloads import Workload, run, spec_for
from multigsi.engine.ownership import Ownership
from multigsi.engine.reconcile import Reconciler
from multigsi.local import LocalDynamoDB, Timing
from multigsi.local.waiting import wait_for_table


@dataclass(frozen=True)
class Comparison:
    strategy: str
    builds: list[float]
    real_total: float
    simulated_total: float

    @property
    def difference(self) -> float:
        return (self.real_total - self.simulated_total) / self.simulated_total

    def summary(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "builds_seconds": [round(b, 2) for b in self.builds],
            "real_total_seconds": round(self.real_total, 2),
            "simulated_total_seconds": round(self.simulated_total, 2),
            "difference": round(self.difference, 4),
        }


def compare(strategy: Strategy, *, indexes: int = 3, seed: int = 11) -> Comparison:
    rng = random.Random(seed)
    builds = [rng.uniform(3.0, 6.0) for _ in range(indexes)]
    table = f"real-{strategy.name.split()[0].lower()}"
    names = [f"index-{n:02d}" for n in range(indexes)]
    durations = dict(zip(names, builds, strict=True))
    with LocalDynamoDB(
        timing=Timing(build_seconds=0.0, delete_seconds=1.0),
        build_time=lambda key, index, items: durations[index],
    ) as endpoint:
        client = boto3.client(
            "dynamodb", endpoint_url=endpoint.url, region_name="us-east-1", aws_access_key_id="b", aws_secret_access_key="b",
            config=Config(retries={"mode": "standard", "max_attempts": 5}),
        )  # fmt: skip
        client.create_table(
            TableName=table, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
        )  # fmt: skip
        wait_for_table(client, table)
        started = time.monotonic()
        result = Reconciler(client, policy=strategy.make_policy()).apply(
            spec_for(table, indexes), Ownership.everything()
        )
        real_total = time.monotonic() - started
        assert result.converged
    simulated = run(strategy, Workload("real-time twin", {table: builds}))
    return Comparison(strategy.name, builds, real_total, simulated.total)
