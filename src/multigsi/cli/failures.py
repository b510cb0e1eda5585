"""Failures as a user should read them: what went wrong, where multigsi looked, and what
to set to fix it. Foreign errors arrive wrapped (the engine turns a failed DescribeTable
into StepFailedError), so the cause chain is searched for the one that explains it."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import (
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

CREDENTIALS = (
    "no AWS credentials found: set AWS_PROFILE (or pass --profile), or AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY; for `multigsi local` any values will do "
    "(AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local)"
)
REGION = "no AWS region: pass --region or set AWS_DEFAULT_REGION (for `multigsi local`, any region)"
REJECTED_CREDENTIALS = frozenset(
    {"UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException"}
)


def causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def explain(error: BaseException) -> str:
    """The message to print for ``error``: its own, unless a cause says more."""
    for cause in causes(error):
        if isinstance(cause, NoCredentialsError | PartialCredentialsError):
            return CREDENTIALS
        if isinstance(cause, NoRegionError):
            return REGION
        if isinstance(cause, ProfileNotFound):
            return f"{cause}: list profiles with `aws configure list-profiles`, or set AWS_PROFILE"
        if isinstance(cause, EndpointConnectionError):
            return f"cannot connect to {cause.kwargs.get('endpoint_url')}: is the endpoint running?"
        code = getattr(cause, "code", "")
        if code in REJECTED_CREDENTIALS:
            return f"{error} (AWS rejected the credentials: check AWS_PROFILE or AWS_ACCESS_KEY_ID)"
    return str(error)


def endpoint_problem(url: str) -> str | None:
    """Why ``url`` cannot be an endpoint URL, with the likely fix; None when it can."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname:
        return None
    if "://" not in url:
        return f"{url!r} has no scheme; did you mean http://{url} ?"
    return f"{url!r} is not an http:// or https:// URL"


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def where(client: Any) -> str:
    """ "region us-east-1 at http://127.0.0.1:8000": where a client looks for tables."""
    return f"region {client.meta.region_name} at {client.meta.endpoint_url}"
