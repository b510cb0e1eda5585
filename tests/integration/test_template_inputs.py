"""`multigsi template` takes nothing it would paste into the role unchecked, and bounds the
function's concurrency. Runs the real command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cfn_flip import load_yaml

ROOT = Path(__file__).parent.parent.parent
ORDERS = ROOT / "examples" / "orders.yaml"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "multigsi.cli", "template", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("*", "'*' must be 3 to 255 characters long"),
        ("orders*", "'orders*' may only contain letters, digits, '_', '.' and '-'"),
        ("x${AWS::StackName}", "may only contain letters, digits"),
        ("orders/index/x", "may only contain letters, digits"),
        ("o" * 256, "must be 3 to 255 characters long"),
    ],
)
@pytest.mark.parametrize("spec", [str(ORDERS), None], ids=["spec", "demo"])
def test_a_table_name_override_is_checked_like_every_table_name(
    name: str, message: str, spec: str | None
) -> None:
    result = run(*([spec] if spec else []), "--table-name", name)
    assert result.returncode == 1, result.stdout[:300]
    assert "--table-name" in result.stderr and message in " ".join(result.stderr.split())
    assert result.stdout == "" and "Traceback" not in result.stderr


def function_properties(*args: str) -> dict[str, object]:
    result = run(str(ORDERS), "--table-name", "orders-prod", *args)
    assert result.returncode == 0, result.stderr
    properties: dict[str, object] = load_yaml(result.stdout)["Resources"]["MultigsiFunction"]["Properties"]
    return properties


def test_the_function_has_reserved_concurrency_and_lambdas_loop_guard() -> None:
    assert function_properties()["ReservedConcurrentExecutions"] == 5
    assert function_properties()["RecursiveLoop"] == "Terminate"
    assert function_properties("--reserved-concurrency", "20")["ReservedConcurrentExecutions"] == 20
    assert "ReservedConcurrentExecutions" not in function_properties("--reserved-concurrency", "none")


@pytest.mark.parametrize("value", ["0", "-1", "1001", "many"])
def test_a_bad_reserved_concurrency_is_refused(value: str) -> None:
    result = run(str(ORDERS), "--reserved-concurrency", value)
    assert result.returncode == 1 and "--reserved-concurrency" in result.stderr
