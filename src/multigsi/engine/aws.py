"""boto3 clients built the standard way, so every AWS_* variable and profile works
(AWS_ENDPOINT_URL_DYNAMODB included) and botocore does the transport retries."""

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


def cloudwatch_client(aws_session: boto3.session.Session, endpoint_url: str | None = None) -> Any:
    return aws_session.client("cloudwatch", endpoint_url=endpoint_url, config=CLIENT_CONFIG)
