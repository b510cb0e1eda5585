"""Which of a table's indexes multigsi may change, and who owns each one.

An index multigsi does not manage is never touched: not deleted, not updated, not replaced.

Two things live here, the one place that knows them:

- ``Ownership``: which indexes one run may change (the CLI's ``--keep-unlisted``, the
  planner's view);
- the durable ownership record, kept as tags on the table itself so that every Lambda
  invocation, the CLI and a later registry resource type read the same answer.

The record's format (version 1)
-------------------------------
One tag per index a resource owns::

    multigsi:gsi:<IndexName>  =  v1/<origin>/<stack uuid>/<stack name>/<logical id>[/<previous logical id>]

- ``origin`` is ``c`` when a multigsi resource created the index and ``a`` when it adopted
  one that already existed. Adopted indexes are never deleted by a Delete. Ownership
  moving to another resource keeps the origin: created stays created.
- ``stack uuid`` is the last part of the stack's ARN: unique per stack, the identity used
  to tell "this stack" from "another stack". ``stack name`` is for people.
- ``previous logical id`` is set when a resource of the same stack took the index over
  from another (a logical-ID rename looks like that): the taker's Delete hands the index
  back while that resource still exists in the stack (rollback of a rename, or two
  resources listing one index), and deletes it once the previous owner is gone.
- Index names longer than ``len(TAG_PREFIX) + name`` allows (keys are at most 128
  characters) use ``multigsi:gsi:=<sha256 of the name, 40 hex>``; logical ids that do not
  fit or use characters tags refuse become ``=<sha256, 32 hex>`` the same way: every
  reader computes the same form, so comparisons hold.

One more tag lists the stacks holding any claim, space-separated stack uuids::

    multigsi:stacks  =  <stack uuid> [<stack uuid> ...]

It exists for IAM: the generated role may clean up any table whose ``multigsi:stacks``
tag names its stack (``aws:ResourceTag`` condition), so a TableName replacement cannot
strand the old table's indexes.

Limits (DynamoDB tagging restrictions): 50 tags per table including the user's own (tags
starting ``aws:`` do not count), keys up to 128 characters, values up to 256, characters
letters, digits, spaces and ``+ - = . _ : /``. A table has at most 20 indexes by default,
so the record needs at most 21 tags; ``write`` refuses clearly before going over 50.
TagResource and UntagResource are limited to five calls a second per account, so one
write carries every tag of a change. Tag changes are eventually consistent (a read may
lag a write by seconds): a ``TableRecord`` remembers what it wrote and lays that over
what it reads. A tag call the table refuses because it is busy (ResourceInUseException,
whether DynamoDB does that while an index builds is unconfirmed) or that is throttled is
retried with backoff until the caller's deadline.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from multigsi.engine.clock import Clock, SystemClock
from multigsi.engine.errors import ErrorKind, classify
from multigsi.engine.waiting import backoff_delay
from multigsi.errors import MultigsiError, StepFailedError
from multigsi.spec.model import TableSpec

TAG_PREFIX = "multigsi:gsi:"
STACKS_TAG = "multigsi:stacks"
FORMAT_VERSION = "v1"
MAX_TAGS = 50
MAX_KEY = 128
MAX_VALUE = 256
MAX_STACKS = 6  # 6 x 37 characters fit in one 256-character value
_SAFE = re.compile(r"[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Ownership:
    """``managed=None`` means the spec owns every index on the table (the CLI's default, as
    AWS::DynamoDB::Table and Terraform do); otherwise only the listed names and the
    indexes the spec lists are managed (``--keep-unlisted``, or a custom resource that
    manages what it listed now or before)."""

    managed: frozenset[str] | None = None

    @classmethod
    def everything(cls) -> Ownership:
        return cls(None)

    @classmethod
    def listed_only(cls, *extra: str) -> Ownership:
        return cls(frozenset(extra))

    def manages(self, index_name: str, spec: TableSpec) -> bool:
        if self.managed is None or spec.index(index_name) is not None:
            return True
        return index_name in self.managed


class OwnershipError(MultigsiError):
    """The ownership record cannot be written (tag limits) or forbids a change."""


class TagsOutOfTime(StepFailedError):
    """ListTagsOfResource still answered with a NextToken when the deadline came. Transient:
    the registry type answers IN_PROGRESS and reads again on the callback."""

    def __init__(self, table_arn: str, pages: int) -> None:
        super().__init__(
            table_arn,
            "ListTagsOfResource",
            "TagsOutOfTime",
            f"still paging after {pages} page(s) when the deadline came",
            transient=True,
        )


class Origin(Enum):
    CREATED = "c"
    ADOPTED = "a"

    def __str__(self) -> str:
        return "created" if self is Origin.CREATED else "adopted"


def _token(text: str, room: int = 200) -> str:
    """``text`` as it may appear in a tag value, or a stable hash of it."""
    if _SAFE.fullmatch(text) and len(text) <= room:
        return text
    return "=" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def recorded_logical_id(logical_id: str) -> str:
    """A logical id as a claim records it: itself, or past 64 characters a hash of it (a
    hashed id cannot be looked up by name: compare the stack's ids through this function)."""
    return _token(logical_id, 64)


def tag_key(index_name: str) -> str:
    if len(TAG_PREFIX) + len(index_name) <= MAX_KEY and _SAFE.fullmatch(index_name):
        return TAG_PREFIX + index_name
    return TAG_PREFIX + "=" + hashlib.sha256(index_name.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Owner:
    """A CloudFormation resource: its stack and logical id."""

    stack_uuid: str
    stack_name: str
    logical_id: str

    @classmethod
    def of(cls, stack_id: str, logical_id: str) -> Owner:
        """From a StackId (``arn:...:stack/NAME/UUID``) and a LogicalResourceId."""
        parts = stack_id.split("/")
        if len(parts) == 3 and _SAFE.fullmatch(parts[1]) and _SAFE.fullmatch(parts[2]):
            name, uuid = parts[1][:128], parts[2][:40]
        else:
            name, uuid = "unknown", _token(stack_id, 0)[1:37]
        return cls(uuid, name, recorded_logical_id(logical_id))

    def same_stack(self, other: Owner) -> bool:
        return self.stack_uuid == other.stack_uuid

    def __str__(self) -> str:
        return f"{self.stack_name}/{self.logical_id}"


@dataclass(frozen=True)
class Claim:
    """One index's owner and origin, as one tag records it."""

    index_name: str
    owner: Owner
    origin: Origin
    previous: str | None = None  # the same stack's logical id it was taken over from

    def value(self) -> str:
        o = self.owner
        parts = [FORMAT_VERSION, self.origin.value, o.stack_uuid, o.stack_name, o.logical_id]
        if self.previous:
            parts.append(self.previous)
        return "/".join(parts)

    def describe(self) -> str:
        return f"{self.owner} ({self.origin})"

    @classmethod
    def parse(cls, index_name: str, value: str) -> Claim | None:
        """None for a value this version does not understand (left alone, never trusted)."""
        parts = value.split("/")
        if len(parts) not in (5, 6) or parts[0] != FORMAT_VERSION or parts[1] not in ("c", "a"):
            return None
        previous = parts[5] if len(parts) == 6 and parts[5] else None
        return cls(index_name, Owner(parts[2], parts[3], parts[4]), Origin(parts[1]), previous)


@dataclass(frozen=True)
class Claims:
    """What a table's tags say: the claims on the indexes asked about, and the tag count."""

    by_index: Mapping[str, Claim] = field(default_factory=dict)
    tag_keys: frozenset[str] = frozenset()

    def of(self, index_name: str) -> Claim | None:
        return self.by_index.get(index_name)

    def owned_by(self, owner: Owner) -> tuple[Claim, ...]:
        return tuple(c for c in self.by_index.values() if c.owner == owner)

    def stacks(self) -> tuple[str, ...]:
        return tuple(sorted({c.owner.stack_uuid for c in self.by_index.values()}))


def claims_from_tags(tags: Mapping[str, str], index_names: Iterable[str]) -> Claims:
    """The claims ``tags`` record for ``index_names`` (keys are per name, so the reader
    says which names it asks about: the table's indexes and the ones it lists)."""
    found = {}
    for name in set(index_names):
        value = tags.get(tag_key(name))
        claim = Claim.parse(name, value) if value is not None else None
        if claim is not None:
            found[name] = claim
    return Claims(found, frozenset(tags))


@dataclass
class TableRecord:
    """The ownership record of one table, read and written through a DynamoDB client."""

    client: Any
    table_arn: str
    clock: Clock = field(default_factory=SystemClock)
    deadline: float | None = None
    rng: random.Random = field(default_factory=random.Random)
    _written: dict[str, Claim | None] = field(default_factory=dict)

    def _call(self, operation: str, **kwargs: Any) -> Any:
        """One tag call, retried while the table is busy or the call throttled."""
        attempt = 0
        while True:
            try:
                return getattr(self.client, operation)(**kwargs)
            except Exception as error:
                classified = classify(error)
                busy = classified.code == "ResourceInUseException" or classified.kind is ErrorKind.TRANSIENT
                delay = backoff_delay(attempt, self.rng)
                if not busy or self.deadline is None or self.clock.now() + delay > self.deadline:
                    raise
                self.clock.sleep(delay)
                attempt += 1

    def tags(self) -> dict[str, str]:
        """Every tag of the table, following ListTagsOfResource's NextToken until the last
        page, or until the deadline: an endpoint that keeps paging must not hold the caller
        past it (TagsOutOfTime, transient: a later invocation may try again)."""
        tags: dict[str, str] = {}
        kwargs: dict[str, Any] = {"ResourceArn": self.table_arn}
        pages = 0
        while True:
            page = self._call("list_tags_of_resource", **kwargs)
            pages += 1
            tags.update({t["Key"]: t.get("Value", "") for t in page.get("Tags", [])})
            if not page.get("NextToken"):
                return tags
            if self.deadline is not None and self.clock.now() >= self.deadline:
                raise TagsOutOfTime(self.table_arn, pages)
            kwargs["NextToken"] = page["NextToken"]

    def read(self, index_names: Iterable[str]) -> Claims:
        names = set(index_names) | set(self._written)
        claims = claims_from_tags(self.tags(), names)
        merged = dict(claims.by_index)
        for name, claim in self._written.items():  # our own writes win over a lagging read
            if claim is None:
                merged.pop(name, None)
            else:
                merged[name] = claim
        return replace(claims, by_index=merged)

    def holds_any(self, owner: Owner) -> bool:
        """Does ``owner`` hold any claim on this table (index names unknown to the caller)?"""
        if self.wrote_any(owner):
            return True
        for key, value in self.tags().items():
            claim = Claim.parse("", value) if key.startswith(TAG_PREFIX) else None
            if claim is not None and claim.owner == owner:
                return True
        return False

    def remember(self, claims: Iterable[Claim]) -> None:
        """Claims written by an earlier invocation of the same request, which a lagging read
        may not show yet."""
        for claim in claims:
            self._written.setdefault(claim.index_name, claim)

    def created_by(self, owner: Owner) -> tuple[str, ...]:
        return tuple(
            sorted(
                n
                for n, c in self._written.items()
                if c is not None and c.owner == owner and c.origin is Origin.CREATED
            )
        )

    def wrote_any(self, owner: Owner) -> bool:
        return any(c is not None and c.owner == owner for c in self._written.values())

    def write(self, claims: Iterable[Claim], current: Claims) -> None:
        """Record ``claims`` (one TagResource call), refusing before the table would carry
        more than 50 tags."""
        claims = list(claims)
        if not claims:
            return
        after = {**current.by_index, **{c.index_name: c for c in claims}}
        stacks = sorted({c.owner.stack_uuid for c in after.values()})
        if len(stacks) > MAX_STACKS:
            raise OwnershipError(
                f"{len(stacks)} stacks would own indexes of {self.table_arn}; the record holds {MAX_STACKS}"
            )
        tags = [{"Key": tag_key(c.index_name), "Value": c.value()} for c in claims]
        tags.append({"Key": STACKS_TAG, "Value": " ".join(stacks)})
        counted = {k for k in current.tag_keys if not k.startswith("aws:")}
        new = {t["Key"] for t in tags} - counted
        if len(counted) + len(new) > MAX_TAGS:
            raise OwnershipError(
                f"recording ownership of {', '.join(c.index_name for c in claims)} needs {len(new)} more "
                f"tag(s) on {self.table_arn}, which already has {len(counted)}; DynamoDB allows {MAX_TAGS}"
            )
        self._call("tag_resource", ResourceArn=self.table_arn, Tags=tags)
        self._written.update({c.index_name: c for c in claims})

    def forget(self, index_names: Iterable[str], current: Claims) -> None:
        """Remove the claims on ``index_names`` (one UntagResource, and the stacks tag kept true)."""
        names = [n for n in index_names if n in current.by_index]
        if not names:
            return
        left = {n: c for n, c in current.by_index.items() if n not in names}
        keys = [tag_key(n) for n in names]
        stacks = sorted({c.owner.stack_uuid for c in left.values()})
        if stacks:
            self._call(
                "tag_resource",
                ResourceArn=self.table_arn,
                Tags=[{"Key": STACKS_TAG, "Value": " ".join(stacks)}],
            )
        else:
            keys.append(STACKS_TAG)
        self._call("untag_resource", ResourceArn=self.table_arn, TagKeys=keys)
        self._written.update(dict.fromkeys(names))


def owners_of(client: Any, table_arn: str, index_names: Iterable[str]) -> Claims:
    """Read-only view for reports (``multigsi status``)."""
    return TableRecord(client, table_arn).read(index_names)
