"""The reconcile loop in simulated time, against the simulated control plane (the local
endpoint's rules in memory, from bench/): hours of builds in milliseconds."""

from __future__ import annotations

from typing import Any

import pytest
from bench.simulation import REGION, SimulatedDynamoDB
from bench.workloads import spec_for

from multigsi import Ownership, Reconciler, TableUnavailableError
from multigsi.engine.clock import FakeClock
from multigsi.engine.reconcile import CONTENTION_JITTER, Outcome, Retrying
from multigsi.engine.waiting import POLL_INTERVAL
from multigsi.local.dynamodb.control_plane import ControlPlane, Timing

HOURS = [2 * 3600.0, 1.5 * 3600.0, 3 * 3600.0]


def simulated(builds: list[float]) -> tuple[FakeClock, SimulatedDynamoDB]:
    clock = FakeClock()
    durations = {f"index-{n:02d}": seconds for n, seconds in enumerate(builds)}
    plane = ControlPlane(
        timing=Timing(build_seconds=0.0),
        clock=clock.now,
        build_time=lambda key, index, items: durations.get(index, 300.0),
    )
    client = SimulatedDynamoDB(plane)
    client.add_table("sim")
    return clock, client


def test_hours_of_builds_in_simulated_time_with_at_most_one_describe_a_second() -> None:
    clock, client = simulated(HOURS)
    result = Reconciler(client, clock=clock).apply(spec_for("sim", 3), Ownership.everything())
    assert result.converged
    assert sum(HOURS) <= clock.now() <= sum(HOURS) + 3 * 1.0 + 1.0
    describes = sum(1 for e in client.plane.events if e.kind == "describe")
    # One look a second while waiting, plus the first look, the one after the random pause
    # before the first create, and one right after each step.
    assert describes <= clock.now() / POLL_INTERVAL + 2 + len(result.steps_issued)
    assert not [e for e in client.plane.events if e.kind == "refused"]


def test_deadline_stops_cleanly_before_it_with_what_is_left() -> None:
    clock, client = simulated(HOURS)
    deadline = 3 * 3600.0
    result = Reconciler(client, clock=clock).apply(
        spec_for("sim", 3), Ownership.everything(), deadline=deadline
    )
    assert result.outcome is Outcome.DEADLINE
    assert clock.now() <= deadline
    assert [s.index_name for s in result.remaining.steps] == ["index-02"]
    assert [p.name for p in result.in_flight] == ["index-01"]


class RacingActor:
    """Another tool creating an index on the same table just before our first UpdateTable:
    DynamoDB refuses ours with LimitExceededException. Wraps the simulator; mocks nothing."""

    def __init__(self, client: SimulatedDynamoDB) -> None:
        self.client = client
        self.raced = False

    def describe_table(self, **kwargs: Any) -> Any:
        return self.client.describe_table(**kwargs)

    def update_table(self, **kwargs: Any) -> Any:
        if not self.raced:
            self.raced = True
            self.client.update_table(
                TableName=kwargs["TableName"],
                AttributeDefinitions=[{"AttributeName": "theirs", "AttributeType": "S"}],
                GlobalSecondaryIndexUpdates=[
                    {
                        "Create": {
                            "IndexName": "theirs",
                            "KeySchema": [{"AttributeName": "theirs", "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "ALL"},
                        }
                    }
                ],
            )
        return self.client.update_table(**kwargs)


def test_a_concurrent_actor_makes_the_loop_wait_and_converge_leaving_theirs_alone() -> None:
    clock, client = simulated([600.0, 600.0, 900.0])
    events: list[Any] = []
    reconciler = Reconciler(RacingActor(client), clock=clock, observer=events.append)
    result = reconciler.apply(spec_for("sim", 2), Ownership.listed_only())
    assert result.converged
    retries = [e for e in events if isinstance(e, Retrying)]
    assert [e.code for e in retries] == ["LimitExceededException"]
    live = client.describe_table(TableName="sim")["Table"]["GlobalSecondaryIndexes"]
    assert sorted(i["IndexName"] for i in live) == ["index-00", "index-01", "theirs"]


def test_an_archived_table_is_reported_not_waited_on() -> None:
    clock, client = simulated(HOURS)
    client.tables["sim"]["TableStatus"] = "ARCHIVED"
    with pytest.raises(TableUnavailableError, match="table 'sim' is ARCHIVED"):
        Reconciler(client, clock=clock).apply(spec_for("sim", 1), Ownership.everything())
    assert (REGION, "sim") not in client.plane.operations


class ThrottledReads:
    """DescribeTable throttled every time (as a ClientError, the way botocore raises it)."""

    def __init__(self, client: SimulatedDynamoDB) -> None:
        self.client = client

    def describe_table(self, **kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        raise ClientError(
            {
                "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            "DescribeTable",
        )

    def update_table(self, **kwargs: Any) -> Any:
        return self.client.update_table(**kwargs)


def test_transient_read_trouble_near_the_deadline_stops_as_a_deadline_not_a_failure() -> None:
    clock, client = simulated(HOURS)
    result = Reconciler(ThrottledReads(client), clock=clock).apply(
        spec_for("sim", 1), Ownership.everything(), deadline=3.0
    )
    assert result.outcome is Outcome.DEADLINE
    assert clock.now() <= 3.0


def test_after_a_refusal_the_loop_pauses_at_random_and_re_reads_before_each_create() -> None:
    """Another actor has shown itself (our first Create was refused): before the next create
    the loop waits a random moment of at most CONTENTION_JITTER and acts only on the read that
    follows, so that two loops polling in step stop racing to the same step."""
    clock, client = simulated([600.0, 600.0, 900.0])
    reconciler = Reconciler(RacingActor(client), clock=clock)
    assert reconciler.apply(spec_for("sim", 2), Ownership.listed_only()).converged
    events = client.plane.events
    ours = [n for n, e in enumerate(events) if e.kind == "started" and e.index == "index-01"]
    assert len(ours) == 1
    reads_before = [e.at for e in events[: ours[0]] if e.kind == "describe"]
    # The read the create was sent on, and the one before it: a random pause apart, not a poll.
    assert reads_before[-1] == events[ours[0]].at
    assert 0 < reads_before[-1] - reads_before[-2] <= CONTENTION_JITTER < POLL_INTERVAL


def test_the_first_create_of_a_run_follows_a_random_pause_and_a_fresh_read() -> None:
    """Two runs started together (a duplicate delivery) would otherwise read the same idle
    table at the same moment and both send the first create: one of them refused."""
    clock, client = simulated([600.0])
    assert Reconciler(client, clock=clock).apply(spec_for("sim", 1), Ownership.everything()).converged
    events = client.plane.events
    first = next(n for n, e in enumerate(events) if e.kind == "started")
    reads = [e.at for e in events[:first] if e.kind == "describe"]
    assert len(reads) == 2, "the first look, then a look after the pause"
    assert 0 < reads[1] - reads[0] <= CONTENTION_JITTER
    assert reads[1] == events[first].at, "sent on the fresh read"


class QueuedReads:
    """Reads held back before they are sent, as a call budget shared by many tables holds
    them (100 tables at 50 calls/s: two seconds in the queue). Wraps the simulator."""

    def __init__(self, client: SimulatedDynamoDB, clock: FakeClock, queued: float) -> None:
        self.client, self.clock, self.queued = client, clock, queued

    def describe_table(self, **kwargs: Any) -> Any:
        self.clock.sleep(self.queued)
        return self.client.describe_table(**kwargs)

    def update_table(self, **kwargs: Any) -> Any:
        return self.client.update_table(**kwargs)


def test_reads_held_in_a_queue_longer_than_a_fresh_read_still_let_the_first_create_go() -> None:
    """The read after the random pause counts from when it was asked for: measured from its
    answer, a queue of two seconds made every read 'stale', and the loop paused and re-read
    forever (multigsi apply on 100 tables never sent a create)."""
    clock, client = simulated([600.0, 600.0])
    queued = QueuedReads(client, clock, queued=2.0)
    result = Reconciler(queued, clock=clock).apply(
        spec_for("sim", 2), Ownership.everything(), deadline=3600.0
    )
    assert result.converged, result.outcome
    events = client.plane.events
    first = next(n for n, e in enumerate(events) if e.kind == "started")
    reads = [e.at for e in events[:first] if e.kind == "describe"]
    assert len(reads) == 2, "the first look, then one look asked for after the pause"


def test_a_run_starts_from_the_plans_read_and_still_sends_its_first_create_on_a_fresh_one() -> None:
    """The CLI has read every table to plan: the loop starts from that look (one read
    fewer per table), pauses at random and sends the first create on the read after it."""
    clock, client = simulated([30.0, 30.0])
    spec = spec_for("sim", 2)
    planned, _ = Reconciler(client, clock=clock).plan(spec, Ownership.everything())
    clock.sleep(5.0)  # the other tables' plan reads, the confirmation
    before = len(client.plane.events)
    result = Reconciler(client, clock=clock).apply(spec, Ownership.everything(), first_look=planned)
    assert result.converged
    events = client.plane.events[before:]
    first = next(n for n, e in enumerate(events) if e.kind == "started")
    reads = [e.at for e in events[:first] if e.kind == "describe"]
    assert len(reads) == 1, "only the read after the pause"
    assert 0 < reads[0] - 5.0 <= CONTENTION_JITTER and reads[0] == events[first].at

    # A look another actor has made stale (its create started since) is never acted on.
    clock, client = simulated([30.0, 30.0])
    planned, _ = Reconciler(client, clock=clock).plan(spec, Ownership.everything())
    client.update_table(
        TableName="sim",
        AttributeDefinitions=[{"AttributeName": "theirs", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "theirs",
                    "KeySchema": [{"AttributeName": "theirs", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
    result = Reconciler(client, clock=clock).apply(spec, Ownership.listed_only(), first_look=planned)
    assert result.converged
    assert not [e for e in client.plane.events if e.kind == "refused"]


def test_in_a_saturated_fleet_the_first_create_goes_on_the_plans_read() -> None:
    """When the fleet's budget cannot spare every table a fresh read before its first
    create (create_on_first_look), the create goes on the plan's read: no pause, no read
    before it. A stale look costs a refusal, handled like any conflict; a delete first
    still waits for the pause and a fresh read."""
    clock, client = simulated([30.0, 30.0])
    spec = spec_for("sim", 2)
    planned, _ = Reconciler(client, clock=clock).plan(spec, Ownership.everything())
    clock.sleep(5.0)
    before = len(client.plane.events)
    fleet = Reconciler(client, clock=clock, create_on_first_look=lambda: True)
    result = fleet.apply(spec, Ownership.everything(), first_look=planned)
    assert result.converged
    events = client.plane.events[before:]
    first = next(n for n, e in enumerate(events) if e.kind == "started")
    assert not [e for e in events[:first] if e.kind == "describe"]
    assert events[first].at == 5.0, "sent at once, without the pause"

    # Another actor's create since the plan's read: ours is refused, then re-read and sent.
    clock, client = simulated([30.0, 30.0])
    planned, _ = Reconciler(client, clock=clock).plan(spec, Ownership.everything())
    client.update_table(
        TableName="sim",
        AttributeDefinitions=[{"AttributeName": "theirs", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "theirs",
                    "KeySchema": [{"AttributeName": "theirs", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
    retries: list[Retrying] = []
    fleet = Reconciler(client, clock=clock, create_on_first_look=lambda: True)
    fleet.observer = lambda event: retries.append(event) if isinstance(event, Retrying) else None
    result = fleet.apply(spec, Ownership.listed_only(), first_look=planned)
    assert result.converged
    assert [e.kind for e in client.plane.events].count("refused") == 1
    assert [r.code for r in retries] == ["LimitExceededException"]

    # A delete first: the pause and a fresh read, whatever the fleet says.
    clock, client = simulated([30.0])
    old = {
        "IndexName": "old",
        "KeySchema": [{"AttributeName": "old", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
    }
    client.tables.pop("sim")
    client.add_table("sim", indexes=[old])
    planned, plan = Reconciler(client, clock=clock).plan(spec_for("sim", 0), Ownership.everything())
    assert [step.action.value for step in plan.steps] == ["delete"]
    before = len(client.plane.events)
    fleet = Reconciler(client, clock=clock, create_on_first_look=lambda: True)
    assert fleet.apply(spec_for("sim", 0), Ownership.everything(), first_look=planned).converged
    events = client.plane.events[before:]
    first = next(n for n, e in enumerate(events) if e.kind == "started")
    assert [e.kind for e in events[:first]] == ["describe"]
    assert 0 < events[first].at <= CONTENTION_JITTER


def test_the_answer_to_a_step_is_its_own_look_so_no_read_follows_it_at_once() -> None:
    """UpdateTable answers with the table right after the step (the new index CREATING): the
    loop waits on that, and its next read comes a phase later, not in the same instant."""
    clock, client = simulated([120.0, 90.0, 60.0])
    result = Reconciler(client, clock=clock).apply(spec_for("sim", 3), Ownership.everything())
    assert result.converged and len(result.steps_issued) == 3
    events = client.plane.events
    for position, event in enumerate(events):
        if event.kind == "started":
            following = [e for e in events[position + 1 :] if e.kind == "describe"]
            assert following and following[0].at > event.at
