"""The package's shape, checked: one public surface, and layers that point one way."""

from __future__ import annotations

import ast
from pathlib import Path

import multigsi

PACKAGE = Path(multigsi.__file__).parent


def imports_of(folder: str) -> set[tuple[str, str]]:
    found = set()
    for path in (PACKAGE / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add((path.name, node.module))
            elif isinstance(node, ast.Import):
                found.update((path.name, alias.name) for alias in node.names)
    return found


def test_public_surface_is_exactly_all() -> None:
    public = {name for name in dir(multigsi) if not name.startswith("_")}
    modules = {"engine", "errors", "spec", "local", "cli", "cfn", "harness", "cdk", "registry"}
    assert public - modules == set(multigsi.__all__) - {"__version__"}


def test_engine_and_spec_never_import_the_adapters() -> None:
    for folder in ("engine", "spec"):
        for file, module in imports_of(folder):
            assert not module.startswith(("multigsi.cli", "multigsi.local")), (
                f"{folder}/{file} imports {module}"
            )


def test_local_endpoint_only_speaks_the_wire_protocol() -> None:
    for file, module in imports_of("local"):
        assert not module.startswith(("multigsi.engine", "multigsi.cli", "multigsi.model")), (
            f"local/{file} imports {module}"
        )


def test_engine_needs_only_boto3_and_the_standard_library() -> None:
    allowed_third_party = {
        "boto3",
        "botocore",
        "urllib3",
    }  # urllib3: botocore's own HTTP client, installed with it
    for folder in ("engine", "spec", "cfn"):
        for file, module in imports_of(folder):
            top = module.split(".")[0]
            if top in ("multigsi", "__future__") or file == "files.py":  # files.py: CLI-only loader
                continue
            import sys

            assert top in sys.stdlib_module_names or top in allowed_third_party, (
                f"{folder}/{file} imports {module}"
            )


def test_the_registry_type_needs_only_boto3_and_its_handler_library() -> None:
    """The registry package runs in the type's handler package: the standard library, boto3
    and cloudformation_cli_python_lib (only in handlers.py, which adapts its types)."""
    import sys

    for file, module in imports_of("registry"):
        top = module.split(".")[0]
        if top in ("multigsi", "__future__"):
            assert not module.startswith(
                ("multigsi.cli", "multigsi.local", "multigsi.local.cloudformation")
            ), f"registry/{file} imports {module}"
            continue
        if top == "cloudformation_cli_python_lib":
            assert file == "handlers.py", f"registry/{file} imports {module}"
            continue
        assert top in sys.stdlib_module_names or top in {"boto3", "botocore"}, (
            f"registry/{file} imports {module}"
        )


def test_the_engine_and_the_custom_resource_never_import_the_registry_type() -> None:
    for folder in ("engine", "spec", "cfn"):
        for file, module in imports_of(folder):
            assert not module.startswith("multigsi.cloudformation.resource_type"), (
                f"{folder}/{file} imports {module}"
            )
