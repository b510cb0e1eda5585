"""boto3 clients built the standard way, so every AWS_* variable and profile works
(AWS_ENDPOINT_URL_DYNAMODB included) and botocore does the transport retries of reads.

UpdateTable goes through a second client that never retries by itself: it is not
idempotent. After a lost answer (applied, then a 500 or a cut connection) a resent Create
asks for an index that is already being built, and botocore's standard mode even retries
LimitExceededException as throttling. The reconcile loop owns what follows a failed
UpdateTable: it re-reads the table and re-plans before sending anything.
"""

from __future__ import annotations

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


# In a Lambda every second counts against a deadline: fewer, shorter retries, and the
# reconcile loop (which knows the deadline) does the rest.
LAMBDA_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=3,
    read_timeout=10,
)

# One attempt: botocore's config, not a wrapper. Timeouts as above.
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})
STEP_CLIENT_CONFIG = CLIENT_CONFIG.merge(NO_RETRIES)
LAMBDA_STEP_CLIENT_CONFIG = LAMBDA_CLIENT_CONFIG.merge(NO_RETRIES)


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


def dynamodb_client(aws_session: boto3.session.Session, endpoint_url: str | None = None) -> Any:
    return aws_session.client("dynamodb", endpoint_url=endpoint_url, config=CLIENT_CONFIG)


def dynamodb_step_client(aws_session: boto3.session.Session, endpoint_url: str | None = None) -> Any:
    """The client the reconcile loop sends UpdateTable with: no automatic retries."""
    return aws_session.client("dynamodb", endpoint_url=endpoint_url, config=STEP_CLIENT_CONFIG)


def lambda_step_client() -> Any:
    """The Lambda's UpdateTable client (no automatic retries), from the environment."""
    return boto3.client("dynamodb", config=LAMBDA_STEP_CLIENT_CONFIG)


def cloudwatch_client(aws_session: boto3.session.Session, endpoint_url: str | None = None) -> Any:
    return aws_session.client("cloudwatch", endpoint_url=endpoint_url, config=CLIENT_CONFIG)
