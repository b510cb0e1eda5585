"""The provider function's code: the zip ``multigsi package`` builds, built once per content.

``build_zip`` installs the pinned boto3/botocore with pip (a download the first time) and
compiles bytecode with a CPython of the runtime's version when one is found, which takes
seconds; ``cdk synth`` runs the app every time, so the zip is kept in a cache folder under
a name derived from everything that goes into it: the lock file, the handler's modules and
the interpreter that compiles them. A changed multigsi or lock file is a new name, so a
stale zip is never deployed.

The cache decides what code the stack's function runs, so it is kept private: the folder is
made 0700 (refused if another user owns it), and each zip is used only while its
SHA-256 matches the one recorded beside it when it was built; anything else is rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

import multigsi
from multigsi.deploy.bytecode import DEFAULT_VERSION, find_interpreter
from multigsi.deploy.contents import handler_modules
from multigsi.deploy.package import build_zip, lock_file_text
from multigsi.errors import PackageError

CACHE_ENV = "MULTIGSI_CDK_CACHE"  # where built zips are kept; default ~/.cache/multigsi/cdk


def cache_folder() -> Path:
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "multigsi" / "cdk"


def lambda_zip(cache: Path | None = None, build: Callable[[Path], object] | None = None) -> Path:
    """The path of the Lambda zip for this multigsi, building it (``build``, default
    ``build_zip``) if the cache lacks it or holds one that is not what it recorded."""
    interpreter = find_interpreter(DEFAULT_VERSION)
    source = Path(multigsi.__file__).parent
    digest = hashlib.sha256(lock_file_text().encode())
    digest.update(f"{multigsi.__version__}|{interpreter.version if interpreter else None}".encode())
    for relative in sorted(handler_modules(source)):
        digest.update(str(relative).encode() + b"\0" + (source.parent / relative).read_bytes())
    folder = private_folder(cache or cache_folder())
    path = folder / f"multigsi-lambda-{digest.hexdigest()[:20]}.zip"
    recorded = path.with_name(path.name + ".sha256")
    if path.is_file() and recorded.is_file() and recorded.read_text().strip() == _sha256(path):
        return path
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        built = Path(scratch) / path.name
        if build is None:
            build_zip(built, interpreter=interpreter)
        else:
            build(built)
        digest_file = Path(scratch) / recorded.name
        digest_file.write_text(_sha256(built) + "\n")
        os.replace(built, path)  # atomic: two synths at once never see half a zip
        os.replace(digest_file, recorded)
    return path


def private_folder(folder: Path) -> Path:
    """``folder``, made if missing with mode 0700 (and made 0700 if others may write to it);
    refused if another user owns it (whoever can plant a zip there chooses the function's code)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    status = folder.stat()
    if status.st_uid != os.getuid():
        raise PackageError(f"{folder}: the CDK build cache belongs to another user; set {CACHE_ENV}")
    if status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        os.chmod(folder, 0o700)
    return folder


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
