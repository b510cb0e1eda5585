"""Which ``Host`` headers the local endpoint answers: a guard against DNS rebinding.

A web page the developer visits can point a name it controls at 127.0.0.1 and then
send requests to ``http://evil.example:8000``: the browser treats them as same-origin, so
CORS does not stop it. The page cannot choose the ``Host`` header, though: it is always
the page's own name. So the endpoint answers only requests addressed to a loopback name
or address (``localhost``, 127.0.0.0/8, ``[::1]``) with the port it serves, and, when it
was deliberately bound to another address, that address too (any IP literal for a
wildcard bind: a rebinding attack needs a name, never an address).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
LOOPBACK_NAMES = frozenset({"localhost"})
WILDCARDS = frozenset({"0.0.0.0", "::", ""})  # nosec B104: recognises a wildcard bind, binds nothing


def split_host(header: str) -> tuple[str, int | None] | None:
    """``name:port`` / ``[v6]:port`` / ``name`` → (lower-case name without brackets, port);
    None when the header cannot be a host."""
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        if end < 0:
            return None
        name, rest = header[1:end], header[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:] if rest else None
    else:
        name, _, port_text = header.partition(":") if header.count(":") <= 1 else (header, "", "")
        port_text = port_text or None
    if not name:
        return None
    if port_text is None:
        return name, None
    if not port_text.isdigit():
        return None
    return name, int(port_text)


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def is_loopback(name: str) -> bool:
    address = _ip(name)
    return name in LOOPBACK_NAMES or (address is not None and address.is_loopback)


class HostGuard:
    """Answer 403 to any request whose ``Host`` is not one this server was bound for."""

    def __init__(self, app: WsgiApp, bound_host: str, port: Callable[[], int]) -> None:
        self.app = app
        self.bound = bound_host.strip("[]").lower()
        self.port = port  # read per request: a server on port 0 learns its port when bound

    def allows(self, header: str) -> bool:
        parsed = split_host(header)
        if parsed is None:
            return False
        name, port = parsed
        if port != self.port() and not (port is None and self.port() == 80):
            return False
        if is_loopback(name):
            return True
        if self.bound in WILDCARDS:
            return _ip(name) is not None
        return not is_loopback(self.bound) and name == self.bound

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self.allows(str(environ.get("HTTP_HOST", ""))):
            return self.app(environ, start_response)
        body = json.dumps(
            {"__type": "com.amazon.coral.service#AccessDeniedException", "Message": "Host not allowed"}
        ).encode()
        start_response(
            "403 Forbidden",
            [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(body)))],
        )
        return [body]
