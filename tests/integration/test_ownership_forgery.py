"""Ownership nobody can forge (issue 26): what arrives in an event, a hand-off note, an
identifier or a copied tag never widens what a resource may delete. Real HTTP throughout:
the local harness (Lambda Invoke API and response URLs) and ``multigsi local``."""

from __future__ import annotations

import time
from typing import Any

from multigsi.cloudformation.custom_resource import lambda_handler
from multigsi.cloudformation.custom_resource.event import CONTINUATION_KEY
from multigsi.engine.ownership.record import Claim, Kind, Origin, Owner, TableRecord, tag_key
from multigsi.local.cloudformation import Stack
from multigsi.local.cloudformation.lambda_service import LambdaContext
from tests.conftest import create_table, gsi
from tests.integration.test_cfn import indexes_of, properties

OTHER_STACK = (
    "arn:aws:cloudformation:us-east-1:123456789012:stack/reports/99999999-aaaa-bbbb-cccc-123456789abc"
)


def tags_of(client: Any, table: str) -> dict[str, str]:
    arn = client.describe_table(TableName=table)["Table"]["TableArn"]
    return {t["Key"]: t["Value"] for t in client.list_tags_of_resource(ResourceArn=arn)["Tags"]}


def claim_for_another_stack(client: Any, table: str, index: str) -> None:
    arn = client.describe_table(TableName=table)["Table"]["TableArn"]
    record = TableRecord(client, arn)
    claim = Claim(index, Owner.of(OTHER_STACK, "Idx"), Origin.ADOPTED, kind=Kind.CUSTOM_RESOURCE)
    record.write([claim], record.read([index]))


def invoke(cloudformation: Any, event: dict[str, Any]) -> dict[str, Any]:
    """A direct invoke of the function, as anyone with lambda:InvokeFunction can make it."""
    service = cloudformation.lambda_service
    result: dict[str, Any] = lambda_handler(event, LambdaContext(service.function_name, service.arn, 30.0))
    return result


def forged_note(*created: str) -> dict[str, Any]:
    return {"FirstInvokedAt": time.time(), "Hop": 1, "Changed": True, "Created": list(created)}


def test_a_forged_hand_off_note_deletes_nothing_it_was_not_given(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    """The review's reproduction: a Create with no indexes and a note naming an unmanaged
    index and one another stack adopted. Before: both were deleted."""
    create_table(client, table_name, indexes=[gsi("unmanaged", "a"), gsi("theirs", "b")])
    claim_for_another_stack(client, table_name, "theirs")
    cloudformation = cloudformation_factory()
    empty = cloudformation.event("Create", {**properties(table_name), "GlobalSecondaryIndexes": []})
    empty[CONTINUATION_KEY] = forged_note("unmanaged", "theirs")
    invoke(cloudformation, empty)
    # The same note beside properties that do list the unmanaged index, then a forged Delete.
    listing = cloudformation.event("Create", properties(table_name, ("unmanaged", "a")))
    listing[CONTINUATION_KEY] = forged_note("unmanaged", "theirs")
    invoke(cloudformation, listing)
    delete = cloudformation.event(
        "Delete",
        properties(table_name, ("unmanaged", "a")),
        physical_id=f"{client.describe_table(TableName=table_name)['Table']['TableArn']}/multigsi/Indexes",
    )
    delete[CONTINUATION_KEY] = forged_note("unmanaged", "theirs")
    invoke(cloudformation, delete)
    assert set(indexes_of(client, table_name)) == {"unmanaged", "theirs"}
    theirs = Claim.parse("theirs", tags_of(client, table_name)[tag_key("theirs")])
    assert theirs is not None and theirs.owner == Owner.of(OTHER_STACK, "Idx"), "their claim stands"


def test_a_copied_claim_tag_does_not_get_an_unmanaged_index_deleted(
    cloudformation_factory: Any, client: Any, table_name: str
) -> None:
    """Permission to tag the table must not be permission to delete its indexes: a claim
    value copied onto an unmanaged index's key, then an ordinary stack update."""
    create_table(client, table_name, indexes=[gsi("unmanaged", "d")])
    stack = Stack(cloudformation_factory(), name="orders")
    assert stack.create(properties(table_name, ("by-a", "a"))).status == "SUCCESS"
    arn = client.describe_table(TableName=table_name)["Table"]["TableArn"]
    copied = tags_of(client, table_name)[tag_key("by-a")]
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": tag_key("unmanaged"), "Value": copied}])
    updated = stack.update(properties(table_name, ("by-a", "a"), ("by-b", "b")))
    assert updated.status == "SUCCESS", updated.reason
    assert set(indexes_of(client, table_name)) == {"unmanaged", "by-a", "by-b"}
    assert tag_key("unmanaged") not in tags_of(client, table_name), "the forged claim is dropped"
