"""Both CloudFormation front doors on a three-region global table (home + two replicas) at
``multigsi local``, over HTTP: three new indexes and a per-replica read override converge,
checked from outside: DescribeTable in every region sampled while the stack works, and the
endpoint's own log of index work (when each region's copy of an index started and finished).

Builds are longer in the replicas than at home, so "home is done, a replica still builds" is
a window every step goes through: a front door that looked only at home would start the
next index inside it (the endpoint would refuse it: ``ReplicaRules.builds_block_index_changes``).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from multigsi.local import LocalDynamoDB, Timing
from multigsi.local.cloudformation import Stack
from multigsi.local.cloudformation.resource_type_caller import RegistryStack
from multigsi.local.dynamodb.control_plane import EndpointEvent
from tests.conftest import create_table, make_client
from tests.integration.registry_sim import REGION as SIM_HOME
from tests.integration.registry_sim import simulation

HOME, WEST, SOUTH = "us-east-1", "eu-west-1", "ap-south-1"
INDEXES = ("by-a", "by-b", "by-c")
# Replicas build well past the loop's 2 s look while an index allocates, so a waiter that
# read home only would step inside the window (as a mutant of the engine did: caught).
HOME_BUILD, REPLICA_BUILD = 0.4, 3.0
TIMING = Timing(
    table_seconds=0.1, replica_seconds=0.3, replication_seconds=0.3, delete_seconds=0.3, update_seconds=0.2
)


def build_time(key: tuple[str, str], index: str, items: int) -> float:
    return HOME_BUILD if key[0] in (HOME, SIM_HOME) else REPLICA_BUILD


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalDynamoDB]:
    with LocalDynamoDB(timing=TIMING, build_time=build_time) as local:
        yield local


def properties(table: str, *, west_reads: int = 50) -> dict[str, Any]:
    return {
        "TableName": table,
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in "abc"],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": name,
                "KeySchema": [{"AttributeName": name[-1], "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name in INDEXES
        ],
        "Replicas": [
            {
                "Region": WEST,
                "GlobalSecondaryIndexes": [
                    {
                        "IndexName": "by-a",
                        "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": west_reads},
                    }
                ],
            }
        ],
    }


def make_global(clients: dict[str, Any], table: str, advance: Any) -> None:
    """A table at home with a replica in each other region, every replica ACTIVE."""
    home = next(iter(clients))
    for region in list(clients)[1:]:
        clients[home].update_table(TableName=table, ReplicaUpdates=[{"Create": {"RegionName": region}}])
        deadline = time.monotonic() + 20
        while (
            _replicas(clients[home], table).get(region) != "ACTIVE"
            or _status(clients[home], table) != "ACTIVE"
        ):
            assert time.monotonic() < deadline, f"replica {region} never became ACTIVE"
            advance(0.05)


def _describe(client: Any, table: str) -> dict[str, Any]:
    return dict(client.describe_table(TableName=table)["Table"])


def _replicas(client: Any, table: str) -> dict[str, str]:
    return {r["RegionName"]: r["ReplicaStatus"] for r in _describe(client, table).get("Replicas", [])}


def _status(client: Any, table: str) -> str:
    return str(_describe(client, table)["TableStatus"])


def in_flight(description: dict[str, Any]) -> set[str]:
    return {
        i["IndexName"]
        for i in description.get("GlobalSecondaryIndexes", [])
        if i["IndexStatus"] != "ACTIVE" or i.get("Backfilling")
    }


def names(description: dict[str, Any]) -> set[str]:
    return {i["IndexName"] for i in description.get("GlobalSecondaryIndexes", [])}


@dataclass
class Sampler:
    """DescribeTable at home, then in each replica, over and over. Home is read first: an
    index still pending in a replica after home showed another one in flight was pending
    when that one started (a copy, once built, stays built)."""

    clients: dict[str, Any]
    table: str
    rounds: list[dict[str, dict[str, Any]]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            self.rounds.append({region: _describe(c, self.table) for region, c in self.clients.items()})
            time.sleep(0.02)

    def overlaps(self) -> list[str]:
        """Rounds where home had an index in flight while a replica still had another pending."""
        found = []
        for n, round_ in enumerate(self.rounds):
            home, *replicas = round_.values()
            building = in_flight(home)
            for region, replica in zip(list(round_)[1:], replicas, strict=True):
                pending = in_flight(replica) | (names(home) - names(replica))
                if building and pending - building:
                    found.append(f"round {n}: home builds {building}, {region} still {pending - building}")
        return found

    def home_done_replica_building(self) -> int:
        """Rounds in the window a home-only waiter would have stepped into."""
        return sum(
            1
            for round_ in self.rounds
            if not in_flight(next(iter(round_.values())))
            and any(in_flight(d) for d in list(round_.values())[1:])
        )


def check_endpoint_log(events: list[EndpointEvent], table: str, regions: set[str]) -> None:
    """From the endpoint's log: each index was built in every region, and each index's
    first start came after the previous index's last region finished; nothing refused."""
    mine = [e for e in events if e.table == table]
    refused = [e.detail for e in mine if e.kind == "refused"]
    assert refused == [], f"the endpoint refused requests DynamoDB would have refused: {refused}"
    creates = [e for e in mine if e.kind == "started" and e.detail == "create"]
    order = list(dict.fromkeys(e.index for e in sorted(creates, key=lambda e: e.at)))
    assert sorted(order) == sorted(INDEXES)
    for index in order:
        started = sorted(e.region for e in creates if e.index == index)
        assert started == sorted(regions), f"{index} started once in every region"
        finished = [e for e in mine if e.kind == "finished" and e.index == index and e.detail == "create"]
        assert sorted(e.region for e in finished) == sorted(regions), f"{index} finished once in every region"
    for earlier, later in itertools.pairwise(order):
        last_end = max(e.at for e in mine if e.kind == "finished" and e.index == earlier)
        first_start = min(e.at for e in creates if e.index == later)
        assert first_start >= last_end, (
            f"{later} started {last_end - first_start:.3f} s before {earlier} ended everywhere"
        )


def west_override(home_client: Any, table: str) -> dict[str, Any]:
    (west,) = [r for r in _describe(home_client, table)["Replicas"] if r["RegionName"] == WEST]
    return {i["IndexName"]: i for i in west.get("GlobalSecondaryIndexes", [])}


def test_the_custom_resource_converges_on_a_three_region_table(
    endpoint: LocalDynamoDB, cloudformation_factory: Any, table_name: str
) -> None:
    clients = {region: make_client(endpoint.url, region=region) for region in (HOME, WEST, SOUTH)}
    create_table(clients[HOME], table_name, items=5)
    make_global(clients, table_name, time.sleep)
    sampler = Sampler(clients, table_name)
    watcher = threading.Thread(target=sampler.run, daemon=True)
    watcher.start()
    try:
        response = Stack(cloudformation_factory(lambda_timeout=60.0, dynamodb=endpoint)).create(
            properties(table_name)
        )
    finally:
        sampler.stop.set()
        watcher.join()
    assert response.status == "SUCCESS", response.reason
    for region, client in clients.items():  # every region ends with the three indexes ACTIVE
        described = _describe(client, table_name)
        assert names(described) == set(INDEXES), region
        assert not in_flight(described), region
    assert west_override(clients[HOME], table_name)["by-a"]["OnDemandThroughputOverride"] == {
        "MaxReadRequestUnits": 50
    }
    assert "OnDemandThroughputOverride" not in west_override(clients[HOME], table_name)["by-b"]
    assert sampler.overlaps() == []
    assert sampler.home_done_replica_building() > 0, "no window: the test could not tell home-only waiting"
    check_endpoint_log(endpoint.plane.events, table_name, regions=set(clients))


def test_the_resource_type_converges_on_a_three_region_table_and_reads_the_override_back() -> None:
    table = "registry-global-0"
    with simulation(build_time=build_time) as sim:
        clients = {region: make_client(sim.local.url, region=region) for region in (SIM_HOME, WEST, SOUTH)}
        sim.create_table(table, items=5)
        make_global(clients, table, sim.clock.sleep)
        stack = RegistryStack(sim.standin)
        created = stack.create(properties(table))
        assert created.succeeded, created.message
        for region, client in clients.items():
            described = _describe(client, table)
            assert names(described) == set(INDEXES) and not in_flight(described), region
        assert west_override(clients[SIM_HOME], table)["by-a"]["OnDemandThroughputOverride"] == {
            "MaxReadRequestUnits": 50
        }
        check_endpoint_log(sim.local.plane.events, table, regions=set(clients))
        # Read reports the override the table shows, for the regions the model lists
        assert stack.model is not None
        read = sim.standin.read(stack.model)
        assert read.succeeded and read.model is not None, read.message
        assert read.model["Replicas"] == properties(table)["Replicas"]
        # an Update changes the override, in place
        updated = stack.update(properties(table, west_reads=80))
        assert updated.succeeded, updated.message
        assert west_override(clients[SIM_HOME], table)["by-a"]["OnDemandThroughputOverride"] == {
            "MaxReadRequestUnits": 80
        }
