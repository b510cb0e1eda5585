"""``--logical-id`` on an ``AWS::DynamoDB::GlobalTable``: its indexes and replicas read into a
spec, the home region's read settings moved onto the indexes, and every problem named with
its path in the template."""

from __future__ import annotations

from pathlib import Path

import pytest

from multigsi.cli.spec_files import load_specs
from multigsi.errors import SpecError
from multigsi.model.table import OnDemandThroughput, ReplicaIndexSpec, ReplicaSpec

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "orders-global-table.template.yaml"

TEMPLATE = """
Resources:
  Orders:
    Type: AWS::DynamoDB::GlobalTable
    Properties:
      TableName: orders
      BillingMode: {billing}
      AttributeDefinitions:
        - {{AttributeName: pk, AttributeType: S}}
        - {{AttributeName: a, AttributeType: S}}
      KeySchema: [{{AttributeName: pk, KeyType: HASH}}]
      GlobalSecondaryIndexes:
        - IndexName: by-a
          KeySchema: [{{AttributeName: a, KeyType: HASH}}]
          Projection: {{ProjectionType: ALL}}
{index_extra}
      Replicas:
{replicas}
"""


def write(tmp_path: Path, *, billing: str = "PAY_PER_REQUEST", index_extra: str = "", replicas: str) -> Path:
    path = tmp_path / "global.yaml"
    path.write_text(TEMPLATE.format(billing=billing, index_extra=index_extra, replicas=replicas))
    return path


def problems(path: Path, **kwargs: str) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as caught:
        load_specs(path, **kwargs)
    assert caught.value.source is not None and str(path) in caught.value.source
    return [(problem.path, problem.message) for problem in caught.value.problems]


def test_the_example_reads_home_reads_onto_the_indexes_and_other_regions_into_replicas() -> None:
    (spec,) = load_specs(EXAMPLE, region="us-east-1")
    assert spec.table_name == "orders-global"
    by_customer, by_sku = spec.indexes
    assert by_customer.on_demand_throughput == OnDemandThroughput(400, 200)  # home reads, global writes
    assert by_sku.on_demand_throughput is None
    assert spec.replicas == (
        ReplicaSpec("eu-west-1", (ReplicaIndexSpec("by-customer", max_read_request_units=100),)),
        ReplicaSpec("ap-south-1", ()),
    )


def test_the_region_decides_which_replica_is_home(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        replicas="""
        - Region: us-east-1
          GlobalSecondaryIndexes:
            - {IndexName: by-a, ReadOnDemandThroughputSettings: {MaxReadRequestUnits: 7}}
        - Region: eu-west-1
          GlobalSecondaryIndexes:
            - {IndexName: by-a, ReadOnDemandThroughputSettings: {MaxReadRequestUnits: 9}}
""",
    )
    (east,) = load_specs(path, region="us-east-1")
    (west,) = load_specs(path, region="eu-west-1")
    assert east.indexes[0].on_demand_throughput == OnDemandThroughput(max_read_request_units=7)
    assert [r.region for r in east.replicas] == ["eu-west-1"]
    assert west.indexes[0].on_demand_throughput == OnDemandThroughput(max_read_request_units=9)
    assert west.replicas == (ReplicaSpec("us-east-1", (ReplicaIndexSpec("by-a", None, 7),)),)
    # --table-name keeps the replicas
    (renamed,) = load_specs(path, region="us-east-1", table_name="orders-copy")
    assert (renamed.table_name, renamed.replicas) == ("orders-copy", east.replicas)


def test_home_provisioned_reads_and_auto_scaled_writes_are_left_unmanaged(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        index_extra="""          WriteOnDemandThroughputSettings: {MaxWriteRequestUnits: "30"}""",
        replicas="""
        - Region: us-east-1
          GlobalSecondaryIndexes:
            - IndexName: by-a
              ReadProvisionedThroughputSettings: {ReadCapacityUnits: 5}
        - Region: eu-west-1
""",
    )
    (spec,) = load_specs(path, region="us-east-1")
    assert spec.indexes[0].provisioned_throughput is None
    assert spec.indexes[0].on_demand_throughput == OnDemandThroughput(max_write_request_units=30)


def test_a_region_without_a_replica_is_named_with_the_path(tmp_path: Path) -> None:
    path = write(tmp_path, replicas="        - Region: eu-west-1\n        - Region: ap-south-1\n")
    ((where, message),) = problems(path, region="us-west-2")
    assert where == "Resources.Orders.Properties.Replicas"
    assert "no replica in the home region us-west-2" in message and "eu-west-1, ap-south-1" in message


def test_no_configured_region_says_how_to_give_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    path = write(tmp_path, replicas="        - Region: !Ref AWS::Region\n        - Region: eu-west-1\n")
    ((where, message),) = problems(path)
    assert where == "Resources.Orders.Properties.Replicas[0].Region"
    assert "--region" in message and "AWS_DEFAULT_REGION" in message


def test_every_problem_of_a_global_table_is_listed_with_its_path(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        billing="PROVISIONED",
        index_extra="""          ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 1}""",
        replicas="""
        - Region: us-east-1
          GlobalSecondaryIndexes:
            - {IndexName: by-zz, ReadOnDemandThroughputSettings: {MaxReadRequestUnits: 7}}
        - Region: us-east-1
""",
    )
    found = dict(problems(path, region="us-east-1"))
    base = "Resources.Orders.Properties"
    assert set(found) == {
        f"{base}.BillingMode",
        f"{base}.GlobalSecondaryIndexes[0].ProvisionedThroughput",
        f"{base}.Replicas[0].GlobalSecondaryIndexes[0].IndexName",
        f"{base}.Replicas[1].Region",
    }
    assert "auto scaled" in found[f"{base}.BillingMode"]
    assert (
        "WriteOnDemandThroughputSettings" in found[f"{base}.GlobalSecondaryIndexes[0].ProvisionedThroughput"]
    )
    assert "'by-zz'" in found[f"{base}.Replicas[0].GlobalSecondaryIndexes[0].IndexName"]


def test_a_ref_to_a_global_table_is_its_table_name(tmp_path: Path) -> None:
    path = tmp_path / "custom.yaml"
    path.write_text(
        """
Resources:
  Orders:
    Type: AWS::DynamoDB::GlobalTable
    Properties: {TableName: orders-g}
  Indexes:
    Type: Custom::MultiGsi
    Properties:
      TableName: !Ref Orders
      AttributeDefinitions: [{AttributeName: a, AttributeType: S}]
      GlobalSecondaryIndexes:
        - {IndexName: by-a, KeySchema: [{AttributeName: a, KeyType: HASH}], Projection: {ProjectionType: ALL}}
      Replicas:
        - Region: eu-west-1
          GlobalSecondaryIndexes: [{IndexName: by-a, ReadOnDemandThroughputSettings: {MaxReadRequestUnits: 3}}]
"""
    )
    (spec,) = load_specs(path, logical_id="Indexes", region="us-east-1")
    assert spec.table_name == "orders-g"
    assert spec.replicas == (ReplicaSpec("eu-west-1", (ReplicaIndexSpec("by-a", None, 3),)),)
