"""What both CloudFormation resource kinds accept, read one way.

``Custom::MultiGsi`` and ``Multigsi::DynamoDB::GlobalSecondaryIndexes`` take the same
properties (CloudFormation's own AWS::DynamoDB::Table shapes for the indexes, and for a
global table ``Replicas`` as AWS::DynamoDB::GlobalTable writes it), parsed by the same
parser, so errors read the same and list every problem with its path.

``Replicas`` names no index of its own: each per-replica setting is for an index the
resource lists in ``GlobalSecondaryIndexes`` (the parser refuses others), so what a
resource claims, and may delete, is still exactly ``listed_index_names``.
CloudFormation sends numbers and booleans inside a custom resource's properties as strings;
the parser accepts both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from multigsi.errors import Problem, SpecError
from multigsi.model.parse import parse_table_spec
from multigsi.model.table import TableSpec

CUSTOM_RESOURCE_TYPE = "Custom::MultiGsi"
CUSTOM_RESOURCE_TYPES = (CUSTOM_RESOURCE_TYPE, "Custom::MultiGSI")  # what templates have used
RESOURCE_TYPE_NAME = "Multigsi::DynamoDB::GlobalSecondaryIndexes"
CLOUDFORMATION_PROPERTIES = ("ServiceToken", "ServiceTimeout")
DEFAULT_SERVICE_TIMEOUT = 3600
MAX_SERVICE_TIMEOUT = 3600


def service_timeout(properties: Mapping[str, Any]) -> int:
    """CloudFormation's own ServiceTimeout (1-3600 s, default 3600), given as a string too."""
    raw = properties.get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT)
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise SpecError(
            [Problem("ServiceTimeout", f"expected a whole number of seconds, got {raw!r}")]
        ) from None
    if not 1 <= value <= MAX_SERVICE_TIMEOUT:
        raise SpecError([Problem("ServiceTimeout", f"{value} is outside 1 to {MAX_SERVICE_TIMEOUT} seconds")])
    return value


def properties_spec(properties: object, *, which: str = "ResourceProperties") -> TableSpec:
    """The desired state a resource's properties describe (paths say where in the event)."""
    if not isinstance(properties, Mapping):
        raise SpecError([Problem(which, f"expected an object, got {type(properties).__name__}")])
    relevant = {key: value for key, value in properties.items() if key not in CLOUDFORMATION_PROPERTIES}
    return parse_table_spec(relevant, path_prefix=f"{which}.")


def listed_index_names(properties: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Index names listed in (possibly invalid) properties: what a resource manages
    (``GlobalSecondaryIndexes`` only: ``Replicas`` only tunes reads of these)."""
    indexes = (properties or {}).get("GlobalSecondaryIndexes")
    if not isinstance(indexes, list):
        return ()
    return tuple(
        item["IndexName"]
        for item in indexes
        if isinstance(item, Mapping) and isinstance(item.get("IndexName"), str)
    )
