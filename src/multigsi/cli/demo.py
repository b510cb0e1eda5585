"""`multigsi demo`: the main job, end to end, on the built-in local endpoint.

A table of orders with data gets several indexes (one with a multi-attribute key),
applied one at a time with live progress, through exactly the code path of
`multigsi apply`. Afterwards it reports, from the endpoint's own log, how soon each
next step followed the previous build's end.
"""

from __future__ import annotations

import itertools
import statistics
from typing import Any

from rich.console import Console

from multigsi.cli import render
from multigsi.cli.console import print_table
from multigsi.cli.options import AwsTarget
from multigsi.cli.run import EXIT_OK, execute_apply
from multigsi.engine.ownership.record import owners_of
from multigsi.engine.ownership.scope import Ownership
from multigsi.engine.reconcile import Reconciler
from multigsi.local import LocalDynamoDB, Timing
from multigsi.local.dynamodb.waiting import wait_for_table
from multigsi.model import wire
from multigsi.model.parse import parse_table_spec

TABLE = "demo-orders"
S, N = "S", "N"
ATTRIBUTES = {
    "order_id": S, "customer": S, "placed_at": S, "status": S, "sku": S, "region": S,
    "day": S, "total": N, "coupon": S, "warehouse": S, "carrier": S,
}  # fmt: skip
INDEXES: list[dict[str, Any]] = [
    {
        "IndexName": "by-customer",
        "KeySchema": [("customer", "HASH"), ("placed_at", "RANGE")],
        "Projection": {"ProjectionType": "ALL"},
    },
    {
        "IndexName": "by-status",
        "KeySchema": [("status", "HASH"), ("placed_at", "RANGE")],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    },
    {
        "IndexName": "by-sku",
        "KeySchema": [("sku", "HASH")],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["total", "customer"]},
    },
    {
        "IndexName": "by-region-day",
        "KeySchema": [("region", "HASH"), ("day", "HASH"), ("placed_at", "RANGE")],
        "Projection": {"ProjectionType": "ALL"},
    },
    {
        "IndexName": "by-total",
        "KeySchema": [("status", "HASH"), ("total", "RANGE")],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    },
    {
        "IndexName": "by-coupon",
        "KeySchema": [("coupon", "HASH")],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    },
    {
        "IndexName": "by-warehouse",
        "KeySchema": [("warehouse", "HASH")],
        "Projection": {"ProjectionType": "ALL"},
    },
    {
        "IndexName": "by-carrier",
        "KeySchema": [("carrier", "HASH"), ("placed_at", "RANGE")],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    },
]


def demo_spec(count: int) -> dict[str, Any]:
    indexes = [
        {**index, "KeySchema": [{"AttributeName": a, "KeyType": k} for a, k in index["KeySchema"]]}
        for index in INDEXES[:count]
    ]
    for extra in range(len(indexes), count):
        indexes.append(
            {
                "IndexName": f"by-tag-{extra}",
                "KeySchema": [{"AttributeName": f"tag{extra}", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        )
    attributes = dict(ATTRIBUTES) | {f"tag{extra}": S for extra in range(len(INDEXES), count)}
    return {
        "TableName": TABLE,
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": kind} for name, kind in attributes.items()
        ],
        "GlobalSecondaryIndexes": indexes,
    }


def _item(number: int) -> dict[str, Any]:
    return {
        "order_id": {"S": f"order-{number:06d}"},
        "customer": {"S": f"customer-{number % 97}"},
        "placed_at": {"S": f"2026-11-{1 + number % 28:02d}T{number % 24:02d}:00:00Z"},
        "status": {"S": ("placed", "shipped", "delivered", "returned")[number % 4]},
        "sku": {"S": f"sku-{number % 31}"},
        "region": {"S": ("eu", "us", "ap")[number % 3]},
        "day": {"S": f"2026-11-{1 + number % 28:02d}"},
        "total": {"N": str(5 + number % 200)},
        "coupon": {"S": f"coupon-{number % 7}"},
        "warehouse": {"S": f"wh-{number % 5}"},
        "carrier": {"S": ("ups", "dhl", "postnl")[number % 3]},
    }


def _seed(client: Any, items: int) -> None:
    client.create_table(**wire.bare_table_request(TABLE, "order_id"))
    wait_for_table(client, TABLE)  # CreateTable answers CREATING, as on AWS
    for start in range(0, items, 25):
        batch = [{"PutRequest": {"Item": _item(n)}} for n in range(start, min(items, start + 25))]
        client.batch_write_item(RequestItems={TABLE: batch})


def run_demo(console: Console, *, indexes: int, items: int, build_seconds: float) -> int:
    with LocalDynamoDB(timing=Timing(build_seconds=build_seconds)) as endpoint:
        target = AwsTarget(
            region="us-east-1", profile=None, endpoint_url=endpoint.url, local_credentials=True
        )
        client = target.clients().dynamodb
        console.print(
            f"[bold]multigsi demo[/] — local DynamoDB at {endpoint.url}, index builds take {build_seconds:g}s."
        )
        console.print(
            f"Table [cyan]{TABLE}[/] with {items} orders; adding {indexes} indexes, one at a time.\n"
        )
        _seed(client, items)
        spec = parse_table_spec(demo_spec(indexes), source="demo")
        code = execute_apply(target, (spec,), Ownership.everything(), yes=True, as_json=False, timeout=None)
        console.print()
        live = Reconciler(client).read(TABLE)
        owners = owners_of(client, live.arn, [index.name for index in live.indexes])
        print_table(console, render.status_table(live, {i.name for i in spec.indexes}, owners))
        lags = _lags(endpoint)
        refused = [event for event in endpoint.plane.events if event.kind == "refused"]
        if lags:
            console.print(
                f"Next step after each finished build: median {statistics.median(lags):.2f}s, "
                f"max {max(lags):.2f}s. Requests DynamoDB would have refused: {len(refused)}."
            )
        console.print(
            "\nTry it on your own table: [bold]multigsi plan SPEC[/], then [bold]multigsi apply SPEC[/]."
        )
        return code if code != EXIT_OK else (1 if refused else EXIT_OK)


def _lags(endpoint: LocalDynamoDB) -> list[float]:
    """Seconds from each build's end to the next step's start, from the endpoint's log."""
    events = sorted(
        (e for e in endpoint.plane.events if e.table == TABLE and e.kind in ("started", "finished")),
        key=lambda e: e.at,
    )
    lags = []
    for previous, following in itertools.pairwise(events):
        if previous.kind == "finished" and following.kind == "started":
            lags.append(following.at - previous.at)
    return lags
