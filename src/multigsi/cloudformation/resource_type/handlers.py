"""The resource type's Lambda entry point: ``multigsi.cloudformation.resource_type.handlers.resource``.

``resource`` is a ``cloudformation_cli_python_lib.Resource``; calling it with the request
CloudFormation sends runs one handler and returns the serialized ProgressEvent. The
handlers translate between the library's types and ``multigsi.cloudformation.resource_type.operations``,
which does the work.

``make_resource(runtime)`` builds the same entry point with another ``Runtime``: the
protocol stand-in (``multigsi.local.cloudformation.resource_type_caller``) gives it a simulated clock and the local
endpoint's URL. Clients are built from the caller's credentials the library hands over,
in the request's region, the standard way (so ``AWS_ENDPOINT_URL_*`` work too).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from cloudformation_cli_python_lib.interface import (
    Action,
    BaseModel,
    BaseResourceHandlerRequest,
    HandlerErrorCode,
    OperationStatus,
    ProgressEvent,
)
from cloudformation_cli_python_lib.resource import Resource
from cloudformation_cli_python_lib.utils import HandlerRequest

from multigsi.cloudformation.resource_type import TYPE_NAME
from multigsi.cloudformation.resource_type.operations import (
    ErrorCode,
    Operations,
    Outcome,
    Request,
    Status,
    failed,
)
from multigsi.cloudformation.resource_type.pacing import INVOCATION_BUDGET
from multigsi.engine.clients import Clients
from multigsi.engine.clock import Clock, SystemClock


class ResourceModel(BaseModel):
    """The properties as CloudFormation sends them; parsed by ``multigsi.cloudformation.custom_resource.event``, the
    parser ``Custom::MultiGsi`` uses, not by generated code."""

    def __init__(self, properties: Mapping[str, Any]) -> None:
        self.properties = dict(properties)

    def _serialize(self) -> Mapping[str, Any]:
        return self.properties

    @classmethod
    def _deserialize(cls, json_data: Mapping[str, Any] | None) -> ResourceModel | None:
        return None if json_data is None else cls(json_data)


@dataclass
class Runtime:
    """What the handlers use besides the request: how clients are made, the clock (the
    waits, the budget, the dates), the random source."""

    endpoint_url: str | None = None
    clock: Clock = field(default_factory=SystemClock)
    rng: random.Random = field(default_factory=random.Random)
    budget: float = INVOCATION_BUDGET

    _cache: dict[tuple[Any, ...], Clients] = field(default_factory=dict, repr=False)

    def clients(self, session: Any, region: str | None) -> Clients:
        """Built once per credentials and region (a warm Lambda container keeps them):
        making a boto3 client costs more than a DescribeTable. Only from the credentials
        CloudFormation hands over: never the environment's (under SAM local or `cfn test`
        that would be a developer's own profile, on real tables)."""
        base = session.session
        credentials = base.get_credentials()
        key = (
            region,
            credentials.access_key if credentials else None,
            credentials.token if credentials else None,
        )
        if key not in self._cache:
            self._cache.clear()  # credentials change between invocations: keep only the latest
            self._cache[key] = self._make(base, region)
        return self._cache[key]

    def _make(self, base: Any, region: str | None) -> Clients:
        return Clients.build(base, region=region, endpoint_url=self.endpoint_url, deadline_bound=True)


class _Resource(Resource):
    """cloudformation-cli-python-lib's ``Resource`` with List's ``nextToken`` passed on.

    The lib (2.1.x) parses the request's top-level ``nextToken`` into its ``HandlerRequest``
    but ``Resource._cast_resource_request`` leaves it out of the handler's request, so every
    List would answer the first page again and a caller paging List (CloudFormation, the
    Cloud Control API, `cfn test`) would never finish. The token is copied over here."""

    def _cast_resource_request(self, request: HandlerRequest) -> BaseResourceHandlerRequest:
        modelled = super()._cast_resource_request(request)
        if modelled.nextToken is None and isinstance(request.nextToken, str) and request.nextToken:
            modelled.nextToken = request.nextToken
        return modelled


def make_resource(runtime: Runtime | None = None) -> Resource:
    runtime = runtime or Runtime()
    entry = _Resource(TYPE_NAME, ResourceModel)

    def handle(action: str) -> Callable[[Any, Any, MutableMapping[str, Any]], ProgressEvent]:
        def handler(session: Any, request: Any, callback_context: MutableMapping[str, Any]) -> ProgressEvent:
            desired = request.desiredResourceState
            previous = request.previousResourceState
            if session is None:  # fail closed: no credentials from CloudFormation, no AWS calls
                return progress_event(
                    failed(
                        ErrorCode.INVALID_CREDENTIALS,
                        "the request carries no caller credentials from CloudFormation; nothing was done",
                    )
                )
            operations = Operations(
                runtime.clients(session, request.region),
                clock=runtime.clock,
                rng=runtime.rng,
                budget=runtime.budget,
            )
            outcome = operations.run(
                Request(
                    action=action,
                    desired=desired.properties if desired is not None else {},
                    previous=previous.properties if previous is not None else None,
                    context=dict(callback_context or {}),
                    stack_id=request.stackId,
                    logical_id=request.logicalResourceIdentifier,
                    next_token=request.nextToken,
                )
            )
            return progress_event(outcome, listing=action == "LIST")

        return handler

    for action in (Action.CREATE, Action.UPDATE, Action.DELETE, Action.READ, Action.LIST):
        entry.handler(action)(handle(action.name))
    return entry


def progress_event(outcome: Outcome, *, listing: bool = False) -> ProgressEvent:
    """The lib's ProgressEvent for ``outcome``. A List's SUCCESS always carries
    ``resourceModels``, ``[]`` when there are none (the lib drops ``None`` when it
    serializes, and callers index the key)."""
    status = {
        Status.SUCCESS: OperationStatus.SUCCESS,
        Status.FAILED: OperationStatus.FAILED,
        Status.IN_PROGRESS: OperationStatus.IN_PROGRESS,
    }[outcome.status]
    return ProgressEvent(
        status=status,
        errorCode=HandlerErrorCode[outcome.error.value] if outcome.error is not None else None,
        message=outcome.message,
        callbackContext=dict(outcome.context) if outcome.context is not None else None,
        callbackDelaySeconds=outcome.delay,
        resourceModel=ResourceModel(outcome.model) if outcome.model is not None else None,
        resourceModels=[ResourceModel(m) for m in outcome.models]
        if outcome.status is Status.SUCCESS and (listing or outcome.models)
        else None,
        nextToken=outcome.next_token,
    )


resource = make_resource()
# What `cfn test` and SAM local call (the package's testEntrypoint); AWS calls `resource`.
test_entrypoint = resource.test_entrypoint
