"""`multigsi package`: the Lambda deployment zip.

It holds the multigsi modules the handler imports (standard library and boto3 only; see
``package_contents``), the pinned boto3/botocore of ``cfn/lambda-requirements.txt``
(installed by hash) trimmed to the services the handler calls, and bytecode compiled by a
CPython of the runtime's version (see ``bytecode``). Without such an interpreter the zip
has no bytecode and every cold start compiles it; the report says so.

The zip is reproducible: entries sorted, timestamps fixed (``SOURCE_DATE_EPOCH`` when set,
else 1980-01-01), permissions fixed, bytecode free of build paths and times. Its comment
records the runtime it was built for, which ``multigsi template --package`` reads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import multigsi
from multigsi.deploy.bytecode import (
    DEFAULT_VERSION,
    SUPPORTED_VERSIONS,
    Interpreter,
    compile_tree,
    find_interpreter,
    given_interpreter,
    runtime_name,
)
from multigsi.deploy.contents import HANDLER_MODULE, SERVICES, handler_modules, trim

LOCK_FILE = "lambda-requirements.txt"
EARLIEST_ZIP_TIME = 315532800  # 1980-01-01T00:00:00Z: the first time a zip entry can hold
COMMENT_PREFIX = "multigsi-lambda"
PLATFORM = "manylinux2014_x86_64"  # every pinned wheel is pure Python; pip wants a platform
# Measured (docs/custom-resource.md, "The Lambda package"): importing the handler from a read-only copy.
NO_BYTECODE_COST = "about 0.6 s more per cold start than with bytecode (measured with CPython 3.12)"


@dataclass(frozen=True)
class Package:
    """What ``build_zip`` wrote."""

    path: Path
    names: tuple[str, ...]
    runtime: str  # the Lambda runtime the template should declare
    bytecode: str | None  # the cache tag compiled for (``cpython-312``), None without bytecode
    unpacked_bytes: int

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def lock_file_text() -> str:
    return resources.files("multigsi.cloudformation.custom_resource").joinpath(LOCK_FILE).read_text()


def pinned_versions() -> dict[str, str]:
    """``{name: version}`` of the lock file's ``name==version`` lines."""
    pins = {}
    for line in lock_file_text().splitlines():
        requirement = line.split("#", 1)[0].strip().rstrip("\\").strip()
        if "==" in requirement and not requirement.startswith("--"):
            name, version = requirement.split("==", 1)
            pins[name.strip()] = version.split()[0]
    return pins


def zip_time() -> tuple[int, int, int, int, int, int]:
    """The timestamp of every entry: SOURCE_DATE_EPOCH (the reproducible-builds convention)
    if set, else the earliest a zip can record."""
    epoch = max(EARLIEST_ZIP_TIME, int(os.environ.get("SOURCE_DATE_EPOCH") or EARLIEST_ZIP_TIME))
    return time.gmtime(epoch)[:6]


def build_zip(
    output: Path,
    *,
    interpreter: Interpreter | None,
    version: tuple[int, int] = DEFAULT_VERSION,
    pip: list[str] | None = None,
) -> Package:
    """Build the zip at ``output``: bytecode by ``interpreter`` when given (its version is the
    runtime), else sources only for ``version``'s runtime."""
    if interpreter is not None:
        version = interpreter.version
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "package"
        tag = build_tree(root, lock_file_text(), interpreter=interpreter, version=version, pip=pip)
        names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        runtime = runtime_name(version)
        write_zip(output, root, names, comment=f"{COMMENT_PREFIX} runtime={runtime} bytecode={tag or 'none'}")
        unpacked = sum((root / name).stat().st_size for name in names)
    return Package(output, tuple(names), runtime, tag, unpacked)


def build_tree(
    root: Path,
    lock_text: str,
    *,
    interpreter: Interpreter | None,
    version: tuple[int, int],
    pip: list[str] | None = None,
    entry: str = HANDLER_MODULE,
    services: tuple[str, ...] = SERVICES,
    source: Path | None = None,
) -> str | None:
    """Fill ``root`` with what a handler needs at run time: the wheels pinned (by hash) in
    ``lock_text``, trimmed to ``services``, the multigsi modules ``entry`` imports (from
    ``source``, the multigsi folder; default this installation's), and bytecode by
    ``interpreter``. Returns the bytecode's cache tag, or None without an interpreter."""
    root.mkdir(parents=True, exist_ok=True)
    requirements = root.parent / f"{root.name}-requirements.txt"
    requirements.write_text(lock_text)
    command = [
        *(pip or [sys.executable, "-m", "pip"]), "install", "--quiet", "--no-deps", "--no-compile",
        "--require-hashes", "--target", str(root), "--only-binary=:all:", "--implementation", "cp",
        "--python-version", f"{version[0]}.{version[1]}", "--platform", PLATFORM, "-r", str(requirements),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    requirements.unlink()
    trim(root, services)
    source = source or Path(multigsi.__file__).parent
    for relative in handler_modules(source, entry):
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source.parent / relative, target)
    sources = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py"))
    return compile_tree(interpreter, root, sources) if interpreter is not None else None


def write_zip(output: Path, root: Path, names: list[str], *, comment: str) -> None:
    write_entries(output, [(name, (root / name).read_bytes()) for name in names], comment=comment)


def write_entries(output: Path, entries: list[tuple[str, bytes]], *, comment: str = "") -> None:
    """A reproducible zip of ``entries`` (name, content), in the order given: fixed
    timestamps and permissions, whatever the build machine."""
    output.parent.mkdir(parents=True, exist_ok=True)
    stamp = zip_time()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, stamp)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the build machine
            archive.writestr(info, data)
        archive.comment = comment.encode()


def runtime_of(path: Path) -> str | None:
    """The runtime a zip from ``build_zip`` was built for (from its comment), or None for
    any other file."""
    try:
        with zipfile.ZipFile(path) as archive:
            words = archive.comment.decode(errors="replace").split()
    except (OSError, zipfile.BadZipFile):
        return None
    if not words or words[0] != COMMENT_PREFIX:
        return None
    fields = dict(word.split("=", 1) for word in words[1:] if "=" in word)
    runtime = fields.get("runtime")
    return runtime if runtime in {runtime_name(v) for v in SUPPORTED_VERSIONS} else None


def build_and_report(output: Path, python: str | None) -> str:
    """`multigsi package`: choose the interpreter, build, and say what was built (and what a
    zip without bytecode costs, when no interpreter of the runtime's version was found)."""
    interpreter = given_interpreter(python) if python else find_interpreter(DEFAULT_VERSION)
    package = build_zip(output, interpreter=interpreter)
    lines = [
        f"Wrote {output} ({package.size / 1_000_000:.1f} MB, {len(package.names)} files, "
        f"{package.unpacked_bytes / 1_000_000:.1f} MB unpacked) for runtime {package.runtime}. "
        "Handler: multigsi.cloudformation.custom_resource.lambda_handler"
    ]
    if interpreter is not None:
        lines.append(f"Bytecode ({package.bytecode}) compiled by {interpreter.path}.")
    else:
        wanted = f"{DEFAULT_VERSION[0]}.{DEFAULT_VERSION[1]}"
        lines.append(
            f"No bytecode: no CPython {wanted} found (this one is {sys.version_info[0]}.{sys.version_info[1]}; "
            f"looked for python{wanted} on PATH and under pyenv). Lambda's task directory is read-only, so "
            f"every cold start compiles the package again: {NO_BYTECODE_COST}. "
            f"Pass --python PATH to a CPython {wanted} to include bytecode."
        )
    lines.append(f"Declare the runtime with: multigsi template --package {output} ...")
    return "\n".join(lines)
