"""The package's shape, checked: one public surface, the import arrows docs/architecture.md
draws (read from its import-rules block, so the page cannot drift from the code), and the
few rules arrows cannot say."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import multigsi
from tests.unit.test_docs import ARCHITECTURE, governing, import_rules, may_import

PACKAGE = Path(multigsi.__file__).parent
RULES = import_rules(ARCHITECTURE.read_text())
BOTO = {"boto3", "botocore", "urllib3"}  # urllib3: botocore's own HTTP client, installed with it
TABLE_CALLS = {"create_table", "update_table"}  # the control-plane requests multigsi makes


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield module_name(path), ast.parse(path.read_text(), str(path))


def imports(tree: ast.Module, module: str) -> Iterator[str]:
    """Every module a file imports (``from a import b`` may name module ``a.b``: both count)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (
                f"{node.module}.{alias.name}" for alias in node.names if node.module.startswith("multigsi")
            )


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_public_surface_is_exactly_all() -> None:
    public = {name for name in dir(multigsi) if not name.startswith("_")}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()} | {"errors"}
    assert public - packages == set(multigsi.__all__) - {"__version__"}


def test_every_import_follows_the_arrows_of_docs_architecture() -> None:
    broken = [
        f"{module} imports {imported}"
        for module, tree in modules()
        for imported in imports(tree, module)
        if imported.startswith("multigsi.")
        and is_module(imported)
        and not may_import(RULES, module, imported)
    ]
    assert broken == []


@pytest.mark.parametrize(
    "importer, imported",
    [
        ("multigsi.cloudformation.resource_type.operations", "multigsi.cloudformation.custom_resource.event"),
        ("multigsi.engine.reconcile", "multigsi.cli.main"),
        ("multigsi.cdk.code", "multigsi.cli.main"),
        ("multigsi.local.dynamodb.server", "multigsi.engine.plan"),
        ("multigsi.model.table", "multigsi.engine.plan"),
    ],
)
def test_the_arrows_forbid_what_the_redesign_removed(importer: str, imported: str) -> None:
    """The checker can fail: the imports issue 21 took out are refused by the rules."""
    assert not may_import(RULES, importer, imported)


def third_party(tree: ast.Module, module: str) -> set[str]:
    tops = {name.split(".")[0] for name in imports(tree, module)}
    return {
        top for top in tops if top not in sys.stdlib_module_names and top not in ("multigsi", "__future__")
    }


def test_the_lambda_facing_code_needs_only_boto3_and_the_standard_library() -> None:
    """What runs in the custom resource's and the type's Lambda packages."""
    lambda_facing = ("errors", "model", "engine", "cloudformation", "cfn", "registry")
    for module, tree in modules():
        line = governing(RULES, module) or ""
        if line.split(".")[0] not in lambda_facing:
            continue
        extra = third_party(tree, module) - BOTO
        if module == "multigsi.cloudformation.resource_type.handlers":
            extra -= {"cloudformation_cli_python_lib"}  # the type's runtime, adapted here only
        assert extra == set(), f"{module} imports {extra}"


def test_the_engine_has_no_lambda_specific_configuration() -> None:
    for module, tree in modules():
        if not module.startswith("multigsi.engine"):
            continue
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
            n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)
        }
        strings = {
            n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
        }
        assert not [n for n in names if "lambda" in n.lower()], module
        assert "lambda" not in strings, f"{module} makes a Lambda client"


def wire_dicts(tree: ast.Module) -> list[int]:
    """Lines that build a table request in place: a ``GlobalSecondaryIndexUpdates`` literal,
    or a CreateTable/UpdateTable call given its arguments one by one (not ``**`` of what
    ``model.wire`` built)."""
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Dict)
            and any(
                isinstance(k, ast.Constant) and k.value == "GlobalSecondaryIndexUpdates" for k in node.keys
            )
        ) or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in TABLE_CALLS
            and any(keyword.arg is not None for keyword in node.keywords)
        ):
            found.append(node.lineno)
    return found


def test_only_model_wire_builds_dynamodb_request_dictionaries() -> None:
    """The local endpoint speaks the protocol from the other side and is exempt."""
    found = {
        module: lines
        for module, tree in modules()
        if module != "multigsi.model.wire"
        and not module.startswith("multigsi.local.dynamodb")
        and (lines := wire_dicts(tree))
    }
    assert found == {}


def test_the_wire_check_can_fail() -> None:
    tree = ast.parse('request = {"TableName": "t", "GlobalSecondaryIndexUpdates": []}')
    assert wire_dicts(tree) == [1]
    assert wire_dicts(ast.parse('client.create_table(TableName="t", KeySchema=[])')) == [1]
    assert wire_dicts(ast.parse("client.update_table(**step.request(name))")) == []


def test_names_users_and_deployed_stacks_already_use_still_import() -> None:
    """Upgrades are safe: Handler strings of deployed stacks, registered type versions and
    test suites' plugin names from before the package moved resolve to the same objects."""
    import importlib

    from multigsi.cloudformation.custom_resource import lambda_handler
    from multigsi.cloudformation.resource_type.handlers import resource
    from multigsi.local.cloudformation import pytest_plugin

    assert importlib.import_module("multigsi.cfn").lambda_handler is lambda_handler
    assert importlib.import_module("multigsi.registry.handlers").resource is resource
    old_plugin = importlib.import_module("multigsi.harness.pytest_plugin")
    assert old_plugin.local_cloudformation is pytest_plugin.local_cloudformation
    assert (
        importlib.import_module("multigsi.harness").Stack
        is importlib.import_module("multigsi.local.cloudformation").Stack
    )
