"""The CloudFormation custom resource: ``multigsi.cfn.lambda_handler(event, context)``.

It always answers: SUCCESS or FAILED, before the resource's ServiceTimeout measured from
the first invocation. Work longer than one Lambda invocation is handed to a fresh
asynchronous invocation of the same function, carrying the original event and a small
continuation; the hop that finishes answers. Indexes are changed only by the engine's
reconcile loop, so duplicate deliveries and concurrent invocations converge.

Ownership: a resource manages exactly the indexes its properties list (now, and for an
Update also before); it never touches any other index on the table.
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
from multigsi.cfn.logs import StructuredLog
from multigsi.cfn.response import FAILED, SUCCESS, Answer, Delivery, ResponseSender
from multigsi.engine.aws import LAMBDA_CLIENT_CONFIG
from multigsi.engine.clock import Clock, SystemClock
from multigsi.engine.ownership import Ownership
from multigsi.engine.progress import CloudWatchProgress
from multigsi.engine.reconcile import ApplyResult, Event, Observed, Reconciler, Retrying, StepIssued
from multigsi.errors import MultigsiError, SpecError, TableNotFoundError
from multigsi.spec import limits
from multigsi.spec.model import TableSpec

NOT_CREATED_PREFIX = "multigsi:not-created:"


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
        try:
            return self._handle(event, context, log)
        except Exception as error:  # the last line of defence: CloudFormation must still hear
            try:
                return self._answer_unexpected(event, error, log)
            except Exception:  # never raise to Lambda: it would retry the event twice
                return {"Status": FAILED, "Answered": False}

    def _answer_unexpected(self, event: Any, error: Exception, log: StructuredLog) -> dict[str, Any]:
        log.error(
            "unexpected error", error=f"{type(error).__name__}: {error}", traceback=traceback.format_exc()
        )
        try:
            request = parse_event(event)
        except EventError:
            return {"Status": FAILED, "Answered": False}
        answer = Answer(
            FAILED,
            request.physical_resource_id or NOT_CREATED_PREFIX + request.logical_resource_id,
            f"internal error: {type(error).__name__}: {error}",
        )
        return self._answer(request, answer, log, deadline=None)

    def _handle(self, event: Any, context: Any, log: StructuredLog) -> dict[str, Any]:
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
                request,
                self._failed(request, continuation, None, _problems(error)),
                log,
                deadline=invocation_end - 1,
            )
        stale = (
            continuation_problem(request.continuation, now=now_wall, timeout=timeout)
            if request.continuation is not None
            else None
        )
        if stale is not None:
            # not a hand-off of this function's, or one CloudFormation has given up on: stop here
            return self._answer(
                request, self._failed(request, continuation, None, stale), log, deadline=invocation_end - 1
            )
        answer_by = (
            now + (continuation.first_invoked_at + timeout - now_wall) - _reserve(timeout, 0.05, 5, 60)
        )
        hop_end = invocation_end - _reserve(remaining, 0.1, 2, 30)
        deadline = min(answer_by, hop_end)
        state = _HopState(changed=continuation.changed)
        outcome = self._converge(request, continuation, log, deadline, state)
        if isinstance(outcome, _Pending):
            if answer_by <= hop_end or continuation.hop + 1 >= MAX_HOPS:
                reason = _timeout_reason(outcome.result, timeout)
                outcome = self._failed(
                    request, replace(continuation, changed=state.changed), state.table_arn, reason
                )
            else:
                handed = self._hand_off(
                    request,
                    replace(continuation, hop=continuation.hop + 1, changed=state.changed),
                    context,
                    log,
                )
                if handed:
                    return {"Status": "IN_PROGRESS", "HandedOff": True}
                outcome = self._failed(
                    request,
                    continuation,
                    state.table_arn,
                    "could not hand the work to a new invocation; see the function's logs",
                )
        answered = self._answer(request, outcome, log, deadline=invocation_end - 1)
        if answered["Delivery"] == Delivery.UNDELIVERED.value and self.clock.now() < answer_by:
            # The PUT kept failing and this invocation is out of time. The answer follows from the
            # table's state, so a fresh invocation can work it out again and send it.
            following = replace(continuation, hop=continuation.hop + 1, changed=state.changed)
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
            return self._failed(request, continuation, state.table_arn, str(error), changed=state.changed)
        except SpecError as error:
            return self._failed(
                request, continuation, state.table_arn, _problems(error), changed=state.changed
            )
        except MultigsiError as error:
            return self._failed(request, continuation, state.table_arn, str(error), changed=state.changed)

    def _create_or_update(
        self, request: CfnRequest, reconciler: Reconciler, deadline: float, state: _HopState
    ) -> Answer | _Pending:
        spec = properties_spec(request.properties)
        ownership = Ownership.listed_only()
        if request.request_type == "Update":
            old_table = (request.old_properties or {}).get("TableName")
            if old_table == spec.table_name:
                ownership = Ownership.listed_only(*listed_index_names(request.old_properties))
            # else: a new table is a replacement; CloudFormation deletes the old resource after.
        state.table_arn = reconciler.read(spec.table_name).arn
        result = reconciler.apply(spec, ownership, deadline=deadline)
        if not result.converged:
            return _Pending(result)
        names = ",".join(index.name for index in spec.indexes)
        return Answer(
            SUCCESS,
            physical_id(state.table_arn, request.logical_resource_id),
            f"indexes ready: {names or 'none'}",
            {"TableArn": state.table_arn, "IndexNames": names},
        )

    def _delete(
        self, request: CfnRequest, reconciler: Reconciler, deadline: float, state: _HopState
    ) -> Answer | _Pending:
        physical = request.physical_resource_id or ""
        if physical.startswith(NOT_CREATED_PREFIX):
            return Answer(SUCCESS, physical, "the Create never succeeded; nothing to delete")
        table = request.properties.get("TableName")
        if (
            not isinstance(table, str)
            or not limits.NAME_PATTERN.fullmatch(table)
            or not 3 <= len(table) <= 255
        ):
            return Answer(SUCCESS, physical, "no valid TableName; nothing to delete")
        managed = listed_index_names(request.properties)
        result = reconciler.apply(
            TableSpec(table, (), ()), Ownership.listed_only(*managed), deadline=deadline
        )
        if not result.converged:
            return _Pending(result)
        return Answer(SUCCESS, physical, f"removed managed indexes: {', '.join(managed) or 'none'}")

    def _failed(
        self,
        request: CfnRequest,
        continuation: Continuation,
        table_arn: str | None,
        reason: str,
        *,
        changed: bool = False,
    ) -> Answer:
        """FAILED with the PhysicalResourceId CloudFormation should keep: an Update or Delete
        keeps its id; a Create that changed nothing gets a marker, so the Delete that
        follows knows there is nothing to remove."""
        if request.request_type != "Create":
            physical = request.physical_resource_id or NOT_CREATED_PREFIX + request.logical_resource_id
        elif (continuation.changed or changed) and table_arn:
            physical = physical_id(table_arn, request.logical_resource_id)
        else:
            physical = NOT_CREATED_PREFIX + request.logical_resource_id
        return Answer(FAILED, physical, reason)

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
        physical = request.physical_resource_id or NOT_CREATED_PREFIX + request.logical_resource_id
        log.error("malformed event", problems=error.problems)
        return self._answer(
            request,
            Answer(FAILED, physical, "malformed request: " + "; ".join(error.problems)),
            log,
            deadline=None,
        )


@dataclass
class _HopState:
    changed: bool = False
    table_arn: str | None = None
    last_in_flight: tuple[str, ...] = ()

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
