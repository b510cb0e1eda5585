"""The shapes of the control-plane requests, as data: member types and constraints.

Source: the DynamoDB API reference (CreateTable, UpdateTable, DeleteTable, DescribeTable,
Query, Scan request syntax) and botocore's service model for types and bounds; the
order in which they are checked and the wording of each failure follow dynalite's
captures of real DynamoDB (``validation.py`` and ``messages.py`` say more). Members not
declared here are passed through unchecked: moto checks what it knows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

NAME_PATTERN = "[a-zA-Z0-9_.-]+"
MAX_CAPACITY = 1_000_000_000_000  # dynalite: larger values are "out of bounds" (AWS's answer)


class Kind(StrEnum):
    """A member's type; the value is the Java type Coral names in SerializationExceptions."""

    STRING = "String"
    LONG = "Long"
    INTEGER = "Integer"
    BOOLEAN = "Boolean"
    LIST = "List"
    MAP = "Map"
    STRUCT = "Structure"
    ATTRIBUTE = "AttributeValue"  # {"S": "x"}, {"L": [...]}: checked by ATTRIBUTE_TYPES


@dataclass(frozen=True)
class Member:
    """``required``: absent → "The parameter 'X' is required but was not present in the
    request" on its own, before any other constraint; ``not_null``: absent → listed as
    "Member must not be null". ``length_first``: Coral lists a broken length before a broken
    pattern for this member (tableName, indexName), else the pattern comes first.
    ``name``: a STRUCT's type name in DynamoDB's model, quoted by SerializationExceptions."""

    kind: Kind
    not_null: bool = False
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    length_first: bool = False
    values: tuple[str, ...] = ()
    children: Mapping[str, Member] = field(default_factory=dict)  # STRUCT
    item: Member | None = None  # LIST and MAP values
    name: str = ""


def string(**constraints: object) -> Member:
    return Member(Kind.STRING, **constraints)  # type: ignore[arg-type]


def struct(children: Mapping[str, Member], *, name: str = "", not_null: bool = False) -> Member:
    return Member(Kind.STRUCT, not_null=not_null, children=children, name=name)


def listing(item: Member, **constraints: object) -> Member:
    return Member(Kind.LIST, item=item, **constraints)  # type: ignore[arg-type]


# An AttributeValue holds exactly one of these (API_AttributeValue).
ATTRIBUTE_TYPES: Mapping[str, Member] = {
    "S": Member(Kind.STRING),
    "N": Member(Kind.STRING),
    "B": Member(Kind.STRING),
    "BOOL": Member(Kind.BOOLEAN),
    "NULL": Member(Kind.BOOLEAN),
    "SS": Member(Kind.LIST, item=Member(Kind.STRING)),
    "NS": Member(Kind.LIST, item=Member(Kind.STRING)),
    "BS": Member(Kind.LIST, item=Member(Kind.STRING)),
    "L": Member(Kind.LIST, item=Member(Kind.ATTRIBUTE)),
    "M": Member(Kind.MAP, item=Member(Kind.ATTRIBUTE)),
}

# Table and index names: length before pattern (DescribeTable TableName '' and CreateTable
# IndexName '', ack-api-quirks DDB-TABLE-457, captured 2026-10-09). The control-plane
# operations' TableName is "required" (its own message); Query/Scan list it as not null.
TABLE_NAME = string(not_null=True, pattern=NAME_PATTERN, min_length=3, max_length=255, length_first=True)
REQUIRED_TABLE_NAME = replace(TABLE_NAME, required=True)
INDEX_NAME = string(not_null=True, pattern=NAME_PATTERN, min_length=3, max_length=255, length_first=True)
# Members listed in the order Coral reports them (DDB-TABLE-457, 2026-10-09: write before
# read, attributeType before attributeName, attributeName before keyType).
CAPACITY = struct(
    {
        "WriteCapacityUnits": Member(Kind.LONG, not_null=True, minimum=1),
        "ReadCapacityUnits": Member(Kind.LONG, not_null=True, minimum=1),
    },
    name="ProvisionedThroughput",
)
ON_DEMAND = struct(
    {"MaxReadRequestUnits": Member(Kind.LONG), "MaxWriteRequestUnits": Member(Kind.LONG)},
    name="OnDemandThroughput",
)
KEY_SCHEMA = listing(
    struct(
        {
            "AttributeName": string(not_null=True, min_length=1, max_length=255),
            "KeyType": string(not_null=True, values=("HASH", "RANGE")),
        },
        name="KeySchemaElement",
    ),
    not_null=True,
    min_length=1,
    max_length=2,
)
INDEX_KEY_SCHEMA = replace(KEY_SCHEMA, max_length=8)  # multi-attribute GSI keys
PROJECTION = struct(
    {
        "ProjectionType": string(values=("ALL", "KEYS_ONLY", "INCLUDE")),
        "NonKeyAttributes": listing(string(), min_length=1, max_length=20),
    },
    name="Projection",
    not_null=True,
)
ATTRIBUTE_DEFINITIONS = listing(
    struct(
        {
            "AttributeType": string(not_null=True, values=("S", "N", "B")),
            "AttributeName": string(not_null=True, min_length=1, max_length=255),
        },
        name="AttributeDefinition",
    )
)
BILLING_MODE = string(values=("PROVISIONED", "PAY_PER_REQUEST"))


def _index(key_schema: Member, name: str) -> Member:
    return struct(
        {
            "IndexName": INDEX_NAME,
            "KeySchema": key_schema,
            "Projection": PROJECTION,
            "ProvisionedThroughput": CAPACITY,
            "OnDemandThroughput": ON_DEMAND,
        },
        name=name,
    )


CREATE_TABLE = struct(
    {
        "TableName": REQUIRED_TABLE_NAME,
        "AttributeDefinitions": replace(ATTRIBUTE_DEFINITIONS, not_null=True),
        "KeySchema": KEY_SCHEMA,
        "BillingMode": BILLING_MODE,
        "ProvisionedThroughput": CAPACITY,
        "OnDemandThroughput": ON_DEMAND,
        "LocalSecondaryIndexes": listing(_index(KEY_SCHEMA, "LocalSecondaryIndex")),
        "GlobalSecondaryIndexes": listing(_index(INDEX_KEY_SCHEMA, "GlobalSecondaryIndex")),
        "DeletionProtectionEnabled": Member(Kind.BOOLEAN),
        "TableClass": string(values=("STANDARD", "STANDARD_INFREQUENT_ACCESS")),
    }
)

UPDATE_TABLE = struct(
    {
        "TableName": REQUIRED_TABLE_NAME,
        "AttributeDefinitions": ATTRIBUTE_DEFINITIONS,
        "BillingMode": BILLING_MODE,
        "ProvisionedThroughput": CAPACITY,
        "OnDemandThroughput": ON_DEMAND,
        "DeletionProtectionEnabled": Member(Kind.BOOLEAN),
        "GlobalSecondaryIndexUpdates": listing(
            struct(
                {
                    "Create": _index(INDEX_KEY_SCHEMA, "CreateGlobalSecondaryIndexAction"),
                    "Update": struct(
                        {
                            "IndexName": INDEX_NAME,
                            "ProvisionedThroughput": CAPACITY,
                            "OnDemandThroughput": ON_DEMAND,
                        },
                        name="UpdateGlobalSecondaryIndexAction",
                    ),
                    "Delete": struct({"IndexName": INDEX_NAME}, name="DeleteGlobalSecondaryIndexAction"),
                },
                name="GlobalSecondaryIndexUpdate",
            )
        ),
    }
)

TABLE_ONLY = struct({"TableName": REQUIRED_TABLE_NAME})

READ = struct(
    {
        "TableName": TABLE_NAME,
        "IndexName": string(pattern=NAME_PATTERN, min_length=3, max_length=255, length_first=True),
        "KeyConditionExpression": string(),
        "FilterExpression": string(),
        "ProjectionExpression": string(),
        "Select": string(
            values=("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT")
        ),
        "Limit": Member(Kind.LONG, minimum=1),
        "ConsistentRead": Member(Kind.BOOLEAN),
        "ScanIndexForward": Member(Kind.BOOLEAN),
        "ExpressionAttributeNames": Member(Kind.MAP, item=string()),
        "ExpressionAttributeValues": Member(Kind.MAP, item=Member(Kind.ATTRIBUTE)),
        "ExclusiveStartKey": Member(Kind.MAP, item=Member(Kind.ATTRIBUTE)),
        "Segment": Member(Kind.LONG, minimum=0),
        "TotalSegments": Member(Kind.LONG, minimum=1),
    }
)

# Types only: tags.py checks the members in DynamoDB's own order and words.
TAG_RESOURCE = struct(
    {"ResourceArn": string(), "Tags": listing(struct({"Key": string(), "Value": string()}, name="Tag"))}
)
UNTAG_RESOURCE = struct({"ResourceArn": string(), "TagKeys": listing(string())})
LIST_TAGS = struct({"ResourceArn": string(), "NextToken": string()})
# Limit before the start name: the order of a 3-error capture quoted in dynalite's
# index.js; "limit" 0 and "exclusiveStartTableName" '' (pattern before length) captured
# 2026-10-09 (ack-api-quirks DDB-TABLE-457).
LIST_TABLES = struct(
    {
        "Limit": Member(Kind.INTEGER, minimum=1, maximum=100),
        "ExclusiveStartTableName": string(pattern=NAME_PATTERN, min_length=3, max_length=255),
    }
)

# Every other operation that names one table: at least TableName is checked.
SHAPES: Mapping[str, Member] = {
    "TagResource": TAG_RESOURCE,
    "UntagResource": UNTAG_RESOURCE,
    "ListTagsOfResource": LIST_TAGS,
    "ListTables": LIST_TABLES,
    "CreateTable": CREATE_TABLE,
    "UpdateTable": UPDATE_TABLE,
    "DeleteTable": TABLE_ONLY,
    "DescribeTable": TABLE_ONLY,
    "Query": READ,
    "Scan": READ,
}
