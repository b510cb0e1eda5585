"""The resource type's identity (issues 22 and 26): requests without a stack (the Cloud
Control API and the clients built on it) are first-class, and an identifier never lets a
request act on another resource. The handlers' real entry point through the protocol
stand-in, against ``multigsi local`` over HTTP in simulated time."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from multigsi.cloudformation.resource_type import SCHEMA_PATH
from multigsi.cloudformation.resource_type.model import ID_PATTERN
from multigsi.engine.ownership.record import Claim, Kind, Origin, Owner, TableRecord
from multigsi.local.cloudformation.resource_type_caller import RegistryStack, RegistryStandIn
from tests.integration.registry_sim import Simulation, simulation
from tests.integration.test_registry import fresh, gsi

CUSTOM_STACK = (
    "arn:aws:cloudformation:eu-south-2:123456789012:stack/orders/0b1c2d3e-aaaa-bbbb-cccc-123456789abc"
)


def cloud_control(sim: Simulation) -> RegistryStandIn:
    """Requests as the Cloud Control API sends them: no stack id, no logical id."""
    return RegistryStandIn(sim.standin.entry, sim.clock, region=sim.standin.region, stackless=True)


def another_stack(sim: Simulation) -> RegistryStandIn:
    return RegistryStandIn(sim.standin.entry, sim.clock, region=sim.standin.region, stack_name="other-stack")


def listed(standin: RegistryStandIn) -> list[Any]:
    """Every model List reports, page after page (the region holds other tests' tables)."""
    models: list[Any] = []
    token: str | None = None
    for _ in range(100):
        page = standin.list(token)
        models.extend(page.models)
        if not page.next_token or page.next_token == token:
            return models
        token = page.next_token
    raise AssertionError("List did not end within 100 pages")


def test_the_schema_pattern_is_the_one_the_handlers_check() -> None:
    assert json.loads(SCHEMA_PATH.read_text())["properties"]["Id"]["pattern"] == ID_PATTERN


def test_a_stackless_resource_has_an_identity_of_its_own_and_a_duplicate_is_refused() -> None:
    table, spec = fresh()
    with simulation() as sim:
        sim.create_table(table)
        first = RegistryStack(cloud_control(sim))
        created = first.create(spec)
        assert created.succeeded, created.message
        assert first.model is not None
        assert re.fullmatch(rf"{table}/-/[0-9a-f-]{{36}}/CloudControl", first.model["Id"])
        second = RegistryStack(cloud_control(sim))
        refused = second.create(spec)
        assert refused.status == "FAILED" and refused.error_code == "AlreadyExists", refused.message
        read = cloud_control(sim).read({"Id": first.model["Id"]})
        assert read.succeeded and read.model is not None
        assert [i["IndexName"] for i in read.model["GlobalSecondaryIndexes"]] == ["by-a", "by-bc"]
        assert first.delete().succeeded
        assert set(sim.indexes(table)) == set()


def test_a_create_cannot_choose_its_identifier() -> None:
    """Id is read-only: a Create that carries another resource's Id gets one of its own."""
    table, spec = fresh()
    with simulation() as sim:
        sim.create_table(table)
        forged = f"{table}/-/{uuid.uuid4()}/CloudControl"
        created = RegistryStack(cloud_control(sim)).create({**spec, "Id": forged})
        assert created.succeeded and created.model is not None and created.model["Id"] != forged


def custom_resource_claims(sim: Simulation, table: str) -> str:
    """by-a and by-bc held by a Custom::MultiGsi of stack 'orders'; returns an Id naming it."""
    arn = sim.client.describe_table(TableName=table)["Table"]["TableArn"]
    record = TableRecord(sim.client, arn)
    owner = Owner.of(CUSTOM_STACK, "Indexes")
    claims = [Claim(name, owner, Origin.CREATED, kind=Kind.CUSTOM_RESOURCE) for name in ("by-a", "by-bc")]
    record.write(claims, record.read(["by-a", "by-bc"]))
    return f"{table}/orders/{owner.stack_uuid}/Indexes"


@pytest.mark.parametrize("action", ["DELETE", "UPDATE", "READ"])
def test_cloud_control_cannot_act_on_a_custom_resources_indexes(action: str) -> None:
    table, spec = fresh()
    with simulation() as sim:
        sim.create_table(table, indexes=[gsi("by-a", "a"), gsi("by-bc", "b")])
        their_id = custom_resource_claims(sim, table)
        result = cloud_control(sim).operation(action, {**spec, "Id": their_id, "GlobalSecondaryIndexes": []})
        assert result.status == "FAILED" and result.error_code == "NotFound", result.message
        assert set(sim.indexes(table)) == {"by-a", "by-bc"}
        assert [m for m in listed(cloud_control(sim)) if m["TableName"] == table] == []  # not the type's


def test_another_stacks_identifier_changes_nothing() -> None:
    table, spec = fresh()
    with simulation() as sim:
        sim.create_table(table)
        mine = RegistryStack(sim.standin)
        assert mine.create(spec).succeeded and mine.model is not None
        theirs = another_stack(sim)
        for action in ("DELETE", "UPDATE"):
            result = theirs.operation(action, {**mine.model, "GlobalSecondaryIndexes": [gsi("by-a", "a")]})
            assert result.status == "FAILED" and result.error_code == "NotFound", (action, result.message)
        assert set(sim.indexes(table)) == {"by-a", "by-bc"}
        garbage = sim.standin.operation("DELETE", {"Id": f"{table}/x/y/z"})
        assert garbage.status == "FAILED" and garbage.error_code == "NotFound"
        assert mine.delete().succeeded and set(sim.indexes(table)) == set()


def test_a_delete_by_identifier_alone_removes_what_the_resource_created() -> None:
    """Cloud Control's delete-resource names only the identifier: the record decides, for
    the claims this resource holds and no other."""
    table, spec = fresh()
    with simulation() as sim:
        sim.create_table(table, indexes=[gsi("unmanaged", "a")])
        stack = RegistryStack(cloud_control(sim))
        assert stack.create(spec).succeeded and stack.model is not None
        deleted = cloud_control(sim).operation("DELETE", {"Id": stack.model["Id"]})
        assert deleted.succeeded, deleted.message
        assert set(sim.indexes(table)) == {"unmanaged"}


def test_without_credentials_from_cloudformation_the_handlers_make_no_call() -> None:
    """Fail closed: under SAM local or a misconfigured `cfn test`, the environment's own
    credentials (a developer's profile, on real tables) must not be used instead."""
    table, spec = fresh()
    with simulation() as sim:
        sim.create_table(table)
        event = sim.standin.request("CREATE", spec)
        del event["requestData"]["callerCredentials"]
        before = len(sim.local.plane.events)
        answer = sim.standin.invoke(event)
        assert answer["status"] == "FAILED" and answer["errorCode"] == "InvalidCredentials", answer
        assert len(sim.local.plane.events) == before and set(sim.indexes(table)) == set()
