"""boto3 clients built the standard way, so every AWS_* variable and profile works
(AWS_ENDPOINT_URL_DYNAMODB included) and botocore does the transport retries of reads.

UpdateTable goes through a second client that never retries by itself: it is not
idempotent. After a lost answer (applied, then a 500 or a cut connection) a resent Create
asks for an index that is already being built, and botocore's standard mode even retries
LimitExceededException as throttling. The reconcile loop owns what follows a failed
UpdateTable: it re-reads the table and re-plans before sending anything.

Two settings, by who is waiting: a person or a long run (``CLIENT_CONFIG``) can afford
botocore's longer retries; work bound by a short deadline (``DEADLINE_CLIENT_CONFIG``: a
Lambda invocation, a resource type handler's call) gets fewer, shorter retries, and the
loop that knows the deadline does the rest. ``Clients`` is the one bundle every front door
builds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

# botocore's "standard" mode retries throttling, 5xx and connection errors with jittered
# backoff; the reconcile loop only handles what is specific to index changes.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
)

# When every second counts against a deadline: fewer, shorter retries.
DEADLINE_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=3,
    read_timeout=10,
)

# One attempt: botocore's config, not a wrapper. Timeouts as above.
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})
STEP_CLIENT_CONFIG = CLIENT_CONFIG.merge(NO_RETRIES)
DEADLINE_STEP_CLIENT_CONFIG = DEADLINE_CLIENT_CONFIG.merge(NO_RETRIES)


class Regions:
    """Read clients in other regions: a global table's replicas are tables of their own,
    each read in its region (DescribeTable there shows that replica's IndexStatus).

    ``make(service, region)`` builds a client the way the home region's were built (same
    session, settings and endpoint); each is made once, on first use, and passed through
    ``prepare`` (a fleet's call budget counts replica reads too). Thread-safe."""

    def __init__(self, make: Callable[[str, str], Any], prepare: Callable[[Any], Any] | None = None) -> None:
        self._make = make
        self._prepare = prepare
        self._made: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def dynamodb(self, region: str) -> Any:
        return self._client("dynamodb", region)

    def cloudwatch(self, region: str) -> Any:
        return self._client("cloudwatch", region)

    def prepared(self, prepare: Callable[[Any], Any]) -> Regions:
        """The same regions with every client passed through ``prepare`` first."""
        return Regions(self._make, prepare)

    def _client(self, service: str, region: str) -> Any:
        with self._lock:
            key = (service, region)
            if key not in self._made:
                client = self._make(service, region)
                self._made[key] = client if self._prepare is None else self._prepare(client)
            return self._made[key]


@dataclass(frozen=True)
class Clients:
    """Every client the engine and the CloudFormation workflow use, from one session.
    boto3 sessions are not thread-safe to create clients from concurrently; clients are
    safe to share."""

    dynamodb: Any  # reads and tags, botocore's standard retries
    step: Any  # UpdateTable: no automatic retries
    cloudwatch: Any
    cloudformation: Any  # what a resource's own stack says (ownership hand-back)
    regions: Regions | None = field(default=None, compare=False)  # a global table's replica regions

    @classmethod
    def build(
        cls,
        aws_session: boto3.session.Session,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        deadline_bound: bool = False,
    ) -> Clients:
        config = DEADLINE_CLIENT_CONFIG if deadline_bound else CLIENT_CONFIG
        step_config = DEADLINE_STEP_CLIENT_CONFIG if deadline_bound else STEP_CLIENT_CONFIG

        lock = threading.Lock()  # a boto3 session makes clients one at a time

        def make(name: str, chosen: Config = config, in_region: str | None = region) -> Any:
            with lock:
                return aws_session.client(
                    name, region_name=in_region, endpoint_url=endpoint_url, config=chosen
                )

        return cls(
            make("dynamodb"),
            make("dynamodb", step_config),
            make("cloudwatch"),
            make("cloudformation"),
            Regions(lambda service, other: make(service, config, other)),
        )


def session(
    profile: str | None = None, region: str | None = None, *, local_credentials: bool = False
) -> boto3.session.Session:
    """``local_credentials``: sign with placeholder keys, for a local endpoint only, so that
    real credentials from the environment are never sent to it."""
    if local_credentials:
        return boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name=region or "us-east-1"
        )
    return boto3.session.Session(profile_name=profile, region_name=region)
