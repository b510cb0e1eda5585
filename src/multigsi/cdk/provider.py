"""The one provider function per stack that every ``GlobalSecondaryIndexes`` in it shares.

It is what ``multigsi template`` writes, built from the same pieces: the role's statements
come from ``multigsi.deploy.template`` (``stack_statements`` once, ``table_statements`` once per
table a construct names, added as constructs appear), the function's settings from its
constants, and the code is the zip ``multigsi package`` builds (``multigsi.cdk.code``). So
the role is scoped exactly as the SAM template's: the tables the stack's constructs name,
other tables only while their ownership tag names this stack, this stack's CloudFormation
reads, GetMetricData, and the function's own invoke and log group. For global tables each
named table also gets ``replica_statements``: DescribeTable and UpdateTable on its name in
every region (a replica is a table of its own, read where it is, and a ``ReplicaUpdates``
``Update`` "invokes the UpdateTable action in the destination Region": DynamoDB API
reference, ReplicationGroupUpdate,
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ReplicationGroupUpdate.html).

The first construct in a stack creates the provider with its options; a later one that
asks for different provider options is an error naming the option, not a silent choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from multigsi.cdk.code import lambda_zip
from multigsi.deploy.package import runtime_of
from multigsi.deploy.template import (
    DEFAULT_RESERVED_CONCURRENCY,
    DEFAULT_RUNTIME,
    FUNCTION_TIMEOUT,
    hand_off_and_log_statements,
    replica_statements,
    stack_statements,
    table_statements,
)
from multigsi.errors import Problem, SpecError

PROVIDER_ID = "MultigsiProvider"  # the singleton's id, directly under the stack
HANDLER = "multigsi.cloudformation.custom_resource.lambda_handler"
MEMORY_MB = 256
LOG_RETENTION = logs.RetentionDays.ONE_MONTH  # the SAM template's 30 days


@dataclass(frozen=True)
class ProviderOptions:
    """What the shared function is built with. ``lambda_package``: a zip from
    ``multigsi package`` (default: built and cached, see ``multigsi.cdk.code``).
    ``reserved_concurrency``: None leaves the function unreserved."""

    lambda_package: Path | None = None
    reserved_concurrency: int | None = DEFAULT_RESERVED_CONCURRENCY


class Provider(Construct):
    """Role, function, log group and the hand-off policy. Use ``Provider.of``."""

    def __init__(self, scope: Construct, construct_id: str, options: ProviderOptions) -> None:
        super().__init__(scope, construct_id)
        self.options = options
        stack = Stack.of(self)
        self._tables: set[str] = set()
        self.policy = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement.from_json(statement)
                for statement in stack_statements(
                    any_table_arn=stack.format_arn(service="dynamodb", resource="table", resource_name="*"),
                    stack_uuid=Fn.select(2, Fn.split("/", stack.stack_id)),
                    stack_id=stack.stack_id,
                )
            ]
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            inline_policies={"multigsi-indexes": self.policy},
        )
        package = options.lambda_package or lambda_zip()
        runtime = runtime_of(package) or DEFAULT_RUNTIME
        self.function = lambda_.Function(
            self,
            "Function",
            handler=HANDLER,
            runtime=lambda_.Runtime(runtime, lambda_.RuntimeFamily.PYTHON),
            code=lambda_.Code.from_asset(str(package)),
            timeout=Duration.seconds(FUNCTION_TIMEOUT),
            memory_size=MEMORY_MB,
            role=self.role,
            recursive_loop=lambda_.RecursiveLoop.TERMINATE,
            reserved_concurrent_executions=options.reserved_concurrency,
        )
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=f"/aws/lambda/{self.function.function_name}",
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,  # as the SAM template's (no DeletionPolicy)
        )
        self.hand_off_policy = iam.Policy(
            self,
            "SelfInvokeAndLogs",
            policy_name="multigsi-hand-off-and-logs",
            roles=[self.role],
            statements=[
                iam.PolicyStatement.from_json(statement)
                for statement in hand_off_and_log_statements(
                    self.function.function_arn, self.log_group.log_group_arn
                )
            ],
        )

    @classmethod
    def of(cls, scope: Construct, options: ProviderOptions) -> Provider:
        """The stack's provider, created by the first caller."""
        stack = Stack.of(scope)
        found = stack.node.try_find_child(PROVIDER_ID)
        if found is None:
            return cls(stack, PROVIDER_ID, options)
        if not isinstance(found, Provider):
            raise SpecError([Problem(PROVIDER_ID, f"the id is taken by a {type(found).__name__}")])
        if found.options != options:
            different = [name for name in ("lambda_package", "reserved_concurrency")
                         if getattr(found.options, name) != getattr(options, name)]  # fmt: skip
            raise SpecError(
                [
                    Problem(
                        name,
                        f"{getattr(options, name)!r} differs from {getattr(found.options, name)!r}, given to "
                        "the first GlobalSecondaryIndexes of this stack: one function serves them all",
                    )
                    for name in different
                ]
            )
        return found

    def grant_table(self, table_arn: str, table_name: str) -> None:
        """The role's grant on one more table and its indexes, and on its replicas in every
        region (once per table)."""
        if table_arn in self._tables:
            return
        self._tables.add(table_arn)
        every_region_arn = Stack.of(self).format_arn(
            service="dynamodb", region="*", resource="table", resource_name=table_name
        )
        statements = [
            *table_statements(table_arn, f"{table_arn}/index/*"),
            *replica_statements(every_region_arn),
        ]
        self.policy.add_statements(*(iam.PolicyStatement.from_json(s) for s in statements))

    @property
    def service_token(self) -> str:
        return str(self.function.function_arn)

    def dependable(self) -> Any:
        """What a custom resource must wait for: the hand-off policy (the role's inline
        policy comes with the role, which the function already depends on)."""
        return self.hand_off_policy
