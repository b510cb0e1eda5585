"""The two consoles: results on stdout, diagnostics on stderr.

In a terminal rich does everything: colour, wrapping at the window's width, the live
display. Anywhere else (a CI log, ``> file``, ``| grep``) every line is printed whole:
no hard wrapping at 80 columns, no padding, and colour only when forced. The conventions
followed: NO_COLOR (https://no-color.org) turns colour off, FORCE_COLOR
(https://force-color.org) turns it on without making the output a terminal, and
TTY_COMPATIBLE=0/1 says whether the output is a terminal (as rich reads it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TextIO

from rich.console import Console
from rich.table import Table

# Without a terminal a line is as long as its content; rich still needs a width.
UNBOUNDED_WIDTH = 1_000_000


def is_terminal(stream: TextIO, environ: Mapping[str, str]) -> bool:
    declared = environ.get("TTY_COMPATIBLE", "")
    if declared in ("0", "1"):
        return declared == "1"
    try:
        return stream.isatty()
    except ValueError:  # closed
        return False


def wants_colour(terminal: bool, environ: Mapping[str, str]) -> bool:
    if environ.get("NO_COLOR", ""):
        return False
    if environ.get("FORCE_COLOR", ""):
        return True
    return terminal and environ.get("TERM", "").lower() not in ("dumb", "unknown")


def make_console(
    *, stderr: bool, environ: Mapping[str, str] = os.environ, file: TextIO | None = None
) -> Console:
    """``file``: None writes to whichever sys.stdout/sys.stderr is current (rich's default)."""
    terminal = is_terminal(file or (sys.stderr if stderr else sys.stdout), environ)
    colour = wants_colour(terminal, environ)
    if terminal:
        return Console(file=file, stderr=stderr, highlight=False, force_terminal=True, no_color=not colour)
    return Console(
        file=file,
        stderr=stderr,
        highlight=False,
        force_terminal=False,
        force_interactive=False,
        soft_wrap=True,
        width=UNBOUNDED_WIDTH,
        color_system="standard" if colour else None,
        no_color=not colour,
    )


def print_table(console: Console, table: Table) -> None:
    """A table as it is, in a terminal; elsewhere without box lines and without trailing
    padding, one row per line, so that grep, awk and diff can use it."""
    if console.is_terminal:
        console.print(table)
        return
    table.box = None
    table.title_justify = "left"
    table.pad_edge = False
    table.show_edge = False
    with console.capture() as captured:
        console.print(table, soft_wrap=False)
    for line in captured.get().splitlines():
        console.out(line.rstrip(), highlight=False)


out = make_console(stderr=False)
err = make_console(stderr=True)
