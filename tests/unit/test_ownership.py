"""The ownership record's format and the custom resource's decisions over it (pure)."""

from __future__ import annotations

import re

import pytest

from multigsi.engine.ownership.policy import claims_for, release_for
from multigsi.engine.ownership.record import (
    MAX_KEY,
    MAX_VALUE,
    STACKS_TAG,
    TAG_PREFIX,
    Claim,
    Claims,
    Kind,
    Origin,
    Owner,
    TableRecord,
    claims_from_tags,
    tag_key,
)
from multigsi.errors import OwnershipError

STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/orders/0b1c2d3e-aaaa-bbbb-cccc-123456789abc"
OTHER = "arn:aws:cloudformation:us-east-1:123456789012:stack/reports/99999999-aaaa-bbbb-cccc-123456789abc"
ME = Owner.of(STACK, "Indexes")
ALLOWED = re.compile(r"[\w\s+\-=.:/]*")  # DynamoDB's tag characters


def test_a_claim_round_trips_through_its_tag() -> None:
    claim = Claim("by-a", ME, Origin.CREATED, previous="OldIndexes")
    assert claim.value() == "v1/c/0b1c2d3e-aaaa-bbbb-cccc-123456789abc/orders/Indexes/OldIndexes"
    assert Claim.parse("by-a", claim.value()) == claim
    assert claims_from_tags({tag_key("by-a"): claim.value()}, ["by-a", "by-b"]).of("by-a") == claim


def test_a_claim_says_which_front_door_holds_it() -> None:
    claim = Claim("by-a", ME, Origin.ADOPTED, kind=Kind.RESOURCE_TYPE)
    assert claim.value() == "v2/a/t/0b1c2d3e-aaaa-bbbb-cccc-123456789abc/orders/Indexes"
    assert Claim.parse("by-a", claim.value()) == claim
    legacy = Claim.parse("by-a", "v1/a/0b1c2d3e-aaaa-bbbb-cccc-123456789abc/orders/Indexes")
    assert legacy is not None and legacy.kind is None and legacy.owner == ME


def test_a_long_stack_name_and_a_rename_fit_the_tag_limit() -> None:
    """128-character stack name, a 64-character logical id taking over from another: the
    value was 300 characters and DynamoDB refused the rename's tag."""
    stack = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{'s' * 128}/0b1c2d3e-aaaa-bbbb-cccc-123456789abc"
    owner = Owner.of(stack, "N" * 64)
    claim = Claim("by-a", owner, Origin.CREATED, previous="P" * 64, kind=Kind.CUSTOM_RESOURCE)
    assert len(claim.value()) <= MAX_VALUE and ALLOWED.fullmatch(claim.value())
    parsed = Claim.parse("by-a", claim.value())
    assert parsed == claim and parsed.owner.logical_id == "N" * 64 and parsed.previous == "P" * 64


def test_carried_names_fill_gaps_but_never_cover_a_recorded_claim() -> None:
    """A hand-off note says "I created by-a": a read that shows another owner's claim wins."""
    tags = _Tags(0)
    other = Owner.of(OTHER, "Idx")
    tags.tags[tag_key("by-a")] = Claim("by-a", other, Origin.ADOPTED).value()
    record = TableRecord(tags, "arn:table")
    record.carry([Claim("by-a", ME, Origin.CREATED), Claim("by-b", ME, Origin.CREATED)])
    claims = record.read(["by-a", "by-b"])
    assert claims.of("by-a") is not None and claims.of("by-a").owner == other
    assert claims.of("by-b") == Claim("by-b", ME, Origin.CREATED)
    assert not record.wrote_any(ME)


def test_a_delete_removes_only_created_indexes_the_resource_lists() -> None:
    """A claim copied onto another index (by anyone who may tag the table) is released, never acted on."""
    claims = Claims(
        {
            "listed": Claim("listed", ME, Origin.CREATED),
            "copied": Claim("copied", ME, Origin.CREATED),
            "adopted": Claim("adopted", ME, Origin.ADOPTED),
        }
    )
    going = release_for(ME, claims, lambda _: False, authorised={"listed", "adopted"})
    assert going.delete == ("listed",) and going.unlisted == ("copied",) and going.release == ("adopted",)
    assert set(going.forgotten) == {"listed", "copied", "adopted"}
    assert release_for(ME, claims, lambda _: False).delete == ("copied", "listed")  # the record alone


def test_stackless_resources_are_stacks_of_their_own() -> None:
    """Two Cloud Control resources listing one index: the second is refused, never a takeover."""
    first, second = Owner.stackless(), Owner.stackless()
    assert first != second and not first.same_stack(second) and first.is_stackless
    claims = Claims({"by-a": Claim("by-a", first, Origin.CREATED, kind=Kind.RESOURCE_TYPE)})
    plan = claims_for(second, ["by-a"], ["by-a"], [], claims, Kind.RESOURCE_TYPE)
    assert plan.write == () and "by-a" in plan.conflicts[0]
    kept = release_for(first, claims, lambda _: False, authorised={"by-a"}, kind=Kind.CUSTOM_RESOURCE)
    assert kept.delete == () and kept.forgotten == ()  # another front door's claims are not its own


@pytest.mark.parametrize("value", ["", "v2/c/u/s/l", "v1/x/u/s/l", "v1/c/u", "anything"])
def test_values_this_version_does_not_understand_are_not_trusted(value: str) -> None:
    assert Claim.parse("by-a", value) is None


def test_the_longest_names_still_fit_the_limits() -> None:
    long_index = "i" * 255
    key = tag_key(long_index)
    assert len(key) <= MAX_KEY and key.startswith(TAG_PREFIX) and key == tag_key(long_index)
    assert tag_key("i" * 254) != key
    stack = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{'s' * 128}/0b1c2d3e-aaaa-bbbb-cccc-123456789abc"
    owner = Owner.of(stack, "L" * 255)
    claim = Claim(long_index, owner, Origin.ADOPTED, previous=Owner.of(stack, "P" * 255).logical_id)
    assert len(claim.value()) <= MAX_VALUE and ALLOWED.fullmatch(claim.value())
    assert Claim.parse(long_index, claim.value()) == claim


def test_odd_identifiers_become_stable_hashes() -> None:
    weird = Owner.of("not-an-arn", "Logical\udcff")
    assert ALLOWED.fullmatch(weird.logical_id) and weird == Owner.of("not-an-arn", "Logical\udcff")
    assert ALLOWED.fullmatch(weird.stack_uuid)


def test_claims_adopt_existing_record_created_and_take_over_within_the_stack() -> None:
    sibling = Owner.of(STACK, "OldIndexes")
    claims = Claims({"by-c": Claim("by-c", sibling, Origin.CREATED)})
    plan = claims_for(ME, ["by-a", "by-b", "by-c"], ["by-a", "by-c"], ["by-b"], claims)
    assert plan.conflicts == ()
    assert set(plan.write) == {
        Claim("by-a", ME, Origin.ADOPTED),
        Claim("by-b", ME, Origin.CREATED),
        Claim("by-c", ME, Origin.CREATED, previous="OldIndexes"),
    }


def test_an_index_of_another_stack_is_a_conflict_naming_the_owner() -> None:
    claims = Claims({"by-a": Claim("by-a", Owner.of(OTHER, "Idx"), Origin.ADOPTED)})
    plan = claims_for(ME, ["by-a"], ["by-a"], [], claims)
    assert plan.write == ()
    assert plan.conflicts[0].startswith("index by-a is owned by reports/Idx (adopted) in another stack")


def test_a_replaced_adopted_index_becomes_created() -> None:
    claims = Claims({"by-a": Claim("by-a", ME, Origin.ADOPTED)})
    assert claims_for(ME, ["by-a"], ["by-a"], ["by-a"], claims).write == (Claim("by-a", ME, Origin.CREATED),)


def test_delete_removes_created_releases_adopted_and_hands_back_to_a_living_previous_owner() -> None:
    claims = Claims(
        {
            "by-a": Claim("by-a", ME, Origin.CREATED),
            "by-b": Claim("by-b", ME, Origin.ADOPTED),
            "by-c": Claim("by-c", ME, Origin.CREATED, previous="Alive"),
            "by-d": Claim("by-d", ME, Origin.CREATED, previous="Gone"),
            "by-e": Claim("by-e", Owner.of(OTHER, "Idx"), Origin.CREATED),
        }
    )
    going = release_for(ME, claims, lambda logical_id: logical_id == "Alive")
    assert sorted(going.delete) == ["by-a", "by-d"]
    assert going.release == ("by-b",)
    assert going.hand_back == (Claim("by-c", Owner.of(STACK, "Alive"), Origin.CREATED),)


class _Tags:
    """Stands in for DynamoDB's tag calls (the integration tests use the real endpoint)."""

    def __init__(self, count: int) -> None:
        self.tags = {f"user{i}": "x" for i in range(count)} | {"aws:cloudformation:stack-id": STACK}

    def list_tags_of_resource(self, ResourceArn: str) -> dict[str, object]:
        return {"Tags": [{"Key": k, "Value": v} for k, v in self.tags.items()]}

    def tag_resource(self, ResourceArn: str, Tags: list[dict[str, str]]) -> None:
        self.tags.update({t["Key"]: t["Value"] for t in Tags})


def test_write_refuses_before_passing_fifty_tags_and_aws_tags_do_not_count() -> None:
    fits = TableRecord(_Tags(48), "arn:table")
    fits.write([Claim("by-a", ME, Origin.CREATED)], fits.read(["by-a"]))
    assert fits.client.tags[STACKS_TAG] == ME.stack_uuid
    full = TableRecord(_Tags(49), "arn:table")
    with pytest.raises(OwnershipError, match="needs 2 more tag"):
        full.write([Claim("by-a", ME, Origin.CREATED)], full.read(["by-a"]))
    assert tag_key("by-a") not in full.client.tags


def test_a_lagging_tag_read_does_not_turn_this_requests_new_index_into_an_adopted_one() -> None:
    """ListTagsOfResource is eventually consistent: the next hop learns from the continuation
    which indexes this request created, and the record lays that over a read without them."""
    from multigsi.cloudformation.custom_resource.event import Continuation, _continuation

    carried, problems = _continuation(Continuation(1.0, 3, True, ("by-a",)).to_json())
    assert problems == [] and carried is not None and carried.created == ("by-a",)
    record = TableRecord(_Tags(0), "arn:table")  # the read shows no claim yet
    record.carry(Claim(name, ME, Origin.CREATED) for name in carried.created)
    claims = record.read(["by-a"])
    assert claims_for(ME, ["by-a"], ["by-a"], [], claims).write == ()
    assert claims.of("by-a") == Claim("by-a", ME, Origin.CREATED)


class _Busy(_Tags):
    """DynamoDB's tag call refusing while the table is busy, ``refusals`` times."""

    def __init__(self, refusals: int) -> None:
        super().__init__(0)
        self.refusals = refusals

    def tag_resource(self, ResourceArn: str, Tags: list[dict[str, str]]) -> None:
        from botocore.exceptions import ClientError

        if self.refusals > 0:
            self.refusals -= 1
            error = {"Error": {"Code": "ResourceInUseException", "Message": "Table is being updated"}}
            raise ClientError(error, "TagResource")  # type: ignore[arg-type]
        super().tag_resource(ResourceArn, Tags)


def test_a_busy_table_is_retried_until_the_deadline_and_then_the_error_is_raised() -> None:
    import random

    from botocore.exceptions import ClientError

    from multigsi.engine.clock import FakeClock

    clock = FakeClock()
    record = TableRecord(_Busy(3), "arn:table", clock, deadline=60.0, rng=random.Random(1))
    record.write([Claim("by-a", ME, Origin.CREATED)], Claims())
    assert tag_key("by-a") in record.client.tags and 0 < clock.now() < 60
    late = TableRecord(_Busy(1000), "arn:table", FakeClock(), deadline=30.0, rng=random.Random(1))
    with pytest.raises(ClientError):
        late.write([Claim("by-a", ME, Origin.CREATED)], Claims())
    assert late.clock.now() <= 30
