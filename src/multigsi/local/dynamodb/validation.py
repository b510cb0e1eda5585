"""Check a request's shape the way DynamoDB does, before anything is looked up.

DynamoDB (its Coral front end) answers in this order, and so does the local endpoint:

1. a member of the wrong JSON type → ``SerializationException`` (the first one found);
2. a table name of the wrong length → ``ValidationException`` with a message of its own;
3. every constraint a member breaks (null, bounds, lengths, patterns, enums) →
   one ``ValidationException`` listing them: "2 validation errors detected: Value ...; Value ...";
4. the operation's own rules (``table_rules``), one message each;
5. only then existence (``ResourceNotFoundException``) and the table's phase.

The order and wording follow dynalite's ``validations/index.js``, whose tests were written
against real DynamoDB; the shapes themselves are data in ``shapes.py``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from multigsi.local.dynamodb import messages
from multigsi.local.dynamodb.errors import AwsError
from multigsi.local.dynamodb.shapes import ATTRIBUTE_TYPES, SHAPES, Kind, Member, struct

MAX_LISTED_ERRORS = 10  # Coral lists at most this many problems in one message

GENERIC = struct({"TableName": Member(Kind.STRING)})  # item calls: only TableName's type


def check_request(operation: str, payload: object) -> dict[str, Any]:
    """The request with numbers normalised, or the AwsError DynamoDB would answer."""
    if not isinstance(payload, dict):
        raise AwsError("SerializationException", messages.NOT_JSON)
    shape = SHAPES.get(operation, GENERIC if "TableName" in payload else None)
    if shape is None:
        return payload
    checked: dict[str, Any] = _typed(payload, shape)
    name = checked.get("TableName")
    if isinstance(name, str) and not 3 <= len(name) <= 255:
        raise AwsError("ValidationException", messages.TABLE_NAME_LENGTH)
    problems: list[str] = []
    for member_name, member in shape.children.items():
        _constraints(checked.get(member_name), member, _lower_first(member_name), problems)
    if problems:
        listed = problems[:MAX_LISTED_ERRORS]
        noun = "error" if len(listed) == 1 else "errors"
        raise AwsError(
            "ValidationException", f"{len(listed)} validation {noun} detected: " + "; ".join(listed)
        )
    return checked


# --- 1. types ----------------------------------------------------------------------------------


def _serialization(message: str) -> AwsError:
    return AwsError("SerializationException", message)


def _java_class(value: float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return "java.lang.Double"
    if -32768 <= value <= 32767:
        return "java.lang.Short"
    if -2147483648 <= value <= 2147483647:
        return "java.lang.Integer"
    return "java.lang.Long"


def _typed(value: Any, member: Member) -> Any:
    """Raise SerializationException for a value of the wrong JSON type; floor Longs."""
    if value is None:
        return value
    kind = member.kind
    if isinstance(value, list) and kind is not Kind.LIST:
        raise _serialization(messages.UNEXPECTED_LIST)
    if isinstance(value, dict) and kind not in (Kind.MAP, Kind.STRUCT, Kind.ATTRIBUTE):
        raise _serialization(messages.UNEXPECTED_STRUCTURE)
    if kind is Kind.STRING:
        if isinstance(value, bool):
            raise _serialization(messages.EXPECTED_STRING.format(java="java.lang.Boolean"))
        if isinstance(value, int | float):
            raise _serialization(messages.EXPECTED_STRING.format(java=_java_class(value)))
        return value
    if kind is Kind.LONG:
        if isinstance(value, bool):
            raise _serialization(messages.EXPECTED_NUMBER.format(java="java.lang.Boolean"))
        if isinstance(value, str):
            raise _serialization(messages.STRING_FOR_NUMBER)
        if isinstance(value, float) and not math.isfinite(value):
            raise _serialization(messages.EXPECTED_NUMBER.format(java="java.lang.Double"))
        return math.floor(value)
    if kind is Kind.BOOLEAN:
        if isinstance(value, str):
            raise _serialization(f"'{value.upper()}' can not be converted to an Boolean")
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise _serialization(messages.EXPECTED_BOOLEAN.format(java=_java_class(value)))
        return value
    if kind is Kind.LIST:
        if isinstance(value, dict):
            raise _serialization(messages.UNEXPECTED_STRUCTURE)
        if not isinstance(value, list):
            raise _serialization(messages.EXPECTED_LIST)
        assert member.item is not None
        return [_typed(item, member.item) for item in value]
    if kind is Kind.MAP:
        if not isinstance(value, dict):
            raise _serialization(messages.EXPECTED_MAP)
        assert member.item is not None
        return {key: _typed(item, member.item) for key, item in value.items()}
    if not isinstance(value, dict):  # STRUCT or ATTRIBUTE
        raise _serialization(messages.EXPECTED_STRUCTURE)
    if kind is Kind.ATTRIBUTE:
        return _attribute_value(value)
    typed = dict(value)
    for name, child in member.children.items():
        if name in typed:
            typed[name] = _typed(typed[name], child)
    return typed


def _attribute_value(value: dict[str, Any]) -> dict[str, Any]:
    """An AttributeValue: each member of its JSON type, and exactly one data type set."""
    typed = {
        name: _typed(item, ATTRIBUTE_TYPES[name]) for name, item in value.items() if name in ATTRIBUTE_TYPES
    }
    present = [name for name, item in typed.items() if item is not None]
    if not present:
        raise AwsError("ValidationException", messages.ATTRIBUTE_VALUE_EMPTY)
    if len(present) > 1:
        raise AwsError("ValidationException", messages.ATTRIBUTE_VALUE_SEVERAL)
    return typed


# --- 3. constraints ----------------------------------------------------------------------------


def _constraints(value: Any, member: Member, path: str, problems: list[str]) -> None:
    def fail(constraint: str) -> None:
        problems.append(
            messages.VALIDATION_ITEM.format(value=_shown(value), path=path, constraint=constraint)
        )

    if value is None:
        if member.not_null:
            fail(messages.NOT_NULL)
        return
    if member.minimum is not None and value < member.minimum:
        fail(messages.AT_LEAST.format(limit=member.minimum))
    if member.pattern is not None and not _matches(member.pattern, value):
        fail(messages.PATTERN.format(pattern=member.pattern))
    if member.min_length is not None and len(value) < member.min_length:
        fail(messages.LENGTH_AT_LEAST.format(limit=member.min_length))
    if member.max_length is not None and len(value) > member.max_length:
        fail(messages.LENGTH_AT_MOST.format(limit=member.max_length))
    if member.values and value not in member.values:
        fail(messages.ENUM.format(values=", ".join(member.values)))
    if member.kind is Kind.LIST and member.item is not None:
        for position, item in enumerate(value, start=1):
            _constraints(item, replace(member.item, not_null=True), f"{path}.{position}.member", problems)
    elif member.kind is Kind.MAP and member.item is not None:
        for key, item in value.items():
            _constraints(item, replace(member.item, not_null=True), f"{path}.{key}.member", problems)
    elif member.kind is Kind.STRUCT:
        for name, child in member.children.items():
            _constraints(value.get(name), child, f"{path}.{_lower_first(name)}", problems)


def _matches(pattern: str, value: str) -> bool:
    import re

    return re.fullmatch(pattern, value) is not None


def _shown(value: Any) -> str:
    """How Coral quotes a value in a constraint message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        text = "[" + ", ".join(str(item) for item in value) + "]"
    elif isinstance(value, Mapping):
        text = json.dumps(value, separators=(",", ":"))
    else:
        text = str(value)
    return f"'{text}'"


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]
