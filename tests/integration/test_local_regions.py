"""Every region on the endpoint's one port: the region is the one each request is signed
for (SigV4's credential scope), and tables in different regions are separate, as behind
AWS's regional endpoints."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from multigsi.local import LocalDynamoDB
from tests.conftest import create_table


def regional_client(url: str, region: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"total_max_attempts": 1}),
    )


def test_tables_in_different_regions_are_separate(endpoint: LocalDynamoDB, table_name: str) -> None:
    east = regional_client(endpoint.url, "us-east-1")
    west = regional_client(endpoint.url, "eu-west-1")
    create_table(east, table_name, items=2)
    assert table_name in east.list_tables()["TableNames"]
    assert table_name not in west.list_tables()["TableNames"]
    with pytest.raises(ClientError) as caught:
        west.describe_table(TableName=table_name)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    create_table(west, table_name, items=5)  # the same name in another region: another table
    east_table = east.describe_table(TableName=table_name)["Table"]
    west_table = west.describe_table(TableName=table_name)["Table"]
    assert ":us-east-1:" in east_table["TableArn"] and ":eu-west-1:" in west_table["TableArn"]
    assert east_table["TableId"] != west_table["TableId"]
    assert east.scan(TableName=table_name)["Count"] == 2
    assert west.scan(TableName=table_name)["Count"] == 5
