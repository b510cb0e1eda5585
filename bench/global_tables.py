"""The "3 replicas" workload: `multigsi apply` of new indexes on a global table (a home
region and two replicas) against `multigsi local`, as a user runs it (a process, over
HTTP). Figures for docs/global-tables.md.

What it measures, from the endpoint's own log of index work per region:
- lag: from the moment the previous index finished in its last region (the slowest
  replica) to the next create in the home region. This is the cost of waiting for every
  region; the target is a median under 1 s.
- early steps: creates sent while an earlier index still built in any region. The endpoint
  is told not to refuse them (``builds_block_index_changes=False``), so one would show.
- reads: DescribeTable calls per second in each region while something was in flight.

Replica builds take longer than the home's and differ by region (a replica's copy starts
when the home's allocation ends, and builds on its own). Run:
``python -m bench.global_tables [--runs 3] [--indexes 3] [--build-seconds 8]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
import yaml

from multigsi.local import LocalDynamoDB, ReplicaRules, Timing
from multigsi.local.dynamodb.control_plane import EndpointEvent

HOME, REPLICAS = "us-east-1", ("eu-west-1", "ap-south-1")
CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


def _client(url: str, region: str = HOME) -> Any:
    return boto3.client("dynamodb", endpoint_url=url, region_name=region, **CREDENTIALS)


def _global_table(url: str, name: str) -> None:
    client = _client(url)
    client.create_table(
        TableName=name, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    for region in REPLICAS:
        _wait_settled(client, name)
        client.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": region}}])
    _wait_settled(client, name, replicas=len(REPLICAS))


def _wait_settled(client: Any, name: str, replicas: int = 0, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        table = client.describe_table(TableName=name)["Table"]
        members = table.get("Replicas", [])
        if (
            table["TableStatus"] == "ACTIVE"
            and len(members) >= replicas
            and all(member["ReplicaStatus"] == "ACTIVE" for member in members)
        ):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} never settled")
        time.sleep(0.1)


def _spec(name: str, indexes: int) -> dict[str, Any]:
    keys = [f"k{n}" for n in range(indexes)]
    return {
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"} for key in keys],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": f"by-{key}",
                "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
            for key in keys
        ],
    }


def one_run(seed: int, indexes: int, build_seconds: float) -> dict[str, Any]:
    """One global table, ``indexes`` new indexes, one `multigsi apply`."""
    rng = random.Random(seed)
    # Each region's builds: the home's from the endpoint's usual jitter, each replica's
    # 1.2-1.6 times as long (its own draw per index), so the slowest region varies.
    factors = {(region, n): rng.uniform(1.2, 1.6) for region in REPLICAS for n in range(indexes)}

    def build_time(key: tuple[str, str], index: str, items: int) -> float:
        base = build_seconds * rng.uniform(1.0, 1.25)
        return base if key[0] == HOME else base * factors[(key[0], int(index.removeprefix("by-k")))]

    name = f"bench-global-{seed}"
    timing = Timing(table_seconds=0.5, replica_seconds=1.0, replication_seconds=0.5)
    rules = ReplicaRules(builds_block_index_changes=False)
    with LocalDynamoDB(timing=timing, build_time=build_time, replica_rules=rules) as endpoint:
        _global_table(endpoint.url, name)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "spec.yaml"
            path.write_text(yaml.safe_dump(_spec(name, indexes)))
            command = [sys.executable, "-m", "multigsi.cli", "apply", str(path), "--yes", "--json"]
            command += ["--endpoint-url", endpoint.url, "--region", HOME]
            began = time.monotonic()
            done = subprocess.run(command, capture_output=True, text=True, check=False, env=_environment())
            exited = time.monotonic()
        if done.returncode != 0:
            raise RuntimeError(f"multigsi apply failed ({done.returncode}): {done.stderr[-2000:]}")
        events = [e for e in endpoint.plane.events if e.table == name]
    return _measure(events, began, exited)


def _environment() -> dict[str, str]:
    import os

    return {**os.environ, **{key.upper(): value for key, value in CREDENTIALS.items()}}


def _measure(events: list[EndpointEvent], began: float, exited: float) -> dict[str, Any]:
    creates = sorted(
        (e for e in events if e.kind == "started" and e.region == HOME and e.detail == "create"),
        key=lambda e: e.at,
    )
    ends: dict[str, list[float]] = {}
    for event in events:
        if event.kind == "finished":
            ends.setdefault(event.index, []).append(event.at)
    lags, early, home_first = [], 0, 0
    for previous, step in itertools.pairwise(creates):
        last = max(ends[previous.index])
        home_end = min(ends[previous.index])
        home_first += home_end < last
        if step.at < last:
            early += 1
        lags.append(step.at - last)
    in_flight = [(min(e.at for e in creates if e.index == index), max(at)) for index, at in ends.items()]
    busy_seconds = sum(end - start for start, end in in_flight)
    describes = {
        region: sum(
            1
            for e in events
            if e.kind == "describe" and e.region == region and any(s <= e.at <= f for s, f in in_flight)
        )
        for region in (HOME, *REPLICAS)
    }
    return {
        "lags": [round(lag, 3) for lag in lags],
        "early_steps": early,
        "previous_index_ended_last_in_a_replica": home_first,
        "exit_after_last_end": round(exited - max(max(at) for at in ends.values()), 3),
        "wall_seconds": round(exited - began, 2),
        "describes_per_second_in_flight": {
            region: round(count / max(1e-9, busy_seconds), 2) for region, count in describes.items()
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--indexes", type=int, default=3)
    parser.add_argument("--build-seconds", type=float, default=8.0)
    parser.add_argument("--json", action="store_true", help="print every run's figures as JSON")
    arguments = parser.parse_args(argv)
    started = time.monotonic()
    runs = [one_run(seed, arguments.indexes, arguments.build_seconds) for seed in range(arguments.runs)]
    lags = [lag for run in runs for lag in run["lags"]]
    summary = {
        "command": f"python -m bench.global_tables --runs {arguments.runs} --indexes {arguments.indexes} "
        f"--build-seconds {arguments.build_seconds:g}",
        "runs": len(runs),
        "lags": len(lags),
        "lag_median": round(statistics.median(lags), 3),
        "lag_max": round(max(lags), 3),
        "early_steps": sum(run["early_steps"] for run in runs),
        "ended_last_in_a_replica": sum(run["previous_index_ended_last_in_a_replica"] for run in runs),
        "exit_after_last_end_median": round(statistics.median(run["exit_after_last_end"] for run in runs), 3),
        "wall_seconds": [run["wall_seconds"] for run in runs],
        "describes_per_second_in_flight": runs[-1]["describes_per_second_in_flight"],
        "bench_seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps({"summary": summary, "runs": runs} if arguments.json else summary, indent=2))


if __name__ == "__main__":
    main()
