"""Create, update, delete, read and list: the resource type's side of the one workflow.

Each mutating call is one invocation: it works out whom the request acts for
(``model.acting_for``), runs the CloudFormation workflow
(``multigsi.engine.ownership.workflow``) until the pacing says the rest of the wait belongs
to a later invocation, and answers SUCCESS, FAILED or IN_PROGRESS with a small callback
context. The context holds the invocation count, when the operation started, whether the
first-call checks were made, the indexes this operation recorded as created (the workflow
re-checks them against the table) and, for a resource made without a stack, the uuid its
Create drew.

Error codes follow the resource-type contract: a table missing on Create is InvalidRequest;
an index another resource owns, or a Create of a resource that already holds claims, is
AlreadyExists (a Create's answer only); a changed TableName on Update is NotUpdatable;
Read, Update and Delete of a resource that holds no claim, or of an identifier the request
may not act on, are NotFound.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from multigsi.cloudformation.properties import properties_spec
from multigsi.cloudformation.resource_type import model
from multigsi.cloudformation.resource_type.model import ResourceId, acting_for, live_model
from multigsi.cloudformation.resource_type.pacing import (
    INVOCATION_BUDGET,
    callback_delay,
    poll_here,
    progress_message,
)
from multigsi.engine.clients import Clients
from multigsi.engine.clock import Clock, SystemClock
from multigsi.engine.ownership.record import Claims, Kind, Owner, TableRecord
from multigsi.engine.ownership.stack import NoStack, StackQuestions, StackView
from multigsi.engine.ownership.workflow import Pending, Resource, Workflow
from multigsi.engine.reconcile import Event, Observed, Reconciler
from multigsi.errors import (
    ClaimConflictError,
    MultigsiError,
    ResourceExistsError,
    ResourceMissingError,
    SpecError,
    TableNotFoundError,
)
from multigsi.model.live import LiveTable

KIND = Kind.RESOURCE_TYPE
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
    RESOURCE_CONFLICT = "ResourceConflict"
    SERVICE_LIMIT_EXCEEDED = "ServiceLimitExceeded"
    THROTTLING = "Throttling"
    INVALID_CREDENTIALS = "InvalidCredentials"
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


def failed(error: ErrorCode, message: str, model: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome(Status.FAILED, message, model=model, error=error)


@dataclass
class Operations:
    """One invocation's work. ``clock`` measures the invocation's budget and the waits, and
    dates the context's start (its wall time)."""

    clients: Clients
    clock: Clock = field(default_factory=SystemClock)
    rng: random.Random = field(default_factory=random.Random)
    budget: float = INVOCATION_BUDGET
    # This invocation (or an earlier one of the operation) has made the first-call checks
    # (AlreadyExists, NotFound): a callback must not make them again against its own claims.
    checked: bool = False

    # --- entry -------------------------------------------------------------------------------

    def run(self, request: Request) -> Outcome:
        identifier: ResourceId | None = None
        try:
            if request.action == "LIST":
                return self.list(request)
            if request.action == "CREATE" and not request.context:
                # Id is read-only: a first Create never carries one CloudFormation made
                request = replace(request, desired=model.without_id(request.desired))
            identifier = acting_for(
                request.desired,
                request.stack_id,
                request.logical_id,
                created_owner=_stackless_owner(request),
            )
            if request.action == "READ":
                return self.read(request, identifier)
            if request.action == "DELETE":
                return self.delete(request, identifier)
            if request.action in ("CREATE", "UPDATE"):
                return self.create_or_update(request, identifier)
            return failed(ErrorCode.INVALID_REQUEST, f"unknown action {request.action!r}")
        except MultigsiError as error:
            return self._failure(request, identifier, error)
        except (ClientError, BotoCoreError) as error:  # a tag or list call AWS refused
            keep = self.checked and request.action == "CREATE"
            model_ = self._identified(request, identifier) if keep else None
            return failed(ErrorCode.GENERAL, f"{type(error).__name__}: {error}", model_)

    def _failure(self, request: Request, identifier: ResourceId | None, error: MultigsiError) -> Outcome:
        """One mapping of every multigsi error to the protocol: a transient one is no reason
        to fail an operation that may run for hours (CloudFormation calls back)."""
        mutating = request.action in ("CREATE", "UPDATE", "DELETE")
        if error.transient and mutating and identifier is not None:
            return self._again(request, identifier, (), f"{error}; trying again", TRANSIENT_DELAY)
        if isinstance(error, SpecError):
            return failed(ErrorCode.INVALID_REQUEST, error.summary())
        if isinstance(error, ClaimConflictError):
            # AlreadyExists is a Create's answer only (the contract)
            code = ErrorCode.ALREADY_EXISTS if request.action == "CREATE" else ErrorCode.GENERAL
            return failed(code, str(error))
        code = ErrorCode(error.handler_error_code) if _known(error.handler_error_code) else ErrorCode.GENERAL
        # Claims may be written (an index maybe built): answer with the identifier, so that
        # CloudFormation's rollback sends a Delete that cleans up.
        keep = self.checked and request.action == "CREATE"
        return failed(
            code, str(error) or type(error).__name__, self._identified(request, identifier) if keep else None
        )

    # --- create and update ---------------------------------------------------------------------

    def create_or_update(self, request: Request, identifier: ResourceId | None) -> Outcome:
        first = not _checked(request)
        spec = properties_spec(model.without_id(request.desired), which="desiredResourceState")
        if not spec.indexes:
            return failed(
                ErrorCode.INVALID_REQUEST,
                "desiredResourceState.GlobalSecondaryIndexes: list at least one index "
                "(to remove them all, delete the resource)",
            )
        if request.action == "CREATE" and identifier is None:
            identifier = ResourceId(spec.table_name, _new_owner(request))
        assert identifier is not None  # the spec parsed, so TableName is valid
        if request.action == "UPDATE":
            old = request.previous or {}
            if old.get("TableName") not in (None, spec.table_name):
                return failed(
                    ErrorCode.NOT_UPDATABLE,
                    f"TableName is create-only: {old.get('TableName')} -> {spec.table_name} needs a new resource",
                )
        me = identifier.owner

        def check(claims: Claims) -> None:
            if first and request.action == "CREATE" and claims.owned_by(me, KIND):
                raise ResourceExistsError(f"{identifier} already exists")
            if first and request.action == "UPDATE" and not claims.owned_by(me, KIND):
                raise ResourceMissingError(f"{identifier} does not exist")
            self.checked = True

        pacer, workflow = self._workflow(request)
        resource = Resource(
            me,
            KIND,
            listed=tuple(index.name for index in spec.indexes),
            listed_before=model.listed(request.previous) or (),
            carried=_created(request.context),
        )
        try:
            outcome = workflow.converge(spec, resource, check)
        except TableNotFoundError as error:
            if request.action == "UPDATE" and first:
                return failed(ErrorCode.NOT_FOUND, str(error))
            return failed(ErrorCode.INVALID_REQUEST, f"{error}: the type manages an existing table's indexes")
        if isinstance(outcome, Pending):
            return self._pending(request, identifier, outcome, pacer)
        listed = ", ".join(index.name for index in spec.indexes)
        reported = model.without_write_only(self._identified(request, identifier))
        return Outcome(Status.SUCCESS, f"indexes ready: {listed}", model=reported)

    # --- delete --------------------------------------------------------------------------------

    def delete(self, request: Request, identifier: ResourceId | None) -> Outcome:
        first = not _checked(request)
        if identifier is None:
            return failed(ErrorCode.NOT_FOUND, "the model has no valid Id or TableName")
        me = identifier.owner

        def check(claims: Claims) -> None:
            if first and not claims.owned_by(me, KIND):
                raise ResourceMissingError(f"{identifier} does not exist")
            self.checked = True

        pacer, workflow = self._workflow(request)
        # The record decides what this resource created: a Delete's model may be stale (the
        # contract suite deletes with the model its Create returned, after an Update added
        # indexes) or hold only the identifier (Cloud Control). Only claims of this very
        # resource and front door count; docs/security.md says what protects them.
        resource = Resource(
            me,
            KIND,
            listed=model.listed(request.desired) or (),
            carried=_created(request.context),
            record_decides=True,
        )
        try:
            outcome = workflow.remove(identifier.table_name, resource, check)
        except TableNotFoundError as error:
            if first:
                return failed(ErrorCode.NOT_FOUND, f"{error}: nothing to delete")
            return Outcome(Status.SUCCESS, f"{error}: nothing left to delete")
        if isinstance(outcome, Pending):
            return self._pending(request, identifier, outcome, pacer)
        return Outcome(Status.SUCCESS, outcome.note or outcome.release.summary())

    # --- read and list -------------------------------------------------------------------------

    def read(self, request: Request, identifier: ResourceId | None) -> Outcome:
        if identifier is None:
            return failed(ErrorCode.NOT_FOUND, "the model has no valid Id")
        deadline = self._deadline()  # every loop in a handler ends by its deadline
        try:
            live = Reconciler(self.clients.dynamodb, clock=self.clock, rng=self.rng).read(
                identifier.table_name, deadline, replicas=False
            )
        except TableNotFoundError as error:
            return failed(ErrorCode.NOT_FOUND, str(error))
        record = TableRecord(self.clients.dynamodb, live.arn, self.clock, deadline, self.rng)
        claims = record.read(index.name for index in live.indexes)
        owned = [claim.index_name for claim in claims.owned_by(identifier.owner, KIND)]
        if not owned:
            return failed(ErrorCode.NOT_FOUND, f"{identifier} does not exist")
        return Outcome(Status.SUCCESS, model=live_model(live, owned, identifier, request.desired))

    def list(self, request: Request) -> Outcome:
        """Every resource of this type with a claim on a table, a page of tables at a time.
        Claims the custom resource holds, and version 1 claims (which do not say which front
        door made them), are not the type's resources."""
        kwargs: dict[str, Any] = {"Limit": LIST_PAGE}
        if request.next_token:
            kwargs["ExclusiveStartTableName"] = request.next_token
        page = self.clients.dynamodb.list_tables(**kwargs)
        reader = Reconciler(self.clients.dynamodb, clock=self.clock, rng=self.rng)
        deadline = self._deadline()
        models: list[Mapping[str, Any]] = []
        for name in page.get("TableNames", []):
            try:
                live = reader.read(name, deadline, replicas=False)
            except TableNotFoundError:
                continue
            record = TableRecord(self.clients.dynamodb, live.arn, self.clock, deadline, self.rng)
            models.extend(_models_of(live, record.read(index.name for index in live.indexes)))
        return Outcome(Status.SUCCESS, models=tuple(models), next_token=page.get("LastEvaluatedTableName"))

    # --- helpers -------------------------------------------------------------------------------

    def _deadline(self) -> float:
        return self.clock.now() + self.budget

    def _workflow(self, request: Request) -> tuple[_Pacer, Workflow]:
        """This invocation's workflow, and the pacer that stops it when the rest of the wait
        belongs to a later invocation."""
        pacer = _Pacer(self.clock, self.clock.now() + self.budget, _seen(request.context))
        stack: StackQuestions = (
            StackView(self.clients.cloudformation, request.stack_id) if request.stack_id else NoStack()
        )
        return pacer, Workflow(
            self.clients,
            stack,
            pacer.invocation_end,
            clock=self.clock,
            rng=self.rng,
            observer=pacer.observe,
            interrupt=pacer.stop,
        )

    def _pending(self, request: Request, identifier: ResourceId, outcome: Pending, pacer: _Pacer) -> Outcome:
        if outcome.table_creating:
            return self._again(request, identifier, (), "the table is being created", TABLE_CREATING_DELAY)
        delay = pacer.delay if pacer.delay is not None else 0
        message = progress_message(outcome.result)
        return self._again(request, identifier, outcome.created, message, delay, pacer.seen_since)

    def _again(
        self,
        request: Request,
        identifier: ResourceId,
        created: tuple[str, ...],
        message: str,
        delay: int,
        seen: Mapping[str, float] | None = None,
    ) -> Outcome:
        invocation = int(request.context.get("Invocation", 0)) + 1
        context: dict[str, Any] = {
            "Invocation": invocation,
            "Started": request.context.get("Started", round(self.clock.wall(), 3)),
            "Checked": self.checked or _checked(request),
        }
        created = created or _created(request.context)
        if created:
            context["Created"] = list(created)
        if seen:
            context["InFlight"] = {name: round(since, 3) for name, since in seen.items()}
        if identifier.owner.is_stackless:
            context["Resource"] = identifier.owner.stack_uuid
        return Outcome(
            Status.IN_PROGRESS,
            message,
            model=self._identified(request, identifier),
            context=context,
            delay=delay,
        )

    @staticmethod
    def _identified(request: Request, identifier: ResourceId | None) -> Mapping[str, Any]:
        """The request's model with its primary identifier. CloudFormation needs it in a
        Create's progress events within 60 s ("Resource timed out waiting for creation of
        physical resource") and, after a failure, to send the Delete that cleans up."""
        if identifier is None:
            return request.desired
        return {**model.without_id(request.desired), "Id": str(identifier)}


@dataclass
class _Pacer:
    """Watches the loop: when the next look is due after this invocation ends, it stops the
    loop (the engine's interrupt) and remembers the delay to answer with."""

    clock: Clock
    invocation_end: float
    seen_since: dict[str, float] = field(default_factory=dict)  # index → wall time first seen in flight
    stop: threading.Event = field(default_factory=threading.Event)
    delay: int | None = None

    def observe(self, event: Event) -> None:
        if not isinstance(event, Observed):
            return
        now = self.clock.wall()
        self.seen_since = {p.name: self.seen_since.get(p.name, now) for p in event.progress}
        delay = callback_delay(event.progress, {name: now - since for name, since in self.seen_since.items()})
        self.delay = delay
        if not poll_here(delay, self.clock.now(), self.invocation_end):
            self.stop.set()


def _models_of(live: LiveTable, claims: Claims) -> list[Mapping[str, Any]]:
    owners: dict[Any, list[str]] = {}
    for claim in claims.by_index.values():
        if claim.kind is KIND:
            owners.setdefault(claim.owner, []).append(claim.index_name)
    return [live_model(live, names, ResourceId(live.name, owner)) for owner, names in owners.items()]


def _new_owner(request: Request) -> Owner:
    """The owner a Create names: its stack's resource, or a stack-less resource of its own."""
    if request.stack_id:
        return Owner.of(request.stack_id, request.logical_id or "")
    return Owner.stackless()


def _known(code: str) -> bool:
    return code in {c.value for c in ErrorCode}


def _checked(request: Request) -> bool:
    """Whether an earlier invocation of this operation made the first-call checks. A context
    without the key comes from a version that made them on the first call only."""
    return bool(request.context.get("Checked", bool(request.context)))


def _stackless_owner(request: Request) -> str | None:
    """The uuid a stack-less Create drew, from the callback context CloudFormation hands
    back (a first call has none: whatever Id the model carries is then not trusted)."""
    if request.stack_id or not request.context:
        return None
    value = request.context.get("Resource")
    return value if isinstance(value, str) else None


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
