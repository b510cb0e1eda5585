"""Seeded random scenarios: a table with data and some indexes (some of them unmanaged),
a desired index set, a billing mode, the CLI's loop (alone or two at once on the table) or
the custom resource, and faults on both sides. Each run is checked against the invariants;
the result says what broke, and which requests the control plane refused."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from chaos.invariants import definition, overlapping_index_work
from chaos.proxy import RecordingProxy
from chaos.refusals import index_changes, refusals
from multigsi import MultigsiError, Ownership, Reconciler, parse_table_spec
from multigsi.engine import clients as aws
from multigsi.local import LocalDynamoDB, Timing
from multigsi.local.cloudformation import LocalCloudFormation, Stack
from multigsi.local.cloudformation.faults import HarnessFaults
from multigsi.local.dynamodb.faults import FaultInjector, FaultRates
from multigsi.local.dynamodb.waiting import wait_for_table

POOL = "abcdef"
SERVICE_TIMEOUT = 40
LAMBDA_TIMEOUT = 8.0


@dataclass(frozen=True)
class Scenario:
    seed: int
    mode: str  # cli | cfn
    billing: str
    items: int
    existing: tuple[dict[str, Any], ...]
    unmanaged: tuple[str, ...]
    desired: tuple[dict[str, Any], ...]
    rates: FaultRates
    lose_hand_offs: bool
    two_actors: bool = False  # cli only: two loops apply the same spec at once

    @property
    def table(self) -> str:
        return f"chaos-{self.seed}"  # moto's state is per process: one table per scenario


@dataclass
class Outcome:
    scenario: Scenario
    violations: list[str] = field(default_factory=list)
    result: str = ""
    faults: Counter[str] = field(default_factory=Counter)
    observations: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    # Requests the control plane refused ("<what>: <code>" → count) and the index creates and
    # deletes it applied, from the proxy's record.
    refusals: Counter[str] = field(default_factory=Counter)
    index_changes: int = 0
    duplicate_delivery: bool = False

    @property
    def kind(self) -> str:
        """Single actor or several at once on the table: the refusal targets differ."""
        if self.scenario.mode == "cli":
            return "cli, two actors" if self.scenario.two_actors else "cli"
        return "cfn, duplicate delivery" if self.duplicate_delivery else "cfn"

    @property
    def concurrent(self) -> bool:
        return self.scenario.two_actors or self.duplicate_delivery


def index(rng: random.Random, letter: str, billing: str) -> dict[str, Any]:
    projection: dict[str, Any] = rng.choice(
        [
            {"ProjectionType": "ALL"},
            {"ProjectionType": "KEYS_ONLY"},
            {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]},
        ]
    )
    keys = [{"AttributeName": letter, "KeyType": "HASH"}]
    if rng.random() < 0.3:
        keys.append({"AttributeName": "z", "KeyType": "RANGE"})
    result = {"IndexName": f"idx-{letter}", "KeySchema": keys, "Projection": projection}
    if billing == "PROVISIONED":
        result["ProvisionedThroughput"] = {
            "ReadCapacityUnits": rng.randint(1, 5),
            "WriteCapacityUnits": rng.randint(1, 5),
        }
    return result


def generate(seed: int) -> Scenario:
    rng = random.Random(seed)
    billing = rng.choice(["PAY_PER_REQUEST", "PROVISIONED"])
    letters = list(POOL)
    rng.shuffle(letters)
    existing = tuple(index(rng, letter, billing) for letter in letters[: rng.randint(0, 3)])
    unmanaged = tuple(i["IndexName"] for i in existing if rng.random() < 0.4)
    candidates = [letter for letter in POOL if f"idx-{letter}" not in unmanaged]
    desired = tuple(
        index(rng, letter, billing)
        for letter in rng.sample(candidates, rng.randint(1, min(3, len(candidates))))
    )
    # 25 % of UpdateTable calls fail: 15 % before anything is applied, 10 % applied and then
    # answered 500 (the answer lost). 10 % of the other calls fail.
    rates = FaultRates(
        throttle=0.05,
        error500=0.03,
        reset=0.02,
        latency=0.05,
        latency_seconds=0.05,
        limit=0.03,
        inuse=0.02,
        lost=0.10,
    )
    mode = rng.choice(["cli", "cfn"])
    return Scenario(
        seed,
        mode,
        billing,
        rng.randint(0, 25),
        existing,
        unmanaged,
        desired,
        rates,
        rng.random() < 0.1,
        mode == "cli" and rng.random() < 0.3,  # drawn last: the other draws stay as they were
    )


def _client(url: str) -> Any:
    return boto3.client(
        "dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="chaos", aws_secret_access_key="chaos",
        config=Config(retries={"mode": "standard", "max_attempts": 10}),
    )  # fmt: skip


def _properties(scenario: Scenario) -> dict[str, Any]:
    attributes = sorted({e["AttributeName"] for i in scenario.desired for e in i["KeySchema"]})
    return {
        "TableName": scenario.table,
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in attributes],
        "GlobalSecondaryIndexes": list(scenario.desired),
    }


def _settle(client: Any, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        table = client.describe_table(TableName=name)["Table"]
        indexes = table.get("GlobalSecondaryIndexes", [])
        if table["TableStatus"] == "ACTIVE" and all(
            i["IndexStatus"] == "ACTIVE" and not i.get("Backfilling") for i in indexes
        ):
            return table
        if time.monotonic() > deadline:
            return table
        time.sleep(0.1)


def _items(client: Any, name: str) -> list[Any]:
    return sorted(str(item) for item in client.scan(TableName=name)["Items"])


def run(scenario: Scenario) -> Outcome:
    outcome = Outcome(scenario)
    started = time.monotonic()
    timing = Timing(
        build_seconds=0.4, min_jitter_seconds=0.3, delete_seconds=0.2, update_seconds=0.2, seed=scenario.seed
    )
    injector = FaultInjector(scenario.rates, scenario.seed)
    with LocalDynamoDB(timing=timing, faults=injector) as endpoint, RecordingProxy(endpoint.url) as proxy:
        direct = _client(endpoint.url)
        _create(direct, scenario)
        before = _settle(direct, scenario.table)
        items_before = _items(direct, scenario.table)
        unmanaged_before = {
            i["IndexName"]: definition(i)
            for i in before.get("GlobalSecondaryIndexes", [])
            if i["IndexName"] in scenario.unmanaged
        }
        if scenario.mode == "cli":
            _run_cli(scenario, proxy.url, outcome)
        else:
            _run_cfn(scenario, proxy.url, outcome)
        after = _settle(direct, scenario.table)
        finished: dict[tuple[str, str], list[float]] = {}
        for event in endpoint.plane.events:
            if event.kind == "finished":
                finished.setdefault((event.table, event.index), []).append(event.at)
        outcome.violations += overlapping_index_work(proxy.exchanges, finished)
        outcome.refusals = refusals(proxy.exchanges)
        outcome.index_changes = index_changes(proxy.exchanges)
        live = {i["IndexName"]: i for i in after.get("GlobalSecondaryIndexes", [])}
        for name, shape in unmanaged_before.items():
            if name not in live or definition(live[name]) != shape:
                outcome.violations.append(f"unmanaged index {name} was changed or removed")
        if _items(direct, scenario.table) != items_before:
            outcome.violations.append("items changed")
        if outcome.result in ("converged", "SUCCESS"):
            for wanted in scenario.desired:
                found = live.get(wanted["IndexName"])
                if found is None or definition(found) != definition(wanted):
                    outcome.violations.append(
                        f"reported {outcome.result} but {wanted['IndexName']} does not match the spec"
                    )
        outcome.faults.update(injector.counts)
    outcome.seconds = time.monotonic() - started
    return outcome


def _create(client: Any, scenario: Scenario) -> None:
    attributes = {"pk"} | {e["AttributeName"] for i in scenario.existing for e in i["KeySchema"]}
    extra: dict[str, Any] = {}
    if scenario.billing == "PROVISIONED":
        extra["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    if scenario.existing:
        extra["GlobalSecondaryIndexes"] = list(scenario.existing)
    client.create_table(
        TableName=scenario.table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode=scenario.billing,
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)], **extra,
    )  # fmt: skip
    wait_for_table(client, scenario.table)  # CreateTable answers CREATING, as on AWS
    for number in range(scenario.items):
        item = {
            "pk": {"S": f"item-{number}"},
            **{letter: {"S": f"{letter}{number % 3}"} for letter in POOL + "xz"},
        }
        client.put_item(TableName=scenario.table, Item=item)


def _run_cli(scenario: Scenario, url: str, outcome: Outcome) -> None:
    spec = parse_table_spec(_properties(scenario))
    ownership = Ownership.listed_only(
        *(i["IndexName"] for i in scenario.existing if i["IndexName"] not in scenario.unmanaged)
    )
    # The clients the CLI builds: botocore's retries for reads, none for UpdateTable.
    session = aws.session(local_credentials=True)
    built = aws.Clients.build(session, endpoint_url=url)
    reads, steps = built.dynamodb, built.step
    actors = 2 if scenario.two_actors else 1
    results: list[str] = [""] * actors

    def act(number: int) -> None:
        reconciler = Reconciler(reads, rng=random.Random(scenario.seed * 10 + number), step_client=steps)
        try:
            result = reconciler.apply(spec, ownership, deadline=reconciler.clock.now() + 60)
            results[number] = str(result.outcome)
            if not result.converged:
                outcome.violations.append(f"stopped at {result.outcome} without converging")
        except MultigsiError as error:
            results[number] = f"error: {error}"
            if not str(error):
                outcome.violations.append("an error without a message")

    threads = [threading.Thread(target=act, args=(number,)) for number in range(actors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome.result = results[0] if len(set(results)) == 1 else " / ".join(results)


def _run_cfn(scenario: Scenario, url: str, outcome: Outcome) -> None:
    faults = HarnessFaults(
        put_failure=0.2,
        lost_hand_off=0.3 if scenario.lose_hand_offs else 0.0,
        duplicate=0.2,
        kill=0.1,
        skew_seconds=5.0,
        seed=scenario.seed,
    )
    properties = {**_properties(scenario), "ServiceTimeout": SERVICE_TIMEOUT}
    # What a previous version of the resource managed: the existing indexes not left alone.
    managed_before = [i for i in scenario.existing if i["IndexName"] not in scenario.unmanaged]
    with LocalCloudFormation(
        dynamodb_url=url, lambda_timeout=LAMBDA_TIMEOUT, faults=faults
    ) as cloudformation:
        stack = Stack(cloudformation)
        if managed_before:
            stack.properties = {
                **_properties(scenario),
                "GlobalSecondaryIndexes": managed_before,
                "ServiceTimeout": SERVICE_TIMEOUT,
            }
            stack.physical_id = (
                f"arn:aws:dynamodb:us-east-1:123456789012:table/{scenario.table}/multigsi/Indexes"
            )
            response = stack.update(properties)
        else:
            response = stack.create(properties)
        cloudformation.lambda_service.wait_idle(SERVICE_TIMEOUT)
        outcome.result = response.status
        lost = faults.counts["lost_hand_off"] > 0
        if response.status == "NONE" and not lost:
            outcome.violations.append("no CloudFormation answer before ServiceTimeout")
        if response.status == "FAILED" and not response.reason:
            outcome.violations.append("FAILED without a Reason")
        if response.status not in ("SUCCESS", "FAILED", "NONE"):
            outcome.violations.append(f"answer status {response.status!r}")
        if response.status != "NONE" and response.elapsed > SERVICE_TIMEOUT:
            outcome.violations.append(f"answered after ServiceTimeout ({response.elapsed:.1f}s)")
        overran = [
            i for i in cloudformation.lambda_service.invocations if i.ended - i.started > i.timeout + 0.5
        ]
        # Lambda would have killed these and retried them: the "kill" fault's case, so noted, not a violation.
        outcome.observations["invocations past the Lambda timeout"] += len(overran)
        outcome.observations["Lambda invocations"] += len(cloudformation.lambda_service.invocations)
        answers = cloudformation.answers(response.request_id)
        if len({(a["Status"], a["PhysicalResourceId"]) for a in answers}) > 1:
            outcome.violations.append(
                f"contradicting answers: {[(a['Status'], a['PhysicalResourceId']) for a in answers]}"
            )
        if lost and response.status == "NONE":
            outcome.result = "NONE (hand-off lost: CloudFormation fails the resource at ServiceTimeout)"
        outcome.faults.update({f"harness {k}": v for k, v in faults.counts.items()})
        outcome.duplicate_delivery = faults.counts["duplicate"] > 0
