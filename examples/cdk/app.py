"""An orders table and five indexes in one ``cdk deploy``.

``TableV2.addGlobalSecondaryIndex`` would fail this deploy (CloudFormation takes one index
add or delete per stack update); ``GlobalSecondaryIndexes`` applies them one at a time.
Add, remove or change several of them in the list and deploy again: the same.

``MultigsiGlobalOrders`` is the same table as a global table: replicas in two more regions,
each index built in every region before the next one starts, and per-replica read limits
for some indexes (``replica_index_options``: ``TableV2`` itself refuses replica options for
indexes it does not define, see docs/cdk.md).

    pip install -e '../..[cdk]'       # aws-cdk-lib; the CDK CLI is `npm install -g aws-cdk`
    cdk bootstrap                     # once per account and region
    cdk deploy MultigsiOrders         # or MultigsiGlobalOrders (us-east-1, replicas in eu-west-1, ap-south-1)
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from multigsi.cdk import GlobalSecondaryIndexes

S, N = dynamodb.AttributeType.STRING, dynamodb.AttributeType.NUMBER


def key(name: str, kind: dynamodb.AttributeType = S) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=kind)


INDEXES = [
    dynamodb.GlobalSecondaryIndexPropsV2(
        index_name="by-customer", partition_key=key("customer"), sort_key=key("placed_at")
    ),
    dynamodb.GlobalSecondaryIndexPropsV2(
        index_name="by-status",
        partition_key=key("status"),
        projection_type=dynamodb.ProjectionType.INCLUDE,
        non_key_attributes=["total", "customer"],
    ),
    dynamodb.GlobalSecondaryIndexPropsV2(  # a multi-attribute key: region and day together
        index_name="by-region-day",
        partition_keys=[key("region"), key("day", N)],
        sort_key=key("placed_at"),
        projection_type=dynamodb.ProjectionType.KEYS_ONLY,
    ),
    dynamodb.GlobalSecondaryIndexPropsV2(
        index_name="by-sku", partition_key=key("sku"), max_read_request_units=100, max_write_request_units=50
    ),
    dynamodb.GlobalSecondaryIndexPropsV2(index_name="by-courier", partition_key=key("courier")),
]


HOME_REGION = "us-east-1"  # a global table needs its stack's region at synth time
REPLICA_REGIONS = ("eu-west-1", "ap-south-1")
# Each replica region's own read limits for some indexes (on-demand: MaxReadRequestUnits);
# the other indexes, and every index in the home region, keep the index's own settings.
REPLICA_INDEX_OPTIONS = {
    "eu-west-1": {
        "by-customer": dynamodb.ReplicaGlobalSecondaryIndexOptions(max_read_request_units=200),
        "by-sku": dynamodb.ReplicaGlobalSecondaryIndexOptions(max_read_request_units=40),
    },
    "ap-south-1": {"by-status": dynamodb.ReplicaGlobalSecondaryIndexOptions(max_read_request_units=80)},
}


class OrdersStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        table = dynamodb.TableV2(
            self,
            "Orders",
            partition_key=key("order_id"),
            removal_policy=cdk.RemovalPolicy.RETAIN,  # the table and its data outlive the stack
        )
        self.indexes = GlobalSecondaryIndexes(self, "Indexes", table=table, indexes=INDEXES)
        reader = lambda_.Function(
            self,
            "Reader",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
            environment={"TABLE_ARN": self.indexes.table_arn},  # waits for the indexes
        )
        table.grant_read_data(reader)  # the table itself
        self.indexes.grant_read_data(reader)  # Query and Scan on the listed indexes
        cdk.CfnOutput(self, "IndexNames", value=self.indexes.index_names_attribute)


class GlobalOrdersStack(cdk.Stack):
    """The orders table with replicas: the indexes are applied one at a time and each waits
    for every region; the replica regions read their own limits for some indexes."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("env", cdk.Environment(region=HOME_REGION))
        super().__init__(scope, construct_id, **kwargs)
        table = dynamodb.TableV2(
            self,
            "Orders",
            partition_key=key("order_id"),
            removal_policy=cdk.RemovalPolicy.RETAIN,
            replicas=[dynamodb.ReplicaTableProps(region=region) for region in REPLICA_REGIONS],
        )
        self.indexes = GlobalSecondaryIndexes(
            self, "Indexes", table=table, indexes=INDEXES, replica_index_options=REPLICA_INDEX_OPTIONS
        )
        cdk.CfnOutput(self, "IndexNames", value=self.indexes.index_names_attribute)


if __name__ == "__main__":
    app = cdk.App()
    OrdersStack(app, "MultigsiOrders")
    GlobalOrdersStack(app, "MultigsiGlobalOrders")
    app.synth()
