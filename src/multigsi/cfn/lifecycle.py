"""The custom resource's ownership rules, as decisions over the table's ownership record.

The record itself (tag format, reading, writing) is ``multigsi.engine.ownership``; this
module decides, for one resource, what a Create/Update claims and what a Delete removes:

- an index nobody has claimed and that already exists is *adopted*: recorded, never
  deleted by a Delete (hand it over by changing its tag's origin from ``a`` to ``c``);
- an index the resource will create is claimed as *created* before the step is issued, so
  "did this resource change anything" is answered by the table, not by memory;
- an index claimed by a resource of *another stack* is a conflict: the request fails
  before anything changes, naming the owner;
- an index claimed by another resource of the *same stack* is taken over (a logical-ID
  rename is a new resource plus a cleanup Delete of the old one), remembering whom from;
  the taker's Delete hands it back while that resource still exists in the stack (the
  rollback of a rename, or a genuine duplicate), so taking over never loses an index the
  template still lists;
- a Delete removes only the indexes the resource created, and releases the ones it adopted.

``StackView`` asks CloudFormation (DescribeStacks, DescribeStackResource(s), scoped to the
resource's own stack) what the event does not say: is the stack being deleted, is the
table one of its resources, does a previous owner still exist. An unanswerable question
(no permission, throttled) gets the answer that keeps indexes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from multigsi.engine.ownership import Claim, Claims, Origin, Owner, recorded_logical_id


@dataclass(frozen=True)
class ClaimPlan:
    write: tuple[Claim, ...]
    conflicts: tuple[str, ...]  # one sentence per index another stack owns


def claims_for(
    me: Owner, listed: Iterable[str], existing: Iterable[str], to_create: Iterable[str], claims: Claims
) -> ClaimPlan:
    """What a Create/Update records before it changes anything."""
    existing, to_create = set(existing), set(to_create)
    write: list[Claim] = []
    conflicts: list[str] = []
    for name in listed:
        claim = claims.of(name)
        created = name in to_create
        if claim is not None and not claim.owner.same_stack(me):
            conflicts.append(
                f"index {name} is owned by {claim.describe()} in another stack (stack id ending "
                f"{claim.owner.stack_uuid}); remove it there first"
            )
            continue
        if claim is None:
            origin = Origin.CREATED if created or name not in existing else Origin.ADOPTED
            write.append(Claim(name, me, origin))
        elif claim.owner != me:
            origin = Origin.CREATED if created else claim.origin
            write.append(Claim(name, me, origin, previous=claim.owner.logical_id))
        elif created and claim.origin is Origin.ADOPTED:
            write.append(Claim(name, me, Origin.CREATED, claim.previous))  # replaced: now ours
    return ClaimPlan(tuple(write), tuple(conflicts))


@dataclass(frozen=True)
class Release:
    delete: tuple[str, ...]  # created by a multigsi resource: removed
    release: tuple[str, ...]  # adopted: kept, claim dropped
    hand_back: tuple[Claim, ...]  # claims returned to the resource they were taken from

    def summary(self) -> str:
        """What a finished Delete did, as the answer's reason (custom resource and type alike)."""
        parts = [f"removed indexes it created: {', '.join(self.delete) or 'none'}"]
        if self.release:
            parts.append(f"kept adopted: {', '.join(self.release)}")
        if self.hand_back:
            parts.append(
                "handed back: " + ", ".join(f"{c.index_name} to {c.owner.logical_id}" for c in self.hand_back)
            )
        return "; ".join(parts)


def release_for(
    me: Owner, claims: Claims, still_exists: Callable[[str], bool], keep: Iterable[str] = ()
) -> Release:
    """What a Delete (or an Update that stopped listing some indexes) does with the claims
    ``me`` holds, except on the names in ``keep``."""
    delete: list[str] = []
    release: list[str] = []
    hand_back: list[Claim] = []
    kept = set(keep)
    for claim in claims.owned_by(me):
        if claim.index_name in kept:
            continue
        if claim.previous and still_exists(claim.previous):
            previous = Owner(me.stack_uuid, me.stack_name, claim.previous)
            hand_back.append(Claim(claim.index_name, previous, claim.origin))
        elif claim.origin is Origin.CREATED:
            delete.append(claim.index_name)
        else:
            release.append(claim.index_name)
    return Release(tuple(sorted(delete)), tuple(sorted(release)), tuple(hand_back))


# DescribeStackResources: "Only the first 100 resources will be returned" (CloudFormation API reference).
DESCRIBE_STACK_RESOURCES_LIMIT = 100


@dataclass
class StackView:
    """What CloudFormation says about the resource's own stack. ``None`` means unknown."""

    client: Any
    stack_id: str

    def deleting(self) -> bool | None:
        try:
            stacks = self.client.describe_stacks(StackName=self.stack_id)["Stacks"]
        except Exception:
            return None
        return bool(stacks) and stacks[0].get("StackStatus") == "DELETE_IN_PROGRESS"

    def owns_table(self, table_name: str) -> bool | None:
        try:
            resources = self.client.describe_stack_resources(StackName=self.stack_id)["StackResources"]
        except Exception:
            return None
        return any(
            r.get("ResourceType") == "AWS::DynamoDB::Table" and r.get("PhysicalResourceId") == table_name
            for r in resources
        )

    def resource_exists(self, logical_id: str) -> bool:
        """``logical_id`` as a claim records it. Unknown counts as existing: the index is
        then kept, never deleted."""
        if logical_id != recorded_logical_id(logical_id):  # a hash: no resource has it as its name
            return self._hashed_resource_exists(logical_id)
        try:
            detail = self.client.describe_stack_resource(
                StackName=self.stack_id, LogicalResourceId=logical_id
            )
        except Exception as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            message = str(error)
            return not (code == "ValidationError" and "does not exist" in message)
        status = detail.get("StackResourceDetail", {}).get("ResourceStatus", "")
        return bool(status != "DELETE_COMPLETE")

    def _hashed_resource_exists(self, recorded: str) -> bool:
        """A logical id longer than a tag value holds, found among the stack's resources."""
        try:
            resources = self.client.describe_stack_resources(StackName=self.stack_id)["StackResources"]
        except Exception:
            return True
        if len(resources) >= DESCRIBE_STACK_RESOURCES_LIMIT:
            return True  # only the first 100 are listed: the one sought may be past them
        return any(
            recorded_logical_id(str(r.get("LogicalResourceId", ""))) == recorded
            and r.get("ResourceStatus") != "DELETE_COMPLETE"
            for r in resources
        )
