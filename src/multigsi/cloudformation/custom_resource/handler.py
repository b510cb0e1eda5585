"""The CloudFormation custom resource: ``multigsi.cloudformation.custom_resource.lambda_handler``.

It always answers: SUCCESS or FAILED, before the resource's ServiceTimeout measured from
the first invocation. Work longer than one Lambda invocation is handed to a fresh
asynchronous invocation of the same function, carrying the original event and a small
continuation; the hop that finishes answers. What is done to the table is the one
CloudFormation workflow (``multigsi.engine.ownership.workflow``) the resource type runs
too; this module is only the Lambda's side: deadlines, hand-offs and the answer.

Whether a failed resource changed anything is read from the table's ownership record,
never carried in memory: that decides the PhysicalResourceId a FAILED answer names.
"""

from __future__ import annotations

import json
import random
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import boto3

from multigsi.cloudformation.custom_resource.event import (
    MAX_HOPS,
    CfnRequest,
    Continuation,
    continuation_problem,
    parse_event,
    reply_request,
)
from multigsi.cloudformation.custom_resource.logs import StructuredLog
from multigsi.cloudformation.custom_resource.response import FAILED, SUCCESS, Answer, Delivery, ResponseSender
from multigsi.cloudformation.properties import listed_index_names, properties_spec, service_timeout
from multigsi.engine.clients import DEADLINE_CLIENT_CONFIG, DEADLINE_STEP_CLIENT_CONFIG, Clients, Regions
from multigsi.engine.clock import Clock, SystemClock
from multigsi.engine.ownership.record import Kind, Owner
from multigsi.engine.ownership.stack import LazyClient, StackView
from multigsi.engine.ownership.workflow import Pending, Resource, Workflow
from multigsi.engine.reconcile import ApplyResult, Event, Observed, Retrying, StepIssued
from multigsi.errors import EventError, MultigsiError, SpecError, TableNotFoundError
from multigsi.model import limits

NOT_CREATED_PREFIX = "multigsi:not-created:"
KIND = Kind.CUSTOM_RESOURCE


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """AWS Lambda entry point."""
    return CustomResourceHandler().handle(event, context)


def _reserve(total: float, fraction: float, low: float, high: float) -> float:
    return min(high, max(low, total * fraction))


def _default_client(name: str) -> Any:
    return boto3.client(name, config=DEADLINE_CLIENT_CONFIG)


def _default_step_client() -> Any:
    return boto3.client("dynamodb", config=DEADLINE_STEP_CLIENT_CONFIG)


def _default_regional_client(name: str, region: str) -> Any:
    return boto3.client(name, region_name=region, config=DEADLINE_CLIENT_CONFIG)


@dataclass
class Services:
    """How the handler reaches AWS: standard boto3 clients, so AWS_ENDPOINT_URL_DYNAMODB and
    AWS_ENDPOINT_URL_LAMBDA point it anywhere. Replaceable for a simulation."""

    make_client: Callable[[str], Any] = _default_client
    make_step_client: Callable[[], Any] = _default_step_client  # UpdateTable: no automatic retries
    # A global table's replica regions: reads only.
    make_regional_client: Callable[[str, str], Any] = _default_regional_client

    def clients(self) -> Clients:
        # CloudFormation is asked only on some paths (a Delete, a hand-back): made when first used.
        return Clients(
            dynamodb=self.make_client("dynamodb"),
            step=self.make_step_client(),
            cloudwatch=self.make_client("cloudwatch"),
            cloudformation=LazyClient(lambda: self.make_client("cloudformation")),
            regions=Regions(self.make_regional_client),
        )


@dataclass
class CustomResourceHandler:
    services: Services = field(default_factory=Services)
    clock: Clock = field(default_factory=SystemClock)
    rng: random.Random = field(default_factory=random.Random)

    def handle(self, event: Any, context: Any) -> dict[str, Any]:
        log = StructuredLog(
            aws_request_id=getattr(context, "aws_request_id", None),
            request_id=event.get("RequestId") if isinstance(event, Mapping) else None,
        )
        hop = _Hop()
        try:
            return self._handle(event, context, log, hop)
        except Exception as error:  # the last line of defence: CloudFormation must still hear
            try:
                return self._answer_unexpected(event, error, log, hop)
            except Exception:  # never raise to Lambda: it would retry the event twice
                return {"Status": FAILED, "Answered": False}

    def _handle(self, event: Any, context: Any, log: StructuredLog, hop: _Hop) -> dict[str, Any]:
        try:
            request = parse_event(event)
        except EventError as error:
            return self._answer_malformed(error, log)
        table = request.properties.get("TableName")
        continuation = request.continuation or Continuation(first_invoked_at=self.clock.wall())
        log = log.bind(
            request_type=request.request_type,
            logical_id=request.logical_resource_id,
            table=table if isinstance(table, str) else None,
            hop=continuation.hop,
        )
        log.info("request received", physical_id=request.physical_resource_id)
        now, now_wall = self.clock.now(), self.clock.wall()
        remaining = float(context.get_remaining_time_in_millis()) / 1000
        invocation_end = now + remaining
        try:
            timeout = service_timeout(request.properties)
        except SpecError as error:
            return self._answer(request, self._failed(request, hop, error.summary()), log, invocation_end - 1)
        hop.changed = continuation.changed
        stale = (
            continuation_problem(request.continuation, now=now_wall, timeout=timeout)
            if request.continuation is not None
            else None
        )
        if stale is not None:
            # not a hand-off of this function's, or one CloudFormation has given up on: stop here
            return self._answer(request, self._failed(request, hop, stale), log, invocation_end - 1)
        answer_by = (
            now + (continuation.first_invoked_at + timeout - now_wall) - _reserve(timeout, 0.05, 5, 60)
        )
        hop_end = invocation_end - _reserve(remaining, 0.1, 2, 30)
        deadline = min(answer_by, hop_end)
        outcome = self._work(request, continuation, log, deadline, hop)
        if isinstance(outcome, _Unfinished):
            if answer_by <= hop_end or continuation.hop + 1 >= MAX_HOPS:
                outcome = self._failed(request, hop, outcome.reason(timeout))
            elif self._hand_off(request, hop.following(continuation), context, log):
                return {"Status": "IN_PROGRESS", "HandedOff": True}
            else:
                outcome = self._failed(
                    request, hop, "could not hand the work to a new invocation; see the function's logs"
                )
        answered = self._answer(request, outcome, log, invocation_end - 1)
        if answered["Delivery"] == Delivery.UNDELIVERED.value and self.clock.now() < answer_by:
            # The PUT kept failing and this invocation is out of time. The answer follows from the
            # table's state, so a fresh invocation can work it out again and send it.
            following = hop.following(continuation)
            if continuation.hop + 1 < MAX_HOPS and self._hand_off(request, following, context, log):
                return {**answered, "HandedOff": True}
        return answered

    # --- the work: the one workflow --------------------------------------------------------

    def _work(
        self,
        request: CfnRequest,
        continuation: Continuation,
        log: StructuredLog,
        deadline: float,
        hop: _Hop,
    ) -> Answer | _Unfinished:
        clients = self.services.clients()
        hop.workflow = Workflow(
            clients,
            StackView(clients.cloudformation, request.stack_id),
            deadline,
            clock=self.clock,
            rng=self.rng,
            observer=hop.observer(log),
        )
        resource = Resource(
            Owner.of(request.stack_id, request.logical_resource_id),
            KIND,
            listed=listed_index_names(request.properties),
            listed_before=listed_index_names(request.old_properties),
            carried=continuation.created,
        )
        try:
            if request.request_type == "Delete":
                return self._delete(request, hop.workflow, resource)
            spec = properties_spec(request.properties)
            outcome = hop.workflow.converge(spec, resource)
        except TableNotFoundError as error:
            if request.request_type == "Delete":
                return Answer(SUCCESS, request.physical_resource_id or "", f"{error}; nothing to delete")
            return self._failed(request, hop, str(error))
        except SpecError as error:
            return self._failed(request, hop, error.summary())
        except MultigsiError as error:
            if error.transient:  # throttled past this hop's retries: the next hop reads again
                return _Unfinished(None, str(error))
            return self._failed(request, hop, str(error))
        if isinstance(outcome, Pending):
            hop.created = outcome.created
            return _Unfinished(outcome.result)
        names = ",".join(index.name for index in spec.indexes)
        return Answer(
            SUCCESS,
            physical_id(outcome.table_arn, request.logical_resource_id),
            f"indexes ready: {names or 'none'}",
            {"TableArn": outcome.table_arn, "IndexNames": names},
        )

    def _delete(self, request: CfnRequest, workflow: Workflow, resource: Resource) -> Answer | _Unfinished:
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
        outcome = workflow.remove(table, resource)
        if isinstance(outcome, Pending):
            return _Unfinished(outcome.result)
        return Answer(SUCCESS, physical, outcome.note or outcome.release.summary())

    def _failed(self, request: CfnRequest, hop: _Hop, reason: str) -> Answer:
        """FAILED with the PhysicalResourceId CloudFormation should keep. Whether the resource
        changed anything is asked of the table's ownership record: a Create that claimed
        nothing gets a marker (its Delete has nothing to do); one that did gets its real id,
        so the Delete that follows cleans up. An Update that claimed indexes on another table
        (a TableName change) answers with that table's id: CloudFormation takes the new id as
        a replacement and sends its Delete during the rollback's cleanup."""
        marker = NOT_CREATED_PREFIX + request.logical_resource_id
        if request.request_type == "Delete":
            return Answer(FAILED, request.physical_resource_id or marker, reason)
        table_arn, claimed = self._claimed(request, hop)
        if request.request_type == "Create":
            physical = (
                physical_id(table_arn, request.logical_resource_id) if claimed and table_arn else marker
            )
        elif claimed and table_arn and _table_changed(request):
            physical = physical_id(table_arn, request.logical_resource_id)
        else:
            physical = request.physical_resource_id or marker
        return Answer(FAILED, physical, reason)

    def _claimed(self, request: CfnRequest, hop: _Hop) -> tuple[str | None, bool]:
        """The table's ARN and whether it holds any claim of this resource. Unknown
        (unreadable) counts as yes when this invocation wrote one or issued a step."""
        me = Owner.of(request.stack_id, request.logical_resource_id)
        workflow = hop.workflow
        if workflow is None or workflow.table_arn is None:
            table = request.properties.get("TableName")
            if not isinstance(table, str) or not limits.NAME_PATTERN.fullmatch(table):
                return None, False
            clients = self.services.clients()
            workflow = Workflow(
                clients, StackView(clients.cloudformation, request.stack_id), self.clock.now()
            )
            try:
                description = clients.dynamodb.describe_table(TableName=table)
                workflow.table_arn = str(description["Table"]["TableArn"])
            except Exception:
                return None, False
        try:
            return workflow.table_arn, workflow.holds_any(me)
        except Exception:
            return workflow.table_arn, workflow.wrote_any(me) or hop.changed

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
        self, request: CfnRequest, answer: Answer, log: StructuredLog, deadline: float | None
    ) -> dict[str, Any]:
        log.info(
            "answer", status=answer.status, reason=answer.reason, physical_id=answer.physical_resource_id
        )
        delivery = ResponseSender(log, clock=self.clock, rng=self.rng).deliver(
            request, answer, deadline=deadline
        )
        return {
            "Status": answer.status,
            "Answered": delivery is Delivery.DELIVERED,
            "Delivery": delivery.value,  # only "undelivered" is worth another invocation's try
            "PhysicalResourceId": answer.physical_resource_id,
        }

    def _answer_unexpected(
        self, event: Any, error: Exception, log: StructuredLog, hop: _Hop
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
            answer = self._failed(request, hop, reason)
        except Exception:  # the record could not be asked either: keep the id CloudFormation has
            answer = Answer(
                FAILED,
                request.physical_resource_id or NOT_CREATED_PREFIX + request.logical_resource_id,
                reason,
            )
        return self._answer(request, answer, log, None)

    def _answer_malformed(self, error: EventError, log: StructuredLog) -> dict[str, Any]:
        request = reply_request(error.event or {})
        if request is None:
            log.error("malformed event and no ResponseURL to answer: stopping", problems=error.problems)
            return {"Status": FAILED, "Answered": False}
        reason = "malformed request: " + "; ".join(error.problems)
        log.error("malformed event", problems=error.problems)
        return self._answer(request, self._failed_malformed(request, error, reason), log, None)

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
            return self._failed(replace(request, properties={"TableName": table}), _Hop(), reason)
        except Exception:  # identifiers too odd to name an owner: nothing can have been claimed
            return Answer(FAILED, marker, reason)


@dataclass(frozen=True)
class _Unfinished:
    """The hop ended with work left: the deadline came, or reading kept failing transiently."""

    result: ApplyResult | None
    trouble: str = ""

    def reason(self, timeout: int) -> str:
        if self.result is None:
            return f"ServiceTimeout ({timeout}s) reached: {self.trouble}"
        return _timeout_reason(self.result, timeout)


@dataclass
class _Hop:
    """What one invocation learns that its answer or hand-off needs."""

    changed: bool = False
    workflow: Workflow | None = None
    created: tuple[str, ...] = ()
    last_in_flight: tuple[str, ...] = ()

    def following(self, continuation: Continuation) -> Continuation:
        """The continuation the next hop gets: facts it re-checks against the table."""
        created = self.created or continuation.created
        return replace(continuation, hop=continuation.hop + 1, changed=self.changed, created=created)

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


def _timeout_reason(result: ApplyResult, timeout: int) -> str:
    return (
        f"ServiceTimeout ({timeout}s) reached before the indexes were ready: {result.describe() or 'nothing in flight'}. "
        "DynamoDB finishes what is in flight; a later update or the rollback continues from the live state."
    )
