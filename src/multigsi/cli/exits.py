"""Exit statuses: the one list that the commands return, their --help prints and the
cli page repeats (docs/cli.md; a test keeps the page equal to this).

As with Terraform, every error is 1 (a bad option as much as a bad spec), so that 2 from
``plan --detailed-exitcode`` can only mean "there are changes".
"""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    ERROR = 1
    CHANGES = 2
    INCOMPLETE = 3
    UNCONFIRMED = 4
    OWNED = 5
    INTERRUPTED = 130


MEANINGS: dict[str, tuple[tuple[Exit, str], ...]] = {
    "plan": (
        (Exit.OK, "planned (with --detailed-exitcode: no changes)"),
        (Exit.ERROR, "error: bad spec or option, missing table, no credentials, AWS refused"),
        (Exit.CHANGES, "with --detailed-exitcode only: there are changes"),
    ),
    "apply": (
        (Exit.OK, "converged: the indexes match the spec"),
        (Exit.ERROR, "error: bad spec or option, missing table, no credentials, AWS refused"),
        (Exit.INCOMPLETE, "stopped by --timeout with work left (reported; a re-run continues)"),
        (
            Exit.UNCONFIRMED,
            "deletes not confirmed (answered no, or no terminal and no --yes): nothing changed",
        ),
        (
            Exit.OWNED,
            "refused: an index to delete or replace is owned by a CloudFormation resource "
            "(change the stack, or --force): nothing changed",
        ),
        (Exit.INTERRUPTED, "interrupted (Ctrl-C); indexes in flight carry on, a re-run continues"),
    ),
}


def exit_lines(command: str) -> list[str]:
    """One line per status, as printed in --help and in docs/cli.md."""
    return [f"{int(code):<4} {meaning}" for code, meaning in MEANINGS[command]]


def help_epilog(command: str) -> str:
    """For click's ``epilog``: \\b keeps the lines as they are."""
    return "\b\nExit status:\n" + "\n".join(f"  {line}" for line in exit_lines(command))
