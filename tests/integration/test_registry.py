"""The registry type's handlers through the protocol stand-in against ``multigsi local`` over
HTTP (simulated time): the contract rules, ownership, and the migration from Custom::MultiGsi."""

from __future__ import annotations

import itertools
import json
from typing import Any

from multigsi.cloudformation.resource_type import SCHEMA_PATH
from multigsi.engine.ownership.record import Claim, Origin, Owner, TableRecord
from multigsi.local.cloudformation.resource_type_caller import RegistryStack
from multigsi.local.dynamodb.faults import FaultInjector, FaultRates
from tests.integration.registry_sim import simulation


def gsi(name: str, *hash_keys: str, projection: str = "ALL") -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": key, "KeyType": "HASH"} for key in hash_keys],
        "Projection": {"ProjectionType": projection},
    }


DEFINITIONS = [{"AttributeName": name, "AttributeType": "S"} for name in "abc"]
_tables = itertools.count()


def fresh() -> tuple[str, dict[str, Any]]:
    """A table name of its own (moto's tables outlive one endpoint) and the spec for it."""
    table = f"registry-{next(_tables)}"
    return table, {
        "TableName": table,
        "AttributeDefinitions": DEFINITIONS,
        "GlobalSecondaryIndexes": [gsi("by-a", "a"), gsi("by-bc", "b", "c", projection="KEYS_ONLY")],
    }


def started(sim: Any) -> list[str]:
    return [e.index for e in sim.local.plane.events if e.kind == "started"]


def test_read_after_create_returns_the_desired_model_from_the_live_table() -> None:
    table, spec = fresh()
    with simulation() as sim:
        sim.create_table(table, indexes=[gsi("unmanaged", "a")])
        stack = RegistryStack(sim.standin)
        created = stack.create(spec)
        assert created.succeeded, created.message
        assert stack.model is not None
        assert stack.model["Id"].startswith(f"{table}/registry-stack/")
        read = sim.standin.read({"Id": stack.model["Id"]})
        assert read.succeeded and read.model is not None
        assert read.model["Id"] == stack.model["Id"]
        for key in ("TableName", "AttributeDefinitions", "GlobalSecondaryIndexes"):
            assert read.model[key] == spec[key], key  # the multi-attribute key included
        # progress in the events: each IN_PROGRESS says which index, in what phase
        assert all(i.message for i in created.invocations)
        assert any("by-a" in i.message for i in created.invocations[:-1])
        models: list[dict[str, Any]] = []
        token = None
        while True:  # List pages through the account's tables (moto's outlive one endpoint)
            listed = sim.standin.list(token)
            assert listed.status == "SUCCESS", listed.message
            models.extend(dict(m) for m in listed.models)
            token = listed.next_token
            if not token:
                break
        mine = [m for m in models if m["TableName"] == table]
        assert [m["Id"] for m in mine] == [stack.model["Id"]]
        assert [i["IndexName"] for i in mine[0]["GlobalSecondaryIndexes"]] == ["by-a", "by-bc"]


def test_a_second_create_of_the_same_resource_is_already_exists() -> None:
    table, spec = fresh()
    with simulation() as sim:
        sim.create_table(table)
        assert RegistryStack(sim.standin).create(spec).succeeded
        again = RegistryStack(sim.standin).create(spec)
        assert again.status == "FAILED" and again.error_code == "AlreadyExists"


def test_create_on_indexes_another_stack_owns_is_already_exists_and_changes_nothing() -> None:
    table, spec = fresh()
    with simulation() as sim:
        sim.create_table(table, indexes=[gsi("by-a", "a")])
        arn = sim.client.describe_table(TableName=table)["Table"]["TableArn"]
        other = Owner("0ther-stack-uuid", "other", "Indexes")
        record = TableRecord(sim.client, arn)
        record.write([Claim("by-a", other, Origin.CREATED)], record.read(["by-a"]))
        before = sim.client.list_tags_of_resource(ResourceArn=arn)["Tags"]
        result = RegistryStack(sim.standin).create(spec)
        assert result.status == "FAILED" and result.error_code == "AlreadyExists"
        assert "by-a" in result.message and "another stack" in result.message
        assert started(sim) == []
        assert sim.client.list_tags_of_resource(ResourceArn=arn)["Tags"] == before


def test_a_create_names_its_resource_at_once_and_a_failed_one_is_cleaned_up_by_the_rollback() -> None:
    """CloudFormation fails a Create whose events carry no primary identifier within 60 s,
    and can only roll back (send a Delete for) a resource it knows the identifier of. Here
    the Create runs out of its operation time with one index built and one building
    (builds of 5-6.25 minutes: the first ends before the timeout, the second cannot)."""
    table, spec = fresh()
    with simulation(build_seconds=300.0) as sim:
        sim.create_table(table)
        stack = RegistryStack(sim.standin)
        result = stack.create(spec, timeout=500.0)
        assert result.status == "FAILED" and result.error_code == "NotStabilized", result.message
        assert result.identified is not None and result.identified["Id"].startswith(f"{table}/")
        # the first index built, the second building; then the rollback's two deletes
        assert started(sim) == ["by-a", "by-bc", "by-a", "by-bc"] or started(sim) == [
            "by-a",
            "by-bc",
            "by-bc",
            "by-a",
        ]
        rollback = stack.history[-1]
        assert rollback.action == "DELETE" and rollback.succeeded, rollback.message
        assert sim.indexes(table) == {}
        arn = sim.client.describe_table(TableName=table)["Table"]["TableArn"]
        assert not [
            t
            for t in sim.client.list_tags_of_resource(ResourceArn=arn)["Tags"]
            if t["Key"].startswith("multigsi")
        ]
        again = RegistryStack(sim.standin).create(spec)
        assert again.succeeded, again.message  # not AlreadyExists: nothing of the failed one is left


def test_reads_throttled_past_an_invocation_answer_in_progress_not_failed() -> None:
    """DynamoDB throttling every read for longer than one handler call (its retries and
    backoff spent) must not fail an operation CloudFormation gives 36 hours."""
    table, spec = fresh()
    faults = FaultInjector(FaultRates())
    with simulation(faults=faults) as sim:
        sim.create_table(table)
        faults.rates = FaultRates(throttle=1.0)
        answer = sim.standin.invoke(sim.standin.request("CREATE", spec))
        assert answer["status"] == "IN_PROGRESS", answer
        assert "trying again" in answer["message"] and answer["callbackDelaySeconds"] > 0
        assert answer["resourceModel"]["Id"].startswith(f"{table}/")
        assert faults.counts["throttle"] > 0 and started(sim) == []
        faults.rates = FaultRates()
        context = answer["callbackContext"]
        assert context["Checked"] is False, "the AlreadyExists check is still to be made"
        resumed = sim.standin.invoke(sim.standin.request("CREATE", spec, context=context))
        assert resumed["status"] == "IN_PROGRESS" and resumed["callbackContext"]["Checked"] is True
        assert RegistryStack(sim.standin).create(spec).error_code == "AlreadyExists"


def test_update_of_the_create_only_table_name_is_not_updatable() -> None:
    table, spec = fresh()
    with simulation() as sim:
        sim.create_table(table)
        stack = RegistryStack(sim.standin)
        assert stack.create(spec).succeeded
        operations = len(started(sim))
        # CloudFormation replaces instead; the contract tests call the handler like this
        assert stack.model is not None
        result = sim.standin.operation("UPDATE", {**spec, "TableName": "other-table"}, stack.model)
        assert result.status == "FAILED" and result.error_code == "NotUpdatable"
        assert len(started(sim)) == operations


def test_delete_removes_only_what_it_created_and_then_reads_not_found() -> None:
    table, spec = fresh()
    with simulation() as sim:
        sim.create_table(table, indexes=[gsi("by-a", "a"), gsi("unmanaged", "b")])
        stack = RegistryStack(sim.standin)
        assert stack.create(spec).succeeded  # adopts by-a, creates by-bc
        model = dict(stack.model or {})
        deleted = stack.delete()
        assert deleted.succeeded, deleted.message
        assert set(sim.indexes(table)) == {"by-a", "unmanaged"}  # adopted kept, unmanaged untouched
        assert sim.standin.read(model).error_code == "NotFound"
        again = sim.standin.operation("DELETE", model)
        assert again.status == "FAILED" and again.error_code == "NotFound"
        update = sim.standin.operation("UPDATE", model, model)
        assert update.error_code == "NotFound"


def test_invalid_properties_fail_with_every_problem_and_change_nothing() -> None:
    table, spec = fresh()
    with simulation() as sim:
        sim.create_table(table)
        bad = {**spec, "GlobalSecondaryIndexes": [gsi("x", "a"), gsi("by-z", "z")]}
        result = RegistryStack(sim.standin).create(bad)
        assert result.error_code == "InvalidRequest"
        assert "GlobalSecondaryIndexes[0].IndexName" in result.message
        assert "GlobalSecondaryIndexes[1]" in result.message and "'z'" in result.message
        assert started(sim) == []
        empty = RegistryStack(sim.standin).create({**spec, "GlobalSecondaryIndexes": []})
        assert empty.error_code == "InvalidRequest" and "at least one" in empty.message


def test_a_stack_moves_from_the_custom_resource_to_the_type_without_rebuilding() -> None:
    """The custom resource's record (written here as Custom::MultiGsi writes it) is taken over
    by the type's resource of the same stack: no index is deleted or built."""
    table, spec = fresh()
    with simulation() as sim:
        # moto's CreateTable takes single-attribute keys only: the spec follows the table here
        spec = {
            **spec,
            "GlobalSecondaryIndexes": [gsi("by-a", "a"), gsi("by-bc", "b", projection="KEYS_ONLY")],
        }
        sim.create_table(table, indexes=spec["GlobalSecondaryIndexes"])
        arn = sim.client.describe_table(TableName=table)["Table"]["TableArn"]
        custom = Owner.of(sim.standin.stack_id, "OrdersIndexes")
        record = TableRecord(sim.client, arn)
        record.write(
            [Claim(name, custom, Origin.CREATED) for name in ("by-a", "by-bc")],
            record.read(["by-a", "by-bc"]),
        )
        stack = RegistryStack(sim.standin, logical_id="OrdersIndexesType")
        result = stack.create(spec)
        assert result.succeeded, result.message
        assert started(sim) == []
        claims = TableRecord(sim.client, arn).read(["by-a", "by-bc"])
        me = Owner.of(sim.standin.stack_id, "OrdersIndexesType")
        assert {c.index_name for c in claims.owned_by(me)} == {"by-a", "by-bc"}
        assert all(
            c.origin is Origin.CREATED and c.previous == "OrdersIndexes" for c in claims.by_index.values()
        )


def test_the_schema_names_the_fixed_interface() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["typeName"] == "Multigsi::DynamoDB::GlobalSecondaryIndexes"
    assert schema["additionalProperties"] is False
    for action in ("create", "update", "delete"):
        assert schema["handlers"][action]["timeoutInMinutes"] == 2160
    for action in ("create", "update", "delete", "read", "list"):
        assert schema["handlers"][action]["permissions"]
