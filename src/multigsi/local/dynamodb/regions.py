"""Every region on one port: the region is the one a request is signed for.

AWS serves each region at its own endpoint (dynamodb.<region>.amazonaws.com); a client
pointed at one local URL still signs every request with SigV4, whose credential scope
names the region: ``Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/
dynamodb/aws4_request, ...``. The endpoint reads it from there, and so does moto, which
keeps a backend per region: tables in different regions are separate, as on AWS. A request
without a signature is served as ``DEFAULT_REGION``.

The endpoint also calls moto itself in another region (a replica's table, a replicated
write): ``in_region`` rewrites the scope of a request's environ for that.
"""

from __future__ import annotations

import re
from typing import Any

DEFAULT_REGION = "us-east-1"
CREDENTIAL_SCOPE = re.compile(r"(Credential=[^/]+/\d+/)([^/]+)(/)")
UNSIGNED = "AWS4-HMAC-SHA256 Credential=local/20200101/{region}/dynamodb/aws4_request"


def region_of(environ: dict[str, Any]) -> str:
    """The region a request is signed for (``DEFAULT_REGION`` when it is not signed)."""
    match = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(2) if match else DEFAULT_REGION


def in_region(environ: dict[str, Any], region: str) -> dict[str, Any]:
    """A copy of ``environ`` signed for ``region``: moto picks its backend from the scope
    (and from a ``region/...`` in the User-Agent, which is dropped so that it cannot win)."""
    inner = dict(environ)
    authorization = str(environ.get("HTTP_AUTHORIZATION", ""))
    if CREDENTIAL_SCOPE.search(authorization):
        inner["HTTP_AUTHORIZATION"] = CREDENTIAL_SCOPE.sub(
            lambda match: f"{match.group(1)}{region}{match.group(3)}", authorization, count=1
        )
    else:
        inner["HTTP_AUTHORIZATION"] = UNSIGNED.format(region=region)
    inner.pop("HTTP_USER_AGENT", None)
    return inner
