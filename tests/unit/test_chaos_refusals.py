"""The chaos suite's count of refused requests, on hand-made proxy records."""

from __future__ import annotations

from typing import Any

from chaos.proxy import Exchange
from chaos.refusals import index_changes, refusals

CREATE = {"TableName": "t", "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "i"}}]}
THROUGHPUT = {"TableName": "t", "GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": "i"}}]}


def exchange(request: dict[str, Any], status: int, code: str = "", injected: str = "") -> Exchange:
    answer = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}"} if code else {}
    return Exchange("UpdateTable", "t", request, status, answer, 0.0, 0.0, injected)


def test_only_refusals_the_endpoint_gave_on_its_own_account_count() -> None:
    record = [
        exchange(CREATE, 200),
        exchange(CREATE, 500, "InternalServerError", injected="lost"),  # applied, answer lost
        exchange(CREATE, 400, "LimitExceededException"),  # a real refusal
        exchange(CREATE, 400, "LimitExceededException", injected="limit"),  # made up
        exchange(CREATE, 400, "ThrottlingException", injected="throttle"),
        exchange(CREATE, 500, "InternalServerError", injected="error500"),  # not applied
        exchange(THROUGHPUT, 400, "ResourceInUseException"),
    ]
    assert refusals(record) == {
        "create/delete: LimitExceededException": 1,
        "throughput update: ResourceInUseException": 1,
    }
    assert index_changes(record) == 2
