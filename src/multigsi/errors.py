"""The one exception tree of multigsi.

::

    MultigsiError                 root: catch this to catch everything multigsi raises
    ├── SpecError                 the desired state is invalid; carries every Problem with its path
    ├── TableNotFoundError        the table a spec names does not exist
    ├── TableUnavailableError     the table is in a state where indexes cannot change (archived, ...)
    └── StepFailedError           DynamoDB refused an UpdateTable step for a reason waiting won't fix

Foreign errors (botocore's ClientError) are translated into these at one boundary,
``multigsi.engine.errors.classify``; callers never need to import botocore to handle failures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class MultigsiError(Exception):
    """Root of every error multigsi raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec, with where it is (``GlobalSecondaryIndexes[2].IndexName``)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SpecError(MultigsiError):
    """A spec is invalid. ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem], source: str = "") -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        where = f" in {source}" if source else ""
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{count} {noun}{where}:\n{lines}")


class TableNotFoundError(MultigsiError):
    """The table does not exist (DynamoDB's ResourceNotFoundException on DescribeTable)."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        super().__init__(f"table {table_name!r} does not exist")


class TableUnavailableError(MultigsiError):
    """The table exists but its indexes cannot be changed in its current state."""

    def __init__(self, table_name: str, status: str) -> None:
        self.table_name = table_name
        self.status = status
        super().__init__(f"table {table_name!r} is {status}; its indexes cannot be changed")


class StepFailedError(MultigsiError):
    """DynamoDB refused a step with an error that retrying or waiting will not fix."""

    def __init__(
        self, table_name: str, step: str, code: str, message: str, *, transient: bool = False
    ) -> None:
        self.table_name = table_name
        self.step = step
        self.code = code
        self.aws_message = message
        # A retryable error that outlasted the retries (throttling, a 500): a caller with a
        # longer horizon than one run (the registry type's next callback) may try again.
        self.transient = transient
        super().__init__(f"{table_name}: {step} failed: {code}: {message}")
