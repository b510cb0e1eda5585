"""The provider function's code: the zip ``multigsi package`` builds, built once per content.

``build_zip`` installs the pinned boto3/botocore with pip (a download the first time) and
compiles bytecode with a CPython of the runtime's version when one is found, which takes
seconds; ``cdk synth`` runs the app every time, so the zip is kept in a cache folder under
a name derived from everything that goes into it: the lock file, the handler's modules and
the interpreter that compiles them. A changed multigsi or lock file is a new name, so a
stale zip is never deployed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import multigsi
from multigsi.deploy.bytecode import DEFAULT_VERSION, find_interpreter
from multigsi.deploy.contents import handler_modules
from multigsi.deploy.package import build_zip, lock_file_text

CACHE_ENV = "MULTIGSI_CDK_CACHE"  # where built zips are kept; default ~/.cache/multigsi/cdk


def cache_folder() -> Path:
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "multigsi" / "cdk"


def lambda_zip(cache: Path | None = None) -> Path:
    """The path of the Lambda zip for this multigsi, building it if the cache lacks it."""
    interpreter = find_interpreter(DEFAULT_VERSION)
    source = Path(multigsi.__file__).parent
    digest = hashlib.sha256(lock_file_text().encode())
    digest.update(f"{multigsi.__version__}|{interpreter.version if interpreter else None}".encode())
    for relative in sorted(handler_modules(source)):
        digest.update(str(relative).encode() + b"\0" + (source.parent / relative).read_bytes())
    folder = cache or cache_folder()
    path = folder / f"multigsi-lambda-{digest.hexdigest()[:20]}.zip"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        built = Path(scratch) / path.name
        build_zip(built, interpreter=interpreter)
        os.replace(built, path)  # atomic: two synths at once never see half a zip
    return path
