"""Client-side: wait for a table the local endpoint (like AWS) answers CREATING.

For code that sets up a table and then uses it at once (the demo, tests, benchmarks):
CreateTable returns while the table is CREATING, and reads and writes need it ACTIVE.
"""

from __future__ import annotations

import time
from typing import Any

POLL_SECONDS = 0.02  # loopback: polling fast costs nothing and keeps setups quick


def wait_for_table(client: Any, name: str, *, timeout: float = 30.0) -> None:
    """Return once DescribeTable shows ``name`` ACTIVE; TimeoutError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while client.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
        if time.monotonic() >= deadline:
            raise TimeoutError(f"table {name} is not ACTIVE after {timeout:g} s")
        time.sleep(POLL_SECONDS)


def wait_for_table_gone(client: Any, name: str, *, timeout: float = 30.0) -> None:
    """Return once DescribeTable says ``name`` does not exist (DeleteTable answers DELETING)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.describe_table(TableName=name)
        except client.exceptions.ResourceNotFoundException:
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"table {name} still exists after {timeout:g} s")
        time.sleep(POLL_SECONDS)
