"""The CloudFormation custom resource: ``multigsi.cfn.lambda_handler(event, context)``.

It always answers: SUCCESS or FAILED, before the resource's ServiceTimeout measured from
the first invocation. Work longer than one Lambda invocation is handed to a fresh
asynchronous invocation of the same function, carrying the original event and a small
continuation; the hop that finishes answers. Indexes are changed only by the engine's
reconcile loop, so duplicate deliveries and concurrent invocations converge.

Ownership is recorded on the table (``multigsi.engine.ownership``) and decided by
``multigsi.cfn.lifecycle``: a resource claims the indexes it lists before it changes
anything, deletes only indexes it created, never deletes an adopted one, and fails before
changing anything when another stack owns a listed index. Whether a failed resource changed
anything is read from that record, never carried in memory.
"""

from __future__ import annotations

import json
import random
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import boto3

from multigsi.cfn.event import (
    MAX_HOPS,
    CfnRequest,
    Continuation,
    EventError,
    continuation_problem,
    listed_index_names,
    parse_event,
    properties_spec,
    reply_request,
    service_timeout,
)
from multigsi.cfn.lifecycle import StackView, claims_for, release_for
from multigsi.cfn.logs import StructuredLog
from multigsi.cfn.response import FAILED, SUCCESS, Answer, Delivery, ResponseSender
from multigsi.engine.aws import LAMBDA_CLIENT_CONFIG, lambda_step_client
from multigsi.engine.clock import Clock, SystemClock
from multigsi.engine.live import LiveTable
from multigsi.engine.ownership import Claim, Origin, Owner, Ownership, OwnershipError, TableRecord
from multigsi.engine.plan import Action, Plan
from multigsi.engine.progress import CloudWatchProgress
from multigsi.engine.reconcile import (
    ApplyResult,
    Event,
    Observed,
    Outcome,
    Reconciler,
    Retrying,
    StepIssued,
)
from multigsi.errors import MultigsiError, SpecError, TableNotFoundError
from multigsi.spec import limits
from multigsi.spec.model import TableSpec

NOT_CREATED_PREFIX = "multigsi:not-created:"
TABLE_POLL_SECONDS = 1.0  # while a table of the same stack is still CREATING


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """AWS Lambda entry point."""
    return CustomResourceHandler().handle(event, context)


def _reserve(total: float, fraction: float, low: float, high: float) -> float:
    return min(high, max(low, total * fraction))


@dataclass
class Services:
    """How the handler reaches AWS: standard boto3 clients, so AWS_ENDPOINT_URL_DYNAMODB and
    AWS_ENDPOINT_URL_LAMBDA point it anywhere. Replaceable for a simulation."""

    make_client: Callable[[str], Any] = field(
        default=lambda name: boto3.client(name, config=LAMBDA_CLIENT_CONFIG)
    )
    make_step_client: Callable[[], Any] = lambda_step_client  # UpdateTable: no automatic retries


@dataclass
class _Pending:
    """The loop stopped at the deadline with work left."""

    result: ApplyResult


@dataclass
class CustomResourceHandler:
    services: Services = field(default_factory=Services)
    wall: Callable[[], float] = time.time
    clock: Clock = field(default_factory=SystemClock)
    rng: random.Random = field(default_factory=random.Random)

    def handle(self, event: Any, context: Any) -> dict[str, Any]:
        log = StructuredLog(
            aws_request_id=getattr(context, "aws_request_id", None),
            request_id=event.get("RequestId") if isinstance(event, Mapping) else None,
        )
        state = _HopState()
        try:
            return self._handle(event, context, log, state)
        except Exception as error:  # the last line of defence: CloudFormation must still hear
            try:
                return self._answer_unexpected(event, error, log, state)
            except Exception:  # never raise to Lambda: it would retry the event twice
                return {"Status": FAILED, "Answered": False}

    def _answer_unexpected(
        self, event: Any, error: Exception, log: StructuredLog, state: _HopState
    ) -> dict[str, Any]:
        """FAILED for an error nobody foresaw. Whether the resource changed anything is asked
        of the table's ownership record (as for every FAILED), so a Create that had created
        an index does not answer the not-created marker and leave the index behind."""
        log.error(
            "unexpected error", error=f"{type(error).__name__}: {error}", traceback=traceback.format_exc()
        )
        try:
            request = parse_event(event)
        except EventError:
            return {"Status": FAILED, "Answered": False}
        reason = f"internal error: {type(error).__name__}: {error}"
        try:
            answer = self._failed(request, state, reason)
        except Exception:  # the record could not be asked either: keep the id CloudFormation has
            answer = Answer(
                FAILED,
                request.physical_resource_id or NOT_CREATED_PREFIX + request.logical_resource_id,
                reason,
            )
        return self._answer(request, answer, log, deadline=None)

    def _handle(self, event: Any, context: Any, log: StructuredLog, state: _HopState) -> dict[str, Any]:
        try:
            request = parse_event(event)
        except EventError as error:
            return self._answer_malformed(error, log)
        table = request.properties.get("TableName")
        continuation = request.continuation or Continuation(first_invoked_at=self.wall())
        log = log.bind(
            request_type=request.request_type,
            logical_id=request.logical_resource_id,
            table=table if isinstance(table, str) else None,
            hop=continuation.hop,
        )
        log.info("request received", physical_id=request.physical_resource_id)
        now, now_wall = self.clock.now(), self.wall()
        remaining = float(context.get_remaining_time_in_millis()) / 1000
        invocation_end = now + remaining
        try:
            timeout = service_timeout(request.properties)
        except SpecError as error:
            return self._answer(
                request, self._failed(request, state, _problems(error)), log, deadline=invocation_end - 1
            )
        state.changed = continuation.changed
        state.carried = continuation.created
        stale = (
            continuation_problem(request.continuation, now=now_wall, timeout=timeout)
            if request.continuation is not None
            else None
        )
        if stale is not None:
            # not a hand-off of this function's, or one CloudFormation has given up on: stop here
            return self._answer(
                request, self._failed(request, state, stale), log, deadline=invocation_end - 1
            )
        answer_by = (
            now + (continuation.first_invoked_at + timeout - now_wall) - _reserve(timeout, 0.05, 5, 60)
        )
        hop_end = invocation_end - _reserve(remaining, 0.1, 2, 30)
        deadline = min(answer_by, hop_end)
        outcome = self._converge(request, continuation, log, deadline, state)
        if isinstance(outcome, _Pending):
            if answer_by <= hop_end or continuation.hop + 1 >= MAX_HOPS:
                reason = _timeout_reason(outcome.result, timeout)
                outcome = self._failed(request, state, reason)
            else:
                handed = self._hand_off(
                    request,
                    replace(
                        continuation,
                        hop=continuation.hop + 1,
                        changed=state.changed,
                        created=state.created(request),
                    ),
                    context,
                    log,
                )
                if handed:
                    return {"Status": "IN_PROGRESS", "HandedOff": True}
                outcome = self._failed(
                    request, state, "could not hand the work to a new invocation; see the function's logs"
                )
        answered = self._answer(request, outcome, log, deadline=invocation_end - 1)
        if answered["Delivery"] == Delivery.UNDELIVERED.value and self.clock.now() < answer_by:
            # The PUT kept failing and this invocation is out of time. The answer follows from the
            # table's state, so a fresh invocation can work it out again and send it.
            following = replace(
                continuation, hop=continuation.hop + 1, changed=state.changed, created=state.created(request)
            )
            if continuation.hop + 1 < MAX_HOPS and self._hand_off(request, following, context, log):
                return {**answered, "HandedOff": True}
        return answered

    # --- the work --------------------------------------------------------------------------

    def _converge(
        self,
        request: CfnRequest,
        continuation: Continuation,
        log: StructuredLog,
        deadline: float,
        state: _HopState,
    ) -> Answer | _Pending:
        reconciler = Reconciler(
            self.services.make_client("dynamodb"),
            step_client=self.services.make_step_client(),
            clock=self.clock,
            rng=self.rng,
            progress=CloudWatchProgress(self.services.make_client("cloudwatch"), self.clock),
            observer=state.observer(log),
        )
        try:
            if request.request_type == "Delete":
                return self._delete(request, reconciler, deadline, state)
            return self._create_or_update(request, reconciler, deadline, state)
        except TableNotFoundError as error:
            if request.request_type == "Delete":
                return Answer(SUCCESS, request.physical_resource_id or "", f"{error}; nothing to delete")
            return self._failed(request, state, str(error))
        except SpecError as error:
            return self._failed(request, state, _problems(error))
        except MultigsiError as error:
            return self._failed(request, state, str(error))

    def _create_or_update(
        self, request: CfnRequest, reconciler: Reconciler, deadline: float, state: _HopState
    ) -> Answer | _Pending:
        spec = properties_spec(request.properties)
        live = self._settled_table(reconciler, spec.table_name, deadline, state)
        if isinstance(live, _Pending):
            return live
        me = Owner.of(request.stack_id, request.logical_resource_id)
        listed = [index.name for index in spec.indexes]
        # Validate against the live table and see what will be created, before recording anything.
        live, plan = reconciler.plan(spec, Ownership.listed_only(), deadline)
        record = state.record = TableRecord(reconciler.client, live.arn, self.clock, deadline, self.rng)
        record.remember(Claim(name, me, Origin.CREATED) for name in state.carried)
        claims = record.read([index.name for index in live.indexes] + listed)
        to_create = [step.index_name for step in plan.steps if step.action is Action.CREATE]
        claiming = claims_for(me, listed, [index.name for index in live.indexes], to_create, claims)
        if claiming.conflicts:
            raise OwnershipError("; ".join(claiming.conflicts))
        record.write(claiming.write, claims)
        claims = record.read([index.name for index in live.indexes] + listed)
        going = release_for(me, claims, self._stack(request).resource_exists, keep=listed)
        record.write(going.hand_back, claims)
        result = reconciler.apply(spec, Ownership.listed_only(*going.delete), deadline=deadline)
        if not result.converged:
            return _Pending(result)
        record.forget(
            (*going.delete, *going.release), record.read(listed + list(going.delete + going.release))
        )
        names = ",".join(listed)
        return Answer(
            SUCCESS,
            physical_id(live.arn, request.logical_resource_id),
            f"indexes ready: {names or 'none'}",
            {"TableArn": live.arn, "IndexNames": names},
        )

    def _delete(
        self, request: CfnRequest, reconciler: Reconciler, deadline: float, state: _HopState
    ) -> Answer | _Pending:
        physical = request.physical_resource_id or ""
        if physical.startswith(NOT_CREATED_PREFIX):
            return Answer(SUCCESS, physical, "the Create never succeeded; nothing to delete")
        table = table_of(physical) or request.properties.get("TableName")
        if (
            not isinstance(table, str)
            or not limits.NAME_PATTERN.fullmatch(table)
            or not 3 <= len(table) <= 255
        ):
            return Answer(SUCCESS, physical, "no valid TableName; nothing to delete")
        live = reconciler.read(table, deadline)  # TableNotFoundError: gone, nothing to delete
        if live.status == "DELETING":
            return Answer(SUCCESS, physical, f"table {table} is being deleted; nothing to delete")
        stack = self._stack(request)
        if stack.deleting() and stack.owns_table(table):
            return Answer(
                SUCCESS,
                physical,
                f"the stack is being deleted and owns table {table}: indexes left with the table",
            )
        settled = self._settled_table(reconciler, table, deadline, state)
        if isinstance(settled, _Pending):
            return settled
        me = Owner.of(request.stack_id, request.logical_resource_id)
        record = state.record = TableRecord(reconciler.client, settled.arn, self.clock, deadline, self.rng)
        names = [index.name for index in settled.indexes] + list(listed_index_names(request.properties))
        claims = record.read(names)
        going = release_for(me, claims, stack.resource_exists)
        record.write(going.hand_back, claims)
        result = reconciler.apply(
            TableSpec(table, (), ()), Ownership.listed_only(*going.delete), deadline=deadline
        )
        if not result.converged:
            return _Pending(result)
        record.forget((*going.delete, *going.release), record.read(names))
        return Answer(SUCCESS, physical, going.summary())

    def _settled_table(
        self, reconciler: Reconciler, table: str, deadline: float, state: _HopState
    ) -> LiveTable | _Pending:
        """The table once it is no longer CREATING (a table of the same stack may still be)."""
        live = reconciler.read(table, deadline)
        state.table_arn = live.arn
        while live.status == "CREATING":
            if self.clock.now() + TABLE_POLL_SECONDS > deadline:
                return _Pending(ApplyResult(table, Outcome.DEADLINE, (), Plan(table, ()), (), 0.0))
            self.clock.sleep(TABLE_POLL_SECONDS)
            live = reconciler.read(table, deadline)
        return live

    def _stack(self, request: CfnRequest) -> StackView:
        return StackView(self.services.make_client("cloudformation"), request.stack_id)

    def _failed(self, request: CfnRequest, state: _HopState, reason: str) -> Answer:
        """FAILED with the PhysicalResourceId CloudFormation should keep. Whether the resource
        changed anything is asked of the table's ownership record: a Create that claimed
        nothing gets a marker (its Delete has nothing to do); one that did gets its real id,
        so the Delete that follows cleans up. An Update that claimed indexes on another table
        (a TableName change) answers with that table's id: CloudFormation takes the new id as
        a replacement and sends its Delete during the rollback's cleanup."""
        marker = NOT_CREATED_PREFIX + request.logical_resource_id
        if request.request_type == "Delete":
            return Answer(FAILED, request.physical_resource_id or marker, reason)
        claimed = self._claimed(request, state)
        if request.request_type == "Create":
            physical = (
                physical_id(state.table_arn, request.logical_resource_id)
                if claimed and state.table_arn
                else marker
            )
        elif claimed and state.table_arn and _table_changed(request):
            physical = physical_id(state.table_arn, request.logical_resource_id)
        else:
            physical = request.physical_resource_id or marker
        return Answer(FAILED, physical, reason)

    def _claimed(self, request: CfnRequest, state: _HopState) -> bool:
        """Does the table hold any claim of this resource? Unknown (unreadable) counts as yes
        when this invocation wrote one or issued a step."""
        me = Owner.of(request.stack_id, request.logical_resource_id)
        if state.table_arn is None:
            table = request.properties.get("TableName")
            if not isinstance(table, str) or not limits.NAME_PATTERN.fullmatch(table):
                return False
            try:
                description = self.services.make_client("dynamodb").describe_table(TableName=table)
                state.table_arn = str(description["Table"]["TableArn"])
            except Exception:
                return False
        record = state.record or TableRecord(self.services.make_client("dynamodb"), state.table_arn)
        try:
            return record.holds_any(me)
        except Exception:
            return record.wrote_any(me) or state.changed

    # --- talking back ----------------------------------------------------------------------

    def _hand_off(
        self, request: CfnRequest, continuation: Continuation, context: Any, log: StructuredLog
    ) -> bool:
        payload = {**request.event, "MultigsiContinuation": continuation.to_json()}
        try:
            self.services.make_client("lambda").invoke(
                FunctionName=context.invoked_function_arn,
                InvocationType="Event",
                Payload=json.dumps(payload).encode(),
            )
        except Exception as error:
            log.error("hand-off failed", error=f"{type(error).__name__}: {error}")
            return False
        log.info("handed off to a new invocation", next_hop=continuation.hop)
        return True

    def _answer(
        self, request: CfnRequest, answer: Answer, log: StructuredLog, *, deadline: float | None
    ) -> dict[str, Any]:
        log.info(
            "answer", status=answer.status, reason=answer.reason, physical_id=answer.physical_resource_id
        )
        delivery = ResponseSender(log, sleep=self.clock.sleep, clock=self.clock.now, rng=self.rng).deliver(
            request, answer, deadline=deadline
        )
        return {
            "Status": answer.status,
            "Answered": delivery is Delivery.DELIVERED,
            "Delivery": delivery.value,  # only "undelivered" is worth another invocation's try
            "PhysicalResourceId": answer.physical_resource_id,
        }

    def _answer_malformed(self, error: EventError, log: StructuredLog) -> dict[str, Any]:
        request = reply_request(error.event or {})
        if request is None:
            log.error("malformed event and no ResponseURL to answer: stopping", problems=error.problems)
            return {"Status": FAILED, "Answered": False}
        reason = "malformed request: " + "; ".join(error.problems)
        log.error("malformed event", problems=error.problems)
        return self._answer(request, self._failed_malformed(request, error, reason), log, deadline=None)

    def _failed_malformed(self, request: CfnRequest, error: EventError, reason: str) -> Answer:
        """A malformed Create (a corrupted hand-off, say) may follow hops that created indexes:
        ask the table's record, as every FAILED does, so the Delete CloudFormation sends next
        cleans them up instead of finding the not-created marker and leaving them behind."""
        marker = NOT_CREATED_PREFIX + request.logical_resource_id
        if request.physical_resource_id is not None or request.request_type != "Create":
            return Answer(FAILED, request.physical_resource_id or marker, reason)
        properties = (error.event or {}).get("ResourceProperties")
        table = properties.get("TableName") if isinstance(properties, Mapping) else None
        if not isinstance(table, str):
            return Answer(FAILED, marker, reason)
        try:
            return self._failed(replace(request, properties={"TableName": table}), _HopState(), reason)
        except Exception:  # identifiers too odd to name an owner: nothing can have been claimed
            return Answer(FAILED, marker, reason)


@dataclass
class _HopState:
    changed: bool = False
    table_arn: str | None = None
    record: TableRecord | None = None
    carried: tuple[str, ...] = ()  # indexes an earlier hop recorded as created
    last_in_flight: tuple[str, ...] = ()

    def created(self, request: CfnRequest) -> tuple[str, ...]:
        if self.record is None:
            return self.carried
        return self.record.created_by(Owner.of(request.stack_id, request.logical_resource_id))

    def observer(self, log: StructuredLog) -> Callable[[Event], None]:
        def observe(event: Event) -> None:
            if isinstance(event, StepIssued):
                self.changed = True
                log.info(
                    "step issued",
                    step=event.step.describe(),
                    action=str(event.step.action),
                    index=event.step.index_name,
                )
            elif isinstance(event, Retrying):
                log.warning(
                    "retrying", code=event.code, aws_message=event.message, delay=round(event.delay, 2)
                )
            elif isinstance(event, Observed):
                in_flight = tuple(f"{p.name}:{p.phase}" for p in event.progress)
                if in_flight != self.last_in_flight:
                    self.last_in_flight = in_flight
                    log.info(
                        "waiting" if in_flight else "settled",
                        in_flight=list(in_flight),
                        steps_left=len(event.plan.steps),
                    )

        return observe


def physical_id(table_arn: str, logical_id: str) -> str:
    """Stable for the life of the resource: derived from the table, never from a request."""
    return f"{table_arn}/multigsi/{logical_id}"


def _table_changed(request: CfnRequest) -> bool:
    old = (request.old_properties or {}).get("TableName")
    return request.request_type == "Update" and old != request.properties.get("TableName")


def table_of(physical: str) -> str | None:
    """The table name inside a physical id (``<table ARN>/multigsi/<LogicalId>``)."""
    head, marker, _ = physical.partition("/multigsi/")
    _, found, name = head.partition(":table/")
    return name if marker and found and "/" not in name else None


def _problems(error: SpecError) -> str:
    count = len(error.problems)
    return f"invalid properties ({count} problem{'s' if count != 1 else ''}): " + "; ".join(
        str(p) for p in error.problems
    )


def _timeout_reason(result: ApplyResult, timeout: int) -> str:
    parts = [f"ServiceTimeout ({timeout}s) reached before the indexes were ready."]
    for item in result.in_flight:
        done = f", {item.percent:.0f}% done" if item.percent is not None else ""
        parts.append(
            f"{item.name} is still {item.phase}{done} ({item.elapsed:.0f}s seen in the last invocation)."
        )
    if result.remaining.steps:
        parts.append("Not started: " + "; ".join(step.describe() for step in result.remaining.steps) + ".")
    parts.append(
        "DynamoDB finishes what is in flight; a later update or the rollback continues from the live state."
    )
    return " ".join(parts)
