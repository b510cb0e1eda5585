"""What builds the code a stack's function runs cannot be steered from outside (issue 26):
the CDK construct's cache of built zips, and the bytecode compiler's import path."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from multigsi.cdk.code import lambda_zip
from multigsi.deploy.bytecode import compile_tree, given_interpreter


def builder(content: bytes, calls: list[Path]) -> object:
    def build(path: Path) -> None:
        calls.append(path)
        path.write_bytes(content)

    return build


def test_a_planted_zip_is_rebuilt_not_deployed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    calls: list[Path] = []
    first = lambda_zip(cache, builder(b"built by multigsi", calls))
    assert first.read_bytes() == b"built by multigsi" and len(calls) == 1
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert lambda_zip(cache, builder(b"unused", calls)) == first and len(calls) == 1, (
        "a recorded zip is reused"
    )
    first.write_bytes(b"someone else's code")  # same name, other content
    again = lambda_zip(cache, builder(b"built by multigsi", calls))
    assert again.read_bytes() == b"built by multigsi" and len(calls) == 2
    first.with_name(first.name + ".sha256").unlink()  # a zip with nothing recorded beside it
    assert lambda_zip(cache, builder(b"built by multigsi", calls)).read_bytes() == b"built by multigsi"
    assert len(calls) == 3


def test_a_cache_others_may_write_to_is_made_private(tmp_path: Path) -> None:
    cache = tmp_path / "shared"
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    lambda_zip(cache, builder(b"zip", []))
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


@pytest.mark.skipif(sys.version_info < (3, 11), reason="-P needs CPython 3.11")
def test_a_py_compile_module_where_the_build_runs_does_not_shadow_the_standard_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted = tmp_path / "here"
    planted.mkdir()
    marker = tmp_path / "ran"
    (planted / "py_compile.py").write_text(f"open({str(marker)!r}, 'w').close()\nraise SystemExit(3)\n")
    monkeypatch.chdir(planted)
    root = tmp_path / "root"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text("VALUE = 1\n")
    tag = compile_tree(given_interpreter(sys.executable), root, ["pkg/mod.py"])
    assert not marker.exists(), "the planted module ran"
    assert list((root / "pkg" / "__pycache__").glob(f"mod.{tag}.pyc"))
