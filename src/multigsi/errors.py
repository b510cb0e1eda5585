"""The one exception tree of multigsi.

::

    MultigsiError                  root: catch this to catch everything multigsi raises
    ├── SpecError                  the desired state is invalid; carries every Problem with its path
    ├── EventError                 a CloudFormation custom resource event is malformed
    ├── TableNotFoundError         the table a spec names does not exist
    ├── TableUnavailableError      the table is in a state where indexes cannot change (archived, ...)
    ├── StepFailedError            DynamoDB refused an UpdateTable step (transient when retries ran out)
    ├── ReadOutOfTime              reading kept failing transiently until the deadline (transient)
    ├── OwnershipError             the ownership record forbids a change or cannot hold it
    │   ├── ClaimConflictError     another resource owns a listed index
    │   └── RecordFullError        the table's tags cannot hold the record
    ├── ResourceExistsError        a CloudFormation resource that already exists was created again
    ├── ResourceMissingError       a CloudFormation resource that does not exist was read, updated, deleted
    ├── PackageError               a Lambda or resource type package cannot be built as asked
    └── RegistrationError          the resource type could not be registered

Each class says what an adapter needs to answer without an ``except`` ladder: ``transient``
(another try later may succeed: a CloudFormation handler comes back instead of failing) and
``handler_error_code`` (the resource type protocol's HandlerErrorCode). Foreign errors
(botocore's ClientError) are translated at one boundary, ``multigsi.engine.classify``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class MultigsiError(Exception):
    """Root of every error multigsi raises on purpose."""

    transient: bool = False
    handler_error_code: str = "GeneralServiceException"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec, with where it is (``GlobalSecondaryIndexes[2].IndexName``)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SpecError(MultigsiError):
    """A spec is invalid. ``problems`` lists every problem found, not just the first."""

    handler_error_code = "InvalidRequest"

    def __init__(self, problems: Iterable[Problem], source: str = "") -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        where = f" in {source}" if source else ""
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{count} {noun}{where}:\n{lines}")

    def summary(self) -> str:
        """Every problem on one line: what a CloudFormation answer's reason can carry."""
        count = len(self.problems)
        return f"invalid properties ({count} problem{'s' if count != 1 else ''}): " + "; ".join(
            str(p) for p in self.problems
        )


class EventError(MultigsiError):
    """A custom resource event is malformed. ``event`` is kept when it is an object, so an
    answer can still be sent to its ResponseURL."""

    handler_error_code = "InvalidRequest"

    def __init__(self, problems: list[str], event: Mapping[str, Any] | None) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.event = event if isinstance(event, Mapping) else None


class TableNotFoundError(MultigsiError):
    """The table does not exist (DynamoDB's ResourceNotFoundException on DescribeTable)."""

    handler_error_code = "NotFound"

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        super().__init__(f"table {table_name!r} does not exist")


class TableUnavailableError(MultigsiError):
    """The table exists but its indexes cannot be changed in its current state."""

    handler_error_code = "ResourceConflict"

    def __init__(self, table_name: str, status: str) -> None:
        self.table_name = table_name
        self.status = status
        super().__init__(f"table {table_name!r} is {status}; its indexes cannot be changed")


class StepFailedError(MultigsiError):
    """DynamoDB refused a step with an error that retrying or waiting will not fix, or a
    retryable one that outlasted the retries (``transient``: throttling, a 500), which a
    caller with a longer horizon than one run (the resource type's next callback) may try
    again."""

    def __init__(
        self, table_name: str, step: str, code: str, message: str, *, transient: bool = False
    ) -> None:
        self.table_name = table_name
        self.step = step
        self.code = code
        self.aws_message = message
        self.transient = transient
        super().__init__(f"{table_name}: {step} failed: {code}: {message}")


class ReadOutOfTime(MultigsiError):
    """A read kept failing transiently (throttled, 5xx) and the deadline came first. Not a
    failure of the operation: the next invocation or run reads again."""

    transient = True
    handler_error_code = "Throttling"

    def __init__(self, what: str = "reading the table") -> None:
        super().__init__(f"{what} kept failing transiently until the deadline")


class OwnershipError(MultigsiError):
    """The ownership record forbids a change, or cannot be read or written in time."""

    handler_error_code = "ResourceConflict"


class ClaimConflictError(OwnershipError):
    """Another resource owns an index this one lists: nothing was changed."""

    handler_error_code = "AlreadyExists"


class RecordFullError(OwnershipError):
    """The table's tags cannot hold the ownership record (DynamoDB's 50 tags per table)."""

    handler_error_code = "ServiceLimitExceeded"


class ResourceExistsError(MultigsiError):
    """A Create of a resource that already holds claims (the resource type's AlreadyExists)."""

    handler_error_code = "AlreadyExists"


class ResourceMissingError(MultigsiError):
    """A Read, Update or Delete of a resource that holds no claim, or whose identifier this
    request may not act on (the resource type's NotFound)."""

    handler_error_code = "NotFound"


class PackageError(MultigsiError):
    """A package cannot be built as asked (a bad --python interpreter, a failed compile,
    missing handlers or schema)."""


class RegistrationError(MultigsiError):
    """The type could not be registered: a bad package or option, S3 or CloudFormation refused,
    the registration FAILED, or it did not finish in time."""
