"""The resource type's schema as cloudformation-cli sees it: `cfn validate` in a project
folder built from the committed schema (what `cfn init` would have made: ``.rpdk-config``
and ``<type-name>.json``), plus the rules of the issue that the meta-schema cannot state.

cloudformation-cli pins versions that conflict with the test extra (it downgrades
jsonschema and brings pytest plugins of its own), so it lives in its own virtualenv:
``.ci/run`` builds one and sets MULTIGSI_CFN_CLI to its ``cfn`` (and
MULTIGSI_REQUIRE_CFN_VALIDATE=1, making a skip a failure there). Neither
cloudformation-cli-python-lib nor cloudformation-cli ships the provider definition
meta-schema as a separate package, so `cfn validate` is the check against it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from multigsi.deploy.type_package import TYPE_NAME, rpdk_config, schema_text

MAX_TIMEOUT_MINUTES = 2160  # cloudformation-cli's provider schema: 36 hours
LONG_HANDLERS = ("create", "update", "delete")


def cfn_cli() -> str:
    path = os.environ.get("MULTIGSI_CFN_CLI", "")
    if not path or not os.access(path, os.X_OK):
        if os.environ.get("MULTIGSI_REQUIRE_CFN_VALIDATE") == "1":
            pytest.fail(f"MULTIGSI_REQUIRE_CFN_VALIDATE=1 but MULTIGSI_CFN_CLI={path!r} is not an executable")
        pytest.skip("cloudformation-cli not installed (set MULTIGSI_CFN_CLI to its `cfn`, as .ci/run does)")
    return path


def cfn_validate(schema: dict[str, Any], folder: Path) -> subprocess.CompletedProcess[str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".rpdk-config").write_bytes(rpdk_config("python3.12"))
    (folder / "multigsi-dynamodb-globalsecondaryindexes.json").write_text(json.dumps(schema, indent=4))
    return subprocess.run([cfn_cli(), "validate"], capture_output=True, text=True, cwd=folder, check=False)


def test_schema_passes_cfn_validate(tmp_path: Path) -> None:
    result = cfn_validate(json.loads(schema_text()), tmp_path / "project")
    assert result.returncode == 0 and "Resource schema is valid" in result.stdout + result.stderr, (
        result.stdout + result.stderr
    )


def test_cfn_validate_refuses_a_timeout_beyond_36_hours(tmp_path: Path) -> None:
    """The check has teeth: the meta-schema's maximum is what makes 2161 minutes invalid."""
    schema = json.loads(schema_text())
    schema["handlers"]["update"]["timeoutInMinutes"] = MAX_TIMEOUT_MINUTES + 1
    result = cfn_validate(schema, tmp_path / "project")
    assert result.returncode != 0
    assert "timeoutInMinutes" in result.stdout + result.stderr


def test_schema_states_what_the_issue_asks() -> None:
    schema = json.loads(schema_text())
    Draft7Validator.check_schema(schema)
    assert schema["typeName"] == TYPE_NAME
    handlers = schema["handlers"]
    assert set(handlers) == {"create", "read", "update", "delete", "list"}
    assert all(handler["permissions"] for handler in handlers.values())
    assert {name: handlers[name].get("timeoutInMinutes") for name in LONG_HANDLERS} == dict.fromkeys(
        LONG_HANDLERS, MAX_TIMEOUT_MINUTES
    )
    properties = schema["properties"]
    assert {"TableName", "AttributeDefinitions", "GlobalSecondaryIndexes"} <= set(properties)
    for pointer in schema["primaryIdentifier"]:
        assert pointer.removeprefix("/properties/") in properties
