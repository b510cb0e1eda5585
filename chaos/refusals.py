"""Requests the control plane refused, counted from what the recording proxy saw.

A refusal is a 4xx answer the endpoint gave on its own account (not one its fault
injection made up, and not throttling, which says "later", not "no"): a request DynamoDB
would refuse too, such as a Create while another index is being built
(LimitExceededException) or a throughput change of an index in use (ResourceInUseException).
A careful client sends none of them when it is alone on the table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from chaos.proxy import Exchange

THROTTLING = frozenset({"ThrottlingException", "ProvisionedThroughputExceededException"})
STRUCTURAL = "create/delete"


def refusals(exchanges: Iterable[Exchange]) -> Counter[str]:
    """``"<what>: <error code>"`` → count; what is create/delete, throughput update or the operation."""
    counted: Counter[str] = Counter()
    for exchange in exchanges:
        if not 400 <= exchange.status < 500 or exchange.injected or exchange.error_code in THROTTLING:
            continue
        if exchange.operation == "UpdateTable":
            what = STRUCTURAL if exchange.structural else "throughput update"
        else:
            what = exchange.operation
        counted[f"{what}: {exchange.error_code}"] += 1
    return counted


def index_changes(exchanges: Iterable[Exchange]) -> int:
    """Creates and deletes the endpoint applied, including those whose answer it then lost."""
    return sum(
        1
        for e in exchanges
        if e.structural and (e.status == 200 or (e.status == 500 and e.injected == "lost"))
    )
