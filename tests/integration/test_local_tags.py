"""Table tags on the local endpoint behave as DynamoDB's (issue #23).

DynamoDB keeps one value per key and at most 50 user tags per table; moto appended on
every TagResource, so a re-tagged key listed twice and ListTagsOfResource paged forever.
Every test talks HTTP to the endpoint through boto3 (no retries, no client-side checks).
"""

from __future__ import annotations

from typing import Any

import pytest

from multigsi.engine.ownership.record import TableRecord
from multigsi.local import LocalDynamoDB, Timing
from multigsi.local.dynamodb import messages
from tests.conftest import create_table, make_raw_client
from tests.integration.test_local_endpoint import describe, error_of, wait_until

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/{}"


def tags_of(client: Any, arn: str) -> dict[str, str]:
    """Every tag, following NextToken as a careful client does; fails if paging never ends."""
    found: dict[str, str] = {}
    kwargs: dict[str, Any] = {"ResourceArn": arn}
    for _ in range(100):
        page = client.list_tags_of_resource(**kwargs)
        for tag in page["Tags"]:
            assert tag["Key"] not in found, f"{tag['Key']} listed twice"
            found[tag["Key"]] = tag["Value"]
        if not page.get("NextToken"):
            return found
        kwargs["NextToken"] = page["NextToken"]
    raise AssertionError("ListTagsOfResource kept answering a NextToken")


@pytest.fixture
def arn(raw_client: Any, table_name: str) -> str:
    create_table(raw_client, table_name, items=0)
    return ARN.format(table_name)


def test_tagging_a_key_again_overwrites_its_value(raw_client: Any, arn: str) -> None:
    raw_client.tag_resource(
        ResourceArn=arn, Tags=[{"Key": "owner", "Value": "a"}, {"Key": "env", "Value": "x"}]
    )
    for value in ("b", "c", "d"):
        raw_client.tag_resource(ResourceArn=arn, Tags=[{"Key": "owner", "Value": value}])
    assert tags_of(raw_client, arn) == {"owner": "d", "env": "x"}


def test_untag_removes_keys_and_a_missing_key_is_no_error(raw_client: Any, arn: str) -> None:
    raw_client.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": k} for k in ("a", "b", "c")])
    raw_client.untag_resource(ResourceArn=arn, TagKeys=["a", "never-there"])
    assert tags_of(raw_client, arn) == {"b": "b", "c": "c"}
    raw_client.untag_resource(ResourceArn=arn, TagKeys=["b", "c"])
    assert tags_of(raw_client, arn) == {}


def test_fifty_tags_list_in_one_page_and_a_fifty_first_is_refused(raw_client: Any, arn: str) -> None:
    fifty = [{"Key": f"k{n:02}", "Value": f"v{n}"} for n in range(50)]
    raw_client.tag_resource(ResourceArn=arn, Tags=fifty[:30])
    raw_client.tag_resource(ResourceArn=arn, Tags=fifty[20:])  # 10 overlap: overwritten, not counted twice
    page = raw_client.list_tags_of_resource(ResourceArn=arn)
    assert len(page["Tags"]) == 50 and "NextToken" not in page
    too_many = ("ValidationException", messages.TOO_MANY_TAGS)
    assert error_of(raw_client.tag_resource, ResourceArn=arn, Tags=[{"Key": "k50", "Value": "x"}]) == too_many
    # Post-merge count: a new key with an overwrite is refused whole; overwrites alone pass.
    both = [{"Key": "k00", "Value": "new"}, {"Key": "k50", "Value": "x"}]
    assert error_of(raw_client.tag_resource, ResourceArn=arn, Tags=both) == too_many
    assert tags_of(raw_client, arn)["k00"] == "v0"
    raw_client.tag_resource(ResourceArn=arn, Tags=[{**tag, "Value": "w"} for tag in fifty])
    assert set(tags_of(raw_client, arn).values()) == {"w"}
    fifty_one = [{"Key": f"n{n}", "Value": ""} for n in range(51)]
    assert (
        error_of(raw_client.untag_resource, ResourceArn=arn, TagKeys=[t["Key"] for t in fifty_one])
        == too_many
    )


def test_a_client_following_next_token_ends(raw_client: Any, arn: str) -> None:
    """The ownership record's own reader (engine/ownership/record.py) over a table re-tagged many times."""
    for round_ in range(5):
        raw_client.tag_resource(
            ResourceArn=arn, Tags=[{"Key": f"k{n}", "Value": str(round_)} for n in range(12)]
        )
    assert TableRecord(raw_client, arn).tags() == {f"k{n}": "4" for n in range(12)}
    # A NextToken a client makes up is no way into a loop either.
    page = raw_client.list_tags_of_resource(ResourceArn=arn, NextToken="k3")
    assert "NextToken" not in page


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ([], messages.NO_TAGS),
        (
            [{"Key": "aws:cloudformation:stack-name", "Value": "x"}],
            messages.TAG_KEY_RESERVED.format(key="aws:cloudformation:stack-name"),
        ),
        ([{"Key": "k" * 129, "Value": "x"}], messages.TAG_KEY_INVALID.format(key="k" * 129)),
        ([{"Key": "", "Value": "x"}], messages.TAG_KEY_INVALID.format(key="")),
        ([{"Value": "x"}], messages.TAG_KEY_INVALID.format(key="null")),
        ([{"Key": "k"}], messages.TAG_VALUE_INVALID.format(value="null")),
        ([{"Key": "k", "Value": "v" * 257}], messages.TAG_VALUE_INVALID.format(value="v" * 257)),
        ([{"Key": "a#b", "Value": "x"}], messages.TAG_KEY_INVALID.format(key="a#b")),
        ([{"Key": "k", "Value": "100%"}], messages.TAG_VALUE_INVALID.format(value="100%")),
        (
            [{"Key": "d", "Value": "1"}, {"Key": "d", "Value": "2"}],
            messages.TAG_KEY_DUPLICATE.format(key="d"),
        ),
        (
            [{"Key": "good", "Value": "x"}, {"Key": "aws:zzz", "Value": "x"}],
            messages.TAG_KEY_RESERVED.format(key="aws:zzz"),
        ),
    ],
)
def test_bad_tags_are_refused_and_change_nothing(
    raw_client: Any, arn: str, tags: list[dict[str, str]], message: str
) -> None:
    assert error_of(raw_client.tag_resource, ResourceArn=arn, Tags=tags) == ("ValidationException", message)
    assert tags_of(raw_client, arn) == {}


def test_allowed_characters_and_lengths(raw_client: Any, arn: str) -> None:
    tags = {"k" * 128: "v" * 256, "ключ café 表": "a+b-c=d.e_f:g/h@i", "empty": ""}
    raw_client.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    assert tags_of(raw_client, arn) == tags


def test_resource_arns(raw_client: Any, table_name: str) -> None:
    missing = ARN.format("no-such-table")
    assert error_of(raw_client.list_tags_of_resource, ResourceArn=missing) == (
        "ResourceNotFoundException",
        messages.TAG_TABLE_NOT_FOUND.format(arn=missing),
    )
    assert error_of(raw_client.tag_resource, ResourceArn=missing, Tags=[{"Key": "a", "Value": "b"}])[0] == (
        "ResourceNotFoundException"
    )
    assert error_of(raw_client.list_tags_of_resource, ResourceArn=table_name) == (
        "ValidationException",
        messages.TAG_ARN_NOT_ARN.format(arn=table_name),
    )
    for arn, message in (
        ("arn:aws:s3:::bucket/" + table_name, messages.TAG_ARN_NOT_DYNAMODB),
        (ARN.format(table_name) + "/index/by-a", messages.TAG_ARN_NOT_TABLE),
        ("arn:aws:dynamodb:eu-west-1:123456789012:table/" + table_name, messages.TAG_ARN_INVALID),
    ):
        assert error_of(raw_client.list_tags_of_resource, ResourceArn=arn) == (
            "ValidationException",
            message.format(arn=arn),
        )
    other_account = "arn:aws:dynamodb:us-east-1:999999999999:table/" + table_name
    assert error_of(raw_client.list_tags_of_resource, ResourceArn=other_account) == (
        "AccessDeniedException",
        messages.TAG_ACCESS_DENIED,
    )
    assert error_of(raw_client.tag_resource, ResourceArn=ARN.format(table_name)) == (
        "ValidationException",
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null",
    )
    assert error_of(raw_client.untag_resource, ResourceArn=ARN.format(table_name), TagKeys=[]) == (
        "ValidationException",
        messages.NO_TAG_KEYS,
    )
    assert error_of(raw_client.list_tags_of_resource) == ("ValidationException", messages.TAG_ARN_MISSING)


def test_create_table_tags_are_checked_kept_and_dropped_with_the_table() -> None:
    with LocalDynamoDB(timing=Timing(table_seconds=0.3)) as local:
        client = make_raw_client(local.url)
        request: dict[str, Any] = {
            "TableName": "tagged",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }
        fifty_one = [{"Key": f"k{n}", "Value": "v"} for n in range(51)]
        assert error_of(client.create_table, **request, Tags=fifty_one) == (
            "ValidationException",
            messages.TOO_MANY_TAGS,
        )
        assert error_of(client.describe_table, TableName="tagged")[0] == "ResourceNotFoundException"
        client.create_table(**request, Tags=[{"Key": "team", "Value": "a"}])
        arn = ARN.format("tagged")
        # Tag calls on a CREATING table: not found, as on AWS.
        assert error_of(client.list_tags_of_resource, ResourceArn=arn)[0] == "ResourceNotFoundException"
        wait_until(lambda: describe(client, "tagged")["TableStatus"] == "ACTIVE")
        assert tags_of(client, arn) == {"team": "a"}
        client.delete_table(TableName="tagged")
        assert error_of(client.list_tags_of_resource, ResourceArn=arn)[0] == "ResourceNotFoundException"
        wait_until(lambda: local.plane.tables.ghost(("us-east-1", "tagged")) is None)
        client.create_table(**request)
        wait_until(lambda: describe(client, "tagged")["TableStatus"] == "ACTIVE")
        assert tags_of(client, arn) == {}
