"""The README keeps its two set-up commands and links each front door's page, and every
`multigsi` command written in the README and docs/ uses only options the command has (the
exit-code tables: test_cli_pipes; links and file references: test_docs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from multigsi.cli.main import cli

REPO = Path(__file__).parent.parent.parent
README = REPO / "README.md"
PAGES = [README, *sorted((REPO / "docs").glob("*.md"))]
SET_UP = (
    "python3 -m venv .venv && .venv/bin/pip install -e '.[all]' && .venv/bin/multigsi demo",
    "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest",
)
FRONT_DOORS = {
    "### The CLI\n": "docs/cli.md",
    "### The custom resource\n": "docs/custom-resource.md",
    "### The resource type\n": "docs/resource-type.md",
    "### The CDK construct\n": "docs/cdk.md",
    "### The local endpoint\n": "docs/local.md",
}


def section(text: str, heading: str) -> str:
    level = heading.split(" ", 1)[0]
    return re.split(rf"\n#{{1,{len(level)}}} ", text.split(heading, 1)[1], maxsplit=1)[0]


def test_set_up_keeps_its_two_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", section(README.read_text(), "## Set up\n"), re.S)
    assert [block.strip() for block in blocks] == list(SET_UP)


@pytest.mark.parametrize(("heading", "page"), FRONT_DOORS.items())
def test_each_quick_start_links_its_page(heading: str, page: str) -> None:
    assert f"]({page})" in section(README.read_text(), heading)


def command_lines(text: str) -> Iterator[str]:
    """Every `multigsi ...` command line in a page: in sh blocks (continuations joined,
    comments dropped) and in inline code spans."""
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            yield line.split(" #", 1)[0]
    for span in re.findall(r"`([^`]+)`", re.sub(r"```.*?```", "", text, flags=re.S)):
        yield " ".join(span.split())


def used_options() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for page in PAGES:
        for line in command_lines(page.read_text()):
            for match in re.finditer(r"(?:^|[\s/])multigsi ([a-z-]+)((?: [^|;&]*)?)", line):
                command, rest = match.groups()
                if command in cli.commands:
                    found.setdefault(command, set()).update(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", rest))
    return found


def test_commands_in_the_docs_use_real_options() -> None:
    found = used_options()
    assert {"package", "register-type", "template", "plan", "apply", "local", "cfn-local"} <= set(found)
    for command, options in found.items():
        help_text = CliRunner().invoke(cli, [command, "--help"], terminal_width=200).output
        assert {option for option in options if option not in help_text} == set(), command
