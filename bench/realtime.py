"""The same comparison in real time, smaller: a few indexes with builds of a few seconds on
the local endpoint over HTTP, and the simulation of exactly those builds, to show that the
simulation predicts reality, for plain polling, a peer and the CloudWatch path (the local
endpoint's own metric, read over the wire through the real CloudWatchProgress). And
`multigsi apply` itself against the endpoint, in a pseudo-terminal, as a user runs it."""

from __future__ import annotations

import os
import pty
import random
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from bench.peers import MULTIGSI, PURE_POLLING, STRATEGIES, Strategy
from bench.workloads import Workload, run, spec_for
from multigsi.engine.clock import SystemClock
from multigsi.engine.ownership.scope import Ownership
from multigsi.engine.progress import CloudWatchProgress, NoProgress, ProgressSource
from multigsi.engine.reconcile import Reconciler
from multigsi.local import LocalDynamoDB, Timing

CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "b", "aws_secret_access_key": "b"}


@dataclass(frozen=True)
class Comparison:
    strategy: str
    builds: list[float]
    real_total: float
    simulated_total: float
    metric_reads: int

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
            "metric_reads": self.metric_reads,
        }


def _table(client: Any, table: str) -> None:
    client.create_table(
        TableName=table, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while client.describe_table(TableName=table)["Table"]["TableStatus"] != "ACTIVE":
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {table} never became ACTIVE")
        time.sleep(0.1)


def compare(strategy: Strategy, *, indexes: int = 3, seed: int = 11) -> Comparison:
    rng = random.Random(seed)
    builds = [rng.uniform(6.0, 10.0) for _ in range(indexes)]
    table = "real-" + re.sub(r"[^a-z0-9]+", "-", strategy.name.lower()).strip("-")
    names = [f"index-{n:02d}" for n in range(indexes)]
    durations = dict(zip(names, builds, strict=True))
    with LocalDynamoDB(
        timing=Timing(build_seconds=0.0, delete_seconds=1.0),
        build_time=lambda key, index, items: durations[index],
    ) as endpoint:
        client = boto3.client(
            "dynamodb", endpoint_url=endpoint.url, config=Config(retries={"mode": "standard", "max_attempts": 5}),
            **CREDENTIALS,
        )  # fmt: skip
        _table(client, table)
        clock = SystemClock()
        progress: ProgressSource = NoProgress()
        reader = None
        if strategy.metric is not None:
            reader = CloudWatchProgress(
                boto3.client("cloudwatch", endpoint_url=endpoint.url, **CREDENTIALS), clock
            )
            progress = reader
        started = time.monotonic()
        result = Reconciler(
            client, clock=clock, policy=strategy.make_policy(random.Random(seed)), progress=progress
        ).apply(spec_for(table, indexes), Ownership.everything())
        real_total = time.monotonic() - started
        assert result.converged
        assert reader is None or reader.enabled, "the CloudWatch path failed over the wire"
    simulated = run(strategy, Workload("real-time twin", {table: builds}, metric_scaled=True))
    return Comparison(
        strategy.name, builds, real_total, simulated.total, 0 if reader is None else reader.reads
    )


SPEC = """TableName: {table}
AttributeDefinitions:
{definitions}
GlobalSecondaryIndexes:
{indexes}
"""


def cli_check(*, indexes: int = 8, build_seconds: float = 4.0) -> dict[str, Any]:
    """`multigsi apply` in a pseudo-terminal against the local endpoint (its default metric
    scaling, builds as long as `multigsi demo`'s): what it shows during builds, how soon it
    notices each build's end (the first DescribeTable after the end), and how often it reads
    the table meanwhile. Beside it, the simulation of plain 1 s polling and of multigsi on
    exactly those builds (their durations from the endpoint's log). A build of a few seconds
    allocates for a second or two, which banks a read or so to spend, and the local metric
    (scaled to the build) locates the end well: the CLI should notice ends sooner than plain
    polling would on the same builds, and never later than 1 s."""
    table = "cli-check"
    with LocalDynamoDB(timing=Timing(build_seconds=build_seconds, delete_seconds=1.0, seed=3)) as endpoint:
        _table(boto3.client("dynamodb", endpoint_url=endpoint.url, **CREDENTIALS), table)
        definitions = "\n".join(f"  - {{AttributeName: k{n}, AttributeType: S}}" for n in range(indexes))
        gsis = "\n".join(
            f"  - {{IndexName: index-{n}, KeySchema: [{{AttributeName: k{n}, KeyType: HASH}}], "
            "Projection: {ProjectionType: KEYS_ONLY}}"
            for n in range(indexes)
        )
        with tempfile.TemporaryDirectory() as folder:
            spec = Path(folder) / "spec.yaml"
            spec.write_text(SPEC.format(table=table, definitions=definitions, indexes=gsis))
            output = _run_in_terminal(
                [
                    sys.executable,
                    "-m",
                    "multigsi.cli",
                    "apply",
                    str(spec),
                    "--endpoint-url",
                    endpoint.url,
                    "--region",
                    "us-east-1",
                    "--yes",
                ]
            )
        events = list(endpoint.plane.events)
    finished = [e for e in events if e.kind == "finished" and e.table == table]
    starts = [e for e in events if e.kind == "started" and e.table == table]
    durations = [f.at - s.at for s, f in zip(starts, finished, strict=False)]
    describes = [e.at for e in events if e.kind == "describe" and e.table == table]
    lags = []
    for event in finished:
        noticed = next((at for at in describes if at >= event.at), None)
        if noticed is not None:
            lags.append(noticed - event.at)
    # the read right after each step (it plans, it does not wait) aside, as in the simulation
    polls = sum(
        max(0, sum(1 for at in describes if s.at < at <= f.at + 1e-9) - 1)
        for s, f in zip(starts, finished, strict=False)
    )
    in_flight = sum(f.at - s.at for s, f in zip(starts, finished, strict=False))
    twins = {
        strategy.name: run(strategy, Workload("cli twin", {table: durations}, metric_scaled=True))
        for strategy in STRATEGIES
        if strategy.name in (MULTIGSI, PURE_POLLING)
    }
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output)
    rows = [line for line in text.splitlines() if "backfilling" in line]
    return {
        "command": f"multigsi apply spec.yaml --endpoint-url <local> --yes ({indexes} indexes, "
        f"multigsi local builds of {build_seconds:.0f}-{build_seconds * 1.25:.0f} s)",
        "builds": len(finished),
        "lag_p50": round(statistics.median(lags), 3) if lags else None,
        "lag_max": round(max(lags), 3) if lags else None,
        "lags": [round(lag, 3) for lag in lags],
        "simulated_same_builds": {
            name: {
                "lag_p50": round(statistics.median(m.lags), 3),
                "lag_max": round(max(m.lags), 3),
            }
            for name, m in twins.items()
        },
        "describes_per_second_in_flight": round(polls / max(1e-9, in_flight), 3),
        "rows_with_percent": sum(1 for line in rows if re.search(r"\d+%", line)),
        "rows_with_eta": sum(1 for line in rows if re.search(r"\d+%\s+\d+(\.\d)?s\s*$", line)),
        "backfilling_rows": len(rows),
        "converged": "converged" in text or "ACTIVE" in text,
    }


def _run_in_terminal(command: list[str], timeout: float = 180.0) -> str:
    main, child = pty.openpty()
    environment = {
        **os.environ, "COLUMNS": "140", "LINES": "40", "TERM": "xterm",
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
    }  # fmt: skip
    process = subprocess.Popen(
        command, stdin=child, stdout=child, stderr=child, env=environment, close_fds=True
    )
    os.close(child)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                data = os.read(main, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    process.wait(timeout=10)
    os.close(main)
    return b"".join(chunks).decode(errors="replace")
