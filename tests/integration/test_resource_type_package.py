"""The resource type's schema handler package, built by `multigsi package --resource-type`
as a process: the layout `cfn submit --dry-run` writes, reproducible byte for byte, holding
only what the handlers need, and importable by a CPython of the runtime's version from the
unpacked ResourceProvider.zip alone (``-I -S``: no site-packages).

The handlers live in ``multigsi.cloudformation.resource_type.handlers`` (another branch writes them). Where
that module is not in this tree yet, the build runs on a copy of the source with a
stand-in ``handlers.py`` of the same shape (a ``cloudformation_cli_python_lib.Resource``
importing the engine); once it is, the real module is packaged and tested.
"""

from __future__ import annotations

import ast
import importlib
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import multigsi
from multigsi.deploy.bytecode import Interpreter
from multigsi.deploy.contents import handler_modules
from multigsi.deploy.package import zip_time
from multigsi.deploy.type_package import (
    COMPAT_ENTRY_MODULE,
    ENTRY_MODULE,
    SERVICES,
    TYPE_NAME,
    build_type_package,
    type_lock_text,
)
from multigsi.errors import PackageError
from multigsi.local.cloudformation.registry_api import LocalTypeRegistry
from tests.integration.test_lambda_package import runtime_interpreter, unpack_read_only
from tests.integration.test_register_type import register

ROOT = Path(__file__).parent.parent.parent
SOURCE = Path(multigsi.__file__).parent
STAND_IN = '''"""Stand-in for the resource type's handlers (see the test's docstring)."""
from cloudformation_cli_python_lib import Resource

from multigsi.engine.reconcile import Reconciler

resource = Resource("Multigsi::DynamoDB::GlobalSecondaryIndexes", dict)
test_entrypoint = resource.test_entrypoint
'''
MAX_PACKAGE_BYTES = 5_000_000


@dataclass(frozen=True)
class Built:
    zip: Path
    provider: Path  # ResourceProvider.zip unpacked read-only
    source: Path  # the multigsi folder packaged
    interpreter: Interpreter


def handler_source(scratch: Path) -> Path:
    """This tree's multigsi folder when it has the handlers, else a copy with the stand-in."""
    if (SOURCE / "cloudformation" / "resource_type" / "handlers.py").is_file():
        return SOURCE
    copy = scratch / "src" / "multigsi"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "cloudformation" / "resource_type" / "handlers.py").write_text(STAND_IN)
    return copy


def package(output: Path, source: Path, *extra: str, cwd: Path = ROOT) -> str:
    """`multigsi package --resource-type` in a process; ``source``'s parent goes first on the
    path, so a stand-in copy is what the command packages."""
    result = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); from multigsi.cli.main import main; main()",
         str(source.parent), "package", "--resource-type", "--output", str(output), *extra],
        capture_output=True, text=True, cwd=cwd, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    interpreter = runtime_interpreter()
    folder = tmp_path_factory.mktemp("type-package")
    source = handler_source(folder)
    archive = folder / "multigsi-resource-type.zip"
    output = package(archive, source, "--python", str(interpreter.path))
    assert TYPE_NAME in output and "cpython-312" in output
    with zipfile.ZipFile(archive) as opened:
        (folder / "ResourceProvider.zip").write_bytes(opened.read("ResourceProvider.zip"))
    provider = unpack_read_only(folder / "ResourceProvider.zip", folder / "provider")
    yield Built(archive, provider, source, interpreter)
    for path in [provider, *provider.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)


def test_layout_is_what_cfn_submit_writes(built: Built) -> None:
    with zipfile.ZipFile(built.zip) as opened:
        assert opened.namelist() == [".rpdk-config", "ResourceProvider.zip", "schema.json"]
        settings = json.loads(opened.read(".rpdk-config"))
        schema = json.loads(opened.read("schema.json"))
        assert {info.date_time for info in opened.infolist()} == {zip_time()}
    assert settings == {
        "artifact_type": "RESOURCE",
        "typeName": TYPE_NAME,
        "language": "python312",
        "runtime": "python3.12",
        "entrypoint": "multigsi.cloudformation.resource_type.handlers.resource",
        "testEntrypoint": "multigsi.cloudformation.resource_type.handlers.test_entrypoint",
        "settings": {"use_docker": False, "no_docker": True, "protocolVersion": "2.0.0"},
    }
    assert schema == json.loads(
        (built.source / "cloudformation" / "resource_type" / "schema.json").read_text()
    )
    assert built.zip.stat().st_size < MAX_PACKAGE_BYTES
    handlers = importlib.import_module(ENTRY_MODULE)
    for key in ("entrypoint", "testEntrypoint"):  # both name something the module has
        module, _, attribute = settings[key].rpartition(".")
        assert module == ENTRY_MODULE and callable(getattr(handlers, attribute, None)), settings[key]


def test_two_builds_in_different_places_are_byte_identical(built: Built, tmp_path: Path) -> None:
    elsewhere = tmp_path / "another" / "place"
    elsewhere.mkdir(parents=True)
    second = elsewhere / "again.zip"
    package(second, built.source, "--python", str(built.interpreter.path), cwd=elsewhere)
    assert second.read_bytes() == built.zip.read_bytes()


def test_provider_holds_only_what_the_handlers_need(built: Built) -> None:
    names = sorted(p.relative_to(built.provider).as_posix() for p in built.provider.rglob("*") if p.is_file())
    ours = {n for n in names if n.startswith("multigsi/") and n.endswith(".py")}
    assert ours == set(handler_modules(built.source, COMPAT_ENTRY_MODULE))  # which imports ENTRY_MODULE
    assert "multigsi/registry/handlers.py" in ours and not [n for n in ours if "custom_resource" in n]
    assert (
        "multigsi/cloudformation/resource_type/handlers.py" in ours and "multigsi/engine/reconcile.py" in ours
    )
    assert not [
        n
        for n in names
        if n.startswith(("multigsi/cli/", "multigsi/local/", "multigsi/local/cloudformation/"))
    ]
    assert not [n for n in names if n.startswith("multigsi/") and not n.endswith((".py", ".pyc"))]
    top = {n.split("/")[0] for n in names}
    for needed in (
        "cloudformation_cli_python_lib",
        "requests",
        "urllib3",
        "idna",
        "certifi",
        "boto3",
        "botocore",
    ):
        assert needed in top, needed
    assert not top & {"setuptools", "pkg_resources", "_distutils_hack", "bin"}
    services = {n.split("/")[2] for n in names if n.startswith("botocore/data/") and n.count("/") > 2}
    assert services == set(SERVICES)
    pinned = {
        line.split("==")[0]
        for line in type_lock_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    installed = {
        n.split("-")[0].replace("_", "-").lower() for n in names if n.endswith(".dist-info/METADATA")
    }
    assert installed == {name.lower() for name in pinned}


def test_handler_imports_from_the_provider_zip_alone(built: Built) -> None:
    """The entry point CloudFormation's Lambda calls is importable with nothing but the
    unpacked ResourceProvider.zip and the standard library, from bytecode."""
    probe = """
import sys
root = sys.argv[1]
sys.path.insert(0, root)
import multigsi.cloudformation.resource_type.handlers as handlers
from cloudformation_cli_python_lib import Resource
assert isinstance(handlers.resource, Resource) and callable(handlers.resource)
outside = sorted(
    f for f in (getattr(m, "__file__", None) for m in list(sys.modules.values()))
    if f and not f.startswith((root + "/", sys.base_prefix + "/"))
)
compiled = [m.__cached__ for m in list(sys.modules.values()) if getattr(m, "__file__", "").startswith(root)]
print(len(outside), len(compiled))
"""
    result = subprocess.run(
        [str(built.interpreter.path), "-I", "-S", "-B", "-c", probe, str(built.provider)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outside, compiled = result.stdout.split()
    assert outside == "0" and int(compiled) > 20


def test_inner_zip_is_reproducible_too(built: Built) -> None:
    with (
        zipfile.ZipFile(built.zip) as opened,
        zipfile.ZipFile(io.BytesIO(opened.read("ResourceProvider.zip"))) as inner,
    ):
        names = inner.namelist()
        assert names == sorted(names)
        assert {info.date_time for info in inner.infolist()} == {zip_time()}
        assert {info.external_attr for info in inner.infolist()} == {0o644 << 16}


def test_missing_handlers_or_schema_fail_clearly(tmp_path: Path) -> None:
    bare = tmp_path / "src" / "multigsi"
    shutil.copytree(SOURCE, bare, ignore=shutil.ignore_patterns("__pycache__", "handlers.py"))
    with pytest.raises(
        PackageError, match=re.escape("multigsi.cloudformation.resource_type.handlers is not in")
    ):
        build_type_package(tmp_path / "out.zip", interpreter=None, source=bare)
    (bare / "cloudformation" / "resource_type" / "handlers.py").write_text(STAND_IN)
    (bare / "registry" / "handlers.py").write_text(
        "from multigsi.cloudformation.resource_type.handlers import resource\n"
    )
    (bare / "cloudformation" / "resource_type" / "schema.json").write_text(
        '{"typeName": "Other::Type::Name"}'
    )
    with pytest.raises(PackageError, match="typeName must be 'Multigsi::DynamoDB::GlobalSecondaryIndexes'"):
        build_type_package(tmp_path / "out.zip", interpreter=None, source=bare)
    assert not (tmp_path / "out.zip").exists()


def test_the_built_package_registers_through_the_local_registry_api(built: Built) -> None:
    """AWS cannot run here: the registry is multigsi.local.cloudformation.registry_api over HTTP (see
    test_register_type), which checks the package as CloudFormation needs it."""
    with LocalTypeRegistry(buckets=("artifacts",), polls_in_progress=1) as registry:
        registered = register(registry, built.zip)
        assert registry.state.buckets["artifacts"]["multigsi/type.zip"] == built.zip.read_bytes()
        assert registry.state.default_versions[TYPE_NAME] == "00000001"
    assert registered.type_version_arn.endswith(
        ":type/resource/Multigsi-DynamoDB-GlobalSecondaryIndexes/00000001"
    )


def test_every_client_the_handlers_and_the_lib_ask_for_has_its_model(built: Built) -> None:
    """botocore's models are cut to SERVICES: a client outside it would fail at run time."""
    asked = set()
    for path in [
        *(built.provider / "multigsi").rglob("*.py"),
        *(built.provider / "cloudformation_cli_python_lib").rglob("*.py"),
    ]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                )
                if name in ("client", "make_client", "create_client") and isinstance(node.args[0].value, str):
                    asked.add(node.args[0].value)
    assert {"logs", "cloudwatch"} <= asked, "the scan sees the lib's log delivery and metrics clients"
    assert asked <= set(SERVICES), f"add {sorted(asked - set(SERVICES))} to registry_package.SERVICES"
