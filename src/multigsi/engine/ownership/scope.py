"""Which of a table's indexes one run may change.

An index multigsi does not manage is never touched: not deleted, not updated, not replaced.
"""

from __future__ import annotations

from dataclasses import dataclass

from multigsi.model.table import TableSpec


@dataclass(frozen=True)
class Ownership:
    """``managed=None`` means the spec owns every index on the table (the CLI's default, as
    AWS::DynamoDB::Table and Terraform do); otherwise only the listed names and the
    indexes the spec lists are managed (``--keep-unlisted``, or a custom resource that
    manages what it listed now or before)."""

    managed: frozenset[str] | None = None

    @classmethod
    def everything(cls) -> Ownership:
        return cls(None)

    @classmethod
    def listed_only(cls, *extra: str) -> Ownership:
        return cls(frozenset(extra))

    def manages(self, index_name: str, spec: TableSpec) -> bool:
        if self.managed is None or spec.index(index_name) is not None:
            return True
        return index_name in self.managed
