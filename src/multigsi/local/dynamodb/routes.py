"""Which services the local endpoint serves on its one port, and nothing else.

A web page the developer visits can send requests to loopback; so the port serves only
the routes listed (DynamoDB, and moto's reset if asked for), answers anything else 404,
and sends no CORS headers. Adding a service is one ``Route`` in ``LocalDynamoDB.routes``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multigsi.local.dynamodb.control_plane import ControlPlane

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810."
RESET_PATH = "/moto-api/reset"


@dataclass(frozen=True)
class Route:
    name: str
    matches: Callable[[dict[str, Any]], bool]
    app: WsgiApp


def is_dynamodb(environ: dict[str, Any]) -> bool:
    return environ.get("REQUEST_METHOD") == "POST" and str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith(
        DYNAMODB_TARGET_PREFIX
    )


class Router:
    """The first route that matches answers; no route, 404 (and no CORS preflight)."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes  # the list LocalDynamoDB owns: appending to it adds a service

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        for route in self.routes:
            if route.matches(environ):
                return route.app(environ, start_response)
        body = json.dumps({"__type": "UnknownOperationException", "message": "Not served here"}).encode()
        start_response(
            "404 Not Found",
            [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(body)))],
        )
        return [body]


def reset_route(plane: ControlPlane) -> Route:
    """``POST /moto-api/reset``: drop every table and all control-plane state (opt-in)."""

    def matches(environ: dict[str, Any]) -> bool:
        return environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == RESET_PATH

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        from moto.backends import get_backend

        with plane.lock:
            get_backend("dynamodb").reset()
            plane.operations.clear()
            plane.on_demand.clear()
            plane.tables.forget_all()
            plane.tags.clear()
            plane.global_tables.forget_all()
        body = b'{"status": "ok"}'
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return Route("reset", matches, app)
