"""Create, update, delete, read and list, over the reconcile engine and the ownership record.

Each mutating call is one invocation: it checks the request, records ownership (as
``Custom::MultiGsi`` does, through ``multigsi.cfn.lifecycle``), runs the engine's
``Reconciler.apply`` until the pacing says the rest of the wait belongs to a later
invocation, and answers SUCCESS, FAILED or IN_PROGRESS with a small callback context.
Nothing is carried between invocations that the table does not also show: the context
holds the invocation count, when the operation started, and the indexes this operation
recorded as created (a tag read may lag a write by seconds).

Error codes follow the resource-type contract: a table missing on Create is InvalidRequest;
an index another stack owns, or a Create of a resource that already holds claims, is
AlreadyExists; a changed TableName on Update is NotUpdatable; Read, Update and Delete of a
resource that holds no claim are NotFound.
"""

from __future__ import annotations

import datetime
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from multigsi.cfn.event import properties_spec
from multigsi.cfn.lifecycle import StackView, claims_for, release_for
from multigsi.engine.clock import Clock, SystemClock
from multigsi.engine.live import LiveTable
from multigsi.engine.ownership import Claim, Claims, Origin, Ownership, OwnershipError, TableRecord
from multigsi.engine.plan import Action
from multigsi.engine.progress import CloudWatchProgress
from multigsi.engine.reconcile import ApplyResult, Event, Observed, ReadOutOfTime, Reconciler
from multigsi.errors import MultigsiError, SpecError, StepFailedError, TableNotFoundError
from multigsi.registry.model import ResourceId, live_model, resource_id, without_write_only
from multigsi.registry.pacing import INVOCATION_BUDGET, callback_delay, poll_here, progress_message
from multigsi.spec.model import TableSpec

TABLE_CREATING_DELAY = 5
TRANSIENT_DELAY = 10  # DynamoDB kept throttling (or failing) reads: come back, do not fail
LIST_PAGE = 25  # tables looked at per List call: each costs a DescribeTable and a tag read


class Status(StrEnum):
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    IN_PROGRESS = "IN_PROGRESS"


class ErrorCode(StrEnum):
    """The subset of the protocol's HandlerErrorCode this type answers."""

    INVALID_REQUEST = "InvalidRequest"
    NOT_FOUND = "NotFound"
    ALREADY_EXISTS = "AlreadyExists"
    NOT_UPDATABLE = "NotUpdatable"
    GENERAL = "GeneralServiceException"


@dataclass(frozen=True)
class Request:
    action: str  # CREATE | UPDATE | DELETE | READ | LIST
    desired: Mapping[str, Any]
    previous: Mapping[str, Any] | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    stack_id: str | None = None
    logical_id: str | None = None
    next_token: str | None = None


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: str = ""
    model: Mapping[str, Any] | None = None
    models: tuple[Mapping[str, Any], ...] = ()
    context: Mapping[str, Any] | None = None
    delay: int = 0
    error: ErrorCode | None = None
    next_token: str | None = None


def failed(error: ErrorCode, message: str) -> Outcome:
    return Outcome(Status.FAILED, message, error=error)


@dataclass(frozen=True)
class Clients:
    dynamodb: Any  # reads and tags, botocore's standard retries
    step: Any  # UpdateTable: no automatic retries
    cloudwatch: Any
    cloudformation: Any


@dataclass
class Operations:
    """One invocation's work. ``wall`` is epoch seconds (for CloudWatch's timestamps and
    the context's start time); ``clock`` measures the invocation's budget and the waits."""

    clients: Clients
    clock: Clock = field(default_factory=SystemClock)
    wall: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=random.Random)
    budget: float = INVOCATION_BUDGET
    # This invocation (or an earlier one of the operation) has made the first-call checks
    # (AlreadyExists, NotFound): a callback must not make them again against its own claims.
    checked: bool = False

    # --- entry -------------------------------------------------------------------------------

    def run(self, request: Request) -> Outcome:
        try:
            if request.action == "READ":
                return self.read(request)
            if request.action == "LIST":
                return self.list(request)
            if request.action == "DELETE":
                return self.delete(request)
            if request.action in ("CREATE", "UPDATE"):
                return self.create_or_update(request)
            return failed(ErrorCode.INVALID_REQUEST, f"unknown action {request.action!r}")
        except SpecError as error:
            return failed(ErrorCode.INVALID_REQUEST, _problems(error))
        except OwnershipError as error:
            return failed(_conflict(request), str(error))
        except (ReadOutOfTime, StepFailedError) as error:
            # A read that kept failing transiently within this invocation's 30 s is no
            # reason to fail an operation that may run for hours: CloudFormation calls back.
            transient = isinstance(error, ReadOutOfTime) or error.transient
            if transient and request.action in ("CREATE", "UPDATE", "DELETE"):
                reason = (
                    "reading the table kept failing transiently"
                    if isinstance(error, ReadOutOfTime)
                    else str(error)
                )
                return self._again(
                    request, _created(request.context), f"{reason}; trying again", TRANSIENT_DELAY
                )
            return failed(ErrorCode.GENERAL, str(error) or type(error).__name__)
        except MultigsiError as error:
            return failed(ErrorCode.GENERAL, str(error))
        except (ClientError, BotoCoreError) as error:  # a tag or list call AWS refused
            return failed(ErrorCode.GENERAL, f"{type(error).__name__}: {error}")

    # --- create and update ---------------------------------------------------------------------

    def create_or_update(self, request: Request) -> Outcome:
        first = not _checked(request)
        spec = properties_spec(_without_id(request.desired), which="desiredResourceState")
        if not spec.indexes:
            return failed(
                ErrorCode.INVALID_REQUEST,
                "desiredResourceState.GlobalSecondaryIndexes: list at least one index "
                "(to remove them all, delete the resource)",
            )
        identifier = resource_id(request.desired, request.stack_id, request.logical_id)
        assert identifier is not None  # the spec parsed, so TableName is valid
        if request.action == "UPDATE":
            old = request.previous or {}
            if old.get("TableName") not in (None, spec.table_name):
                return failed(
                    ErrorCode.NOT_UPDATABLE,
                    f"TableName is create-only: {old.get('TableName')} -> {spec.table_name} needs a new resource",
                )
        me = identifier.owner
        deadline = self.clock.now() + self.budget
        pacer = _Pacer(self.clock, deadline, self.wall, _seen(request.context))
        reconciler = self._reconciler(pacer)
        try:
            live = reconciler.read(spec.table_name, deadline)
        except TableNotFoundError as error:
            if request.action == "UPDATE" and first:
                return failed(ErrorCode.NOT_FOUND, str(error))
            return failed(ErrorCode.INVALID_REQUEST, f"{error}: the type manages an existing table's indexes")
        if live.status == "CREATING":
            return self._again(request, (), "the table is being created", TABLE_CREATING_DELAY)
        listed = [index.name for index in spec.indexes]
        live, plan = reconciler.plan(spec, Ownership.listed_only(), deadline)
        record = TableRecord(self.clients.dynamodb, live.arn, self.clock, deadline, self.rng)
        carried = _created(request.context)
        record.remember(Claim(name, me, Origin.CREATED) for name in carried)
        names = [index.name for index in live.indexes] + listed
        claims = record.read(names)
        if first and request.action == "CREATE" and claims.owned_by(me):
            return failed(ErrorCode.ALREADY_EXISTS, f"{identifier} already exists")
        if first and request.action == "UPDATE" and not claims.owned_by(me):
            return failed(ErrorCode.NOT_FOUND, f"{identifier} does not exist")
        self.checked = True
        to_create = [step.index_name for step in plan.steps if step.action is Action.CREATE]
        claiming = claims_for(me, listed, [index.name for index in live.indexes], to_create, claims)
        if claiming.conflicts:
            return failed(_conflict(request), "; ".join(claiming.conflicts))
        record.write(claiming.write, claims)
        claims = record.read(names)
        going = release_for(me, claims, self._stack(request).resource_exists, keep=listed)
        record.write(going.hand_back, claims)
        try:
            result = reconciler.apply(
                spec, Ownership.listed_only(*going.delete), deadline=deadline, interrupt=pacer.stop
            )
        except (MultigsiError, ClientError, BotoCoreError) as error:
            if isinstance(error, StepFailedError) and error.transient:
                raise  # not a failure: run() answers IN_PROGRESS and CloudFormation calls back
            # Claims are written (maybe an index built): answer with the identifier, so that
            # CloudFormation's rollback sends a Delete that cleans up, and a retry is no
            # AlreadyExists of our own making.
            return Outcome(
                Status.FAILED,
                f"{type(error).__name__}: {error}",
                model=_identified(request),
                error=ErrorCode.GENERAL,
            )
        created = record.created_by(me)
        if not result.converged:
            return self._pending(request, result, created, pacer)
        record.forget(
            (*going.delete, *going.release), record.read(listed + list(going.delete + going.release))
        )
        return Outcome(
            Status.SUCCESS,
            f"indexes ready: {', '.join(listed)}",
            model=without_write_only(_identified(request)),
        )

    # --- delete --------------------------------------------------------------------------------

    def delete(self, request: Request) -> Outcome:
        first = not _checked(request)
        identifier = resource_id(request.desired, request.stack_id, request.logical_id)
        if identifier is None:
            return failed(ErrorCode.NOT_FOUND, "the model has no valid Id or TableName")
        deadline = self.clock.now() + self.budget
        pacer = _Pacer(self.clock, deadline, self.wall, _seen(request.context))
        reconciler = self._reconciler(pacer)
        try:
            live = reconciler.read(identifier.table_name, deadline)
        except TableNotFoundError as error:
            if first:
                return failed(ErrorCode.NOT_FOUND, f"{error}: nothing to delete")
            return Outcome(Status.SUCCESS, f"{error}: nothing left to delete")
        if live.status == "DELETING":
            return Outcome(Status.SUCCESS, f"table {live.name} is being deleted; nothing to delete")
        me = identifier.owner
        record = TableRecord(self.clients.dynamodb, live.arn, self.clock, deadline, self.rng)
        record.remember(Claim(name, me, Origin.CREATED) for name in _created(request.context))
        names = [index.name for index in live.indexes] + _listed(request.desired)
        claims = record.read(names)
        if first and not claims.owned_by(me):
            return failed(ErrorCode.NOT_FOUND, f"{identifier} does not exist")
        self.checked = True
        going = release_for(me, claims, self._stack(request).resource_exists)
        record.write(going.hand_back, claims)
        result = reconciler.apply(
            TableSpec(live.name, (), ()),
            Ownership.listed_only(*going.delete),
            deadline=deadline,
            interrupt=pacer.stop,
        )
        if not result.converged:
            return self._pending(request, result, _created(request.context), pacer)
        record.forget((*going.delete, *going.release), record.read(names))
        return Outcome(Status.SUCCESS, going.summary())

    # --- read and list -------------------------------------------------------------------------

    def read(self, request: Request) -> Outcome:
        identifier = resource_id(request.desired, request.stack_id, request.logical_id)
        if identifier is None:
            return failed(ErrorCode.NOT_FOUND, "the model has no valid Id")
        deadline = self.clock.now() + self.budget
        try:
            live = Reconciler(self.clients.dynamodb, clock=self.clock, rng=self.rng).read(
                identifier.table_name, deadline
            )
        except TableNotFoundError as error:
            return failed(ErrorCode.NOT_FOUND, str(error))
        record = TableRecord(self.clients.dynamodb, live.arn, self.clock, deadline)
        claims = record.read(index.name for index in live.indexes)
        owned = [claim.index_name for claim in claims.owned_by(identifier.owner)]
        if not owned:
            return failed(ErrorCode.NOT_FOUND, f"{identifier} does not exist")
        return Outcome(Status.SUCCESS, model=live_model(live, owned, identifier, request.desired))

    def list(self, request: Request) -> Outcome:
        """Every resource of this type with a claim on a table, a page of tables at a time."""
        kwargs: dict[str, Any] = {"Limit": LIST_PAGE}
        if request.next_token:
            kwargs["ExclusiveStartTableName"] = request.next_token
        page = self.clients.dynamodb.list_tables(**kwargs)
        reader = Reconciler(self.clients.dynamodb, clock=self.clock, rng=self.rng)
        deadline = self.clock.now() + self.budget
        models: list[Mapping[str, Any]] = []
        for name in page.get("TableNames", []):
            try:
                live = reader.read(name, deadline)
            except TableNotFoundError:
                continue
            record = TableRecord(self.clients.dynamodb, live.arn, self.clock, deadline)
            claims = record.read(index.name for index in live.indexes)
            models.extend(_models_of(live, claims))
        return Outcome(Status.SUCCESS, models=tuple(models), next_token=page.get("LastEvaluatedTableName"))

    # --- helpers -------------------------------------------------------------------------------

    def _reconciler(self, pacer: _Pacer) -> Reconciler:
        progress = CloudWatchProgress(
            self.clients.cloudwatch,
            self.clock,
            wall=lambda: datetime.datetime.fromtimestamp(self.wall(), datetime.UTC),
        )
        return Reconciler(
            self.clients.dynamodb,
            step_client=self.clients.step,
            clock=self.clock,
            rng=self.rng,
            progress=progress,
            observer=pacer.observe,
        )

    def _stack(self, request: Request) -> StackView:
        return StackView(self.clients.cloudformation, request.stack_id or "")

    def _pending(
        self, request: Request, result: ApplyResult, created: tuple[str, ...], pacer: _Pacer
    ) -> Outcome:
        delay = pacer.delay if pacer.delay is not None else 0
        return self._again(request, created, progress_message(result), delay, pacer.seen_since)

    def _again(
        self,
        request: Request,
        created: tuple[str, ...],
        message: str,
        delay: int,
        seen: Mapping[str, float] | None = None,
    ) -> Outcome:
        invocation = int(request.context.get("Invocation", 0)) + 1
        context: dict[str, Any] = {
            "Invocation": invocation,
            "Started": request.context.get("Started", round(self.wall(), 3)),
            "Checked": self.checked or _checked(request),
        }
        if created:
            context["Created"] = list(created)
        if seen:
            context["InFlight"] = {name: round(since, 3) for name, since in seen.items()}
        return Outcome(Status.IN_PROGRESS, message, model=_identified(request), context=context, delay=delay)


@dataclass
class _Pacer:
    """Watches the loop: when the next look is due after this invocation ends, it stops the
    loop (the engine's interrupt) and remembers the delay to answer with."""

    clock: Clock
    invocation_end: float
    wall: Callable[[], float]
    seen_since: dict[str, float] = field(default_factory=dict)  # index → wall time first seen in flight
    stop: threading.Event = field(default_factory=threading.Event)
    delay: int | None = None

    def observe(self, event: Event) -> None:
        if not isinstance(event, Observed):
            return
        now = self.wall()
        self.seen_since = {p.name: self.seen_since.get(p.name, now) for p in event.progress}
        delay = callback_delay(event.progress, {name: now - since for name, since in self.seen_since.items()})
        self.delay = delay
        if not poll_here(delay, self.clock.now(), self.invocation_end):
            self.stop.set()


def _models_of(live: LiveTable, claims: Claims) -> list[Mapping[str, Any]]:
    owners: dict[Any, list[str]] = {}
    for claim in claims.by_index.values():
        owners.setdefault(claim.owner, []).append(claim.index_name)
    return [live_model(live, names, ResourceId(live.name, owner)) for owner, names in owners.items()]


def _conflict(request: Request) -> ErrorCode:
    """Indexes another owner holds: AlreadyExists is a Create's answer only (the contract)."""
    return ErrorCode.ALREADY_EXISTS if request.action == "CREATE" else ErrorCode.GENERAL


def _checked(request: Request) -> bool:
    """Whether an earlier invocation of this operation made the first-call checks. A context
    without the key comes from a version that made them on the first call only."""
    return bool(request.context.get("Checked", bool(request.context)))


def _identified(request: Request) -> Mapping[str, Any]:
    """The request's model with its primary identifier. CloudFormation needs it in a
    Create's progress events within 60 s ("Resource timed out waiting for creation of
    physical resource") and, after a failure, to send the Delete that cleans up."""
    identifier = resource_id(request.desired, request.stack_id, request.logical_id)
    if identifier is None:
        return request.desired
    return {**_without_id(request.desired), "Id": str(identifier)}


def _without_id(properties: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in properties.items() if key != "Id"}


def _listed(properties: Mapping[str, Any]) -> list[str]:
    indexes = properties.get("GlobalSecondaryIndexes")
    if not isinstance(indexes, list):
        return []
    return [i["IndexName"] for i in indexes if isinstance(i, Mapping) and isinstance(i.get("IndexName"), str)]


def _seen(context: Mapping[str, Any]) -> dict[str, float]:
    raw = context.get("InFlight", {})
    if not isinstance(raw, Mapping):
        return {}
    return {
        name: float(since)
        for name, since in raw.items()
        if isinstance(name, str) and isinstance(since, int | float) and not isinstance(since, bool)
    }


def _created(context: Mapping[str, Any]) -> tuple[str, ...]:
    created = context.get("Created", [])
    if not isinstance(created, list):
        return ()
    return tuple(name for name in created if isinstance(name, str))


def _problems(error: SpecError) -> str:
    return "invalid properties: " + "; ".join(str(p) for p in error.problems)
