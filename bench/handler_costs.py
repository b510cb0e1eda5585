"""What the Lambda handler costs around the work: the deployment package itself, its size
and the handler's cold import from it. The hand-off gap between invocations is not
measured: the local harness's Lambda is in-process, so its gap says nothing about AWS.

The import is measured as Lambda pays it: the zip from `multigsi package`, unpacked into a
read-only folder, imported by a CPython of the runtime's version (3.12; this interpreter if
none is found, and the result says so) in fresh processes that cannot write bytecode (-B,
PYTHONDONTWRITEBYTECODE=1) and see only the package and the standard library (-I -S); once
with the zip's bytecode and once with it removed. `python -m bench.handler_costs` runs just
this part and prints JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from multigsi.deploy.bytecode import DEFAULT_VERSION, Interpreter, find_interpreter, probe
from multigsi.deploy.package import build_zip

# Times `import boto3`, then `import multigsi.cloudformation.custom_resource` after it (what multigsi adds), in wall
# seconds, and the CPU seconds of both; the handler's cold import is the sum.
IMPORT_PROBE = (
    "import sys, time; sys.path.insert(0, sys.argv[1]); t0 = time.perf_counter(); c0 = time.process_time(); "
    "import boto3; t1 = time.perf_counter(); import multigsi.cloudformation.custom_resource; "
    "print(t1 - t0, time.perf_counter() - t1, time.process_time() - c0)"
)
RUNS = 15
Sample = tuple[float, float, float]


def _read_only(folder: Path) -> None:
    for path in [*folder.rglob("*"), folder]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)


def _import_once(interpreter: Interpreter, root: Path) -> Sample:
    environment = {"PATH": os.defpath, "PYTHONDONTWRITEBYTECODE": "1"}
    output = subprocess.run(
        [str(interpreter.path), "-I", "-S", "-B", "-c", IMPORT_PROBE, str(root)],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    ).stdout.split()
    return float(output[0]), float(output[1]), float(output[2])


def _ms(values: list[float]) -> dict[str, float]:
    return {
        "median": round(1000 * statistics.median(values), 1),
        "min": round(1000 * min(values), 1),
        "max": round(1000 * max(values), 1),
    }


def _summary(samples: list[Sample]) -> dict[str, Any]:
    return {
        "handler_ms": _ms([s[0] + s[1] for s in samples]),
        "handler_cpu_ms": _ms([s[2] for s in samples]),
        "boto3_ms": _ms([s[0] for s in samples]),
        "multigsi_adds_ms": _ms([s[1] for s in samples]),
    }


def package_costs(runs: int = RUNS) -> dict[str, Any]:
    """Build the package, and time the handler's import from it ``runs`` times with and
    without bytecode (alternating, so that other load on the machine hits both alike)."""
    interpreter = find_interpreter(DEFAULT_VERSION) or probe(sys.executable)
    assert interpreter is not None, "this interpreter runs"
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        package = build_zip(folder / "multigsi-lambda.zip", interpreter=interpreter)
        with_bytecode, sources_only = folder / "with-bytecode", folder / "sources-only"
        with zipfile.ZipFile(package.path) as archive:
            archive.extractall(with_bytecode)
        shutil.copytree(with_bytecode, sources_only, ignore=shutil.ignore_patterns("__pycache__"))
        _read_only(with_bytecode)
        _read_only(sources_only)
        load, zip_bytes = os.getloadavg()[0], package.size
        timed: dict[str, list[Sample]] = {"bytecode": [], "sources": []}
        try:
            _import_once(interpreter, with_bytecode)  # warm the file cache once
            for _ in range(runs):
                timed["bytecode"].append(_import_once(interpreter, with_bytecode))
                timed["sources"].append(_import_once(interpreter, sources_only))
        finally:
            _writable(with_bytecode)
            _writable(sources_only)
    return {
        "python": f"CPython {interpreter.version[0]}.{interpreter.version[1]} ({interpreter.path})",
        "is_runtime_version": interpreter.version == DEFAULT_VERSION,
        "runtime": package.runtime,
        "zip_bytes": zip_bytes,
        "unpacked_bytes": package.unpacked_bytes,
        "files": len(package.names),
        "runs": runs,
        "load_average_before": round(load, 2),
        "with_bytecode": _summary(timed["bytecode"]),
        "without_bytecode": _summary(timed["sources"]),
    }


if __name__ == "__main__":
    print(json.dumps(package_costs(), indent=2))
    sys.exit(0)
