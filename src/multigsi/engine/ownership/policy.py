"""The ownership rules of both CloudFormation front doors, as decisions over the table's ownership record.

The record itself (tag format, reading, writing) is ``multigsi.engine.ownership.record``; this
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

Deleting needs two authorities, never one: the table's record must say this resource
created the index, and the resource's own CloudFormation-supplied properties (new or old)
must list it. A claim copied onto another index by someone who may tag the table is then
only released, never acted on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from multigsi.engine.ownership.record import Claim, Claims, Kind, Origin, Owner


@dataclass(frozen=True)
class ClaimPlan:
    write: tuple[Claim, ...]
    conflicts: tuple[str, ...]  # one sentence per index another stack owns


def claims_for(
    me: Owner,
    listed: Iterable[str],
    existing: Iterable[str],
    to_create: Iterable[str],
    claims: Claims,
    kind: Kind | None = None,
) -> ClaimPlan:
    """What a Create/Update records before it changes anything. ``kind``: the front door
    asking (written into every claim; a version 1 claim of its own is rewritten with it)."""
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
            write.append(Claim(name, me, origin, kind=kind))
        elif claim.owner != me:
            origin = Origin.CREATED if created else claim.origin
            write.append(Claim(name, me, origin, previous=claim.owner.logical_id, kind=kind))
        elif created and claim.origin is Origin.ADOPTED:
            write.append(Claim(name, me, Origin.CREATED, claim.previous, kind))  # replaced: now ours
        elif kind is not None and claim.kind is not kind:
            write.append(replace(claim, owner=me, kind=kind))  # a version 1 claim: say who holds it
    return ClaimPlan(tuple(write), tuple(conflicts))


@dataclass(frozen=True)
class Release:
    delete: tuple[str, ...]  # created by this resource and listed by it: removed
    release: tuple[str, ...]  # adopted: kept, claim dropped
    hand_back: tuple[Claim, ...]  # claims returned to the resource they were taken from
    unlisted: tuple[str, ...] = ()  # claimed as created, but never listed by this resource: kept

    @property
    def forgotten(self) -> tuple[str, ...]:
        """Every claim the release drops from the record (hand-backs are rewritten instead)."""
        return (*self.delete, *self.release, *self.unlisted)

    def summary(self) -> str:
        """What a finished Delete did, as the answer's reason (custom resource and type alike)."""
        parts = [f"removed indexes it created: {', '.join(self.delete) or 'none'}"]
        if self.release:
            parts.append(f"kept adopted: {', '.join(self.release)}")
        if self.unlisted:
            parts.append(f"kept, claimed but never listed by this resource: {', '.join(self.unlisted)}")
        if self.hand_back:
            parts.append(
                "handed back: " + ", ".join(f"{c.index_name} to {c.owner.logical_id}" for c in self.hand_back)
            )
        return "; ".join(parts)


def release_for(
    me: Owner,
    claims: Claims,
    still_exists: Callable[[str], bool],
    keep: Iterable[str] = (),
    *,
    authorised: Iterable[str] | None = None,
    kind: Kind | None = None,
) -> Release:
    """What a Delete (or an Update that stopped listing some indexes) does with the claims
    ``me`` holds, except on the names in ``keep``. An index it created is deleted only when
    ``authorised`` (the names its CloudFormation-supplied properties, new or old, list)
    names it; None means the record alone decides (the resource type's Delete by identifier,
    which has no properties). ``kind``: claims another front door recorded are not ``me``'s."""
    delete: list[str] = []
    release: list[str] = []
    unlisted: list[str] = []
    hand_back: list[Claim] = []
    kept = set(keep)
    allowed = None if authorised is None else set(authorised)
    for claim in claims.owned_by(me, kind):
        if claim.index_name in kept:
            continue
        if claim.previous and not me.is_stackless and still_exists(claim.previous):
            previous = Owner(me.stack_uuid, me.stack_name, claim.previous)
            hand_back.append(Claim(claim.index_name, previous, claim.origin, kind=claim.kind))
        elif claim.origin is Origin.CREATED and (allowed is None or claim.index_name in allowed):
            delete.append(claim.index_name)
        elif claim.origin is Origin.CREATED:
            unlisted.append(claim.index_name)
        else:
            release.append(claim.index_name)
    return Release(tuple(sorted(delete)), tuple(sorted(release)), tuple(hand_back), tuple(sorted(unlisted)))
