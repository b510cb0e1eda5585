"""Check a request's shape the way DynamoDB does, before anything is looked up.

DynamoDB (its Coral front end) answers in this order, and so does the local endpoint:

1. a member of the wrong JSON type → ``SerializationException`` (the first one found);
2. a missing *required* member (the control-plane operations' TableName) →
   ``ValidationException`` "The parameter 'TableName' is required ...", on its own;
3. every constraint a member breaks (null, bounds, lengths, patterns, enums) →
   one ``ValidationException`` listing them: "2 validation errors detected: Value ...; Value ...";
4. the operation's own rules (``table_rules``), one message each;
5. only then existence (``ResourceNotFoundException``) and the table's phase.

The order follows dynalite's ``validations/index.js``, whose tests were written against
real DynamoDB; the wording is ``messages.py``'s (sources and dates there); the shapes
themselves are data in ``shapes.py``.
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
    """The request with numbers normalised, or the AwsError DynamoDB would answer.
    ``payload`` is None when the body was empty or not JSON."""
    if payload is None:
        raise AwsError("SerializationException", messages.NO_BODY)
    if not isinstance(payload, dict):
        raise AwsError("SerializationException", messages.NOT_AN_OBJECT)
    shape = SHAPES.get(operation, GENERIC if "TableName" in payload else None)
    if shape is None:
        return payload
    checked: dict[str, Any] = _typed(payload, shape)
    for member_name, member in shape.children.items():
        if member.required and checked.get(member_name) is None:
            raise AwsError("ValidationException", messages.REQUIRED.format(name=member_name))
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


def _token(value: object) -> str:
    """How Coral's JSON parser names a scalar it could not convert."""
    if isinstance(value, bool):
        return "TRUE_VALUE" if value else "FALSE_VALUE"
    if isinstance(value, str):
        return "STRING_VALUE"
    if isinstance(value, float) and not value.is_integer():
        return "DECIMAL_VALUE"
    return "NUMBER_VALUE"


def _cannot_convert(value: object, kind: Kind) -> AwsError:
    return _serialization(messages.CANNOT_CONVERT.format(token=_token(value), kind=kind.value))


BOOLEAN_TEXT = {"TRUE": True, "1": True, "YES": True, "FALSE": False, "0": False, "NO": False}


def _typed(value: Any, member: Member, *, in_collection: bool = False) -> Any:
    """Raise SerializationException for a value of the wrong JSON type; floor numbers.
    ``in_collection``: the value is a list item or map value (Coral's "value" structures)."""
    if value is None:
        return value
    kind = member.kind
    if kind in (Kind.STRING, Kind.LONG, Kind.INTEGER, Kind.BOOLEAN):
        return _scalar(value, kind)
    if kind is Kind.LIST:
        if isinstance(value, dict):
            raise _serialization(messages.UNEXPECTED_STRUCTURE)
        if not isinstance(value, list):
            raise _serialization(messages.UNEXPECTED_FIELD)
        assert member.item is not None
        return [_typed(item, member.item, in_collection=True) for item in value]
    if kind is Kind.MAP:
        assert member.item is not None
        if isinstance(value, list):
            item = "java.lang.String" if member.item.kind is Kind.STRING else _model("AttributeValue")
            raise _serialization(messages.UNEXPECTED_COLLECTION_MAP.format(item=item))
        if not isinstance(value, dict):
            raise _serialization(messages.UNEXPECTED_FIELD)
        return {key: _typed(item, member.item, in_collection=True) for key, item in value.items()}
    name = member.name or ("AttributeValue" if kind is Kind.ATTRIBUTE else "")
    if isinstance(value, list):
        raise _serialization(messages.UNEXPECTED_COLLECTION_STRUCT.format(name=name))
    if not isinstance(value, dict):  # STRUCT or ATTRIBUTE given a scalar
        raise _serialization(messages.UNEXPECTED_VALUE if in_collection else messages.UNEXPECTED_FIELD)
    if kind is Kind.ATTRIBUTE:
        return _attribute_value(value)
    typed = dict(value)
    for child_name, child in member.children.items():
        if child_name in typed:
            typed[child_name] = _typed(typed[child_name], child)
    return typed


def _model(name: str) -> str:
    return f"com.amazonaws.dynamodb.v20120810.{name}"


def _scalar(value: Any, kind: Kind) -> Any:
    if isinstance(value, dict):
        raise _serialization(messages.UNEXPECTED_STRUCTURE)
    if isinstance(value, list):
        raise _serialization(messages.UNEXPECTED_COLLECTION.format(kind=kind.value))
    if kind is Kind.STRING:
        if not isinstance(value, str):
            raise _cannot_convert(value, kind)
        return value
    if kind is Kind.BOOLEAN:
        if isinstance(value, str):  # Coral converts a few words; anything else is a parse error
            if value.upper() not in BOOLEAN_TEXT:
                raise _serialization(messages.UNEXPECTED_TOKEN)
            return BOOLEAN_TEXT[value.upper()]
        if not isinstance(value, bool):
            raise _cannot_convert(value, kind)
        return value
    if isinstance(value, bool | str):  # LONG or INTEGER
        raise _cannot_convert(value, kind)
    if isinstance(value, float) and not math.isfinite(value):
        raise _cannot_convert(value, kind)
    return math.floor(value)


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
    if member.maximum is not None and value > member.maximum:
        fail(messages.AT_MOST.format(limit=member.maximum))
    pattern_broken = member.pattern is not None and not _matches(member.pattern, value)
    if pattern_broken and not member.length_first:
        fail(messages.PATTERN.format(pattern=member.pattern))
    if member.min_length is not None and len(value) < member.min_length:
        fail(messages.LENGTH_AT_LEAST.format(limit=member.min_length))
    if member.max_length is not None and len(value) > member.max_length:
        fail(messages.LENGTH_AT_MOST.format(limit=member.max_length))
    if pattern_broken and member.length_first:
        fail(messages.PATTERN.format(pattern=member.pattern))
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
