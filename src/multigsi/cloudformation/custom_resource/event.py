"""A CloudFormation custom resource request, read and checked before anything else happens.

CloudFormation sends numbers and booleans inside ResourceProperties as strings; the spec
parser accepts both. multigsi adds one key of its own to the event when it hands work
over to a fresh invocation: ``MultigsiContinuation``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from multigsi.cloudformation.custom_resource.response_url import Refused, check
from multigsi.errors import EventError

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
# What CloudFormation sends: logical ids are alphanumeric, stack ids ARNs, request ids UUIDs.
# A physical id is whatever a function answered (multigsi's own are ASCII): any printable text.
IDENTIFIER_PATTERNS: dict[str, Callable[[str], bool]] = {
    "StackId": lambda value: value.isascii() and value.isprintable() and " " not in value,
    "RequestId": lambda value: value.isascii() and value.isprintable() and " " not in value,
    "LogicalResourceId": lambda value: value.isascii() and value.isalnum(),
    "PhysicalResourceId": str.isprintable,  # no control, format or lone surrogate characters
}
IDENTIFIER_SHAPES = {
    "StackId": "printable ASCII",
    "RequestId": "printable ASCII",
    "LogicalResourceId": "alphanumeric",
    "PhysicalResourceId": "printable text",
}
# A hand-off chain within ServiceTimeout (at most 3600 s) is a handful of hops with the
# template's 900 s functions; 500 leaves room for functions down to about 10 s. Beyond it a
# chain is runaway, whatever its continuation claims.
MAX_HOPS = 500
CLOCK_SKEW = 300  # seconds a continuation's start may lie ahead of this invocation's clock
MAX_CARRIED_NAMES = 25  # more than a table's default 20 indexes


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


def parse_event(event: object) -> CfnRequest:
    if not isinstance(event, Mapping):
        raise EventError([f"the event is not a JSON object but {type(event).__name__}"], None)
    problems = []
    fields = {}
    for name in ("RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId"):
        value = event.get(name)
        if not isinstance(value, str) or not value:
            problems.append(f"{name} is missing or not a string")
        elif name in IDENTIFIER_PATTERNS and (problem := _identifier_problem(name, value)) is not None:
            problems.append(problem)
        elif name == "ResponseURL" and (refused := _url_refusal(value)) is not None:
            problems.append(refused)
        fields[name] = value if isinstance(value, str) else ""
    if fields["RequestType"] and fields["RequestType"] not in REQUEST_TYPES:
        problems.append(
            f"RequestType {_quoted(fields['RequestType'])} is not one of {', '.join(REQUEST_TYPES)}"
        )
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
    if (
        isinstance(physical, str)
        and physical
        and (problem := _identifier_problem("PhysicalResourceId", physical)) is not None
    ):
        problems.append(problem)
    continuation: Continuation | None = None
    if CONTINUATION_KEY in event:
        continuation, continuation_problems = _continuation(event[CONTINUATION_KEY])
        problems.extend(continuation_problems)
    if problems:
        raise EventError(problems, event)
    return CfnRequest(
        request_type=fields["RequestType"],
        response_url=fields["ResponseURL"],
        stack_id=fields["StackId"],
        request_id=fields["RequestId"],
        logical_resource_id=fields["LogicalResourceId"],
        physical_resource_id=physical if isinstance(physical, str) and physical else None,
        properties=properties,
        old_properties=old if isinstance(old, Mapping) else None,
        continuation=continuation,
        event={key: value for key, value in event.items() if key != CONTINUATION_KEY},
    )


def reply_request(event: Mapping[str, Any]) -> CfnRequest | None:
    """For a malformed event: a request to send the FAILED answer with, when the event has a
    URL this function may answer. Identifiers that are not well-formed are echoed with their
    bad characters replaced and cut to size, so building the answer can never fail."""
    url = event.get("ResponseURL")
    if not isinstance(url, str) or _url_refusal(url) is not None:
        return None

    def echo(name: str) -> str:
        value = event.get(name)
        if not isinstance(value, str):
            return ""
        printable = "".join(c if c.isprintable() else "?" for c in value[: MAX_IDENTIFIER_LENGTH[name]])
        return printable.encode("utf-8", "replace").decode("utf-8")

    return CfnRequest(
        request_type=event.get("RequestType") if event.get("RequestType") in REQUEST_TYPES else "",  # type: ignore[arg-type]
        response_url=url,
        stack_id=echo("StackId"),
        request_id=echo("RequestId"),
        logical_resource_id=echo("LogicalResourceId") or "MultigsiResource",
        physical_resource_id=echo("PhysicalResourceId") or None,
        properties={},
        old_properties=None,
        continuation=None,
        event={key: value for key, value in event.items() if key != CONTINUATION_KEY},
    )


def continuation_problem(continuation: Continuation, *, now: float, timeout: int) -> str | None:
    """Why a hand-off's continuation cannot have come from this function: it was started more
    than ServiceTimeout ago (CloudFormation has given up on it) or in the future."""
    started = continuation.first_invoked_at
    if not now - timeout <= started <= now + CLOCK_SKEW:
        return (
            f"{CONTINUATION_KEY}.FirstInvokedAt is not within ServiceTimeout ({timeout}s) "
            f"before now (it is {now - started:.0f}s ago)"
        )
    return None


def _identifier_problem(name: str, value: str) -> str | None:
    limit = MAX_IDENTIFIER_LENGTH[name]
    if len(value) > limit:
        return f"{name} is longer than {limit} characters"
    if not IDENTIFIER_PATTERNS[name](value):
        return f"{name} {_quoted(value)} is not {IDENTIFIER_SHAPES[name]}"
    if name == "PhysicalResourceId" and len(value.encode()) > limit:
        return f"{name} is longer than {limit} bytes"
    return None


def _url_refusal(url: str) -> str | None:
    outcome = check(url)
    return outcome.reason if isinstance(outcome, Refused) else None


def _quoted(value: str, limit: int = 80) -> str:
    """A value for a message: printable ASCII only, shortened."""
    shown = value[:limit].encode("ascii", "backslashreplace").decode("ascii")
    return repr(shown + ("…" if len(value) > limit else ""))


def _continuation(raw: object) -> tuple[Continuation | None, list[str]]:
    """The continuation only this function writes. Anything else is refused rather than
    guessed at: a NaN or far-future start would disable the deadline, a negative hop the
    hop limit."""
    if not isinstance(raw, Mapping):
        return None, [f"{CONTINUATION_KEY} is not an object"]
    problems = []
    started = raw.get("FirstInvokedAt")
    if isinstance(started, bool) or not isinstance(started, int | float) or not math.isfinite(started):
        problems.append(f"{CONTINUATION_KEY}.FirstInvokedAt is not a finite number of epoch seconds")
    hop = raw.get("Hop", 0)
    if isinstance(hop, bool) or not isinstance(hop, int) or not 0 <= hop < MAX_HOPS:
        problems.append(f"{CONTINUATION_KEY}.Hop is not a whole number from 0 to {MAX_HOPS - 1}")
    changed = raw.get("Changed", False)
    if not isinstance(changed, bool):
        problems.append(f"{CONTINUATION_KEY}.Changed is not true or false")
    created = raw.get("Created", [])
    if (
        not isinstance(created, list)
        or len(created) > MAX_CARRIED_NAMES
        or not all(isinstance(name, str) and 3 <= len(name) <= 255 for name in created)
    ):
        problems.append(
            f"{CONTINUATION_KEY}.Created is not a list of at most {MAX_CARRIED_NAMES} index names"
        )
    if problems:
        return None, problems
    return Continuation(float(started), hop, changed, tuple(created)), []  # type: ignore[arg-type]
