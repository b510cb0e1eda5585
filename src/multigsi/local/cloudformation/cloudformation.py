"""CloudFormation's side of a custom resource, played locally.

``LocalCloudFormation.send`` builds an event as CloudFormation does (RequestId, StackId,
a pre-signed-looking ResponseURL with a secret query string, properties with numbers and
booleans turned into strings), delivers it through the Lambda Invoke API over HTTP, and
waits for the answer until the resource's ServiceTimeout. ``Stack``
(``multigsi.local.cloudformation.stack``) adds CloudFormation's bookkeeping. The harness also answers
the few CloudFormation API calls the function makes about its own stack (DescribeStacks,
DescribeStackResources, DescribeStackResource) from the stacks it plays.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import boto3

from multigsi.cloudformation.custom_resource import lambda_handler
from multigsi.cloudformation.properties import CUSTOM_RESOURCE_TYPE
from multigsi.local.cloudformation.faults import HarnessFaults
from multigsi.local.cloudformation.lambda_service import CLOUDFORMATION_KEY, Handler, LambdaService

ACCOUNT = "123456789012"
DEFAULT_SERVICE_TIMEOUT = 3600.0
GRACE = 5.0


def stringify(value: Any) -> Any:
    """CloudFormation passes every scalar in ResourceProperties as a string."""
    if isinstance(value, Mapping):
        return {key: stringify(item) for key, item in value.items()}
    if isinstance(value, list):
        return [stringify(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


@dataclass(frozen=True)
class CfnResponse:
    status: str  # SUCCESS | FAILED, or NONE when nothing came before ServiceTimeout
    reason: str
    physical_resource_id: str
    data: Mapping[str, Any]
    request_id: str
    elapsed: float
    body: Mapping[str, Any] = field(default_factory=dict)


class LocalCloudFormation:
    def __init__(
        self,
        handler: Handler | None = None,
        *,
        dynamodb_url: str,
        lambda_timeout: float = 900.0,
        region: str = "us-east-1",
        function_name: str = "multigsi",
        faults: HarnessFaults | None = None,
    ) -> None:
        default = faults.handler if faults is not None else lambda_handler
        function: Handler = handler if handler is not None else default
        self.faults = faults
        self.region = region
        self.dynamodb_url = dynamodb_url
        self.lambda_service = LambdaService(
            function,
            function_name=function_name,
            region=region,
            account=ACCOUNT,
            timeout=lambda_timeout,
            faults=faults,
        )
        self.stack_id = f"arn:aws:cloudformation:{region}:{ACCOUNT}:stack/local/{uuid.uuid4()}"
        self.stacks: dict[str, StackState] = {}
        self.lambda_service.cloudformation_api = self.api
        self._saved_environment: dict[str, str | None] = {}

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LocalCloudFormation:
        self.lambda_service.start()
        # The handler runs in this process: point its standard boto3 clients at loopback.
        environment = {
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb_url,
            "AWS_ENDPOINT_URL_CLOUDWATCH": self.dynamodb_url,
            "AWS_ENDPOINT_URL_LAMBDA": self.lambda_service.url,
            "AWS_ENDPOINT_URL_CLOUDFORMATION": self.lambda_service.url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "MULTIGSI_RESPONSE_URL_HOSTS": "127.0.0.1",
        }
        for name, value in environment.items():
            self._saved_environment[name] = os.environ.get(name)
            os.environ[name] = value
        return self

    def stop(self) -> None:
        self.lambda_service.wait_idle(timeout=10)
        self.lambda_service.stop()
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def __enter__(self) -> LocalCloudFormation:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def function_arn(self) -> str:
        return self.lambda_service.arn

    # --- events --------------------------------------------------------------------------------

    def event(
        self,
        request_type: str,
        properties: Mapping[str, Any],
        *,
        logical_id: str = "Indexes",
        old_properties: Mapping[str, Any] | None = None,
        physical_id: str | None = None,
        stack_id: str | None = None,
    ) -> dict[str, Any]:
        request_id = str(uuid.uuid4())
        # The query string stands in for S3's signature: it must never reach a log line.
        signature = secrets.token_hex(16)
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": self.function_arn,
            "ResponseURL": (
                f"{self.lambda_service.url}/responses/{request_id}?X-Amz-Date={self.lambda_service.now():.0f}"
                f"&X-Amz-Expires=7200&X-Amz-Signature={signature}&X-Amz-Credential=local"
            ),
            "StackId": stack_id or self.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": logical_id,
            "ResourceType": CUSTOM_RESOURCE_TYPE,
            "ResourceProperties": stringify({"ServiceToken": self.function_arn, **properties}),
        }
        if old_properties is not None:
            event["OldResourceProperties"] = stringify({"ServiceToken": self.function_arn, **old_properties})
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        return event

    def deliver(self, event: dict[str, Any], *, copies: int = 1) -> CfnResponse:
        """Invoke the function asynchronously (``copies`` times, as a duplicate delivery
        would) through the Lambda API, and wait for the first answer."""
        client = boto3.client(
            "lambda",
            endpoint_url=self.lambda_service.url,
            region_name=self.region,
            aws_access_key_id=CLOUDFORMATION_KEY,
            aws_secret_access_key="local",
        )
        started = time.monotonic()
        if self.faults is not None and self.faults.happens("duplicate"):
            copies += 1
        for _ in range(copies):
            client.invoke(FunctionName=self.function_arn, InvocationType="Event", Payload=json_bytes(event))
        timeout = float(event["ResourceProperties"].get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT))
        return self.wait_for_answer(event["RequestId"], started, timeout + GRACE)

    def wait_for_answer(self, request_id: str, started: float, timeout: float) -> CfnResponse:
        service = self.lambda_service
        with service.lock:
            service.lock.wait_for(lambda: any(put.token == request_id for put in service.puts), timeout)
            put = next((p for p in service.puts if p.token == request_id), None)
        if put is None:
            return CfnResponse(
                "NONE", "no answer before ServiceTimeout", "", {}, request_id, time.monotonic() - started
            )
        body = put.body
        return CfnResponse(
            body.get("Status", ""),
            body.get("Reason", ""),
            body.get("PhysicalResourceId", ""),
            body.get("Data", {}),
            request_id,
            put.at - started,
            body,
        )

    def answers(self, request_id: str) -> list[Mapping[str, Any]]:
        with self.lambda_service.lock:
            return [put.body for put in self.lambda_service.puts if put.token == request_id]

    def fail_next_response_puts(self, count: int) -> None:
        with self.lambda_service.lock:
            self.lambda_service.fail_next_puts = count

    # --- the CloudFormation API, for the function's questions about its own stack ----------

    def new_stack_id(self, name: str) -> str:
        if not self.stacks and name == "local":
            return self.stack_id
        return f"arn:aws:cloudformation:{self.region}:{ACCOUNT}:stack/{name}/{uuid.uuid4()}"

    def api(self, params: Mapping[str, str]) -> tuple[int, str]:
        """One CloudFormation query-protocol call: (HTTP status, XML body)."""
        action = params.get("Action", "")
        state = self.stacks.get(params.get("StackName", ""))
        if state is None:
            return 400, _error_xml(
                "ValidationError", f"Stack with id {params.get('StackName')} does not exist"
            )
        if action == "DescribeStacks":
            member = (
                f"<member><StackId>{escape(state.stack_id)}</StackId><StackName>{escape(state.name)}</StackName>"
                f"<CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>{state.status}</StackStatus></member>"
            )
            return 200, _result_xml(action, f"<Stacks>{member}</Stacks>")
        if action == "DescribeStackResources":
            members = "".join(
                f"<member>{_resource_xml(state, r, 'Timestamp')}</member>" for r in state.listed()
            )
            return 200, _result_xml(action, f"<StackResources>{members}</StackResources>")
        if action == "DescribeStackResource":
            logical = params.get("LogicalResourceId", "")
            found = next((r for r in state.listed() if r.logical_id == logical), None)
            if found is None:
                return 400, _error_xml(
                    "ValidationError", f"Resource {logical} does not exist for stack {state.name}"
                )
            detail = _resource_xml(state, found, "LastUpdatedTimestamp")
            return 200, _result_xml(action, f"<StackResourceDetail>{detail}</StackResourceDetail>")
        return 400, _error_xml("InvalidAction", f"{action} is not played by the harness")


@dataclass
class ResourceState:
    logical_id: str
    resource_type: str
    physical_id: str
    status: str


@dataclass
class StackState:
    """What CloudFormation's API says about one stack: its status and resources."""

    stack_id: str
    name: str
    status: str = "CREATE_COMPLETE"
    resources: dict[str, ResourceState] = field(default_factory=dict)

    def listed(self) -> list[ResourceState]:
        return list(self.resources.values())


_NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"


def _result_xml(action: str, inner: str) -> str:
    return (
        f'<{action}Response xmlns="{_NS}"><{action}Result>{inner}</{action}Result>'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>"
    )


def _error_xml(code: str, message: str) -> str:
    return (
        f'<ErrorResponse xmlns="{_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )


def _resource_xml(state: StackState, resource: ResourceState, stamp: str) -> str:
    return (
        f"<StackName>{escape(state.name)}</StackName><StackId>{escape(state.stack_id)}</StackId>"
        f"<LogicalResourceId>{escape(resource.logical_id)}</LogicalResourceId>"
        f"<PhysicalResourceId>{escape(resource.physical_id)}</PhysicalResourceId>"
        f"<ResourceType>{escape(resource.resource_type)}</ResourceType>"
        f"<{stamp}>2026-01-01T00:00:00Z</{stamp}><ResourceStatus>{resource.status}</ResourceStatus>"
    )


def json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()
