"""An ``AWS::DynamoDB::GlobalTable`` resource, read as the properties of a table spec.

A global table writes its indexes' throughput differently from ``AWS::DynamoDB::Table``:
writes are global (``WriteOnDemandThroughputSettings``, or auto scaling in
``WriteProvisionedThroughputSettings``), reads are per replica
(``Replicas[].GlobalSecondaryIndexes[]``). multigsi's spec keeps an index's own settings on
the index and other regions' read settings in ``Replicas``, so:

- ``WriteOnDemandThroughputSettings.MaxWriteRequestUnits`` becomes the index's
  ``OnDemandThroughput.MaxWriteRequestUnits``;
- the home region's replica entry (the region multigsi runs against) gives the index's own
  reads: its ``ReadOnDemandThroughputSettings.MaxReadRequestUnits`` becomes
  ``OnDemandThroughput.MaxReadRequestUnits``;
- every other replica entry becomes the spec's ``Replicas`` (the parser keeps their
  per-index read settings and ignores the rest).

Not managed, left as they are: auto-scaled writes (a global table has no fixed write
capacity, so a ``PROVISIONED`` one cannot be read into a spec: an index create needs a fixed
ProvisionedThroughput), and therefore the home region's provisioned reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from multigsi.errors import Problem, SpecError

GLOBAL_TABLE_TYPE = "AWS::DynamoDB::GlobalTable"
# A global table's index fields that mean what they mean on AWS::DynamoDB::Table.
SHARED_INDEX_FIELDS = ("IndexName", "KeySchema", "Projection", "WarmThroughput")
WRITE_ON_DEMAND = "WriteOnDemandThroughputSettings"
WRITE_PROVISIONED = "WriteProvisionedThroughputSettings"  # auto scaling only: not managed
TABLE_ONLY_INDEX_FIELDS = ("ProvisionedThroughput", "OnDemandThroughput")


def global_table_properties(
    properties: Mapping[str, Any], home_region: str | None, path: str, source: str
) -> dict[str, Any]:
    """``properties`` (resolved, at ``path`` in ``source``) in the shape the parser reads.
    Raises SpecError listing every problem, each with its path in the template."""
    problems: list[Problem] = []
    converted: dict[str, Any] = {
        key: value for key, value in properties.items() if key not in ("GlobalSecondaryIndexes", "Replicas")
    }
    if str(properties.get("BillingMode", "PROVISIONED")) == "PROVISIONED":
        problems.append(
            Problem(
                f"{path}.BillingMode",
                "is PROVISIONED (the default): a global table's index writes are auto scaled "
                f"({WRITE_PROVISIONED}), which multigsi does not manage, and creating an index needs a "
                "fixed capacity; write a spec file with each index's ProvisionedThroughput instead",
            )
        )
    indexes = _indexes(properties.get("GlobalSecondaryIndexes"), f"{path}.GlobalSecondaryIndexes", problems)
    if indexes is not None:
        converted["GlobalSecondaryIndexes"] = indexes
    replicas = properties.get("Replicas")
    if not isinstance(replicas, list) or not replicas:
        problems.append(Problem(f"{path}.Replicas", "is required: a list with the home region's replica"))
    elif home_region is None:
        problems.append(
            Problem(
                f"{path}.Replicas",
                "which replica is home is unknown: give the region (--region, AWS_DEFAULT_REGION or "
                "--parameter AWS::Region=REGION)",
            )
        )
    else:
        others = _split_home(replicas, home_region, indexes or [], f"{path}.Replicas", problems)
        if others:
            converted["Replicas"] = others
    if problems:
        raise SpecError(problems, source)
    return converted


def _indexes(raw: object, path: str, problems: list[Problem]) -> list[Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        return raw  # type: ignore[return-value]  # the parser names what is wrong with it
    indexes: list[Any] = []
    for position, item in enumerate(raw):
        if not isinstance(item, Mapping):
            indexes.append(item)
            continue
        item_path = f"{path}[{position}]"
        index = {key: value for key, value in item.items() if key in SHARED_INDEX_FIELDS}
        for key in item:
            if key in TABLE_ONLY_INDEX_FIELDS:
                problems.append(
                    Problem(
                        f"{item_path}.{key}",
                        f"is AWS::DynamoDB::Table's; a global table's index takes {WRITE_ON_DEMAND} "
                        "and per-replica read settings",
                    )
                )
            elif key not in (*SHARED_INDEX_FIELDS, WRITE_ON_DEMAND, WRITE_PROVISIONED):
                index[key] = item[key]  # unknown here: the parser reports it with its path
        on_demand = item.get(WRITE_ON_DEMAND)
        if isinstance(on_demand, Mapping) and on_demand.get("MaxWriteRequestUnits") is not None:
            index["OnDemandThroughput"] = {"MaxWriteRequestUnits": on_demand["MaxWriteRequestUnits"]}
        elif on_demand is not None and not isinstance(on_demand, Mapping):
            problems.append(Problem(f"{item_path}.{WRITE_ON_DEMAND}", "expected a mapping"))
        indexes.append(index)
    return indexes


def _split_home(
    replicas: list[Any], home: str, indexes: list[Any], path: str, problems: list[Problem]
) -> list[Any]:
    """The replicas other than ``home``; the home entry's on-demand read limits move onto
    the indexes themselves (its provisioned reads are not managed: no fixed write capacity)."""
    regions = [item.get("Region") if isinstance(item, Mapping) else None for item in replicas]
    if home not in regions:
        listed = ", ".join(str(region) for region in regions)
        problems.append(
            Problem(
                path,
                f"has no replica in the home region {home} (listed: {listed}); CloudFormation "
                "requires the stack's region: give --region (or AWS_DEFAULT_REGION) of the stack",
            )
        )
        return []
    position = regions.index(home)
    if regions.count(home) > 1:
        again = regions.index(home, position + 1)
        problems.append(
            Problem(f"{path}[{again}].Region", f"{home!r} is already listed by {path}[{position}]")
        )
    by_name = {index.get("IndexName"): index for index in indexes if isinstance(index, dict)}
    home_indexes = replicas[position].get("GlobalSecondaryIndexes") or []
    if not isinstance(home_indexes, list):
        problems.append(Problem(f"{path}[{position}].GlobalSecondaryIndexes", "expected a list"))
        home_indexes = []
    for n, item in enumerate(home_indexes):
        item_path = f"{path}[{position}].GlobalSecondaryIndexes[{n}]"
        name = item.get("IndexName") if isinstance(item, Mapping) else None
        if name not in by_name:
            problems.append(
                Problem(f"{item_path}.IndexName", f"{name!r} is not one of the GlobalSecondaryIndexes")
            )
            continue
        reads = item.get("ReadOnDemandThroughputSettings")
        if isinstance(reads, Mapping) and reads.get("MaxReadRequestUnits") is not None:
            target = by_name[name]
            target["OnDemandThroughput"] = {
                **target.get("OnDemandThroughput", {}),
                "MaxReadRequestUnits": reads["MaxReadRequestUnits"],
            }
    return [item for n, item in enumerate(replicas) if n != position]
