"""``GlobalSecondaryIndexes``: several index changes on one table in one ``cdk deploy``.

``AWS::DynamoDB::Table`` (what ``Table.addGlobalSecondaryIndex`` and ``TableV2``
synthesize) refuses more than one index add or delete per stack update. This construct
lists the indexes on a ``Custom::MultiGsi`` resource instead, served by the stack's one
provider function (``multigsi.cdk.provider``), which applies them one at a time with the
same engine as the CLI. Its semantics are the custom resource's (docs/custom-resource.md, "CloudFormation
custom resource"): it deletes only indexes it created, adopts and never deletes indexes
that existed before, and never touches indexes it does not list.

Options and what they map to:

- ``service_timeout`` (1-3600 s, default 3600): the resource's ``ServiceTimeout``, which
  the handler also reads as its own deadline (work left then answers FAILED, naming the
  index still building).
- ``removal_policy``: ``DESTROY`` (default) sends Delete when the resource leaves the
  stack: the indexes it created are deleted, adopted ones released. ``RETAIN`` is
  ``DeletionPolicy``/``UpdateReplacePolicy: Retain``: no Delete, the indexes and their
  ownership tags stay. Nothing else (``SNAPSHOT`` has no meaning for indexes).
- ``backend``: ``Backend.CUSTOM_RESOURCE`` (default; nothing to register, builds up to
  ``service_timeout``) or ``Backend.RESOURCE_TYPE``: the registered
  ``Multigsi::DynamoDB::GlobalSecondaryIndexes`` type (``multigsi register-type`` once per
  account and region; handlers run up to 36 hours, with the execution role given at
  registration, so the stack gets no function, role or log group). The properties and the
  ownership rules are the same, so a stack can switch (docs/resource-type.md).
- ``replica_index_options``: a global table's per-replica index read settings, by region
  then index name, in CDK's ``ReplicaGlobalSecondaryIndexOptions``; the resource's
  ``Replicas`` lists every replica region of a ``TableV2`` (``multigsi.cdk.replicas`` says
  why the ``TableV2`` cannot carry them itself). The role may read and update the table
  in every region (``provider.replica_statements``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import Annotations, CfnResource, CustomResource, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct, IValidation

from multigsi.cdk.provider import Provider, ProviderOptions
from multigsi.cdk.replicas import replica_regions, replicas_property
from multigsi.cdk.shapes import check, index_names_of
from multigsi.cloudformation.properties import CUSTOM_RESOURCE_TYPE
from multigsi.cloudformation.properties import service_timeout as checked_service_timeout
from multigsi.cloudformation.resource_type import SCHEMA_PATH, TYPE_NAME
from multigsi.deploy.template import DEFAULT_RESERVED_CONCURRENCY, check_table_name
from multigsi.errors import Problem, SpecError
from multigsi.model.table import BillingMode

RESOURCE_TYPE = CUSTOM_RESOURCE_TYPE
DEFAULT_SERVICE_TIMEOUT = Duration.hours(1)
TWO_OWNERS_WARNING = "multigsi:two-owners"
REMOVAL_POLICIES = {RemovalPolicy.DESTROY.name, RemovalPolicy.RETAIN.name}


class Backend(Enum):
    """What serves the indexes: the stack's own custom resource function, or the registered
    resource type (for builds past the custom resource's one-hour limit)."""

    CUSTOM_RESOURCE = "custom-resource"
    RESOURCE_TYPE = "resource-type"


class GlobalSecondaryIndexes(Construct):
    """The indexes ``table`` should have, applied one at a time.

    ``table``: a ``Table``/``TableV2`` of this app, or one imported by name or ARN
    (``Table.from_table_name``). ``indexes``: ``GlobalSecondaryIndexProps`` (or ``V2``),
    checked at synth time by the CLI's parser. Attributes: ``table_arn`` and
    ``index_names_attribute`` come from the resource (a consumer of them waits until the
    indexes are built), ``index_names`` is the synth-time list."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: Any,
        indexes: Sequence[Any],
        service_timeout: Duration = DEFAULT_SERVICE_TIMEOUT,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        lambda_package: str | Path | None = None,
        reserved_concurrency: int | None = DEFAULT_RESERVED_CONCURRENCY,
        backend: Backend = Backend.CUSTOM_RESOURCE,
        replica_index_options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = table
        source = self.node.path
        timeout = _service_timeout(service_timeout, source)
        if removal_policy.name not in REMOVAL_POLICIES:
            raise SpecError(
                [Problem("removal_policy", f"{removal_policy.name} is not DESTROY or RETAIN")], source
            )
        table_name: str = table.table_name
        known_name = _literal_table_name(table) if _is_token(table_name) else table_name
        if known_name is not None:
            try:
                check_table_name(known_name, "table")
            except SpecError as error:
                raise SpecError(error.problems, source) from None
        billing_mode = _billing_mode(table)
        replicas, replica_problems = replicas_property(
            table, replica_index_options, index_names_of(indexes), billing_mode
        )
        if replicas and backend is Backend.RESOURCE_TYPE and not _type_takes_replicas():
            replica_problems.append(
                Problem("backend", "this multigsi's registered type has no Replicas property yet")
            )
        self.spec, properties = check(
            table_name,
            indexes,
            billing_mode=billing_mode,
            source=source,
            known_name=known_name,
            replicas=replicas,
            replica_problems=replica_problems,
        )
        self.index_names: tuple[str, ...] = tuple(index.name for index in self.spec.indexes)
        self.replica_regions: tuple[str, ...] = tuple(replica.region for replica in self.spec.replicas)
        self.node.add_validation(_TwoOwners(self))
        self.node.add_validation(_ReplicasKnown(self, replica_regions(table)))
        if backend is Backend.RESOURCE_TYPE:
            self._use_resource_type(properties, service_timeout, lambda_package, removal_policy, source)
            return
        self.provider: Provider | None = Provider.of(
            self,
            ProviderOptions(
                Path(lambda_package) if lambda_package is not None else None, reserved_concurrency
            ),
        )
        self.provider.grant_table(table.table_arn, table_name)
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=self.provider.service_token,
            resource_type=RESOURCE_TYPE,
            properties=properties,
            service_timeout=Duration.seconds(timeout),
            removal_policy=removal_policy,
        )
        self.resource.node.add_dependency(self.provider.dependable())
        self.table_arn: str = self.resource.get_att_string("TableArn")
        self.index_names_attribute: str = self.resource.get_att_string("IndexNames")

    def _use_resource_type(
        self,
        properties: dict[str, Any],
        service_timeout: Duration,
        lambda_package: str | Path | None,
        removal_policy: RemovalPolicy,
        source: str,
    ) -> None:
        """The registered type in place of the function: its handlers have 36 hours and the
        role given at registration, so a function's options would silently mean nothing."""
        problems = []
        if service_timeout is not DEFAULT_SERVICE_TIMEOUT:
            problems.append(
                Problem("service_timeout", "applies to the custom resource only (the type has 36 hours)")
            )
        if lambda_package is not None:
            problems.append(
                Problem("lambda_package", "applies to the custom resource only (the type is registered)")
            )
        if problems:
            raise SpecError(problems, source)
        self.provider = None
        resource = CfnResource(self, "Resource", type=TYPE_NAME, properties=properties)
        resource.apply_removal_policy(removal_policy)
        self.resource = resource
        # The type's only attribute is its Id, "<table>/<stack>/<stack uuid>/<logical id>":
        # the ARN built from it resolves once the indexes exist, like the custom resource's.
        table = Fn.select(0, Fn.split("/", resource.get_att("Id").to_string()))
        self.table_arn = Stack.of(self).format_arn(service="dynamodb", resource="table", resource_name=table)
        self.index_names_attribute = ",".join(self.index_names)

    def index_arn(self, index_name: str) -> str:
        """The ARN of one listed index (from ``table_arn``: it resolves once the indexes exist)."""
        if index_name not in self.index_names:
            raise SpecError([Problem("index_name", f"{index_name!r} is not one of {list(self.index_names)}")])
        return f"{self.table_arn}/index/{index_name}"

    def grant(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant:
        """``actions`` on the listed indexes (``Table.grant*`` covers an index only when
        CDK's own table lists it, which these are not)."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(actions),
            resource_arns=[self.index_arn(name) for name in self.index_names],
        )

    def grant_read_data(self, grantee: iam.IGrantable) -> iam.Grant:
        """Query and Scan on the listed indexes (the reads an index serves)."""
        return self.grant(grantee, "dynamodb:Query", "dynamodb:Scan")


@jsii.implements(IValidation)
class _TwoOwners:
    """Warns when the table's own ``globalSecondaryIndexes`` lists an index this construct
    also lists: two owners, and CloudFormation's table update would fight multigsi's.
    A validation, so indexes the table gets after this construct are seen too."""

    def __init__(self, owner: GlobalSecondaryIndexes) -> None:
        self.owner = owner

    def validate(self) -> list[str]:
        both = sorted(set(self.owner.index_names) & set(_table_index_names(self.owner.table)))
        if both:
            Annotations.of(self.owner).add_warning_v2(
                TWO_OWNERS_WARNING,
                f"{', '.join(both)} also in the table's own globalSecondaryIndexes: two owners. "
                "List each index in one place (remove it from the table, or from this construct).",
            )
        return []


@jsii.implements(IValidation)
class _ReplicasKnown:
    """Fails synth when the table's replica regions changed after the construct read them
    (``table.add_replica`` called later): the resource would list the regions as they were,
    and overrides for a region added later would have been refused as not a replica."""

    def __init__(self, owner: GlobalSecondaryIndexes, regions: tuple[str, ...] | None) -> None:
        self.owner = owner
        self.regions = regions

    def validate(self) -> list[str]:
        now = replica_regions(self.owner.table)
        if now == self.regions:
            return []
        return [
            f"the table's replica regions are {', '.join(now or ()) or 'none'}, but were "
            f"{', '.join(self.regions or ()) or 'none'} when {self.owner.node.path} was created: "
            "add replicas to the table before creating GlobalSecondaryIndexes for it"
        ]


def _type_takes_replicas() -> bool:
    """Whether the registered type's schema (of this multigsi) accepts ``Replicas``."""
    schema = json.loads(SCHEMA_PATH.read_text())
    return "Replicas" in schema.get("properties", {})


def _table_index_names(table: Any) -> list[str]:
    child = table.node.default_child
    indexes = getattr(child, "global_secondary_indexes", None)
    if child is None or indexes is None:
        return []
    resolved = Stack.of(table).resolve(indexes) or []
    return [str(index.get("indexName")) for index in resolved if isinstance(index, dict)]


def _literal_table_name(table: Any) -> str | None:
    """The name this app gives its table (``table_name=``), None when CloudFormation names it."""
    child = table.node.default_child
    name = Stack.of(table).resolve(getattr(child, "table_name", None)) if child is not None else None
    return name if isinstance(name, str) else None


def _billing_mode(table: Any) -> BillingMode | None:
    """The table's billing mode when this app defines it (CloudFormation's default,
    PROVISIONED, when unset); None for an imported table."""
    child = table.node.default_child
    if child is None or not hasattr(child, "billing_mode"):
        return None
    mode = Stack.of(table).resolve(child.billing_mode)
    return BillingMode(mode) if mode in {m.value for m in BillingMode} else BillingMode.PROVISIONED


def _service_timeout(value: Duration, source: str) -> int:
    """The handler's own check, so the messages are the custom resource's."""
    seconds = value.to_seconds()
    if _is_token(seconds):
        raise SpecError([Problem("service_timeout", "must be known at synth time")], source)
    try:
        return checked_service_timeout({"ServiceTimeout": seconds})
    except SpecError as error:
        raise SpecError(error.problems, source) from None


def _is_token(value: Any) -> bool:
    from aws_cdk import Token

    return bool(Token.is_unresolved(value))
