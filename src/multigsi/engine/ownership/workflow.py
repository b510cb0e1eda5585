"""Claim → apply → release: the one sequence both CloudFormation front doors run.

The custom resource (a Lambda that hands long work to its next invocation) and the
resource type (handlers that return progress and are called back) differ only in how they
are invoked, how they hand over and how they answer. What they do to a table is this, once:

Create and Update (``converge``):
  1. read the table; while it is still being created (a table of the same stack), wait
     within the deadline;
  2. plan with only the listed indexes managed, so the spec is checked against the live
     table before anything is recorded;
  3. read the claims on the table's indexes and the listed ones, and run the front door's
     own check on them (the resource type's AlreadyExists and NotFound);
  4. record the claims (``policy.claims_for``); an index of another stack is a conflict,
     raised before anything changes;
  5. read again and work out what the resource no longer lists (``policy.release_for``):
     hand claims back to a previous owner that still exists, delete what it created and
     listed, release the rest;
  6. apply (the engine's reconcile loop) until converged, the deadline or an interrupt;
  7. forget the claims it released.

Delete (``remove``) is the same from step 3, with nothing listed to keep.

Nothing that arrives with a request widens what a resource may delete. Authority comes from
what CloudFormation supplies for the resource (its properties, old properties, stack and
logical id) and from the table's record, both at once: an index it created is deleted only
when its properties (new or old) list it. What one invocation hands the next ("these I
recorded as created") only fills the gap a lagging tag read leaves, for listed indexes
still being created, and never covers a claim the table records.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from multigsi.engine.clients import Clients
from multigsi.engine.clock import Clock, SystemClock
from multigsi.engine.ownership.policy import Release, claims_for, release_for
from multigsi.engine.ownership.record import Claim, Claims, Kind, Origin, Owner, TableRecord
from multigsi.engine.ownership.scope import Ownership
from multigsi.engine.ownership.stack import StackQuestions
from multigsi.engine.plan import Action, Plan
from multigsi.engine.progress import CloudWatchProgress, PerRegion
from multigsi.engine.reconcile import ApplyResult, Event, Outcome, Reconciler
from multigsi.errors import ClaimConflictError
from multigsi.model.live import IndexStatus, LiveTable
from multigsi.model.table import TableSpec

TABLE_POLL_SECONDS = 1.0  # while a table of the same stack is still CREATING
ANSWER_GRACE_SECONDS = 5.0  # reading the record to word a FAILED answer

ClaimsCheck = Callable[[Claims], None]


def _ignore(event: Event) -> None:
    return None


@dataclass(frozen=True)
class Resource:
    """Who asks, and what CloudFormation itself says the resource lists."""

    owner: Owner
    kind: Kind
    listed: tuple[str, ...] = ()  # the request's properties
    listed_before: tuple[str, ...] = ()  # its previous properties (an Update's old ones)
    carried: tuple[str, ...] = ()  # an earlier invocation's "recorded as created": re-checked here
    # The resource type's Delete (its model may be stale or only the identifier): the record decides.
    record_decides: bool = False

    @property
    def authorised(self) -> frozenset[str] | None:
        """The names this resource may delete an index of (when it also created it)."""
        if self.record_decides:
            return None
        return frozenset(self.listed) | frozenset(self.listed_before)


@dataclass(frozen=True)
class Converged:
    """Done: the table has what the resource lists, and what it gave up is settled."""

    table_name: str
    table_arn: str
    release: Release = field(default_factory=lambda: Release((), (), ()))
    note: str = ""  # a Delete that had nothing to do says why


@dataclass(frozen=True)
class Pending:
    """Work left when the deadline or an interrupt came: the next invocation continues."""

    table_name: str
    result: ApplyResult
    created: tuple[str, ...]  # names this resource has recorded as created (a hand-off may carry them)
    table_creating: bool = False


WorkflowOutcome = Converged | Pending


@dataclass
class Workflow:
    """One invocation's work on one table, bounded by ``deadline`` (on ``clock``)."""

    clients: Clients
    stack: StackQuestions
    deadline: float
    clock: Clock = field(default_factory=SystemClock)
    rng: random.Random = field(default_factory=random.Random)
    observer: Callable[[Event], None] = _ignore
    interrupt: threading.Event | None = None
    table_arn: str | None = None  # of the last table read: what a FAILED answer may name
    record: TableRecord | None = None

    # --- the two operations --------------------------------------------------------------

    def converge(
        self, spec: TableSpec, resource: Resource, check: ClaimsCheck | None = None
    ) -> WorkflowOutcome:
        """Create or Update: the table gets the listed indexes, and loses the ones the
        resource created and no longer lists."""
        reconciler = self.reconciler()
        live = self._settled(reconciler, spec.table_name)
        if isinstance(live, Pending):
            return live
        listed = [index.name for index in spec.indexes]
        live, plan = reconciler.plan(spec, Ownership.listed_only(), self.deadline)
        record = self._record(live)
        names = [index.name for index in live.indexes] + listed
        claims = self._read_with_carried(record, live, resource, names)
        if check is not None:
            check(claims)
        to_create = [step.index_name for step in plan.steps if step.action is Action.CREATE]
        me = resource.owner
        claiming = claims_for(me, listed, [i.name for i in live.indexes], to_create, claims, resource.kind)
        if claiming.conflicts:
            raise ClaimConflictError("; ".join(claiming.conflicts))
        record.write(claiming.write, claims)
        claims = record.read(names)
        going = release_for(
            me,
            claims,
            self.stack.resource_exists,
            keep=listed,
            authorised=resource.authorised,
            kind=resource.kind,
        )
        record.write(going.hand_back, claims)
        result = reconciler.apply(
            spec, Ownership.listed_only(*going.delete), deadline=self.deadline, interrupt=self.interrupt
        )
        if not result.converged:
            return Pending(live.name, result, record.created_by(me))
        record.forget(going.forgotten, record.read(listed + list(going.forgotten)))
        return Converged(live.name, live.arn, going)

    def remove(
        self, table_name: str, resource: Resource, check: ClaimsCheck | None = None
    ) -> WorkflowOutcome:
        """Delete: the indexes the resource created (and lists) go, adopted ones stay, claims
        taken from a resource that still exists go back to it."""
        reconciler = self.reconciler()
        live = reconciler.read(table_name, self.deadline)  # TableNotFoundError: the adapter decides
        self.table_arn = live.arn
        if live.status == "DELETING":
            return Converged(
                live.name, live.arn, note=f"table {live.name} is being deleted; nothing to delete"
            )
        if self.stack.deleting() and self.stack.owns_table(live.name):
            return Converged(
                live.name,
                live.arn,
                note=f"the stack is being deleted and owns table {live.name}: indexes left with the table",
            )
        settled = self._settled(reconciler, table_name)
        if isinstance(settled, Pending):
            return settled
        record = self._record(settled)
        names = [index.name for index in settled.indexes] + list(resource.listed)
        claims = self._read_with_carried(record, settled, resource, names)
        if check is not None:
            check(claims)
        going = release_for(
            resource.owner,
            claims,
            self.stack.resource_exists,
            authorised=resource.authorised,
            kind=resource.kind,
        )
        record.write(going.hand_back, claims)
        result = reconciler.apply(
            TableSpec(settled.name, (), ()),
            Ownership.listed_only(*going.delete),
            deadline=self.deadline,
            interrupt=self.interrupt,
        )
        if not result.converged:
            return Pending(settled.name, result, record.created_by(resource.owner))
        record.forget(going.forgotten, record.read(names))
        return Converged(settled.name, settled.arn, going)

    # --- questions an adapter asks ---------------------------------------------------------

    def holds_any(self, owner: Owner) -> bool:
        """Does the last table read hold any claim of ``owner``? (Whether a failed request
        changed anything: the table answers, not memory.)"""
        if self.table_arn is None:
            return False
        # Asked after a failure, maybe past the deadline: a few seconds more, never unbounded.
        deadline = max(self.deadline, self.clock.now() + ANSWER_GRACE_SECONDS)
        record = self.record or TableRecord(
            self.clients.dynamodb, self.table_arn, self.clock, deadline, self.rng
        )
        return record.holds_any(owner)

    def wrote_any(self, owner: Owner) -> bool:
        return self.record is not None and self.record.wrote_any(owner)

    # --- parts ---------------------------------------------------------------------------

    def reconciler(self) -> Reconciler:
        progress = CloudWatchProgress(self.clients.cloudwatch, self.clock)
        regions = self.clients.regions
        return Reconciler(
            self.clients.dynamodb,
            step_client=self.clients.step,
            clock=self.clock,
            rng=self.rng,
            progress=progress,
            observer=self.observer,
            regions=regions,
            replica_progress=(
                None
                if regions is None
                else PerRegion(lambda region: CloudWatchProgress(regions.cloudwatch(region), self.clock))
            ),
        )

    def _settled(self, reconciler: Reconciler, table_name: str) -> LiveTable | Pending:
        """The table once it is no longer CREATING (a table of the same stack may still be)."""
        live = reconciler.read(table_name, self.deadline)
        self.table_arn = live.arn
        while live.status == "CREATING":
            if self.clock.now() + TABLE_POLL_SECONDS > self.deadline or _set(self.interrupt):
                nothing = ApplyResult(table_name, Outcome.DEADLINE, (), Plan(table_name, ()), (), 0.0)
                return Pending(table_name, nothing, (), table_creating=True)
            self.clock.sleep(TABLE_POLL_SECONDS)
            live = reconciler.read(table_name, self.deadline)
        return live

    def _record(self, live: LiveTable) -> TableRecord:
        if self.record is None or self.record.table_arn != live.arn:
            self.record = TableRecord(self.clients.dynamodb, live.arn, self.clock, self.deadline, self.rng)
        return self.record

    def _read_with_carried(
        self, record: TableRecord, live: LiveTable, resource: Resource, names: Iterable[str]
    ) -> Claims:
        """The claims, with an earlier invocation's "created" names laid into the gaps, for
        the ones that can still be the lag of its own write: listed by this resource and
        still being created on the table."""
        listed = set(resource.listed)
        trusted = [
            name
            for name in resource.carried
            if name in listed
            and (index := live.index(name)) is not None
            and index.status is IndexStatus.CREATING
        ]
        record.carry(Claim(name, resource.owner, Origin.CREATED, kind=resource.kind) for name in trusted)
        return record.read(names)


def _set(event: threading.Event | None) -> bool:
    return event is not None and event.is_set()
