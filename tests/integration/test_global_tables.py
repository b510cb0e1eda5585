"""Global tables through the CLI, as a user runs it: `multigsi apply / plan / status` as a
process against `multigsi local` serving three regions on one port (a home region and two
replicas, made with UpdateTable's ReplicaUpdates). Checked from outside, from the
endpoint's own log of index work per region.

The replicas build more slowly than the home region (as they do on AWS: a replica's copy
starts when the home's allocation ends), and the endpoint is told NOT to refuse an index
change while a replica still builds (``builds_block_index_changes=False``; its default
refuses, which would hide an early step behind a retry): a step sent before the last
replica settled would then start, and the log would show it.
"""

from __future__ import annotations

import itertools
import json
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from multigsi.local import LocalDynamoDB, ReplicaRules, Timing
from multigsi.local.dynamodb.control_plane import EndpointEvent
from tests.conftest import add_replicas, create_table, gsi, make_client
from tests.integration.test_cli import run

HOME, WEST, SOUTH = "us-east-1", "eu-west-1", "ap-south-1"
HOME_BUILD, REPLICA_BUILD = 1.2, 2.4
TIMING = Timing(
    table_seconds=0.1, replica_seconds=0.3, replication_seconds=0.2, delete_seconds=0.3, update_seconds=0.2
)


SLOW_TABLE = "global-status"  # still building when `status` looks, however loaded the machine


def build_time(key: tuple[str, str], index: str, items: int) -> float:
    """The replicas take twice as long, and differently from each other."""
    if key[1] == SLOW_TABLE:
        return 120.0
    return HOME_BUILD if key[0] == HOME else REPLICA_BUILD + (0.3 if key[0] == SOUTH else 0.0)


@pytest.fixture(scope="module")
def global_endpoint() -> Iterator[LocalDynamoDB]:
    rules = ReplicaRules(builds_block_index_changes=False)
    with LocalDynamoDB(timing=TIMING, build_time=build_time, replica_rules=rules) as local:
        yield local


def global_table(endpoint: LocalDynamoDB, name: str) -> Any:
    client = make_client(endpoint.url)
    create_table(client, name, items=5)
    add_replicas(client, name, [WEST, SOUTH])
    return client


def spec(name: str, indexes: str = "abc", replicas: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"} for key in indexes],
        "GlobalSecondaryIndexes": [gsi(f"by-{key}", key) for key in indexes],
    }
    if replicas is not None:
        document["Replicas"] = replicas
    return document


def write(tmp_path: Path, document: dict[str, Any]) -> str:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


def index_states(endpoint: LocalDynamoDB, name: str, region: str) -> dict[str, str]:
    table = make_client(endpoint.url, region=region).describe_table(TableName=name)["Table"]
    return {index["IndexName"]: index["IndexStatus"] for index in table.get("GlobalSecondaryIndexes", [])}


def index_work(endpoint: LocalDynamoDB, name: str) -> list[EndpointEvent]:
    return [e for e in endpoint.plane.events if e.table == name and e.kind in ("started", "finished")]


def test_apply_of_three_indexes_waits_for_every_replica_before_the_next(
    global_endpoint: LocalDynamoDB, tmp_path: Path
) -> None:
    name = "global-orders"
    client = global_table(global_endpoint, name)
    override = {"IndexName": "by-a", "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 40}}
    document = spec(name, replicas=[{"Region": WEST, "GlobalSecondaryIndexes": [override]}])

    result = run(global_endpoint, "apply", write(tmp_path, document), "--yes", "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["tables"][0]["outcome"] == "converged"
    for region in (HOME, WEST, SOUTH):
        assert index_states(global_endpoint, name, region) == dict.fromkeys(
            ("by-a", "by-b", "by-c"), "ACTIVE"
        )
    west = next(
        r for r in client.describe_table(TableName=name)["Table"]["Replicas"] if r["RegionName"] == WEST
    )
    overrides = {
        item["IndexName"]: item.get("OnDemandThroughputOverride") for item in west["GlobalSecondaryIndexes"]
    }
    assert overrides["by-a"] == {"MaxReadRequestUnits": 40}

    # From the endpoint's log: each index was built in all three regions, and each create in
    # the home region started only after the previous index had finished everywhere.
    work = index_work(global_endpoint, name)
    creates = sorted((e for e in work if e.kind == "started" and e.region == HOME), key=lambda e: e.at)
    assert [e.index for e in creates] == ["by-a", "by-b", "by-c"]
    ends: dict[str, list[EndpointEvent]] = {}
    for event in work:
        if event.kind == "finished":
            ends.setdefault(event.index, []).append(event)
    assert {index: sorted(e.region for e in events) for index, events in ends.items()} == {
        index: sorted((HOME, WEST, SOUTH)) for index in ("by-a", "by-b", "by-c")
    }
    lags = []
    for previous, step in itertools.pairwise(creates):
        last_end = max(e.at for e in ends[previous.index])
        home_end = next(e.at for e in ends[previous.index] if e.region == HOME)
        assert last_end > home_end, "the replicas were meant to end later than the home region"
        assert step.at >= last_end, f"{step.index} started while {previous.index} still built in a replica"
        lags.append(step.at - last_end)
    # How soon is the benchmark's business (python -m bench.global_tables); here only a bound
    # that says the loop went on by itself rather than by some timeout.
    assert statistics.median(lags) < 5.0, lags


def test_status_names_each_replica_region_with_its_state_and_each_index_per_region(
    global_endpoint: LocalDynamoDB, tmp_path: Path
) -> None:
    name = SLOW_TABLE
    client = global_table(global_endpoint, name)
    client.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": gsi("by-a", "a")}],
    )

    text = run(global_endpoint, "status", "--table", name)
    document = run(global_endpoint, "status", "--table", name, "--json")

    assert text.returncode == 0, text.stderr
    assert WEST in text.stdout and SOUTH in text.stdout
    table = json.loads(document.stdout)["tables"][0]
    assert table["region"] == HOME and table["busy"] is True
    assert sorted(replica["region"] for replica in table["replicas"]) == sorted((WEST, SOUTH))
    for replica in table["replicas"]:
        assert replica["status"] == "ACTIVE"
        # the replica's copy exists from the home's allocation on, or is still on its way
        assert all(index["name"] == "by-a" for index in replica["indexes"])


def test_plan_shows_per_replica_changes_and_a_region_that_is_no_replica_is_refused(
    global_endpoint: LocalDynamoDB, tmp_path: Path
) -> None:
    name = "global-plan"
    global_table(global_endpoint, name)
    override = {"IndexName": "by-a", "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 25}}

    planned = run(
        global_endpoint,
        "plan",
        write(tmp_path, spec(name, "a", [{"Region": SOUTH, "GlobalSecondaryIndexes": [override]}])),
        "--json",
    )
    refused = run(
        global_endpoint,
        "apply",
        write(tmp_path, spec(name, "a", [{"Region": "sa-east-1", "GlobalSecondaryIndexes": [override]}])),
        "--yes",
    )

    steps = json.loads(planned.stdout)["tables"][0]["steps"]
    assert [(step["action"], step["index"], step["region"]) for step in steps] == [
        ("create", "by-a", None),
        ("update", "by-a", SOUTH),
    ]
    assert steps[1]["request"]["ReplicaUpdates"] == [
        {
            "Update": {
                "RegionName": SOUTH,
                "GlobalSecondaryIndexes": [
                    {"IndexName": "by-a", "OnDemandThroughputOverride": {"MaxReadRequestUnits": 25}}
                ],
            }
        }
    ]
    assert refused.returncode != 0
    assert "Replicas[0].Region" in refused.stderr and "'sa-east-1' is not a replica" in refused.stderr
    assert index_states(global_endpoint, name, HOME) == {}  # nothing changed
