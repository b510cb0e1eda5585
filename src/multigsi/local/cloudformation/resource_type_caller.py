"""CloudFormation's side of a registry resource type, played locally.

``RegistryStandIn`` calls a handler entry point (``multigsi.cloudformation.resource_type.handlers.resource``
or one made by ``make_resource``) with the request CloudFormation sends to a resource
type's handler: action, desired and previous properties, callback context, caller
credentials, region, stack id and logical id. It honours ``callbackDelaySeconds`` on a
clock it controls (sleeping on it: a simulated clock lets hours pass in moments, the
endpoint's builds included), enforces the operation timeout (the schema's
``timeoutInMinutes`` for the action, measured on that clock from the first invocation),
and records every invocation. ``RegistryStack`` adds CloudFormation's bookkeeping for one
resource: the model and identifier it keeps, and rollback — a failed Update (or a later
resource's failure, ``fail_after``) is followed by an Update back to the previous
properties, as CloudFormation does.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from multigsi.cloudformation.resource_type import SCHEMA_PATH, TYPE_NAME
from multigsi.engine.clock import Clock

ACCOUNT = "123456789012"
CREDENTIALS = {"accessKeyId": "local", "secretAccessKey": "local", "sessionToken": "local"}
# A Create must name its resource (the primary identifier in the model) within this long:
# "Resource timed out waiting for creation of physical resource" (AWS knowledge center).
PHYSICAL_ID_SECONDS = 60.0
Entry = Callable[[dict[str, Any], Any], Mapping[str, Any]]


def handler_timeouts(schema: Mapping[str, Any]) -> dict[str, float]:
    """Seconds per action from the schema (CloudFormation's default is 120 minutes)."""
    return {
        action.upper(): 60.0 * float(handler.get("timeoutInMinutes", 120))
        for action, handler in schema.get("handlers", {}).items()
    }


@dataclass(frozen=True)
class Invocation:
    at: float  # on the stand-in's clock, when the handler was called
    action: str
    status: str
    message: str
    delay: int
    error_code: str | None


@dataclass(frozen=True)
class OperationResult:
    action: str
    status: str  # SUCCESS | FAILED (a timeout is FAILED with error code NotStabilized)
    message: str
    error_code: str | None
    model: Mapping[str, Any] | None
    models: tuple[Mapping[str, Any], ...]
    invocations: tuple[Invocation, ...]
    started: float
    ended: float
    next_token: str | None = None
    identified: Mapping[str, Any] | None = None  # the last model naming the resource (its Id)

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCESS"


class _Context:
    """The Lambda context the entry point is given (the library does not read it)."""

    invoked_function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:multigsi-registry"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@dataclass
class RegistryStandIn:
    entry: Entry
    clock: Clock
    region: str = "us-east-1"
    stack_name: str = "registry-stack"
    timeouts: dict[str, float] = field(
        default_factory=lambda: handler_timeouts(json.loads(SCHEMA_PATH.read_text()))
    )
    stack_id: str = ""
    log: list[Invocation] = field(default_factory=list)
    # Calls as the Cloud Control API makes them: no stack id and no logical id; the
    # resource is known only by its primary identifier.
    stackless: bool = False

    def __post_init__(self) -> None:
        if not self.stack_id and not self.stackless:
            self.stack_id = (
                f"arn:aws:cloudformation:{self.region}:{ACCOUNT}:stack/{self.stack_name}/{uuid.uuid4()}"
            )

    def request(
        self,
        action: str,
        desired: Mapping[str, Any] | None,
        previous: Mapping[str, Any] | None = None,
        *,
        logical_id: str = "Indexes",
        context: Mapping[str, Any] | None = None,
        next_token: str | None = None,
        token: str = "",
    ) -> dict[str, Any]:
        """One handler request, in the shape CloudFormation sends."""
        event: dict[str, Any] = {
            "awsAccountId": ACCOUNT,
            "bearerToken": token or str(uuid.uuid4()),
            "region": self.region,
            "action": action,
            "resourceType": TYPE_NAME,
            "resourceTypeVersion": "00000001",
            "stackId": self.stack_id,
            "requestData": {
                "callerCredentials": dict(CREDENTIALS),
                "logicalResourceId": logical_id,
                "resourceProperties": dict(desired or {}),
                "previousResourceProperties": dict(previous) if previous is not None else None,
                "systemTags": {"aws:cloudformation:stack-id": self.stack_id},
                "stackTags": {},
            },
        }
        if self.stackless:
            del event["stackId"], event["requestData"]["logicalResourceId"]
            event["requestData"]["systemTags"] = {}
        if context:
            event["callbackContext"] = dict(context)
        if next_token:
            event["nextToken"] = next_token
        return event

    def invoke(self, event: dict[str, Any]) -> Mapping[str, Any]:
        """One handler call; the response goes through JSON as it would on the wire."""
        return dict(json.loads(json.dumps(self.entry(event, _Context()))))

    def operation(
        self,
        action: str,
        desired: Mapping[str, Any] | None,
        previous: Mapping[str, Any] | None = None,
        *,
        logical_id: str = "Indexes",
        timeout: float | None = None,
    ) -> OperationResult:
        """Call the handler until it answers SUCCESS or FAILED, waiting each callback delay on
        the clock; past the action's timeout the operation FAILS as CloudFormation fails it."""
        limit = self.timeouts.get(action, 7200.0) if timeout is None else timeout
        started = self.clock.now()
        token = str(uuid.uuid4())  # one operation, one client request token, as CloudFormation
        context: Mapping[str, Any] | None = None
        invocations: list[Invocation] = []
        identified: Mapping[str, Any] | None = None
        while True:
            at = self.clock.now()
            response = self.invoke(
                self.request(action, desired, previous, logical_id=logical_id, context=context, token=token)
            )
            invocation = Invocation(
                at,
                action,
                str(response.get("status")),
                str(response.get("message", "")),
                int(response.get("callbackDelaySeconds", 0) or 0),
                response.get("errorCode"),
            )
            invocations.append(invocation)
            self.log.append(invocation)
            model = response.get("resourceModel")
            if isinstance(model, Mapping) and model.get("Id"):
                identified = dict(model)
            if invocation.status != "IN_PROGRESS" or action in ("READ", "LIST"):
                return OperationResult(
                    action,
                    invocation.status,
                    invocation.message,
                    invocation.error_code,
                    response.get("resourceModel"),
                    tuple(response.get("resourceModels") or ()),
                    tuple(invocations),
                    started,
                    self.clock.now(),
                    identified=identified,
                )
            if action == "CREATE" and identified is None and self.clock.now() - started > PHYSICAL_ID_SECONDS:
                return OperationResult(
                    action,
                    "FAILED",
                    "Resource timed out waiting for creation of physical resource",
                    "NotStabilized",
                    None,
                    (),
                    tuple(invocations),
                    started,
                    self.clock.now(),
                )
            if self.clock.now() + invocation.delay - started > limit:
                return OperationResult(
                    action,
                    "FAILED",
                    f"operation timed out after {limit / 60:.0f} minutes; last progress: {invocation.message}",
                    "NotStabilized",
                    None,
                    (),
                    tuple(invocations),
                    started,
                    started + limit,
                    identified=identified,
                )
            self.clock.sleep(invocation.delay)
            context = response.get("callbackContext") or {}
            if isinstance(model, Mapping):
                desired = dict(model)  # an IN_PROGRESS model is the next call's desired state

    def read(self, model: Mapping[str, Any], *, logical_id: str = "Indexes") -> OperationResult:
        return self.operation("READ", model, logical_id=logical_id)

    def list(self, next_token: str | None = None) -> OperationResult:
        response = self.invoke(self.request("LIST", {}, next_token=next_token))
        at = self.clock.now()
        return OperationResult(
            "LIST",
            str(response.get("status")),
            str(response.get("message", "")),
            response.get("errorCode"),
            None,
            tuple(response.get("resourceModels") or ()),
            (),
            at,
            at,
            response.get("nextToken"),
        )


@dataclass
class RegistryStack:
    """One resource of the type in a stack: what CloudFormation remembers of it."""

    standin: RegistryStandIn
    logical_id: str = "Indexes"
    model: dict[str, Any] | None = None
    history: list[OperationResult] = field(default_factory=list)

    def _run(
        self,
        action: str,
        desired: Mapping[str, Any] | None,
        previous: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> OperationResult:
        result = self.standin.operation(
            action, desired, previous, logical_id=self.logical_id, timeout=timeout
        )
        self.history.append(result)
        return result

    def create(self, properties: Mapping[str, Any], *, timeout: float | None = None) -> OperationResult:
        """A Create; when it fails after naming its resource, CloudFormation's rollback
        deletes what it knows of (``history[-1]``)."""
        result = self._run("CREATE", properties, timeout=timeout)
        if result.succeeded and result.model is not None:
            self.model = dict(result.model)
        elif not result.succeeded and result.identified is not None:
            self._run("DELETE", result.identified)
        return result

    def update(
        self, properties: Mapping[str, Any], *, timeout: float | None = None, fail_after: bool = False
    ) -> OperationResult:
        """An Update, and CloudFormation's rollback when it fails (or, with ``fail_after``,
        when a resource updated after it fails): an Update back to the previous properties.
        Returns the Update's result; the rollback's is ``history[-1]``."""
        assert self.model is not None, "create the resource first"
        before = dict(self.model)
        identifier = {"Id": before["Id"]} if "Id" in before else {}
        desired = {**properties, **identifier}
        result = self._run("UPDATE", desired, before, timeout=timeout)
        if result.succeeded and result.model is not None:
            self.model = dict(result.model)
        if not result.succeeded or fail_after:
            rollback = self._run("UPDATE", before, desired)
            if rollback.succeeded:
                self.model = before
        return result

    def delete(self) -> OperationResult:
        assert self.model is not None, "nothing to delete"
        result = self._run("DELETE", self.model)
        if result.succeeded:
            self.model = None
        return result

    @property
    def rollback(self) -> OperationResult:
        return self.history[-1]
