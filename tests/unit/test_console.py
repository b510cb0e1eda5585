"""How the consoles are set up: rich's own settings, chosen by whether the output is a
terminal and by the NO_COLOR / FORCE_COLOR / TTY_COMPATIBLE conventions."""

from __future__ import annotations

import io

import pytest
from rich.table import Table

from multigsi.cli import console as consoles
from multigsi.cli.console import UNBOUNDED_WIDTH, make_console, print_table


class Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def stdout() -> Pipe:
    return Pipe()


def test_without_a_terminal_lines_are_whole_and_plain(stdout: Pipe) -> None:
    console = make_console(stderr=False, file=stdout, environ={"COLUMNS": "40", "TERM": "xterm"})
    assert not console.is_terminal and not console.is_interactive
    assert console.width == UNBOUNDED_WIDTH and console.soft_wrap
    console.print("[red]Error:[/] " + "word " * 30)
    assert stdout.getvalue() == "Error: " + "word " * 30 + "\n"


def test_force_colour_colours_a_pipe_without_making_it_a_terminal(stdout: Pipe) -> None:
    console = make_console(stderr=False, file=stdout, environ={"FORCE_COLOR": "1"})
    assert not console.is_terminal, "no live display or cursor movement in a log"
    console.print("[red]Error:[/] x")
    assert "\x1b[31m" in stdout.getvalue()


def test_no_color_wins_over_force_color_and_terminals() -> None:
    assert not consoles.wants_colour(True, {"NO_COLOR": "1", "FORCE_COLOR": "1", "TERM": "xterm"})
    assert consoles.wants_colour(True, {"TERM": "xterm"})
    assert not consoles.wants_colour(True, {"TERM": "dumb"})
    assert not consoles.wants_colour(False, {"TERM": "xterm"})
    assert consoles.is_terminal(Pipe(), {"TTY_COMPATIBLE": "1"})
    assert not consoles.is_terminal(Terminal(), {"TTY_COMPATIBLE": "0"})


def test_a_table_in_a_pipe_has_one_row_per_line(stdout: Pipe) -> None:
    console = make_console(stderr=False, file=stdout, environ={})
    table = Table(title="orders")
    for column in ("Index", "Key"):
        table.add_column(column)
    table.add_row("by-customer", "customer / placed_at " * 6)
    print_table(console, table)
    assert stdout.getvalue().splitlines() == [
        "orders",
        "Index        Key",
        "by-customer  " + ("customer / placed_at " * 6).rstrip(),
    ]
