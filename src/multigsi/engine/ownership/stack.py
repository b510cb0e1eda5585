"""What CloudFormation says about a resource's own stack, for the ownership rules.

``StackView`` asks CloudFormation (DescribeStacks, DescribeStackResource(s), scoped to the
resource's own stack) what an event does not say: is the stack being deleted, is the table
one of its resources, does a previous owner still exist. An unanswerable question (no
permission, throttled) gets the answer that keeps indexes. A resource without a stack (the
Cloud Control API) has nobody to ask: ``NoStack`` answers every question the keeping way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from multigsi.engine.ownership.record import recorded_logical_id


class StackQuestions(Protocol):
    def deleting(self) -> bool | None: ...

    def owns_table(self, table_name: str) -> bool | None: ...

    def resource_exists(self, logical_id: str) -> bool: ...


class LazyClient:
    """A client made when first used: asking CloudFormation is rare (a Delete, a hand-back),
    and making a client costs a cold start more than most of those calls."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = self._make()
        return getattr(self._client, name)


class NoStack:
    """A resource created without a stack: nothing to ask, and every answer keeps indexes."""

    def deleting(self) -> bool | None:
        return None

    def owns_table(self, table_name: str) -> bool | None:
        return None

    def resource_exists(self, logical_id: str) -> bool:
        return True


# DescribeStackResources: "Only the first 100 resources will be returned" (CloudFormation API reference).
DESCRIBE_STACK_RESOURCES_LIMIT = 100


@dataclass
class StackView:
    """What CloudFormation says about the resource's own stack. ``None`` means unknown."""

    client: Any
    stack_id: str

    def deleting(self) -> bool | None:
        try:
            stacks = self.client.describe_stacks(StackName=self.stack_id)["Stacks"]
        except Exception:
            return None
        return bool(stacks) and stacks[0].get("StackStatus") == "DELETE_IN_PROGRESS"

    def owns_table(self, table_name: str) -> bool | None:
        try:
            resources = self.client.describe_stack_resources(StackName=self.stack_id)["StackResources"]
        except Exception:
            return None
        return any(
            r.get("ResourceType") == "AWS::DynamoDB::Table" and r.get("PhysicalResourceId") == table_name
            for r in resources
        )

    def resource_exists(self, logical_id: str) -> bool:
        """``logical_id`` as a claim records it. Unknown counts as existing: the index is
        then kept, never deleted."""
        if logical_id != recorded_logical_id(logical_id):  # a hash: no resource has it as its name
            return self._hashed_resource_exists(logical_id)
        try:
            detail = self.client.describe_stack_resource(
                StackName=self.stack_id, LogicalResourceId=logical_id
            )
        except Exception as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            message = str(error)
            return not (code == "ValidationError" and "does not exist" in message)
        status = detail.get("StackResourceDetail", {}).get("ResourceStatus", "")
        return bool(status != "DELETE_COMPLETE")

    def _hashed_resource_exists(self, recorded: str) -> bool:
        """A logical id longer than a tag value holds, found among the stack's resources."""
        try:
            resources = self.client.describe_stack_resources(StackName=self.stack_id)["StackResources"]
        except Exception:
            return True
        if len(resources) >= DESCRIBE_STACK_RESOURCES_LIMIT:
            return True  # only the first 100 are listed: the one sought may be past them
        return any(
            recorded_logical_id(str(r.get("LogicalResourceId", ""))) == recorded
            and r.get("ResourceStatus") != "DELETE_COMPLETE"
            for r in resources
        )
