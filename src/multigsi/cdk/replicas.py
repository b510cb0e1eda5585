"""A ``TableV2``'s replicas → the custom resource's ``Replicas`` property.

The property has the shape ``AWS::DynamoDB::GlobalTable`` gives its ``Replicas`` (``Region``
and, per index, ``ReadProvisionedThroughputSettings.ReadCapacityUnits`` /
``ReadOnDemandThroughputSettings.MaxReadRequestUnits``), which ``model/parse.py`` reads. It
lists every replica region of the table but the home one (the stack's region, whose indexes
take their own settings), so that adding or removing a replica changes the resource's
properties and the engine checks the new set of regions once CloudFormation has changed it.

Why the per-index settings are the construct's own option (``replica_index_options``) and
not read from the ``TableV2``: ``TableV2`` refuses, at synth, replica index options for an
index it does not define itself ("Cannot configure replica global secondary index, X,
because it is not defined on the primary table", ``validateReplicaIndexOptions`` in
aws-dynamodb/lib/table-v2), and the indexes this construct manages must not be defined there
(CloudFormation would own them again). The option takes CDK's own shape for them,
``ReplicaGlobalSecondaryIndexOptions``, by region then index name.

A ``Capacity`` hides its number from Python (jsii exposes only ``mode``); the one public way
to read it is to let a ``TableV2`` render it, so ``read_capacity_units`` renders it on a
throwaway table in a throwaway app (milliseconds, nothing of it reaches the user's app).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import App, Stack, Token
from aws_cdk import aws_dynamodb as dynamodb

from multigsi.errors import Problem
from multigsi.model.table import BillingMode

OPTION = "replica_index_options"  # the construct's keyword: paths in problems start with it
# What ReplicaGlobalSecondaryIndexOptions may carry that multigsi does not apply: refused,
# because silently dropping it would leave the user believing it is set.
UNMANAGED_FIELDS = ("contributor_insights", "contributor_insights_specification")


def home_region(table: Any) -> str | None:
    """The table's own region (its stack's), None when CDK leaves it to deploy time."""
    region = Stack.of(table).region
    return None if Token.is_unresolved(region) else str(region)


def replica_regions(table: Any) -> tuple[str, ...] | None:
    """The regions of a ``TableV2``'s replicas other than its home, in the table's order;
    None when the app does not define the table (imported: its replicas are unknown here)."""
    child = table.node.default_child
    if not isinstance(child, dynamodb.CfnGlobalTable):
        return None
    home = home_region(table)
    listed = Stack.of(table).resolve(child.replicas) or []
    # TableV2 lists its home region too: the stack's region, {"Ref": "AWS::Region"} when the
    # stack has none (a TableV2 has replicas only in a stack whose region is known).
    regions = [replica.get("region") for replica in listed if isinstance(replica, Mapping)]
    return tuple(region for region in regions if isinstance(region, str) and region != home)


def replicas_property(
    table: Any,
    options: Mapping[str, Mapping[str, Any]] | None,
    index_names: Sequence[str],
    billing_mode: BillingMode | None,
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The ``Replicas`` property and the problems only CDK's shapes can have (paths name the
    construct's option: ``replica_index_options['eu-west-1']['by-x']``)."""
    problems: list[Problem] = []
    if options is not None and not isinstance(options, Mapping):
        problems.append(
            Problem(OPTION, f"expected a mapping of region to index options, got {type(options).__name__}")
        )
        options = None
    options = dict(options or {})
    regions = replica_regions(table)
    home = home_region(table)
    for region in options:
        path = f"{OPTION}[{region!r}]"
        if Token.is_unresolved(region):
            problems.append(Problem(path, "a region must be known at synth time, not a deploy-time token"))
        elif region == home:
            problems.append(
                Problem(
                    path,
                    f"{region} is the table's home region: its indexes take their own settings "
                    "(read_capacity / max_read_request_units of the index), not replica overrides",
                )
            )
        elif regions is not None and region not in regions:
            known = ", ".join(regions) or "none"
            problems.append(
                Problem(path, f"{region} is not a replica region of the table (its replicas: {known})")
            )
    # An imported table's replicas are unknown here: the regions given overrides are listed,
    # and the engine checks them against the live replicas.
    listed = list(regions) if regions is not None else [r for r in options if r != home]
    replicas = []
    for region in listed:
        replica: dict[str, Any] = {"Region": region}
        overrides = _overrides(region, options.get(region) or {}, index_names, billing_mode, problems)
        if overrides:
            replica["GlobalSecondaryIndexes"] = overrides
        replicas.append(replica)
    return replicas, problems


def _overrides(
    region: str,
    by_index: Mapping[str, Any],
    index_names: Sequence[str],
    billing_mode: BillingMode | None,
    problems: list[Problem],
) -> list[dict[str, Any]]:
    rendered = []
    if not isinstance(by_index, Mapping):
        problems.append(
            Problem(
                f"{OPTION}[{region!r}]",
                f"expected a mapping of index name to options, got {type(by_index).__name__}",
            )
        )
        return []
    for name, raw in by_index.items():
        path = f"{OPTION}[{region!r}][{name!r}]"
        if name not in index_names:
            problems.append(
                Problem(
                    path,
                    f"{name!r} is not one of this construct's indexes ({', '.join(index_names) or 'none'})",
                )
            )
            continue
        options = _struct(raw, path, problems)
        if options is None:
            continue
        item: dict[str, Any] = {"IndexName": name}
        for field in UNMANAGED_FIELDS:
            if getattr(options, field) is not None:
                problems.append(
                    Problem(f"{path}.{field}", "is not applied by multigsi (index read settings only)")
                )
        if options.read_capacity is not None:
            if billing_mode is BillingMode.PAY_PER_REQUEST:
                problems.append(
                    Problem(
                        f"{path}.read_capacity",
                        "the table is PAY_PER_REQUEST: give max_read_request_units instead",
                    )
                )
            else:
                units = read_capacity_units(options.read_capacity, f"{path}.read_capacity", problems)
                if units is not None:
                    item["ReadProvisionedThroughputSettings"] = {"ReadCapacityUnits": units}
        limit = options.max_read_request_units
        if limit is not None:
            if billing_mode is BillingMode.PROVISIONED:
                problems.append(
                    Problem(
                        f"{path}.max_read_request_units",
                        "the table is PROVISIONED: give read_capacity instead",
                    )
                )
            elif Token.is_unresolved(limit):
                problems.append(Problem(f"{path}.max_read_request_units", "must be known at synth time"))
            else:
                whole = int(limit) if isinstance(limit, float) and limit.is_integer() else limit
                item["ReadOnDemandThroughputSettings"] = {"MaxReadRequestUnits": whole}
        if len(item) > 1:
            rendered.append(item)
    return rendered


def _struct(raw: Any, path: str, problems: list[Problem]) -> Any:
    """A ``ReplicaGlobalSecondaryIndexOptions``; a mapping of its keyword arguments (as jsii
    accepts for structs) is turned into one."""
    if isinstance(raw, dynamodb.ReplicaGlobalSecondaryIndexOptions):
        return raw
    if isinstance(raw, Mapping):
        try:
            return dynamodb.ReplicaGlobalSecondaryIndexOptions(**raw)
        except TypeError as error:
            problems.append(Problem(path, f"not ReplicaGlobalSecondaryIndexOptions: {error}"))
            return None
    problems.append(
        Problem(
            path,
            f"expected ReplicaGlobalSecondaryIndexOptions or a mapping of its fields, got {type(raw).__name__}",
        )
    )
    return None


def read_capacity_units(capacity: Any, path: str, problems: list[Problem]) -> int | None:
    """The number of a ``Capacity.fixed(n)``, rendered by a throwaway ``TableV2`` (the only
    public way to read it). ``Capacity.autoscaled`` is refused: its scaling would need
    Application Auto Scaling targets on the index, which only CloudFormation's own table
    resource sets up, and multigsi applies fixed read capacity only."""
    if isinstance(capacity, int | float) and not isinstance(capacity, bool):
        return int(capacity)
    if not isinstance(capacity, dynamodb.Capacity):
        problems.append(Problem(path, f"expected Capacity.fixed(n), got {type(capacity).__name__}"))
        return None
    if capacity.mode is not dynamodb.CapacityMode.FIXED:
        problems.append(
            Problem(path, "Capacity.autoscaled is not applied by multigsi: give Capacity.fixed(n)")
        )
        return None
    scratch = Stack(App(), "MultigsiCapacity")
    table = dynamodb.TableV2(
        scratch,
        "Table",
        partition_key=dynamodb.Attribute(name="k", type=dynamodb.AttributeType.STRING),
        billing=dynamodb.Billing.provisioned(
            read_capacity=capacity, write_capacity=dynamodb.Capacity.autoscaled(max_capacity=1)
        ),
    )
    (rendered,) = scratch.resolve(table.node.default_child.replicas)
    units = rendered["readProvisionedThroughputSettings"]["readCapacityUnits"]
    if Token.is_unresolved(units):
        problems.append(Problem(path, "must be known at synth time, not a deploy-time token"))
        return None
    return int(units)
