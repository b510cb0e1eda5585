"""A stack of custom resources (and tables), with CloudFormation's rules for ids and rollback.

What it follows, because the custom resource's ownership depends on it:

- a failed Create is followed by a Delete carrying the PhysicalResourceId it answered;
- a failed Update that answered the *same* id is rolled back by an Update with old and new
  swapped; one that answered a *different* id is taken as a replacement: the old resource
  stays, and the new id gets a Delete in the rollback's cleanup;
- an Update that succeeded is rolled back the same way when a later resource fails
  (``deploy(..., fail_after=True)``); a Create that succeeded gets a Delete;
- after a successful deploy, the cleanup phase deletes replaced ids and resources no longer
  in the template (a logical-ID rename is one of each); cleanup failures are ignored;
- ``DeletionPolicy: Retain`` on a resource: no Delete is ever sent for it;
- ``delete_stack``: the stack is DELETE_IN_PROGRESS while each resource gets its Delete,
  then the stack's own tables are deleted (unless retained).

The stack's status and resources are what the harness's CloudFormation API reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3

from multigsi.cloudformation.properties import CUSTOM_RESOURCE_TYPE
from multigsi.local.cloudformation.cloudformation import (
    CfnResponse,
    LocalCloudFormation,
    ResourceState,
    StackState,
)

CUSTOM_TYPE = CUSTOM_RESOURCE_TYPE
TABLE_TYPE = "AWS::DynamoDB::Table"


@dataclass(frozen=True)
class CustomResource:
    """One ``Custom::MultiGsi`` entry of a template."""

    properties: dict[str, Any]
    deletion_policy: str = "Delete"


@dataclass
class _Deployed:
    properties: dict[str, Any]
    physical_id: str | None
    deletion_policy: str = "Delete"


class Stack:
    """The single-resource methods (``create``, ``update``, ``delete``) act on ``logical_id``;
    ``deploy`` and ``delete_stack`` act on the whole stack."""

    def __init__(
        self,
        cloudformation: LocalCloudFormation,
        logical_id: str = "Indexes",
        properties: dict[str, Any] | None = None,
        physical_id: str | None = None,
        *,
        name: str = "local",
        tables: Mapping[str, str] | None = None,
        table_policy: str = "Delete",
    ) -> None:
        self.cloudformation = cloudformation
        self.logical_id = logical_id
        self.stack_id = cloudformation.new_stack_id(name)
        self.state = StackState(self.stack_id, name)
        cloudformation.stacks[self.stack_id] = self.state
        self.deployed: dict[str, _Deployed] = {}
        self.history: list[tuple[str, CfnResponse]] = []
        self.table_policy = table_policy
        for table_logical_id, table_name in (tables or {}).items():
            self.state.resources[table_logical_id] = ResourceState(
                table_logical_id, TABLE_TYPE, table_name, "CREATE_COMPLETE"
            )
        if properties is not None:
            self._set(logical_id, _Deployed(properties, physical_id))

    # --- the default resource ---------------------------------------------------------------

    @property
    def properties(self) -> dict[str, Any] | None:
        found = self.deployed.get(self.logical_id)
        return found.properties if found else None

    @properties.setter
    def properties(self, value: dict[str, Any]) -> None:
        found = self.deployed.get(self.logical_id)
        self._set(self.logical_id, _Deployed(value, found.physical_id if found else None))

    @property
    def physical_id(self) -> str | None:
        found = self.deployed.get(self.logical_id)
        return found.physical_id if found else None

    @physical_id.setter
    def physical_id(self, value: str | None) -> None:
        found = self.deployed.get(self.logical_id)
        self._set(self.logical_id, _Deployed(found.properties if found else {}, value))

    def create(self, properties: dict[str, Any], *, copies: int = 1) -> CfnResponse:
        return self._create(self.logical_id, CustomResource(properties), copies=copies)

    def update(self, properties: dict[str, Any], *, copies: int = 1) -> CfnResponse:
        assert self.properties is not None and self.physical_id is not None, "create the resource first"
        response, _ = self._update(self.logical_id, CustomResource(properties), copies=copies)
        return response

    def delete(self, *, rollback: bool = False) -> CfnResponse:
        return self._delete(self.logical_id, "Rollback delete" if rollback else "Delete")

    @property
    def last(self) -> CfnResponse:
        return self.history[-1][1]

    # --- the whole stack ----------------------------------------------------------------------

    def deploy(self, template: Mapping[str, CustomResource], *, fail_after: bool = False) -> bool:
        """Create or update every resource of ``template`` in order, then either clean up
        (success) or roll back (a resource failed, or ``fail_after``: a later resource of
        the stack failed). True when the stack ends UPDATE_COMPLETE."""
        self.state.status = "UPDATE_IN_PROGRESS"
        done: list[tuple[str, str, _Deployed | None]] = []  # (logical id, Create|Update, before)
        failed = False
        for logical_id, resource in template.items():
            before = self.deployed.get(logical_id)
            if before is None:
                response = self._create(logical_id, resource, rollback_on_failure=False)
                done.append((logical_id, "Create", None))
            elif before.properties != resource.properties:
                response, _ = self._update(logical_id, resource, roll_back=False)
                done.append((logical_id, "Update", before))
            else:
                self.deployed[logical_id] = _Deployed(
                    before.properties, before.physical_id, resource.deletion_policy
                )
                continue
            if response.status != "SUCCESS":
                failed = True
                break
        if failed or fail_after:
            self._roll_back(done)
            self.state.status = "UPDATE_ROLLBACK_COMPLETE"
            return False
        self.state.status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
        for logical_id, what, before in done:
            now = self.deployed[logical_id]
            if what == "Update" and before is not None and before.physical_id != now.physical_id:
                self._send_delete(logical_id, before, "Cleanup delete")
        for logical_id in [lid for lid in self.deployed if lid not in template]:
            gone = self.deployed.pop(logical_id)
            if gone.deletion_policy != "Retain":
                self._send_delete(logical_id, gone, "Cleanup delete")  # a failure is ignored
            self.state.resources.pop(logical_id, None)
        self.state.status = "UPDATE_COMPLETE"
        return True

    def delete_stack(self) -> None:
        """Delete every resource (custom resources first: they depend on the tables)."""
        self.state.status = "DELETE_IN_PROGRESS"
        for logical_id in reversed(list(self.deployed)):
            resource = self.deployed.pop(logical_id)
            if resource.deletion_policy != "Retain":
                self._send_delete(logical_id, resource, "Delete")
            self.state.resources[logical_id].status = "DELETE_COMPLETE"
        if self.table_policy != "Retain":
            client = boto3.client(
                "dynamodb",
                endpoint_url=self.cloudformation.dynamodb_url,
                region_name=self.cloudformation.region,
                aws_access_key_id="local",
                aws_secret_access_key="local",
            )
            for listed in self.state.listed():
                if listed.resource_type == TABLE_TYPE:
                    client.delete_table(TableName=listed.physical_id)
        self.state.status = "DELETE_COMPLETE"

    # --- the requests ------------------------------------------------------------------------

    def _set(self, logical_id: str, deployed: _Deployed, status: str = "CREATE_COMPLETE") -> None:
        self.deployed[logical_id] = deployed
        self.state.resources[logical_id] = ResourceState(
            logical_id, CUSTOM_TYPE, deployed.physical_id or "", status
        )

    def _create(
        self, logical_id: str, resource: CustomResource, *, copies: int = 1, rollback_on_failure: bool = True
    ) -> CfnResponse:
        event = self.cloudformation.event(
            "Create", resource.properties, logical_id=logical_id, stack_id=self.stack_id
        )
        response = self._record("Create", self.cloudformation.deliver(event, copies=copies))
        self._set(
            logical_id,
            _Deployed(resource.properties, response.physical_resource_id or None, resource.deletion_policy),
            "CREATE_COMPLETE" if response.status == "SUCCESS" else "CREATE_FAILED",
        )
        if response.status != "SUCCESS" and rollback_on_failure:
            # CloudFormation rolls a failed Create back with a Delete of what it was told
            self._delete(logical_id, "Rollback delete")
        return response

    def _update(
        self, logical_id: str, resource: CustomResource, *, copies: int = 1, roll_back: bool = True
    ) -> tuple[CfnResponse, _Deployed]:
        before = self.deployed[logical_id]
        event = self.cloudformation.event(
            "Update",
            resource.properties,
            logical_id=logical_id,
            old_properties=before.properties,
            physical_id=before.physical_id,
            stack_id=self.stack_id,
        )
        response = self._record("Update", self.cloudformation.deliver(event, copies=copies))
        answered = _Deployed(resource.properties, response.physical_resource_id, resource.deletion_policy)
        if response.status == "SUCCESS":
            self._set(logical_id, answered, "UPDATE_COMPLETE")
            if roll_back and response.physical_resource_id != before.physical_id:
                self._send_delete(logical_id, before, "Delete")  # replacement: the old one goes
            return response, before
        if roll_back:
            self._roll_back_update(logical_id, before, answered)
        return response, before

    def _roll_back(self, done: list[tuple[str, str, _Deployed | None]]) -> None:
        self.state.status = "UPDATE_ROLLBACK_IN_PROGRESS"
        for logical_id, what, before in reversed(done):
            now = self.deployed[logical_id]
            if what == "Create":
                self.deployed.pop(logical_id)
                self.state.resources.pop(logical_id, None)
                self._send_delete(logical_id, now, "Rollback delete")
            elif before is not None:
                self._roll_back_update(logical_id, before, now)

    def _roll_back_update(self, logical_id: str, before: _Deployed, answered: _Deployed) -> None:
        """Back to ``before``: in place when the id is unchanged; otherwise the answered id is
        a replacement, deleted in the rollback's cleanup."""
        if answered.physical_id and answered.physical_id != before.physical_id:
            self._set(logical_id, before, "UPDATE_COMPLETE")
            self._send_delete(logical_id, answered, "Rollback cleanup delete")
            return
        rollback = self.cloudformation.event(
            "Update",
            before.properties,
            logical_id=logical_id,
            old_properties=answered.properties,
            physical_id=before.physical_id,
            stack_id=self.stack_id,
        )
        self._record("Rollback", self.cloudformation.deliver(rollback))
        self._set(logical_id, before, "UPDATE_COMPLETE")

    def _delete(self, logical_id: str, what: str) -> CfnResponse:
        resource = self.deployed[logical_id]
        return self._send_delete(logical_id, resource, what)

    def _send_delete(self, logical_id: str, resource: _Deployed, what: str) -> CfnResponse:
        event = self.cloudformation.event(
            "Delete",
            resource.properties,
            logical_id=logical_id,
            physical_id=resource.physical_id or logical_id,
            stack_id=self.stack_id,
        )
        return self._record(what, self.cloudformation.deliver(event))

    def _record(self, what: str, response: CfnResponse) -> CfnResponse:
        self.history.append((what, response))
        return response
