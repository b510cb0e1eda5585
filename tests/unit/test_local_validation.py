"""The local endpoint's request checks as pure functions: DynamoDB's order and wording."""

from __future__ import annotations

from typing import Any

import pytest

from multigsi.local.dynamodb import messages
from multigsi.local.dynamodb.errors import AwsError
from multigsi.local.dynamodb.table_rules import check_table_settings, check_update_table
from multigsi.local.dynamodb.validation import check_request


def refusal(operation: str, payload: Any) -> tuple[str, str]:
    with pytest.raises(AwsError) as caught:
        check_request(operation, payload)
    return caught.value.code, caught.value.message


def test_types_are_checked_before_constraints() -> None:
    # A wrong type anywhere wins over a broken constraint elsewhere.
    payload = {"TableName": "x", "ProvisionedThroughput": {"ReadCapacityUnits": "1", "WriteCapacityUnits": 0}}
    assert refusal("UpdateTable", payload) == (
        "SerializationException",
        "STRING_VALUE cannot be converted to Long",
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # dynalite test/helpers.js assertType, "Update tests to match latest production" (2018)
        (5, "NUMBER_VALUE cannot be converted to String"),
        (2147483648, "NUMBER_VALUE cannot be converted to String"),
        (34.56, "DECIMAL_VALUE cannot be converted to String"),
        (True, "TRUE_VALUE cannot be converted to String"),
        (False, "FALSE_VALUE cannot be converted to String"),
        ([], "Unrecognized collection type class java.lang.String"),
        ({}, "Start of structure or map found where not expected"),
    ],
)
def test_a_non_string_table_name_is_a_serialization_error(value: Any, message: str) -> None:
    assert refusal("DescribeTable", {"TableName": value}) == ("SerializationException", message)


def test_every_broken_constraint_is_listed_in_one_message() -> None:
    payload = {
        "TableName": "t!",
        "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "ab"}}, {"Update": {}}],
    }
    code, message = refusal("UpdateTable", payload)
    assert code == "ValidationException"
    # The table name's length, then its pattern (DescribeTable TableName '', captured 2026-10-09).
    assert message.startswith(
        "4 validation errors detected: Value 't!' at 'tableName' failed to satisfy constraint: Member must "
        "have length greater than or equal to 3; Value 't!' at 'tableName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "
    )
    payload["TableName"] = "bad!"
    code, message = refusal("UpdateTable", payload)
    assert message.startswith("3 validation errors detected: ")
    assert message.count("; ") == 2
    assert "'globalSecondaryIndexUpdates.1.member.delete.indexName'" in message
    assert "Value null at 'globalSecondaryIndexUpdates.2.member.update.indexName'" in message


@pytest.mark.parametrize(
    ("member", "value", "message"),
    [
        ("Limit", "23", "STRING_VALUE cannot be converted to Integer"),
        ("Limit", True, "TRUE_VALUE cannot be converted to Integer"),
        ("Limit", [], "Unrecognized collection type class java.lang.Integer"),
        ("Limit", {}, "Start of structure or map found where not expected"),
        ("ExclusiveStartTableName", 23, "NUMBER_VALUE cannot be converted to String"),
    ],
)
def test_list_tables_member_types(member: str, value: Any, message: str) -> None:
    assert refusal("ListTables", {member: value}) == ("SerializationException", message)


def test_structures_and_lists_of_the_wrong_type() -> None:
    gsi = {"TableName": "table", "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "abc"}}]}
    assert refusal("UpdateTable", {**gsi, "GlobalSecondaryIndexUpdates": "x"}) == (
        "SerializationException",
        messages.UNEXPECTED_FIELD,
    )
    assert refusal("UpdateTable", {**gsi, "GlobalSecondaryIndexUpdates": [5]}) == (
        "SerializationException",
        messages.UNEXPECTED_VALUE,
    )
    assert refusal("UpdateTable", {**gsi, "ProvisionedThroughput": 5}) == (
        "SerializationException",
        messages.UNEXPECTED_FIELD,
    )
    assert refusal("UpdateTable", {**gsi, "ProvisionedThroughput": []}) == (
        "SerializationException",
        "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.ProvisionedThroughput",
    )
    assert refusal("UpdateTable", {**gsi, "DeletionProtectionEnabled": "maybe"}) == (
        "SerializationException",
        messages.UNEXPECTED_TOKEN,
    )
    assert check_request("UpdateTable", {**gsi, "DeletionProtectionEnabled": "yes"})[
        "DeletionProtectionEnabled"
    ]


@pytest.mark.parametrize("operation", ["CreateTable", "DeleteTable", "DescribeTable", "UpdateTable"])
def test_a_missing_table_name_is_required_on_the_control_plane(operation: str) -> None:
    assert refusal(operation, {}) == (
        "ValidationException",
        "The parameter 'TableName' is required but was not present in the request",
    )


def test_a_missing_table_name_is_a_listed_constraint_on_reads() -> None:
    assert refusal("Query", {}) == (
        "ValidationException",
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: "
        "Member must not be null",
    )


def test_list_tables_bounds() -> None:
    assert refusal("ListTables", {"Limit": 0}) == (
        "ValidationException",
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have "
        "value greater than or equal to 1",
    )
    assert refusal("ListTables", {"ExclusiveStartTableName": "a;", "Limit": 500}) == (
        "ValidationException",
        "3 validation errors detected: Value '500' at 'limit' failed to satisfy constraint: Member must "
        "have value less than or equal to 100; Value 'a;' at 'exclusiveStartTableName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value 'a;' at "
        "'exclusiveStartTableName' failed to satisfy constraint: Member must have length greater than or "
        "equal to 3",
    )
    assert check_request("ListTables", {"ExclusiveStartTableName": None, "Limit": None, "hi": "yo"})


def test_longs_are_floored_and_valid_requests_pass() -> None:
    checked = check_request(
        "UpdateTable",
        {"TableName": "table", "ProvisionedThroughput": {"ReadCapacityUnits": 2.7, "WriteCapacityUnits": 1}},
    )
    assert checked["ProvisionedThroughput"]["ReadCapacityUnits"] == 2


def test_attribute_values_hold_exactly_one_type() -> None:
    query = {"TableName": "table", "KeyConditionExpression": "pk = :v"}
    assert refusal("Query", {**query, "ExpressionAttributeValues": {":v": {}}}) == (
        "ValidationException",
        messages.ATTRIBUTE_VALUE_EMPTY,
    )
    assert refusal("Query", {**query, "ExpressionAttributeValues": {":v": {"S": "a", "N": "1"}}}) == (
        "ValidationException",
        messages.ATTRIBUTE_VALUE_SEVERAL,
    )
    assert check_request("Query", {**query, "ExpressionAttributeValues": {":v": {"L": [{"S": "a"}]}}})


def test_table_settings_against_the_live_table() -> None:
    provisioned = {
        "BillingModeSummary": {"BillingMode": "PROVISIONED"},
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    }
    assert check_table_settings(
        {"ProvisionedThroughput": {"ReadCapacityUnits": 6, "WriteCapacityUnits": 5}}, provisioned
    )
    assert not check_table_settings(
        {"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "abc"}}]}, provisioned
    )
    assert check_table_settings({"BillingMode": "PAY_PER_REQUEST"}, provisioned)
    with pytest.raises(AwsError, match="will not change"):
        check_table_settings(
            {"ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}, provisioned
        )


def test_an_update_with_nothing_to_do_is_refused() -> None:
    with pytest.raises(AwsError) as caught:
        check_update_table({"TableName": "table", "GlobalSecondaryIndexUpdates": []})
    assert caught.value.message == messages.NOTHING_TO_UPDATE
