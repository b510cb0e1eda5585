"""Reading spec files and templates: intrinsics and Conditions resolved where certain,
hints that fix what they name, and bounded work for hostile documents."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from multigsi.cli.intrinsics import Resolver
from multigsi.cli.spec_files import MAX_DEPTH, MAX_VALUES, load_specs, read_document
from multigsi.errors import SpecError

TABLE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String, AllowedValues: [dev, prod]}
  Stage: {Type: String, Default: test}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsTest: !Equals [!Ref Stage, test]
  ProdOrTest: !Or [!Condition IsProd, !Condition IsTest]
  Neither: !Not [!Condition ProdOrTest]
  Both: !And [!Condition IsProd, !Condition IsTest]
Mappings:
  Sizes: {prod: {Read: 10}, dev: {Read: 1}}
Resources:
  Other: {Type: AWS::SSM::Parameter, Properties: {Type: String, Value: x}}
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !GetAtt Other.Value
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: status, AttributeType: S}
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      GlobalSecondaryIndexes:
        - IndexName: !Join ["-", [by, status, !If [Both, both, !If [Neither, neither, some]]]]
          KeySchema: [{AttributeName: status, KeyType: HASH}]
          Projection: !If [IsProd, {ProjectionType: ALL}, {ProjectionType: KEYS_ONLY}]
          OnDemandThroughput:
            MaxReadRequestUnits: !FindInMap [Sizes, !Ref Env, Read]
            MaxWriteRequestUnits: !If [IsProd, 10, !Ref AWS::NoValue]
"""


def write(tmp_path: Path, text: str | bytes, name: str = "template.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def problems(error: pytest.ExceptionInfo[SpecError]) -> list[str]:
    return [str(problem) for problem in error.value.problems]


def test_each_hint_names_what_fixes_it(tmp_path: Path) -> None:
    path = write(tmp_path, TABLE)
    with pytest.raises(SpecError) as error:
        load_specs(path)
    env = "parameter Env has no Default; pass --parameter Env=VALUE"
    read_units = (
        "Resources.Orders.Properties.GlobalSecondaryIndexes[0].OnDemandThroughput.MaxReadRequestUnits[1]"
    )
    assert problems(error) == [
        "Resources.Orders.Properties.TableName: Fn::GetAtt Other.Value is known only to a deployed "
        "stack; pass --table-name",
        f"Conditions.IsProd.Fn::Equals[0]: {env}",
        f"{read_units}: {env}",
    ]
    with pytest.raises(SpecError) as error:
        load_specs(path, table_name="orders")
    assert problems(error) == [f"Conditions.IsProd.Fn::Equals[0]: {env}", f"{read_units}: {env}"]
    (spec,) = load_specs(path, table_name="orders", parameters={"Env": "prod"})
    assert spec.table_name == "orders"


def test_conditions_choose_the_branch_as_cloudformation_does(tmp_path: Path) -> None:
    path = write(tmp_path, TABLE)
    (prod,) = load_specs(path, table_name="orders", parameters={"Env": "prod"})
    (index,) = prod.indexes
    assert index.name == "by-status-both"
    assert str(index.projection.type) == "ALL"
    assert index.on_demand_throughput is not None
    assert index.on_demand_throughput.max_read_request_units == 10
    assert index.on_demand_throughput.max_write_request_units == 10
    (dev,) = load_specs(path, table_name="orders", parameters={"Env": "dev", "Stage": "live"})
    (index,) = dev.indexes
    assert index.name == "by-status-neither"
    assert str(index.projection.type) == "KEYS_ONLY"
    assert index.on_demand_throughput is not None
    assert index.on_demand_throughput.max_read_request_units == 1
    assert index.on_demand_throughput.max_write_request_units in (None, -1)  # AWS::NoValue: removed


def test_parameters_are_checked_against_the_template(tmp_path: Path) -> None:
    path = write(tmp_path, TABLE)
    with pytest.raises(SpecError) as error:
        load_specs(path, table_name="orders", parameters={"Env": "qa", "Typo": "1"})
    assert problems(error) == [
        "--parameter Env: 'qa' is not one of dev, prod",
        "--parameter Typo: the template declares no such parameter (Env, Stage)",
    ]


def test_an_unknowable_value_elsewhere_asks_for_a_literal_not_a_flag(tmp_path: Path) -> None:
    text = TABLE.replace("!FindInMap [Sizes, !Ref Env, Read]", "!GetAtt Other.Value")
    with pytest.raises(SpecError) as error:
        load_specs(write(tmp_path, text), table_name="orders", parameters={"Env": "prod"})
    (problem,) = problems(error)
    assert problem.startswith(
        "Resources.Orders.Properties.GlobalSecondaryIndexes[0].OnDemandThroughput.MaxReadRequestUnits: "
        "Fn::GetAtt Other.Value is known only to a deployed stack; write a literal value or a parameter"
    )
    assert "--" not in problem.split(";", 1)[1]


def test_yaml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "TableName: orders\nGlobalSecondaryIndexes: [a\nfoo: : bar\n", "spec.yaml")
    with pytest.raises(SpecError) as error:
        read_document(path)
    assert error.value.source == str(path)
    (problem,) = problems(error)
    assert problem.startswith("not valid YAML at line 3, column ")
    assert "<unicode string>" not in str(error.value)


def test_json_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '{"TableName": "orders",\n  "x": }', "spec.json")
    with pytest.raises(SpecError) as error:
        read_document(path)
    assert problems(error) == ["not valid JSON at line 2, column 8: Expecting value"]


def test_a_file_that_is_not_utf8_is_named_with_the_byte_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "TableName: orders\nIndexName: caf\xe9\n".encode("latin-1"), "spec.yaml")
    with pytest.raises(SpecError) as error:
        read_document(path)
    assert error.value.source == str(path)
    assert problems(error) == ["is not UTF-8 text: byte 0xe9 on line 2 (save it as UTF-8)"]


def nested_aliases(depth: int, fan_out: int = 5) -> str:
    """A template whose last alias expands to fan_out ** (depth + 1) values in 50 bytes a level."""
    lines = [
        "Resources:",
        "  T:",
        "    Type: AWS::DynamoDB::Table",
        "    Properties:",
        "      TableName: t",
        f"      AttributeDefinitions: &a0 [{', '.join(['x'] * fan_out)}]",
    ]
    for level in range(1, depth + 1):
        lines.append(f"      KeySchema{level}: &a{level} [{', '.join([f'*a{level - 1}'] * fan_out)}]")
    lines.append(f"      GlobalSecondaryIndexes: *a{depth}")
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(60)  # a guard only: the old code took minutes from depth 8
def test_nested_aliases_of_growing_depth_are_bounded(tmp_path: Path) -> None:
    """Aliases are shared nodes; anything that copies them does fan_out ** depth work. The
    expanded size is counted once per node, and past MAX_VALUES the file is refused."""
    outcomes: dict[int, str] = {}
    for depth in range(1, 31):
        path = write(tmp_path, nested_aliases(depth))
        tracemalloc.start()
        try:
            load_specs(path)
            outcomes[depth] = "read"
        except SpecError as error:
            message = str(error)
            if "YAML aliases are expanded" in message:
                outcomes[depth] = "refused"
            else:
                outcomes[depth] = "invalid"  # read whole, then rejected as a spec
        finally:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert peak < 30_000_000, f"depth {depth}: {peak:,} bytes at peak"
    # The deepest alias alone expands to 5 ** (depth + 1) values.
    first_refused = min(depth for depth, outcome in outcomes.items() if outcome == "refused")
    assert 5 ** (first_refused + 1) > MAX_VALUES / 5, "small documents are read"
    assert 5 ** (first_refused + 1) <= 5 * MAX_VALUES, "large expansions are refused"
    assert all(outcomes[depth] == "refused" for depth in outcomes if depth >= first_refused)


def test_a_self_referencing_alias_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "TableName: &a [x, *a]\n", "spec.yaml")
    with pytest.raises(SpecError, match="refers to a node that contains it"):
        read_document(path)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.yaml", "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)),
        ("deep.json", "[" * 100_000 + "]" * 100_000),
    ],
)
def test_deep_nesting_is_refused(tmp_path: Path, name: str, text: str) -> None:
    with pytest.raises(SpecError, match=f"nested deeper than {MAX_DEPTH} levels"):
        read_document(write(tmp_path, text, name))


def test_a_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = write(tmp_path, "#" * 2_000_000, "spec.yaml")
    with pytest.raises(SpecError, match="larger than 1,000,000 bytes"):
        read_document(path)


def test_the_resolver_counts_its_work_and_stops() -> None:
    """Shared objects (what YAML aliases construct) of growing depth: the resolver's visits
    never pass its budget, whatever the depth."""
    for depth in range(1, 40):
        shared: Any = ["x"] * 5
        for _ in range(depth):
            shared = [shared] * 5
        resolver = Resolver({}, {}, max_visits=10_000)
        try:
            resolver.resolve({"GlobalSecondaryIndexes": shared}, "Properties")
        except SpecError as error:
            assert "takes more than 10,000 steps" in str(error)
        assert resolver.visits <= 10_001
