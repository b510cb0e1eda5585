"""The workaround loaded into `cfn test`'s pytest (``multigsi.local.cloudformation.cfn_test_plugin``):
the replacement check makes the suite's assertion, with ``*`` meaning every array member."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from multigsi.local.cloudformation.cfn_test_plugin import (
    assert_write_only_property_does_not_exist,
    write_only_values,
)

PATH = ("properties", "GlobalSecondaryIndexes", "*", "WarmThroughput")


def model(*indexes: dict[str, Any]) -> dict[str, Any]:
    return {"TableName": "t", "GlobalSecondaryIndexes": list(indexes)}


def test_a_wildcard_reaches_every_member_and_missing_parts_are_nothing() -> None:
    warm = {"ReadUnitsPerSecond": 1}
    document = {"properties": model({"IndexName": "a"}, {"IndexName": "b", "WarmThroughput": warm})}
    assert list(write_only_values(document, PATH)) == [warm]
    assert list(write_only_values({"properties": model()}, PATH)) == []
    assert list(write_only_values({"properties": {}}, PATH)) == []
    assert list(write_only_values({"properties": {"GlobalSecondaryIndexes": "x"}}, PATH)) == []
    assert list(write_only_values({"a": [10, 11]}, ("a", "1"))) == [11]


def test_the_check_fails_only_when_a_member_returns_the_write_only_property() -> None:
    client = SimpleNamespace(write_only_paths={PATH})
    assert_write_only_property_does_not_exist(client, model({"IndexName": "a"}, {"IndexName": "b"}))
    with pytest.raises(AssertionError, match="MUST NOT return properties defined as writeOnlyProperties"):
        assert_write_only_property_does_not_exist(
            client, model({"IndexName": "a"}, {"IndexName": "b", "WarmThroughput": {"ReadUnitsPerSecond": 1}})
        )
