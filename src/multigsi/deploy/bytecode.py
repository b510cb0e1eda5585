"""Bytecode for the Lambda runtime: find a CPython of the runtime's exact version and
compile the package with it.

Lambda's task directory is read-only, so a package without ``.pyc`` files is compiled
again on every cold start (about a third of a second for boto3, botocore and multigsi).
``.pyc`` files only load on the CPython version that wrote them, which is why this
machine's own interpreter is not enough when it is another version than the runtime's.

The bytecode is reproducible: written in one process with a fixed hash seed (set and
frozenset constants keep one order), in sorted order, with the ``unchecked-hash``
invalidation mode (no source timestamp or size inside, and no check of the source at
import, which a read-only deployment never changes) and the path Lambda unpacks to
(``/var/task``) as the recorded file name instead of the build directory.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from multigsi.errors import PackageError

DEFAULT_VERSION = (3, 12)  # the runtime the template declares unless told otherwise
SUPPORTED_VERSIONS = ((3, 11), (3, 12), (3, 13))  # Lambda runtimes that run multigsi
TASK_ROOT = "/var/task"  # where Lambda unpacks the zip: the file name tracebacks show
PROBE_TIMEOUT = 15.0
COMPILE_TIMEOUT = 600.0

# Run by the target interpreter with an environment of our own (-s: no user site; not -I,
# which would ignore PYTHONHASHSEED). Reads relative paths on stdin; writes each one's
# __pycache__/NAME.<tag>.pyc next to it.
COMPILER = """
import py_compile, sys
root, prefix = sys.argv[1], sys.argv[2]
for relative in sys.stdin.read().split("\\n"):
    if relative:
        py_compile.compile(
            root + "/" + relative, dfile=prefix + "/" + relative, doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
print(sys.implementation.cache_tag)
"""


@dataclass(frozen=True)
class Interpreter:
    path: Path
    version: tuple[int, int]

    @property
    def runtime(self) -> str:
        """The Lambda runtime identifier this interpreter's bytecode is for."""
        return f"python{self.version[0]}.{self.version[1]}"


def runtime_name(version: tuple[int, int]) -> str:
    return f"python{version[0]}.{version[1]}"


def probe(path: Path | str) -> Interpreter | None:
    """The CPython at ``path`` and its version, or None when it does not run (a pyenv
    shim for a version that is not selected fails here, as it should)."""
    try:
        result = subprocess.run(
            [str(path), "-I", "-c", "import sys; print(sys.implementation.name, *sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = result.stdout.split()
    if result.returncode != 0 or len(words) != 3 or words[0] != "cpython":
        return None
    return Interpreter(Path(path), (int(words[1]), int(words[2])))


def candidates(version: tuple[int, int]) -> list[Path]:
    """Where a CPython of ``version`` may be: this interpreter, ``pythonX.Y`` on PATH, and
    pyenv's installed versions (newest patch release first)."""
    name = f"python{version[0]}.{version[1]}"
    found = [Path(sys.executable)]
    on_path = shutil.which(name)
    if on_path:
        found.append(Path(on_path))
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    for root in dict.fromkeys(r for r in roots if r):
        pattern = os.path.join(root, "versions", f"{version[0]}.{version[1]}.*", "bin", name)
        found += sorted((Path(p) for p in glob.glob(pattern)), key=_patch_level, reverse=True)
    return found


def _patch_level(path: Path) -> tuple[int, ...]:
    release = path.parent.parent.name.split(".")
    return tuple(int(part) if part.isdigit() else -1 for part in release)


def find_interpreter(version: tuple[int, int] = DEFAULT_VERSION) -> Interpreter | None:
    """The first working CPython of exactly ``version``, or None."""
    for path in candidates(version):
        interpreter = probe(path)
        if interpreter is not None and interpreter.version == version:
            return interpreter
    return None


def given_interpreter(path: str) -> Interpreter:
    """The interpreter named by ``--python``: it must run and be a supported runtime."""
    interpreter = probe(path)
    if interpreter is None:
        raise PackageError(f"--python {path}: not a CPython interpreter that runs")
    if interpreter.version not in SUPPORTED_VERSIONS:
        supported = ", ".join(runtime_name(v) for v in SUPPORTED_VERSIONS)
        raise PackageError(
            f"--python {path}: CPython {interpreter.version[0]}.{interpreter.version[1]} is not a Lambda runtime multigsi runs on ({supported})"
        )
    return interpreter


def compile_tree(interpreter: Interpreter, root: Path, sources: list[str]) -> str:
    """Compile ``sources`` (paths relative to ``root``) with ``interpreter``; return its
    cache tag (``cpython-312``)."""
    environment = {"PYTHONHASHSEED": "0", "SOURCE_DATE_EPOCH": "315532800", "PATH": os.defpath}
    # -P: the working directory is not put first on sys.path, and the compiler runs in an
    # empty one anyway, so a py_compile.py lying where the command was started cannot
    # shadow the standard library's.
    with tempfile.TemporaryDirectory() as empty:
        result = subprocess.run(
            [str(interpreter.path), "-s", "-P", "-c", COMPILER, str(root), TASK_ROOT],
            input="\n".join(sorted(sources)),
            capture_output=True,
            text=True,
            env=environment,
            timeout=COMPILE_TIMEOUT,
            check=False,
            cwd=empty,
        )
    if result.returncode != 0:
        raise PackageError(f"compiling with {interpreter.path} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout.strip()
