"""Which ResponseURL the handler may PUT its answer to, and exactly where that PUT goes.

The answer carries the stack's identifiers and the table's ARN, and whoever can invoke the
function chooses the URL: the check must hold against crafted URLs, not only against typos.
So the URL is parsed here once, strictly, and the sender connects to the host, port and
path parsed here (never re-parsing the string with another library's rules, which is how
``https://evil.example\\@bucket.s3.amazonaws.com/`` used to send the answer to evil.example).

Accepted, and nothing else:

- ``https`` on port 443 (implied or explicit), only the characters RFC 3986 allows
  (printable ASCII; no backslash, whitespace, control or non-ASCII characters), no userinfo
  (``user@``), no fragment, no IPv6 literal, at most 8 KiB;
- a host of CloudFormation's response bucket for the function's own region (a custom
  resource's ServiceToken is always in the stack's region), named
  ``cloudformation-custom-resource-response-<region without dashes>``, on that region's S3
  endpoints in its partition (``amazonaws.com``, ``amazonaws.com.cn`` for ``cn-*``, and
  GovCloud's ``us-gov-*`` on ``amazonaws.com``): virtual-hosted
  (``<bucket>.s3.amazonaws.com``, ``<bucket>.s3-<region>…``, ``<bucket>.s3.<region>…``,
  dualstack and FIPS) or path-style (``s3.<region>.amazonaws.com/<bucket>/…``);
- for a local harness only: ``http`` or ``https`` to a loopback host (``127.0.0.1``,
  ``localhost``) that the operator lists in ``MULTIGSI_RESPONSE_URL_HOSTS``. The list is
  read from the function's environment, which no event can set, and any non-loopback entry
  in it is ignored.

The function's region is ``AWS_REGION`` (set by Lambda), else ``AWS_DEFAULT_REGION``.
"""

from __future__ import annotations

import os
import string
from typing import NamedTuple

HOSTS_VARIABLE = "MULTIGSI_RESPONSE_URL_HOSTS"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})
BUCKET_PREFIX = "cloudformation-custom-resource-response-"
MAX_URL_LENGTH = 8192

# RFC 3986 characters (unreserved, reserved without '#', and '%'): printable ASCII only.
# Plain string checks rather than regular expressions, and NamedTuples rather than
# dataclasses: this module is on the cold-start import path.
_URL_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-._~:/?[]@!$&'()*+,;=%")
_SCHEME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "+.-")
_HOST_CHARACTERS = frozenset(string.ascii_lowercase + string.digits + ".-")


class ResponseTarget(NamedTuple):
    """Where the answer goes: the sender connects to exactly ``host``:``port``."""

    scheme: str  # https, or http for a listed loopback host
    host: str
    port: int
    target: str  # path and query, as given (already percent-encoded by the signer)


class Refused(NamedTuple):
    """Why a URL is not answered. ``reason`` never quotes userinfo or the query string."""

    reason: str


def check(
    url: object, *, region: str | None = None, loopback: frozenset[str] | None = None
) -> ResponseTarget | Refused:
    """Parse ``url`` strictly and decide whether the answer may be PUT there.

    ``region`` and ``loopback`` default to the function's environment; tests pass them."""
    if not isinstance(url, str) or not url:
        return Refused("the ResponseURL is missing or not a string")
    if len(url) > MAX_URL_LENGTH:
        return Refused(f"the ResponseURL is longer than {MAX_URL_LENGTH} characters")
    if not _URL_CHARACTERS.issuperset(url):
        return Refused(
            "the ResponseURL contains a character a URL may not hold "
            "(whitespace, control, backslash, quote, non-ASCII, ...)"
        )
    scheme, separator, rest = url.partition("://")
    if not separator or not scheme[:1].isalpha() or not _SCHEME_CHARACTERS.issuperset(scheme):
        return Refused("the ResponseURL is not an absolute URL")
    scheme = scheme.lower()
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, target = rest[:cut], rest[cut:]
    if "@" in authority:
        return Refused("the ResponseURL carries user information before its host")
    host, colon, port_text = authority.lower().partition(":")
    if not _plain_host(host) or (colon and not (port_text.isdigit() and len(port_text) <= 5)):
        return Refused("the ResponseURL's host is not a plain DNS name or IPv4 address")
    target = target if target.startswith("/") else "/" + target
    if loopback is None:
        loopback = listed_loopback_hosts()
    default_port = {"https": 443, "http": 80}.get(scheme)
    if default_port is None:
        return Refused(f"the ResponseURL scheme {scheme!r} is not https")
    port = int(port_text) if colon else default_port
    if host in loopback:
        if not 1 <= port <= 65535:
            return Refused("the ResponseURL port is out of range")
        return ResponseTarget(scheme, host, port, target)
    if scheme != "https":
        return Refused("the ResponseURL is not https")
    if port != 443:
        return Refused("the ResponseURL names a port other than 443")
    if region is None:
        region = function_region()
    why = _not_a_response_bucket(host, target, region)
    if why is not None:
        return Refused(why)
    return ResponseTarget(scheme, host, port, target)


def _plain_host(host: str) -> bool:
    """Letters, digits, dots and dashes, starting and ending with a letter or digit."""
    return bool(host) and _HOST_CHARACTERS.issuperset(host) and host[0].isalnum() and host[-1].isalnum()


def _region_shaped(region: str) -> bool:
    """``us-east-1``, ``us-gov-west-1``, ``cn-north-1``: lowercase words, then a number."""
    parts = region.split("-")
    return (
        len(parts) >= 3
        and len(parts[0]) == 2
        and all(part.isascii() and part.isalpha() and part.islower() for part in parts[:-1])
        and parts[-1].isascii()
        and parts[-1].isdigit()
    )


def function_region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def listed_loopback_hosts() -> frozenset[str]:
    """The operator's test override: loopback hosts only, whatever else the variable lists."""
    listed = {entry.strip().lower() for entry in os.environ.get(HOSTS_VARIABLE, "").split(",")}
    return frozenset(listed & LOOPBACK_HOSTS)


def response_bucket(region: str) -> str:
    return BUCKET_PREFIX + region.replace("-", "")


def s3_endpoints(region: str) -> frozenset[str]:
    """The S3 endpoint hosts a CloudFormation response URL for ``region`` can use."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    names = {
        f"s3-{region}",
        f"s3.{region}",
        f"s3.dualstack.{region}",
        f"s3-fips.{region}",
        f"s3-fips.dualstack.{region}",
    }
    if suffix == "amazonaws.com" and not region.startswith("us-gov-"):
        names |= {"s3"}  # the legacy global endpoint of the aws partition
    if region == "us-east-1":
        names |= {"s3-external-1"}
    return frozenset(f"{name}.{suffix}" for name in names)


def _not_a_response_bucket(host: str, target: str, region: str | None) -> str | None:
    if region is None or not _region_shaped(region):
        return "the function's region is unknown (AWS_REGION), so no response bucket can be trusted"
    if region.startswith("us-iso") or region.startswith("eu-iso"):
        return f"responses in the partition of {region} are not supported"
    bucket = response_bucket(region)
    endpoints = s3_endpoints(region)
    if host.startswith(bucket + ".") and host[len(bucket) + 1 :] in endpoints:
        return None
    if host in endpoints:
        segments = target.split("?", 1)[0].split("/")
        if len(segments) >= 3 and segments[1] == bucket and not {".", ".."} & set(segments):
            return None
        return f"the ResponseURL path is not in CloudFormation's response bucket {bucket}"
    return f"the ResponseURL host {host!r} is not CloudFormation's response bucket {bucket} on S3 in {region}"
