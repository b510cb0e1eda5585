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
    assert refusal("UpdateTable", payload) == ("SerializationException", messages.STRING_FOR_NUMBER)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5, "class java.lang.Short can not be converted to an String"),
        (70000, "class java.lang.Integer can not be converted to an String"),
        (1.5, "class java.lang.Double can not be converted to an String"),
        (True, "class java.lang.Boolean can not be converted to an String"),
        ([], messages.UNEXPECTED_LIST),
        ({}, messages.UNEXPECTED_STRUCTURE),
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
    assert message == messages.TABLE_NAME_LENGTH  # the table name's length comes first, on its own
    payload["TableName"] = "bad!"
    code, message = refusal("UpdateTable", payload)
    assert message.startswith("3 validation errors detected: ")
    assert message.count("; ") == 2
    assert "'globalSecondaryIndexUpdates.1.member.delete.indexName'" in message
    assert "Value null at 'globalSecondaryIndexUpdates.2.member.update.indexName'" in message


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
