"""A CloudFormation custom resource request, read and checked before anything else happens.

CloudFormation sends numbers and booleans inside ResourceProperties as strings; the spec
parser accepts both. multigsi adds one key of its own to the event when it hands work
over to a fresh invocation: ``MultigsiContinuation``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from multigsi.errors import Problem, SpecError
from multigsi.spec.model import TableSpec
from multigsi.spec.parse import parse_table_spec

CONTINUATION_KEY = "MultigsiContinuation"
REQUEST_TYPES = ("Create", "Update", "Delete")
# The answer echoes these; longer ones cannot come from CloudFormation and could not fit in
# the 4096-byte response next to a Reason.
MAX_IDENTIFIER_LENGTH = {
    "StackId": 512,
    "RequestId": 256,
    "LogicalResourceId": 255,
    "PhysicalResourceId": 1024,
}
CLOUDFORMATION_PROPERTIES = ("ServiceToken", "ServiceTimeout")
DEFAULT_SERVICE_TIMEOUT = 3600
MAX_CARRIED_NAMES = 25  # more than a table's default 20 indexes
MAX_SERVICE_TIMEOUT = 3600


@dataclass(frozen=True)
class Continuation:
    """Carried from hop to hop: when the first invocation started (epoch seconds), how many
    hand-offs so far, whether any index change was made, and the indexes this request
    recorded as created (the table's tags say so too, but a tag read may lag a write by
    seconds: the next hop must not mistake its own new index for one to adopt)."""

    first_invoked_at: float
    hop: int = 0
    changed: bool = False
    created: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "FirstInvokedAt": self.first_invoked_at,
            "Hop": self.hop,
            "Changed": self.changed,
        }
        if self.created:
            document["Created"] = list(self.created)
        return document


@dataclass(frozen=True)
class CfnRequest:
    request_type: str
    response_url: str
    stack_id: str
    request_id: str
    logical_resource_id: str
    physical_resource_id: str | None
    properties: Mapping[str, Any]
    old_properties: Mapping[str, Any] | None
    continuation: Continuation | None
    event: Mapping[str, Any]  # as received, without our continuation: what a hand-off resends


class EventError(Exception):
    """The event itself is malformed. ``response_url`` is set when an answer can still be sent."""

    def __init__(self, problems: list[str], event: Mapping[str, Any] | None) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.event = event if isinstance(event, Mapping) else None


def parse_event(event: object) -> CfnRequest:
    if not isinstance(event, Mapping):
        raise EventError([f"the event is not a JSON object but {type(event).__name__}"], None)
    problems = []
    fields = {}
    for name in ("RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId"):
        value = event.get(name)
        if not isinstance(value, str) or not value:
            problems.append(f"{name} is missing or not a string")
        elif len(value) > MAX_IDENTIFIER_LENGTH.get(name, len(value)):
            problems.append(f"{name} is longer than {MAX_IDENTIFIER_LENGTH[name]} characters")
            value = value[: MAX_IDENTIFIER_LENGTH[name]]
        fields[name] = value if isinstance(value, str) else ""
    if fields["RequestType"] and fields["RequestType"] not in REQUEST_TYPES:
        problems.append(f"RequestType {fields['RequestType']!r} is not one of {', '.join(REQUEST_TYPES)}")
    properties = event.get("ResourceProperties")
    if not isinstance(properties, Mapping):
        problems.append("ResourceProperties is missing or not an object")
        properties = {}
    old = event.get("OldResourceProperties")
    if fields["RequestType"] == "Update" and not isinstance(old, Mapping):
        problems.append("OldResourceProperties is missing or not an object in an Update")
    physical = event.get("PhysicalResourceId")
    if fields["RequestType"] in ("Update", "Delete") and (not isinstance(physical, str) or not physical):
        problems.append("PhysicalResourceId is missing in an Update or Delete")
    if isinstance(physical, str) and len(physical) > MAX_IDENTIFIER_LENGTH["PhysicalResourceId"]:
        problems.append("PhysicalResourceId is longer than 1024 characters")
    if problems:
        raise EventError(problems, event)
    return CfnRequest(
        request_type=fields["RequestType"],
        response_url=fields["ResponseURL"],
        stack_id=fields["StackId"],
        request_id=fields["RequestId"],
        logical_resource_id=fields["LogicalResourceId"],
        physical_resource_id=physical if isinstance(physical, str) else None,
        properties=properties,
        old_properties=old if isinstance(old, Mapping) else None,
        continuation=_continuation(event.get(CONTINUATION_KEY)),
        event={key: value for key, value in event.items() if key != CONTINUATION_KEY},
    )


def _continuation(raw: object) -> Continuation | None:
    if not isinstance(raw, Mapping):
        return None
    try:
        created = raw.get("Created", [])
        if not isinstance(created, list) or len(created) > MAX_CARRIED_NAMES:
            created = []
        names = tuple(n for n in created if isinstance(n, str) and 3 <= len(n) <= 255)
        return Continuation(
            float(raw["FirstInvokedAt"]), int(raw.get("Hop", 0)), bool(raw.get("Changed", False)), names
        )
    except (KeyError, TypeError, ValueError):
        return None


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
    """Index names listed in (possibly invalid) properties: what a resource manages."""
    indexes = (properties or {}).get("GlobalSecondaryIndexes")
    if not isinstance(indexes, list):
        return ()
    return tuple(
        item["IndexName"]
        for item in indexes
        if isinstance(item, Mapping) and isinstance(item.get("IndexName"), str)
    )
