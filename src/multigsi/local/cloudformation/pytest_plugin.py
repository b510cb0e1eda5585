"""pytest fixtures for testing code against multigsi's local endpoints.

Enable with ``pytest -p multigsi.local.cloudformation.pytest_plugin`` or ``pytest_plugins = [...]``:

- ``local_dynamodb``: a session-wide local DynamoDB (index builds of 1 s);
- ``local_cloudformation``: a factory ``(lambda_timeout=60.0, dynamodb=None)`` that starts a
  local CloudFormation + Lambda harness running multigsi's custom resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from multigsi.local.cloudformation.cloudformation import LocalCloudFormation
from multigsi.local.dynamodb.control_plane import Timing
from multigsi.local.dynamodb.server import LocalDynamoDB

LOCAL_BUILD_SECONDS = 1.0


@pytest.fixture(scope="session")
def local_dynamodb() -> Iterator[LocalDynamoDB]:
    with LocalDynamoDB(timing=Timing(build_seconds=LOCAL_BUILD_SECONDS)) as endpoint:
        yield endpoint


@pytest.fixture
def local_cloudformation(local_dynamodb: LocalDynamoDB) -> Iterator[Callable[..., LocalCloudFormation]]:
    started: list[LocalCloudFormation] = []

    def make(lambda_timeout: float = 60.0, dynamodb: LocalDynamoDB | None = None) -> LocalCloudFormation:
        harness = LocalCloudFormation(
            dynamodb_url=(dynamodb or local_dynamodb).url, lambda_timeout=lambda_timeout
        ).start()
        started.append(harness)
        return harness

    yield make
    for harness in started:
        harness.stop()
