"""multigsi: apply several DynamoDB global secondary index changes, one at a time.

The public surface is what ``__all__`` lists; everything else is private to the package.
Depends only on boto3/botocore: the CLI and the local endpoint are optional extras.
"""

from multigsi.engine.ownership.scope import Ownership
from multigsi.engine.plan import Action, Plan, Step, make_plan
from multigsi.engine.reconcile import ApplyResult, IndexProgress, Outcome, Reconciler
from multigsi.errors import (
    MultigsiError,
    Problem,
    SpecError,
    StepFailedError,
    TableNotFoundError,
    TableUnavailableError,
)
from multigsi.model.parse import parse_table_spec, parse_table_specs
from multigsi.model.table import IndexSpec, TableSpec

__version__ = "0.1.0"

__all__ = [
    "Action",
    "ApplyResult",
    "IndexProgress",
    "IndexSpec",
    "MultigsiError",
    "Outcome",
    "Ownership",
    "Plan",
    "Problem",
    "Reconciler",
    "SpecError",
    "Step",
    "StepFailedError",
    "TableNotFoundError",
    "TableSpec",
    "TableUnavailableError",
    "__version__",
    "make_plan",
    "parse_table_spec",
    "parse_table_specs",
]
