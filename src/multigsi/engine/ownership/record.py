"""The durable ownership record: who owns each index, kept as tags on the table itself, so
that every Lambda invocation, every resource type handler call and the CLI read the same
answer. The rules that decide from it are ``multigsi.engine.ownership.policy``.

The record's format (version 2; version 1 is still read)
--------------------------------------------------------
One tag per index a resource owns::

    multigsi:gsi:<IndexName>  =  v2/<origin>/<kind>/<stack uuid>/<stack name>/<logical id>[/<previous logical id>]

- ``origin`` is ``c`` when a multigsi resource created the index and ``a`` when it adopted
  one that already existed. Adopted indexes are never deleted by a Delete. Ownership
  moving to another resource keeps the origin: created stays created.
- ``kind`` is the front door that holds the claim: ``r`` the custom resource
  (``Custom::MultiGsi``), ``t`` the registry resource type. Version 1 values (written before
  kinds existed, by either) read as kind unknown.
- ``stack uuid`` is the last part of the stack's ARN: unique per stack, the identity used
  to tell "this stack" from "another stack". A resource created without a stack (the Cloud
  Control API) gets a random uuid of its own and the stack name ``-``, so every such
  resource is a stack of its own. ``stack name`` is for people: it is shortened to keep
  the value within 256 characters and never compared.
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

Who may write these tags may decide what multigsi deletes: tagging ``multigsi:*`` keys is a
privilege (docs/security.md). A claim alone never makes multigsi delete an index: the
workflow also needs the resource's CloudFormation-supplied properties to list it.

Limits (DynamoDB tagging restrictions): 50 tags per table including the user's own (tags
starting ``aws:`` do not count), keys up to 128 characters, values up to 256, characters
letters, digits, spaces and ``+ - = . _ : /``. A table has at most 20 indexes by default,
so the record needs at most 21 tags; ``write`` refuses clearly before going over 50.
TagResource and UntagResource are limited to five calls a second per account, so one
write carries every tag of a change. Tag changes are eventually consistent (a read may
lag a write by seconds): a ``TableRecord`` remembers what it wrote and lays that over
what it reads. A tag call the table refuses because it is busy (ResourceInUseException,
whether DynamoDB does that while an index builds is unconfirmed) or that is throttled is
retried with backoff until the caller's deadline; so is reading the tags page by page.
"""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from multigsi.engine.classify import ErrorKind, classify
from multigsi.engine.clock import Clock, SystemClock
from multigsi.engine.retry import retry_until_deadline
from multigsi.errors import ReadOutOfTime, RecordFullError

TAG_PREFIX = "multigsi:gsi:"
STACKS_TAG = "multigsi:stacks"
FORMAT_VERSION = "v2"
READABLE_VERSIONS = ("v1", "v2")
MAX_TAGS = 50
MAX_KEY = 128
MAX_VALUE = 256
MAX_STACKS = 6  # 6 x 37 characters fit in one 256-character value
NO_STACK = "-"  # the stack name of a resource created without a stack (Cloud Control)
STACKLESS_LOGICAL_ID = "CloudControl"
_SAFE = re.compile(r"[A-Za-z0-9._-]+")
UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Origin(Enum):
    CREATED = "c"
    ADOPTED = "a"

    def __str__(self) -> str:
        return "created" if self is Origin.CREATED else "adopted"


class Kind(Enum):
    """Which front door holds a claim."""

    CUSTOM_RESOURCE = "r"
    RESOURCE_TYPE = "t"

    def __str__(self) -> str:
        return "custom resource" if self is Kind.CUSTOM_RESOURCE else "resource type"


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
    """A CloudFormation resource: its stack and logical id. Two owners are the same when
    their stack uuid and logical id are: the stack name is for people only."""

    stack_uuid: str
    stack_name: str = field(compare=False)
    logical_id: str

    @classmethod
    def of(cls, stack_id: str, logical_id: str) -> Owner:
        """From a StackId (``arn:...:stack/NAME/UUID``) and a LogicalResourceId."""
        parts = stack_id.split("/")
        if len(parts) == 3 and _SAFE.fullmatch(parts[1]) and _SAFE.fullmatch(parts[2]):
            name, stack_uuid = parts[1][:128], parts[2][:40]
        else:
            name, stack_uuid = "unknown", _token(stack_id, 0)[1:37]
        return cls(stack_uuid, name, recorded_logical_id(logical_id))

    @classmethod
    def stackless(cls, resource_uuid: str | None = None) -> Owner:
        """A resource created without a stack (the Cloud Control API): a stack of its own,
        named by a random uuid made at its Create."""
        return cls(resource_uuid or str(uuid.uuid4()), NO_STACK, STACKLESS_LOGICAL_ID)

    @property
    def is_stackless(self) -> bool:
        return self.stack_name == NO_STACK

    def same_stack(self, other: Owner) -> bool:
        return self.stack_uuid == other.stack_uuid

    def __str__(self) -> str:
        if self.is_stackless:
            return f"stack-less resource {self.stack_uuid}"
        return f"{self.stack_name}/{self.logical_id}"


@dataclass(frozen=True)
class Claim:
    """One index's owner and origin, as one tag records it. ``kind`` None: a version 1 tag,
    written before the record said which front door holds a claim."""

    index_name: str
    owner: Owner
    origin: Origin
    previous: str | None = None  # the same stack's logical id it was taken over from
    kind: Kind | None = None

    def value(self) -> str:
        """The tag's value, at most 256 characters whatever the names: the stack name is
        shortened first (it is never compared), a logical id is at most 64 characters."""
        o = self.owner
        kind = [] if self.kind is None else [self.kind.value]  # no kind: the version 1 form
        head = ["v1" if self.kind is None else FORMAT_VERSION, self.origin.value, *kind, o.stack_uuid]
        tail = [o.logical_id] + ([self.previous] if self.previous else [])
        room = MAX_VALUE - len("/".join([*head, "", *tail]))
        name = o.stack_name if len(o.stack_name) <= room else o.stack_name[: max(0, room - 1)] + "+"
        return "/".join([*head, name, *tail])

    def describe(self) -> str:
        kind = f", {self.kind}" if self.kind is not None else ""
        return f"{self.owner} ({self.origin}{kind})"

    @classmethod
    def parse(cls, index_name: str, value: str) -> Claim | None:
        """None for a value this version does not understand (left alone, never trusted)."""
        parts = value.split("/")
        if not parts or parts[0] not in READABLE_VERSIONS:
            return None
        kind: Kind | None = None
        if parts[0] == "v2":
            if len(parts) < 3 or parts[2] not in ("r", "t"):
                return None
            kind = Kind(parts[2])
            parts = [parts[0], parts[1], *parts[3:]]
        if len(parts) not in (5, 6) or parts[1] not in ("c", "a") or not all(parts[2:5]):
            return None
        previous = parts[5] if len(parts) == 6 and parts[5] else None
        return cls(index_name, Owner(parts[2], parts[3], parts[4]), Origin(parts[1]), previous, kind)


@dataclass(frozen=True)
class Claims:
    """What a table's tags say: the claims on the indexes asked about, and every tag key."""

    by_index: Mapping[str, Claim] = field(default_factory=dict)
    tag_keys: frozenset[str] = frozenset()

    def of(self, index_name: str) -> Claim | None:
        return self.by_index.get(index_name)

    def owned_by(self, owner: Owner, kind: Kind | None = None) -> tuple[Claim, ...]:
        """``owner``'s claims; with ``kind``, not those another front door recorded."""
        return tuple(
            c
            for c in self.by_index.values()
            if c.owner == owner and (kind is None or c.kind is None or c.kind is kind)
        )

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
    """The ownership record of one table, read and written through a DynamoDB client.
    Every call, paging included, ends by ``deadline``."""

    client: Any
    table_arn: str
    clock: Clock = field(default_factory=SystemClock)
    deadline: float | None = None
    rng: random.Random = field(default_factory=random.Random)
    _written: dict[str, Claim | None] = field(default_factory=dict)
    _carried: dict[str, Claim] = field(default_factory=dict)

    def _call(self, operation: str, **kwargs: Any) -> Any:
        """One tag call, retried while the table is busy or the call throttled."""

        def busy(error: Exception) -> bool:
            classified = classify(error)
            return classified.code == "ResourceInUseException" or classified.kind is ErrorKind.TRANSIENT

        return retry_until_deadline(
            lambda: getattr(self.client, operation)(**kwargs),
            retryable=lambda error: self.deadline is not None and busy(error),
            clock=self.clock,
            rng=self.rng,
            deadline=self.deadline,
        )

    def tags(self) -> dict[str, str]:
        """Every tag of the table. A listing that keeps paging past the deadline is
        abandoned: an endpoint that never ends its pages cannot hold a caller forever."""
        tags: dict[str, str] = {}
        kwargs: dict[str, Any] = {"ResourceArn": self.table_arn}
        seen: set[str] = set()
        while True:
            page = self._call("list_tags_of_resource", **kwargs)
            tags.update({t["Key"]: t.get("Value", "") for t in page.get("Tags", [])})
            token = page.get("NextToken")
            if not token:
                return tags
            if token in seen or (self.deadline is not None and self.clock.now() > self.deadline):
                raise ReadOutOfTime(f"listing the tags of {self.table_arn}")
            seen.add(token)
            kwargs["NextToken"] = token

    def read(self, index_names: Iterable[str]) -> Claims:
        names = set(index_names) | set(self._written) | set(self._carried)
        claims = claims_from_tags(self.tags(), names)
        merged = dict(claims.by_index)
        for name, carried in self._carried.items():  # fills a gap a lagging read leaves, nothing more
            merged.setdefault(name, carried)
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

    def carry(self, claims: Iterable[Claim]) -> None:
        """Claims an earlier invocation of the same request says it wrote, which a lagging
        read may not show yet. They only fill in where the table shows no claim at all:
        they never override anyone's recorded claim, nor count as written."""
        for claim in claims:
            self._carried.setdefault(claim.index_name, claim)

    def created_by(self, owner: Owner) -> tuple[str, ...]:
        recorded = {**self._carried, **self._written}
        return tuple(
            sorted(
                n
                for n, c in recorded.items()
                if c is not None and c.owner == owner and c.origin is Origin.CREATED
            )
        )

    def wrote_any(self, owner: Owner) -> bool:
        return any(c is not None and c.owner == owner for c in self._written.values())

    def write(self, claims: Iterable[Claim], current: Claims) -> None:
        """Record ``claims`` (one TagResource call), refusing before the table would carry
        more than 50 tags or name more stacks than the stacks tag holds."""
        claims = list(claims)
        if not claims:
            return
        after = {**current.by_index, **{c.index_name: c for c in claims}}
        stacks = sorted({c.owner.stack_uuid for c in after.values()})
        if len(stacks) > MAX_STACKS:
            raise RecordFullError(
                f"{len(stacks)} stacks would own indexes of {self.table_arn}; the record holds {MAX_STACKS}. "
                f"Claims of other stacks: {_listed(c.describe() for c in current.by_index.values())}"
            )
        tags = [{"Key": tag_key(c.index_name), "Value": c.value()} for c in claims]
        tags.append({"Key": STACKS_TAG, "Value": " ".join(stacks)})
        counted = {k for k in current.tag_keys if not k.startswith("aws:")}
        new = {t["Key"] for t in tags} - counted
        if len(counted) + len(new) > MAX_TAGS:
            others = sorted(k for k in counted if not k.startswith(("multigsi:",)))
            raise RecordFullError(
                f"recording ownership of {', '.join(c.index_name for c in claims)} needs {len(new)} more "
                f"tag(s) on {self.table_arn}, which already has {len(counted)}; DynamoDB allows {MAX_TAGS}. "
                f"Tags that are not multigsi's: {_listed(others)}; nothing was changed"
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


def _listed(items: Iterable[str], limit: int = 10) -> str:
    shown = list(items)
    more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
    return (", ".join(shown[:limit]) or "none") + more


def owners_of(client: Any, table_arn: str, index_names: Iterable[str]) -> Claims:
    """Read-only view for reports (``multigsi status``)."""
    return TableRecord(client, table_arn).read(index_names)
