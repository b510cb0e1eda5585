"""Table tags as DynamoDB keeps them: one value per key, at most 50 per table.

moto keeps a list and appends on every TagResource, so re-tagging a key made a second
entry and its ListTagsOfResource paged forever. Here each table (by region and name) has
a key → value map; TagResource overwrites, UntagResource removes (a missing key is no
error), ListTagsOfResource answers every tag at once and never a NextToken ("Tags are
limited to 50 per resource and therefore there's no need for pagination": AWS's service
team in aws/aws-sdk#583, 2024-07-31; no NextToken at 50 tags, ack-api-quirks DDB-TABLE-108,
2026-10-08). Validation is all-or-nothing: a request with one bad tag changes nothing.
Wording and order: ``messages.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from multigsi.local.dynamodb import messages
from multigsi.local.dynamodb.errors import AwsError

TableKey = tuple[str, str]  # (region, table name)
ACCOUNT_ID = "123456789012"  # moto's account: every TableArn the endpoint answers carries it
MAX_TAGS = 50  # user tags per table; aws: tags are not counted (and users cannot set them)
MAX_KEY = 128
MAX_VALUE = 256
RESERVED_PREFIX = "aws:"
# Letters of any script, digits, white space and + - = . _ : / @ (TaggingRestrictions;
# '@' and non-Latin letters accepted, emoji and other punctuation refused: DDB-TABLE-372).
ALLOWED = re.compile(r"[\w\s+\-=.:/@]*")
TABLE_ARN = re.compile(r"arn:aws:dynamodb:([^:]+):(\d+):table/([^/]+)")


def _invalid(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def table_of(arn: object, region: str, *, needs: str, given: object) -> str:
    """The table name a tag request's ResourceArn names, or the error DynamoDB answers.
    ``needs``/``given``: the list member the request must carry (Tags or TagKeys), checked
    between the ARN's shape and its parts, as DynamoDB does."""
    if arn is None:
        raise _invalid(messages.TAG_ARN_MISSING)
    assert isinstance(arn, str)  # validation.check_request checked the JSON type
    if not arn.startswith("arn:"):
        raise _invalid(messages.TAG_ARN_NOT_ARN.format(arn=arn))
    if needs and given is None:
        item = messages.VALIDATION_ITEM.format(value="null", path=needs, constraint=messages.NOT_NULL)
        raise _invalid(f"1 validation error detected: {item}")
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[2] != "dynamodb":
        raise _invalid(messages.TAG_ARN_NOT_DYNAMODB.format(arn=arn))
    if len(parts) == 6 and "/index/" in parts[5]:
        raise _invalid(messages.TAG_ARN_NOT_TABLE.format(arn=arn))
    match = TABLE_ARN.fullmatch(arn)
    if match is None or not 3 <= len(match.group(3)) <= 255:
        raise _invalid(messages.TAG_ARN_INVALID.format(arn=arn))
    arn_region, account, name = match.groups()
    if account != ACCOUNT_ID:
        raise AwsError("AccessDeniedException", messages.TAG_ACCESS_DENIED)
    if arn_region != region:  # DDB-TABLE-442, 2026-10-09
        raise _invalid(messages.TAG_ARN_INVALID.format(arn=arn))
    return name


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY or not ALLOWED.fullmatch(key):
        raise _invalid(messages.TAG_KEY_INVALID.format(key="null" if key is None else key))
    return key


def check_tags(tags: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """A TagResource's (or CreateTable's) Tags as a map, or the first problem found."""
    checked: dict[str, str] = {}
    for tag in tags:
        key = _check_key(tag.get("Key"))
        if key.startswith(RESERVED_PREFIX):
            raise _invalid(messages.TAG_KEY_RESERVED.format(key=key))
        value = tag.get("Value")
        if not isinstance(value, str) or len(value) > MAX_VALUE or not ALLOWED.fullmatch(value):
            raise _invalid(messages.TAG_VALUE_INVALID.format(value="null" if value is None else value))
        if key in checked:
            raise _invalid(messages.TAG_KEY_DUPLICATE.format(key=key))
        checked[key] = value
    if len(checked) > MAX_TAGS:
        raise _invalid(messages.TOO_MANY_TAGS)
    return checked


def check_keys(keys: Iterable[object]) -> list[str]:
    """An UntagResource's TagKeys (more than 50 is refused, even though it removes tags)."""
    checked = [_check_key(key) for key in keys]
    if len(checked) > MAX_TAGS:
        raise _invalid(messages.TOO_MANY_TAGS)
    return checked


@dataclass
class TagStore:
    """Every table's tags. Callers hold the control plane's lock."""

    by_table: dict[TableKey, dict[str, str]] = field(default_factory=dict)

    def tag(self, key: TableKey, tags: Mapping[str, str]) -> None:
        merged = {**self.by_table.get(key, {}), **tags}
        if sum(1 for name in merged if not name.startswith(RESERVED_PREFIX)) > MAX_TAGS:
            raise _invalid(messages.TOO_MANY_TAGS)
        self.by_table[key] = merged

    def untag(self, key: TableKey, keys: Iterable[str]) -> None:
        current = self.by_table.get(key, {})
        for name in keys:
            current.pop(name, None)

    def listing(self, key: TableKey) -> list[dict[str, str]]:
        return [{"Key": name, "Value": value} for name, value in self.by_table.get(key, {}).items()]

    def forget(self, key: TableKey) -> None:
        """The table was created or deleted: no tags carry over."""
        self.by_table.pop(key, None)

    def clear(self) -> None:
        self.by_table.clear()
