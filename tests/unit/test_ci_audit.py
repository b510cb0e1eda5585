"""CI's dependency audit (.ci/audit.py) tells "checked, clean" from "found something" from
"could not check". pip-audit itself is replaced by a script printing its JSON report: the
vulnerability services are what cannot run here, and the wrapper's reading is under test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent.parent
AUDIT = ROOT / ".ci" / "audit.py"
REQUIREMENTS = ROOT / "src" / "multigsi" / "cloudformation" / "custom_resource" / "lambda-requirements.txt"


def run_audit(
    tmp_path: Path, report: dict[str, Any] | None, *, exit_code: int = 0, required: bool = False
) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "pip-audit"
    output = json.dumps(report) if report is not None else ""
    fake.write_text(
        f"#!{sys.executable}\nimport sys\nprint({output!r})\nprint('boom', file=sys.stderr)\nsys.exit({exit_code})\n"
    )
    fake.chmod(0o755)
    environment = {"PATH": "/usr/bin:/bin", **({"MULTIGSI_AUDIT_REQUIRED": "1"} if required else {})}
    return subprocess.run(
        [sys.executable, str(AUDIT), str(fake), str(REQUIREMENTS)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )


SKIPPED = {
    "dependencies": [
        {
            "name": "boto3",
            "skip_reason": "Dependency not found on PyPI and could not be audited: boto3 (1.44.8)",
        },
        {"name": "six", "skip_reason": "Dependency not found on PyPI and could not be audited: six (1.17.0)"},
    ],
    "fixes": [],
}


def test_unreachable_vulnerability_data_is_said_plainly(tmp_path: Path) -> None:
    """pip-audit prints 'No known vulnerabilities found' here and passes."""
    result = run_audit(tmp_path, SKIPPED)
    assert result.returncode == 0
    assert "DEPENDENCY AUDIT INCOMPLETE: 2 of 2 pins were NOT checked" in result.stdout
    assert "no known vulnerabilities" not in result.stdout.lower()


def test_unreachable_data_fails_when_an_audit_is_required(tmp_path: Path) -> None:
    assert run_audit(tmp_path, SKIPPED, required=True).returncode == 1


def test_a_vulnerability_found_fails(tmp_path: Path) -> None:
    report = {
        "dependencies": [
            {"name": "urllib3", "version": "2.8.0", "vulns": [{"id": "GHSA-x", "fix_versions": ["2.8.1"]}]},
            {"name": "six", "version": "1.17.0", "vulns": []},
        ]
    }
    result = run_audit(tmp_path, report, exit_code=1)
    assert result.returncode == 1
    assert "VULNERABLE: urllib3 2.8.0: GHSA-x (fixed in: 2.8.1)" in result.stdout


def test_a_clean_audit_passes_and_says_what_it_checked(tmp_path: Path) -> None:
    report = {"dependencies": [{"name": "six", "version": "1.17.0", "vulns": []}]}
    result = run_audit(tmp_path, report)
    assert result.returncode == 0
    assert "1 pins checked, no known vulnerabilities" in result.stdout


@pytest.mark.parametrize("required", [False, True])
def test_pip_audit_failing_outright_is_not_reported_as_clean(tmp_path: Path, required: bool) -> None:
    result = run_audit(tmp_path, None, exit_code=1, required=required)
    assert "DEPENDENCY AUDIT DID NOT RUN: pip-audit exited 1: boom" in result.stdout
    assert result.returncode == (1 if required else 0)
