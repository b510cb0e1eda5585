"""AWS's error messages, word for word where they are known.

Sources: ../shared/DOMAIN.md, AWS's documentation, and captures from real DynamoDB
published by other emulators' authors. Where the exact wording is not known the constant
says (unconfirmed); the error *type* is always AWS's.
"""

from __future__ import annotations

ONE_AT_A_TIME = (
    "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"
)
# (unconfirmed prefix) DOMAIN.md gives the tail of this message.
TOO_MANY_INDEXES = (
    "Subscriber limit exceeded: Number of global secondary indexes exceeds per-table limit of 20"
)
INDEX_EXISTS = "One or more parameter values were invalid: Index already exists: {name}"
KEYS_NOT_DEFINED = (
    "One or more parameter values were invalid: Some index key attributes are not defined in "
    "AttributeDefinitions. Keys: [{keys}], AttributeDefinitions: [{definitions}]"
)
THROUGHPUT_MISSING = (
    "One or more parameter values were invalid: ProvisionedThroughput is not specified for index: {name}"
)
THROUGHPUT_ON_DEMAND = (
    "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits "
    "can be specified when BillingMode is PAY_PER_REQUEST"
)
ON_DEMAND_ON_PROVISIONED = (
    "One or more parameter values were invalid: {member} for OnDemandThroughput cannot be "
    "specified when the table BillingMode is PROVISIONED"
)
DELETE_MISSING = "Requested resource not found: Table: {name} not found"
UPDATE_MISSING = (
    "This operation cannot be performed with given input values. Please contact DynamoDB "
    "service team for more info: Action Blocked: IndexUpdate"
)
# (unconfirmed wording after "still in use: ")
INDEX_BEING_UPDATED = "Attempt to change a resource which is still in use: Index is being updated: {name}"
INDEX_BEING_CREATED = "Attempt to change a resource which is still in use: Index is being created: {name}"
READ_BACKFILLING = "Cannot read from backfilling global secondary index"
NAME_TOO_SHORT = (
    "1 validation error detected: Value '{name}' at '{where}' failed to satisfy constraint: "
    "Member must have length greater than or equal to 3"
)
NAME_TOO_LONG = (
    "1 validation error detected: Value '{name}' at '{where}' failed to satisfy constraint: "
    "Member must have length less than or equal to 255"
)
NAME_PATTERN = (
    "1 validation error detected: Value '{name}' at '{where}' failed to satisfy constraint: "
    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
)
ONE_ACTION_PER_UPDATE = (
    "One or more parameter values were invalid: One and only one of Create, Update or Delete "
    "must be specified in each GlobalSecondaryIndexUpdate"  # (unconfirmed)
)
