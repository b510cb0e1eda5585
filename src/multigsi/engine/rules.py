"""Spec rules that need the live table: billing mode, the 20-index limit counting indexes
multigsi leaves alone, attribute types already defined, and the 100 projected attributes.

Checked before every step, so a bad spec never reaches UpdateTable.
"""

from __future__ import annotations

from multigsi.engine.ownership.scope import Ownership
from multigsi.errors import Problem
from multigsi.model import limits
from multigsi.model.live import LiveTable
from multigsi.model.table import BillingMode, TableSpec


def problems_against_live(spec: TableSpec, live: LiveTable, ownership: Ownership) -> list[Problem]:
    problems: list[Problem] = []
    if spec.billing_mode is not None and spec.billing_mode is not live.billing_mode:
        problems.append(
            Problem(
                "BillingMode",
                f"the spec says {spec.billing_mode} but table {live.name!r} is {live.billing_mode}; "
                "multigsi changes indexes, not the table's billing mode",
            )
        )
    for position, index in enumerate(spec.indexes):
        path = f"GlobalSecondaryIndexes[{position}]"
        if live.billing_mode is BillingMode.PROVISIONED:
            if index.provisioned_throughput is None:
                problems.append(
                    Problem(
                        f"{path}.ProvisionedThroughput",
                        f"is required: table {live.name!r} is PROVISIONED",
                    )
                )
            if index.on_demand_throughput is not None:
                problems.append(
                    Problem(
                        f"{path}.OnDemandThroughput",
                        f"is only allowed on PAY_PER_REQUEST tables; {live.name!r} is PROVISIONED",
                    )
                )
        elif index.provisioned_throughput is not None:
            problems.append(
                Problem(
                    f"{path}.ProvisionedThroughput",
                    f"is not allowed: table {live.name!r} is PAY_PER_REQUEST",
                )
            )
        for key_position, element in enumerate(index.key_schema):
            wanted = spec.attribute_type(element.attribute_name)
            existing = live.attribute_type(element.attribute_name)
            if wanted is not None and existing is not None and wanted is not existing:
                problems.append(
                    Problem(
                        f"{path}.KeySchema[{key_position}].AttributeName",
                        f"{element.attribute_name!r} is {wanted} in the spec but {existing} "
                        f"on table {live.name!r}",
                    )
                )
    kept = [
        index
        for index in live.indexes
        if spec.index(index.name) is None and not ownership.manages(index.name, spec)
    ]
    total = len(spec.indexes) + len(kept)
    if total > limits.MAX_INDEXES_PER_TABLE:
        names = ", ".join(index.name for index in kept)
        problems.append(
            Problem(
                "GlobalSecondaryIndexes",
                f"{len(spec.indexes)} listed plus {len(kept)} unmanaged on the table ({names}) "
                f"make {total}; a table can have at most {limits.MAX_INDEXES_PER_TABLE}",
            )
        )
    projected = (
        sum(len(index.projection.non_key_attributes) for index in spec.indexes)
        + sum(len(index.projection.non_key_attributes) for index in kept)
        + live.projected_by_local_indexes
    )
    if projected > limits.MAX_PROJECTED_ATTRIBUTES_PER_TABLE:
        problems.append(
            Problem(
                "GlobalSecondaryIndexes",
                f"{projected} NonKeyAttributes projected over all indexes of {live.name!r} "
                f"(including ones multigsi leaves alone); at most "
                f"{limits.MAX_PROJECTED_ATTRIBUTES_PER_TABLE}",
            )
        )
    problems.extend(_replica_problems(spec, live))
    return problems


def _replica_problems(spec: TableSpec, live: LiveTable) -> list[Problem]:
    """Per-replica settings need a replica to apply to, and the table's billing mode.
    Which regions hold replicas is the table's own business: never added or removed here."""
    problems: list[Problem] = []
    replicas = ", ".join(replica.region for replica in live.replicas) or "none"
    for position, replica in enumerate(spec.replicas):
        path = f"Replicas[{position}]"
        if replica.region == live.region:
            if replica.indexes:
                problems.append(
                    Problem(
                        f"{path}.GlobalSecondaryIndexes",
                        f"{replica.region} is the region multigsi works in (table {live.name!r}): its "
                        "read settings are the index's own ProvisionedThroughput or OnDemandThroughput",
                    )
                )
            continue
        if live.replica(replica.region) is None:
            problems.append(
                Problem(
                    f"{path}.Region",
                    f"{replica.region!r} is not a replica of table {live.name!r} in {live.region} "
                    f"(its replicas: {replicas}); add the replica to the table first",
                )
            )
            continue
        for index_position, index in enumerate(replica.indexes):
            index_path = f"{path}.GlobalSecondaryIndexes[{index_position}]"
            if index.read_capacity_units is not None and live.billing_mode is not BillingMode.PROVISIONED:
                problems.append(
                    Problem(
                        f"{index_path}.ReadProvisionedThroughputSettings",
                        f"is only allowed on PROVISIONED tables; {live.name!r} is {live.billing_mode}",
                    )
                )
            if index.max_read_request_units is not None and live.billing_mode is BillingMode.PROVISIONED:
                problems.append(
                    Problem(
                        f"{index_path}.ReadOnDemandThroughputSettings",
                        f"is only allowed on PAY_PER_REQUEST tables; {live.name!r} is PROVISIONED",
                    )
                )
    return problems
