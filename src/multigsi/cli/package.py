"""`multigsi package`: the Lambda deployment zip.

It holds the handler's part of multigsi (engine, spec, cfn, errors: standard library and
boto3 only) and the pinned boto3/botocore of ``cfn/lambda-requirements.txt``. The zip is
reproducible: entries sorted, timestamps fixed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import resources
from pathlib import Path

import multigsi

LOCK_FILE = "lambda-requirements.txt"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
HANDLER_PARTS = (
    "__init__.py",
    "errors.py",
    "engine",
    "cfn",
    "spec/__init__.py",
    "spec/model.py",
    "spec/parse.py",
    "spec/limits.py",
)
PYTHON_VERSION = "3.12"  # the template's runtime


def lock_file_text() -> str:
    return resources.files("multigsi.cfn").joinpath(LOCK_FILE).read_text()


def build_zip(output: Path, *, pip: list[str] | None = None) -> list[str]:
    """Build the zip at ``output``; return its entry names."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "package"
        requirements = Path(scratch) / LOCK_FILE
        requirements.write_text(lock_file_text())
        command = [
            *(pip or [sys.executable, "-m", "pip"]), "install", "--quiet", "--no-deps", "--no-compile",
            "--target", str(root), "--only-binary=:all:", "--implementation", "cp",
            "--python-version", PYTHON_VERSION, "--platform", "manylinux2014_x86_64", "-r", str(requirements),
        ]  # fmt: skip
        subprocess.run(command, check=True)
        source = Path(multigsi.__file__).parent
        for part in HANDLER_PARTS:
            origin, target = source / part, root / "multigsi" / part
            target.parent.mkdir(parents=True, exist_ok=True)
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(origin, target)
        for cache in root.rglob("__pycache__"):
            shutil.rmtree(cache)
        names = sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
        output.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in names:
                info = zipfile.ZipInfo(name, FIXED_TIME)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, (root / name).read_bytes())
        return names
