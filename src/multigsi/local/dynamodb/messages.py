"""AWS's error messages, word for word, each with the evidence it was chosen on.

Every constant says where its wording comes from and when that was captured from the real
service. Where sources disagree the newest capture wins (issue #23). The sources:

- ACK-QUIRKS: the ack-api-quirks DynamoDB findings (DDB-TABLE-nnn), live captures against
  DynamoDB in us-east-1 and us-west-2, verified 2026-10-08/09. The newest evidence here.
- DYNALITE: dynalite's test suite (github.com/architect/dynalite, test/*.js), whose
  expectations were asserted against real DynamoDB; the date is the commit that last set
  the string ("Update tests to match latest production" is 2018-10-16). Still asserted by
  dynalite 4.0.0 (2025-09-18) unless said otherwise.
- An issue thread quoting real output: named with its date.
- DOMAIN: ../shared/DOMAIN.md (from AWS's documentation).
(unconfirmed) marks wording no capture was found for; the error *type* is always AWS's.
"""

from __future__ import annotations

# --- index changes -------------------------------------------------------------------------

# DOMAIN (API_UpdateTable); ACK-QUIRKS DDB-TABLE-443, 2026-10-09.
ONE_AT_A_TIME = (
    "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"
)
# ACK-QUIRKS DDB-TABLE-443, 2026-10-09 (confirms the prefix DOMAIN lacked).
TOO_MANY_INDEXES = (
    "Subscriber limit exceeded: Number of global secondary indexes exceeds per-table limit of 20"
)
# UpdateTable Create of an index that exists: ACK-QUIRKS DDB-TABLE-442, 2026-10-09 (it
# replaces an unconfirmed "Index already exists: <name>").
INDEX_EXISTS = "Attempting to create an index which already exists"
# DYNALITE test/createTable.js, 2013-12-17 (also answered by UpdateTable here).
KEYS_NOT_DEFINED = (
    "One or more parameter values were invalid: Some index key attributes are not defined in "
    "AttributeDefinitions. Keys: [{keys}], AttributeDefinitions: [{definitions}]"
)
# A GSI without throughput on a provisioned table: CreateTable and UpdateTable word it
# differently (ACK-QUIRKS DDB-TABLE-442, 2026-10-09).
THROUGHPUT_MISSING = (
    "One or more parameter values were invalid: ProvisionedThroughput is not specified for index: {name}"
)
UPDATE_THROUGHPUT_MISSING = (
    "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: {name}"
)
# Index throughput on an on-demand table at UpdateTable: DDB-TABLE-442, 2026-10-09.
INDEX_UPDATE_THROUGHPUT_ON_DEMAND = (
    "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be "
    "specified for index: {name} when BillingMode is PAY_PER_REQUEST"
)
# DYNALITE test/createTable.js, 2020-01-09; DDB-TABLE-442 (CreateTable, UpdateTable), 2026-10-09.
THROUGHPUT_ON_DEMAND = (
    "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits "
    "can be specified when BillingMode is PAY_PER_REQUEST"
)
ON_DEMAND_ON_PROVISIONED = (  # ACK-QUIRKS DDB-TABLE-442, 2026-10-09
    "One or more parameter values were invalid: {member} for OnDemandThroughput cannot be "
    "specified when the table BillingMode is PROVISIONED"
)
# An Update of an index that is being deleted: (unconfirmed) for that case. DYNALITE
# test/updateTable.js, 2018-10-16 captured it for an index that does not exist at all; that
# case is now INDEX_MISSING, whose capture is newer.
UPDATE_MISSING = (
    "This operation cannot be performed with given input values. Please contact DynamoDB "
    "service team for more info: Action Blocked: IndexUpdate"
)
# GSI Update or Delete of an unknown index: ResourceNotFoundException. ACK-QUIRKS
# DDB-TABLE-446, 2026-10-09 ("no colon after Index").
INDEX_MISSING = "Requested resource not found: Index {name} for table {table}"
INDEX_DELETE_MISSING = INDEX_MISSING
INDEX_BEING_UPDATED = (  # (unconfirmed wording after "still in use: ")
    "Attempt to change a resource which is still in use: Index is being updated: {name}"
)
# Delete while the index allocates resources. ACK-QUIRKS DDB-TABLE-444, 2026-10-09; the
# capture is cut after "active", so the closing period is (unconfirmed).
INDEX_BEING_CREATED = (
    "Attempt to change a resource which is still in use: Index creation is in resource allocation "
    "phase. Retry deletion during backfilling phase or when the index is active."
)
READ_BACKFILLING = "Cannot read from backfilling global secondary index"  # DOMAIN (GSI.OnlineOps)
# Index names in the endpoint's own per-index checks: the constraint list of validation.py
# (Coral's wording, ACK-QUIRKS DDB-TABLE-457, 2026-10-09).
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
# ACK-QUIRKS DDB-TABLE-442, 2026-10-09 (replaces an unconfirmed wording).
ONE_ACTION_PER_UPDATE = (
    "One or more parameter values were invalid: Only one global secondary index action is allowed per "
    "GlobalSecondaryIndexUpdate object"
)

# --- Coral's constraint list ---------------------------------------------------------------
# "N validation error(s) detected: <item>; <item>", at most 10 items. DYNALITE
# validations/index.js and its tests (2013-06-17 on); the same texts in ACK-QUIRKS
# DDB-TABLE-457, 2026-10-09 (e.g. "Value '0' at 'limit' ...", "Value null at
# 'keySchema.1.member.attributeName' ... Member must not be null").
VALIDATION_ITEM = "Value {value} at '{path}' failed to satisfy constraint: {constraint}"
NOT_NULL = "Member must not be null"
AT_LEAST = "Member must have value greater than or equal to {limit}"
AT_MOST = "Member must have value less than or equal to {limit}"
LENGTH_AT_LEAST = "Member must have length greater than or equal to {limit}"
LENGTH_AT_MOST = "Member must have length less than or equal to {limit}"
PATTERN = "Member must satisfy regular expression pattern: {pattern}"
ENUM = "Member must satisfy enum value set: [{values}]"
# No longer answered for TableName: DescribeTable TableName '' is listed as two constraint
# failures (length, then pattern) in a live capture of 2026-10-09 (ack-api-quirks
# DDB-TABLE-457), where this hand-written text survives only on the legacy global-table
# APIs. Kept for reference; the older evidence is dynalite's validateTableName (2013).
TABLE_NAME_LENGTH = "TableName must be at least 3 characters long and at most 255 characters long"

# SerializationException: a member of the wrong JSON type. Bodies carry "Message" (capital
# M), not "message" (errors.py). Source: dynalite test/helpers.js assertType, "Update tests to
# match latest production" (2018-10-16), asserted against AWS; it replaced the 2013 wording
# "class java.lang.Short can not be converted to an String" this file used to carry.
# {token}: TRUE_VALUE, FALSE_VALUE, NUMBER_VALUE (whole), DECIMAL_VALUE, STRING_VALUE.
CANNOT_CONVERT = "{token} cannot be converted to {kind}"
UNEXPECTED_TOKEN = "Unexpected token received from parser"  # a Boolean given other text
UNEXPECTED_STRUCTURE = "Start of structure or map found where not expected"
UNEXPECTED_COLLECTION = "Unrecognized collection type class java.lang.{kind}"  # a list for a scalar
UNEXPECTED_COLLECTION_STRUCT = "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.{name}"
UNEXPECTED_COLLECTION_MAP = "Unrecognized collection type java.util.Map<java.lang.String, {item}>"
UNEXPECTED_FIELD = "Unexpected field type"  # a scalar for a list, map or member structure
UNEXPECTED_VALUE = "Unexpected value type in payload"  # a scalar for a structure in a list/map
# A body that is empty or not JSON: a SerializationException with no message at all
# (dynalite test/connection.js and test/listTables.js "should return 400 if no body",
# captured from AWS; unchanged through dynalite 4.0.0, 2025-09-18).
NO_BODY = None
# JSON that is not an object ([1, 2], "x"): (unconfirmed) treated as a scalar where the
# request structure was expected.
NOT_AN_OBJECT = UNEXPECTED_FIELD

# A control-plane operation (CreateTable, DeleteTable, DescribeTable, UpdateTable) without
# TableName. dynalite's describeTable/createTable/deleteTable/updateTable tests (asserted
# against AWS, kept through 2025-09-18) and a real answer quoted in aws/aws-sdk-java#977
# (2017-01-08). Query, Scan and item calls list it instead ("Value null at 'tableName' ...
# Member must not be null": Netflix-Skunkworks/iep-apps#527, 2024-01-30, GetItem).
REQUIRED = "The parameter '{name}' is required but was not present in the request"

# AttributeValue. DYNALITE test/batchGetItem.js (validateAttributeValue), 2016-04-14.
ATTRIBUTE_VALUE_EMPTY = (
    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
)
ATTRIBUTE_VALUE_SEVERAL = (
    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
    "supported datatypes"
)

# --- existence and phases ------------------------------------------------------------------
# ACK-QUIRKS DDB-TABLE-070/446, 2026-10-08/09; DYNALITE test/deleteTable.js, 2025-09-16.
TABLE_NOT_FOUND = "Requested resource not found: Table: {name} not found"
# A data call on a CREATING table: the data plane's bare text. ACK-QUIRKS DDB-TABLE-446, 2026-10-09.
TABLE_NOT_ACTIVE = "Requested resource not found"
# ACK-QUIRKS DDB-TABLE-444 ("Regional-table texts"), 2026-10-09; TABLE_BEING_CREATED also
# DYNALITE test/deleteTable.js, 2025-09-16.
TABLE_EXISTS = "Table already exists: {name}"
TABLE_BEING_CREATED = "Attempt to change a resource which is still in use: Table is being created: {name}"
TABLE_BEING_DELETED = "Attempt to change a resource which is still in use: Table is being deleted: {name}"
# The 2026-10-09 capture (DDB-TABLE-444) replaces the older "Table is being updated: <name>".
TABLE_BEING_UPDATED = (
    "Attempt to change a resource which is still in use: Table: {name} is in the process of being updated."
)
INDEX_NOT_ON_TABLE = (
    "The table does not have the specified index: {name}"  # DYNALITE test/query.js, 2018-10-16
)

# --- CreateTable ---------------------------------------------------------------------------
# Each of these is in ACK-QUIRKS' ValidationException catalogue (DDB-TABLE-442, ops:
# CreateTable), 2026-10-09, worded as in DYNALITE test/createTable.js (the date given).
PROVISIONED_NEEDS_THROUGHPUT = (  # 2020-01-08
    "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both "
    "be specified when BillingMode is PROVISIONED"
)
OUT_OF_BOUNDS = "Given value {value} for {member} is out of bounds"  # 2018-10-16 (not in DDB-TABLE-442)
KEY_NO_DEFINITION = "Invalid KeySchema: Some index key attribute have no definition"  # 2019-11-26
SAME_HASH_AND_RANGE = (  # 2013-12-17
    "Both the Hash Key and the Range Key element in the KeySchema have the same name"
)
FIRST_NOT_HASH = "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"  # 2013-12-17
SECOND_NOT_RANGE = "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"  # 2013-12-17
DEFINITIONS_UNUSED = (  # DDB-TABLE-442 only (2026-10-09); moto's tests quote it too
    "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly "
    "match number of attributes defined in AttributeDefinitions"
)
EMPTY_INDEX_LIST = "One or more parameter values were invalid: List of {kind} is empty"  # 2013-10-22
LSI_NEEDS_RANGE_TABLE = (  # 2013-06-18
    "One or more parameter values were invalid: Table KeySchema does not have a range key, which is "
    "required when specifying a LocalSecondaryIndex"
)
LSI_NEEDS_RANGE = (  # 2013-06-18
    "One or more parameter values were invalid: Index KeySchema does not have a range key for index: {name}"
)
LSI_HASH_DIFFERS = (  # 2013-06-18
    "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key "
    "as table KeySchema for index: {name}. index hash key: {index_hash}, table hash key: {table_hash}"
)
UNKNOWN_PROJECTION = (  # 2013-12-17; also ACK-QUIRKS DDB-TABLE-457, 2026-10-09
    "One or more parameter values were invalid: Unknown ProjectionType: null"
)
NON_KEY_WITHOUT_INCLUDE = (  # 2013-12-17
    "One or more parameter values were invalid: ProjectionType is {projection}, but NonKeyAttributes "
    "is specified"
)
INDEX_THROUGHPUT_ON_DEMAND = (  # 2020-01-08
    "One or more parameter values were invalid: ProvisionedThroughput should not be specified for "
    "index: {name} when BillingMode is PAY_PER_REQUEST"
)
DUPLICATE_INDEX = "One or more parameter values were invalid: Duplicate index name: {name}"  # 2013-12-17
TOO_MANY_LSIS = (  # 2019-05-06
    "One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5"
)
TOO_MANY_GSIS_AT_CREATE = (  # 2013-12-17
    "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20"
)

# --- UpdateTable ---------------------------------------------------------------------------
# ACK-QUIRKS DDB-TABLE-015, 2026-10-08 (GlobalSecondaryIndexUpdates=[] counts as absent). It
# replaces DYNALITE's shorter list (test/updateTable.js, 2015), captured before AWS added members.
NOTHING_TO_UPDATE = (
    "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, "
    "SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, "
    "MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass "
    "is required"
)
UPDATE_ACTION_MISSING = (  # DYNALITE test/updateTable.js, 2015-07-06; DDB-TABLE-442, 2026-10-09
    "One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, "
    "GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null"
)
SAME_INDEX_TWICE = (  # DYNALITE test/updateTable.js, 2015-02-28; DDB-TABLE-442, 2026-10-09
    "One or more parameter values were invalid: Only one global secondary index update per index is "
    "allowed simultaneously. Index: {name}"
)
THROUGHPUT_UNCHANGED = (  # DYNALITE test/updateTable.js, 2013-10-25; DDB-TABLE-442, 2026-10-09
    "The provisioned throughput for the table will not change. The requested value equals the current "
    "value. Current ReadCapacityUnits provisioned for the table: {read}. Requested ReadCapacityUnits: "
    "{read}. Current WriteCapacityUnits provisioned for the table: {write}. Requested "
    "WriteCapacityUnits: {write}. Refer to the Amazon DynamoDB Developer Guide for current limits and "
    "how to request higher limits."
)
# Table-level throughput on an on-demand table: DDB-TABLE-442 (ops: UpdateTable,CreateTable), 2026-10-09.
TABLE_THROUGHPUT_ON_DEMAND = THROUGHPUT_ON_DEMAND
# Switching to PROVISIONED without throughput: DDB-TABLE-442 (ops: UpdateTable), 2026-10-09.
UPDATE_PROVISIONED_NEEDS_THROUGHPUT = (
    "One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode "
    "is PROVISIONED"
)
UPDATE_NEEDS_VALUE = (  # (unconfirmed)
    "One or more parameter values were invalid: ProvisionedThroughput, OnDemandThroughput or "
    "WarmThroughput must be specified for index: {name}"
)

# --- account level (issue #15) -------------------------------------------------------------
# Quoted from AWS by users for N = 10 and 20 (Terraform, serverless, dynamic-dynamodb issue
# trackers, 2014-2018); that it reads the same with today's default of 500 is (unconfirmed).
ACCOUNT_OPERATIONS = (
    "Subscriber limit exceeded: Only {limit} tables can be created, updated, or deleted simultaneously"
)
# The account's control-plane rate: ACK-QUIRKS DDB-TABLE-445, 2026-10-09 (it replaces the
# data plane's "Rate of requests exceeds the allowed throughput.", which never was the
# control plane's).
THROTTLED = "The rate of control plane requests made by this account is too high"

# --- global tables, version 2019.11.21 (issue #24) ---------------------------------------------
# Source, unless said otherwise: live captures in the ack-api-quirks DynamoDB findings,
# "Table replicas (ReplicaUpdates, version 2019.11.21)" (table-replicas.md), verified 2026-10-09.
# DDB-TABLE-224: ReplicaUpdates with any other member (GlobalSecondaryIndexUpdates,
# StreamSpecification, BillingMode, ...), checked before any state.
REPLICA_ONLY_OPERATION = "One or more parameter values were invalid: Replica modification must be the only operation in the request"
REPLICA_ACTION_TYPES = (  # DDB-TABLE-224: two action types in one ReplicaUpdates element
    "Update table operation with more than one type of replica actions not allowed"
)
REPLICA_ONE_AT_A_TIME = (  # DDB-TABLE-265: two Creates (or two Deletes) in one call
    "Update table operation with more than one create or delete replica actions not allowed"
)
REPLICA_NO_ACTION = (  # the findings' message catalog (an element without an action)
    "There are no actions specified in the Replica Update Action of the request."
)
# DDB-TABLE-203 (typographic quotes, per the findings' message catalog; "a the" sic): a Create
# of a member, or of a region holding a table of that name (also one still DELETING).
REPLICA_EXISTS = (
    "Failed to create a the new replica of table with name: \u2018{name}\u2019 because one or more "
    "replicas already existed as tables."
)
REPLICA_NOT_MEMBER = (  # DDB-TABLE-203, DDB-TABLE-227: Update/Delete of a region not (yet) listed
    "Update global table operation failed because one or more replicas were not part of the global "
    "table. Please retry the request without these replicas: [{regions}]."
)
REPLICA_LOCAL_REGION = (  # DDB-TABLE-203: Create/Delete naming the region the call is made in
    "Cannot add or delete the local region through ReplicaUpdates. Use CreateTable, DeleteTable, or "
    "UpdateTable as required."
)
# DDB-TABLE-227, DDB-TABLE-265, DDB-TABLE-296: another UpdateTable on a member while a replica
# is CREATING/DELETING, or a replica change while an index is created.
REPLICA_IN_USE = "The resource which you are attempting to change is in use."
# DDB-TABLE-227 (2026-10-09); terraform-aws-modules/terraform-aws-dynamodb-table#30 quoted it
# in 2021 with the "One or more parameter values were invalid: " prefix: the newest wins.
REPLICA_STREAM_DISABLE = "Disabling Stream is not allowed for a Global Table replica."
# Only with ``ReplicaRules.require_stream`` (AWS enables the stream itself, DDB-TABLE-305):
# (unconfirmed), in the pattern of the messages above.
REPLICA_STREAM_REQUIRED = (
    "One or more parameter values were invalid: Table must have DynamoDB Streams enabled with "
    "StreamViewType NEW_AND_OLD_IMAGES to add a replica"
)

# --- tags (issue #23) ----------------------------------------------------------------------
# Source, unless said otherwise: live captures against DynamoDB (us-east-1, us-west-2) in
# the ack-api-quirks DynamoDB findings DDB-TABLE-070/071/107/108/110/446, verified
# 2026-10-08/09. Older captures (dynalite's test/tagResource.js, 2019-11-26) had the typo
# "ResourcArn" in TAG_TABLE_NOT_FOUND; the 2026 captures read "ResourceArn".
TAG_TABLE_NOT_FOUND = "Requested resource not found: ResourceArn: {arn} not found"
TAG_ARN_NOT_ARN = "One or more parameter values were invalid: ARNs must start with 'arn:': {arn}"
TAG_ACCESS_DENIED = "Access is denied"  # an ARN of another account (DDB-TABLE-071, 2026-10-08)
TAG_KEY_INVALID = "The Tag Key provided is invalid, Key: {key}"
TAG_VALUE_INVALID = "The Tag Value provided is invalid, Value: {value}"
TAG_KEY_RESERVED = "Tag Key cannot be prefixed with aws:, Key: {key}"
TAG_KEY_DUPLICATE = "Duplicate Tag Keys provided as input: Duplicate Tag Key found {key}"
TOO_MANY_TAGS = "Number of Tags exceed the current limit for the provided ResourceArn"
NO_TAGS = "Atleast one Tag needs to be provided as Input."  # sic, captured 2026-10-08
NO_TAG_KEYS = "Atleast one Tag Key needs to be provided as Input."  # sic, captured 2026-10-09
# A missing ResourceArn: dynalite test/tagResource.js (captured from AWS, 2019-11-26).
TAG_ARN_MISSING = "Invalid TableArn"
# A table ARN of another region, or one malformed after "arn:": dynalite (2019-11-26) and
# DDB-TABLE-442 (ListTagsOfResource, other-region ARN), 2026-10-09.
TAG_ARN_INVALID = "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
# DDB-TABLE-442, 2026-10-09: an ARN of another service; a DynamoDB ARN that is no table's.
TAG_ARN_NOT_DYNAMODB = (
    "One or more parameter values were invalid: Provided Arn is not a DynamoDB resource arn: {arn}"
)
TAG_ARN_NOT_TABLE = (
    "One or more parameter values were invalid: Invalid resource arn provided, only table or stream is "
    "accepted. Provided resource arn: {arn}"
)
