"""The shipped examples parse, so the README and docs/ never point at a broken file."""

from __future__ import annotations

from pathlib import Path

from multigsi.cli.spec_files import load_specs

EXAMPLES = Path(__file__).parent.parent.parent / "examples"


def test_spec_example() -> None:
    (spec,) = load_specs(EXAMPLES / "orders.yaml")
    assert [index.name for index in spec.indexes] == ["by-customer", "by-status", "by-region-day"]
    assert len(spec.indexes[2].key_schema) == 3


def test_template_example_resolves_parameters() -> None:
    (spec,) = load_specs(EXAMPLES / "orders-table.template.yaml", parameters={"Stage": "prod"})
    assert spec.table_name == "orders-prod"
    assert spec.indexes[0].provisioned_throughput is not None
