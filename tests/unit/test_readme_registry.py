"""The README keeps its two set-up commands, and its resource-type steps use only options
the commands have (the exit-code tables: test_cli_pipes)."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from multigsi.cli.main import cli

README = Path(__file__).parent.parent.parent / "README.md"
SET_UP = (
    "python3 -m venv .venv && .venv/bin/pip install -e '.[all]' && .venv/bin/multigsi demo",
    "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest",
)


def section(text: str, heading: str) -> str:
    return text.split(heading, 1)[1].split("\n## ", 1)[0]


def test_set_up_keeps_its_two_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", section(README.read_text(), "## Set up\n"), re.S)
    assert [block.strip() for block in blocks] == list(SET_UP)


def test_resource_type_steps_use_real_options_and_link_the_guide() -> None:
    text = section(README.read_text(), "## CloudFormation: custom resource or resource type\n")
    assert "[docs/registry-type.md](docs/registry-type.md)" in text
    commands = " ".join(re.findall(r"```sh\n(.*?)```", text, re.S)).replace("\\\n", " ")
    for command in ("package", "register-type", "template"):
        used = set()
        for line in commands.splitlines():
            if f"multigsi {command} " in line:
                used |= set(
                    re.findall(r"(--[a-z-]+)", line.split("#", 1)[0].split(f"multigsi {command}", 1)[1])
                )
        help_text = CliRunner().invoke(cli, [command, "--help"]).output
        assert used, command
        assert {option for option in used if option not in help_text} == set(), command
