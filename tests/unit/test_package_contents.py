"""What `multigsi package` puts in the zip, decided without building one: the handler's
import closure, the trimmed libraries, the hashed pins, the runtime record."""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

import pytest

import multigsi
from multigsi.deploy.bytecode import given_interpreter, probe
from multigsi.deploy.contents import SERVICES, handler_modules, trim
from multigsi.deploy.package import lock_file_text, pinned_versions, runtime_of, zip_time
from multigsi.errors import PackageError

SOURCE = Path(multigsi.__file__).parent


def test_handler_closure_is_the_lambda_facing_code_only() -> None:
    files = handler_modules(SOURCE)
    assert {
        "multigsi/__init__.py",
        "multigsi/cfn/__init__.py",
        "multigsi/cloudformation/custom_resource/handler.py",
    } <= set(files)
    assert "multigsi/engine/reconcile.py" in files and "multigsi/model/parse.py" in files
    assert not [
        f
        for f in files
        if f.startswith(("multigsi/cli/", "multigsi/local/", "multigsi/local/cloudformation/"))
    ]
    assert "multigsi/cli/spec_files.py" not in files  # the CLI's YAML loader
    assert all(f.endswith(".py") for f in files)


def test_closure_skips_dotfiles_stray_files_and_unimported_modules(tmp_path: Path) -> None:
    """The old packager copied whole folders: dotfiles, editor leftovers and modules nothing
    imports went into the zip."""
    package = tmp_path / "multigsi"
    (package / "cfn").mkdir(parents=True)
    (package / "engine").mkdir()
    (package / "__init__.py").write_text("from multigsi.engine.core import run\n")
    (package / "cfn" / "__init__.py").write_text("from .handler import lambda_handler\n")
    (package / "cfn" / "handler.py").write_text(
        "from __future__ import annotations\nfrom ..engine import core\nimport json\n"
    )
    (package / "cfn" / ".env").write_text("SECRET=1\n")
    (package / "cfn" / "handler.py.orig").write_text("")
    (package / "cfn" / "scratch.py").write_text("")  # untracked, imported by nothing
    (package / "engine" / "__init__.py").write_text("")
    (package / "engine" / "core.py").write_text("def run(): ...\n")
    (package / "engine" / "unused.py").write_text("")
    assert handler_modules(package) == [
        "multigsi/__init__.py",
        "multigsi/cfn/__init__.py",
        "multigsi/cfn/handler.py",
        "multigsi/engine/__init__.py",
        "multigsi/engine/core.py",
    ]


def clients_asked_for(files: list[str]) -> set[str]:
    """Service names in ``client("x")``, ``make_client("x")``, ``create_client("x")`` calls."""
    found = set()
    for relative in files:
        tree = ast.parse((SOURCE.parent / relative).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                )
                if name in ("client", "make_client", "create_client") and isinstance(node.args[0].value, str):
                    found.add(node.args[0].value)
    return found


def test_the_handler_asks_for_no_client_the_zip_has_no_model_for() -> None:
    asked = clients_asked_for(handler_modules(SOURCE))
    assert {"dynamodb", "lambda", "cloudwatch"} <= asked, "the scan sees the handler's clients"
    assert asked <= set(SERVICES), f"add {sorted(asked - set(SERVICES))} to package_contents.SERVICES"


def test_trim_keeps_startup_data_and_the_handlers_services(tmp_path: Path) -> None:
    data = tmp_path / "botocore" / "data"
    for service in ("dynamodb", "lambda", "cloudwatch", "s3", "ec2"):
        (data / service / "2020-01-01").mkdir(parents=True)
        (data / service / "2020-01-01" / "service-2.json.gz").write_bytes(b"x")
    for name in ("endpoints.json", "partitions.json", "sdk-default-configuration.json", "_retry.json"):
        (data / name).write_text("{}")
    info = tmp_path / "botocore-1.0.dist-info"
    (info / "licenses").mkdir(parents=True)
    for name in ("METADATA", "RECORD", "WHEEL", "INSTALLER", "REQUESTED", "top_level.txt", "NOTICE"):
        (info / name).write_text("")
    (tmp_path / "botocore" / "__pycache__").mkdir()
    (tmp_path / "botocore" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"")
    trim(tmp_path)
    assert sorted(p.name for p in data.iterdir()) == [
        "_retry.json", "cloudwatch", "dynamodb", "endpoints.json", "lambda",
        "partitions.json", "sdk-default-configuration.json",
    ]  # fmt: skip
    assert sorted(p.name for p in info.iterdir()) == ["METADATA", "NOTICE", "licenses"]
    assert not list(tmp_path.rglob("__pycache__"))


def test_every_pin_is_exact_and_hashed() -> None:
    requirements = " ".join(
        line.strip().rstrip("\\")
        for line in lock_file_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ).split()
    names = [word for word in requirements if not word.startswith("--hash=")]
    assert len(names) == len(pinned_versions()) == 7
    assert all("==" in name for name in names)
    hashes = [word for word in requirements if word.startswith("--hash=sha256:")]
    assert len(hashes) >= len(names)
    assert pinned_versions()["boto3"] == pinned_versions()["botocore"]  # released together


def test_runtime_of_reads_only_our_zips(tmp_path: Path) -> None:
    ours, foreign, other = tmp_path / "ours.zip", tmp_path / "foreign.zip", tmp_path / "x.txt"
    for path, comment in ((ours, b"multigsi-lambda runtime=python3.13 bytecode=cpython-313"), (foreign, b"")):
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("a.py", "")
            archive.comment = comment
    other.write_text("not a zip")
    assert runtime_of(ours) == "python3.13"
    assert runtime_of(foreign) is None and runtime_of(other) is None


def test_zip_time_follows_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert zip_time() == (1980, 1, 1, 0, 0, 0)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert zip_time() == (2023, 11, 14, 22, 13, 20)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # before zip's epoch: clamped
    assert zip_time() == (1980, 1, 1, 0, 0, 0)


def test_a_python_that_is_not_a_lambda_runtime_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho cpython 3 9\n")
    fake.chmod(0o755)
    interpreter = probe(fake)
    assert interpreter is not None and interpreter.version == (3, 9)
    with pytest.raises(PackageError, match=r"CPython 3\.9 is not a Lambda runtime"):
        given_interpreter(str(fake))
    with pytest.raises(PackageError, match="not a CPython interpreter"):
        given_interpreter(str(tmp_path / "missing"))
