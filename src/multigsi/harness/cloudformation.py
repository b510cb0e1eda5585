"""CloudFormation's side of a custom resource, played locally.

``LocalCloudFormation.send`` builds an event as CloudFormation does (RequestId, StackId,
a pre-signed-looking ResponseURL with a secret query string, properties with numbers and
booleans turned into strings), delivers it through the Lambda Invoke API over HTTP, and
waits for the answer until the resource's ServiceTimeout. ``Stack`` adds CloudFormation's
bookkeeping: the PhysicalResourceId it remembers, the rollback Update with old and new
swapped after a failed Update, the Delete after a failed Create, and the Delete of the
old resource after a replacement.
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

import boto3

from multigsi.cfn import lambda_handler
from multigsi.harness.faults import HarnessFaults
from multigsi.harness.lambda_service import Handler, LambdaService

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
        self._saved_environment: dict[str, str | None] = {}

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LocalCloudFormation:
        self.lambda_service.start()
        # The handler runs in this process: point its standard boto3 clients at loopback.
        environment = {
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb_url,
            "AWS_ENDPOINT_URL_CLOUDWATCH": self.dynamodb_url,
            "AWS_ENDPOINT_URL_LAMBDA": self.lambda_service.url,
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
    ) -> dict[str, Any]:
        request_id = str(uuid.uuid4())
        # The query string stands in for S3's signature: it must never reach a log line.
        signature = secrets.token_hex(16)
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": self.function_arn,
            "ResponseURL": f"{self.lambda_service.url}/responses/{request_id}?X-Amz-Signature={signature}&X-Amz-Credential=local",
            "StackId": self.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": logical_id,
            "ResourceType": "Custom::MultiGsi",
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
            aws_access_key_id="local",
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


def json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


@dataclass
class Stack:
    """One custom resource in a stack, with CloudFormation's rules for ids and rollback."""

    cloudformation: LocalCloudFormation
    logical_id: str = "Indexes"
    properties: dict[str, Any] | None = None
    physical_id: str | None = None
    history: list[tuple[str, CfnResponse]] = field(default_factory=list)

    def create(self, properties: dict[str, Any], *, copies: int = 1) -> CfnResponse:
        event = self.cloudformation.event("Create", properties, logical_id=self.logical_id)
        response = self._record("Create", self.cloudformation.deliver(event, copies=copies))
        if response.status == "SUCCESS":
            self.properties, self.physical_id = properties, response.physical_resource_id
        else:  # CloudFormation rolls a failed Create back with a Delete of what it was told
            self.physical_id = response.physical_resource_id or None
            self.properties = properties
            self.delete(rollback=True)
        return response

    def update(self, properties: dict[str, Any], *, copies: int = 1) -> CfnResponse:
        assert self.properties is not None and self.physical_id is not None, "create the resource first"
        old, old_id = self.properties, self.physical_id
        event = self.cloudformation.event(
            "Update", properties, logical_id=self.logical_id, old_properties=old, physical_id=old_id
        )
        response = self._record("Update", self.cloudformation.deliver(event, copies=copies))
        if response.status != "SUCCESS":
            rollback = self.cloudformation.event(
                "Update", old, logical_id=self.logical_id, old_properties=properties, physical_id=old_id
            )
            self._record("Rollback", self.cloudformation.deliver(rollback))
            return response
        self.properties, self.physical_id = properties, response.physical_resource_id
        if response.physical_resource_id != old_id:  # replacement: the old resource is deleted
            cleanup = self.cloudformation.event("Delete", old, logical_id=self.logical_id, physical_id=old_id)
            self._record("Delete", self.cloudformation.deliver(cleanup))
        return response

    def delete(self, *, rollback: bool = False) -> CfnResponse:
        assert self.properties is not None
        event = self.cloudformation.event(
            "Delete",
            self.properties,
            logical_id=self.logical_id,
            physical_id=self.physical_id or self.logical_id,
        )
        response = self._record(
            "Rollback delete" if rollback else "Delete", self.cloudformation.deliver(event)
        )
        return response

    def _record(self, what: str, response: CfnResponse) -> CfnResponse:
        self.history.append((what, response))
        return response

    @property
    def last(self) -> CfnResponse:
        return self.history[-1][1]
