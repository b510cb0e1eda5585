"""One way to serve HTTP on loopback in a background thread, for every local stand-in
(Lambda, the registry API, STS, the chaos proxy): bound to 127.0.0.1 on a free port,
daemon threads per request, and a clean shutdown. Nothing here listens beyond this machine."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SHUTDOWN_POLL_SECONDS = 0.05  # how soon shutdown() is noticed (the default 0.5 s slows every test)


class LoopbackServer:
    """``handler`` served on ``127.0.0.1:<free port>``; ``start()``/``stop()`` or ``with``.
    ``server`` is the ThreadingHTTPServer (its ``socket`` may be wrapped, e.g. for TLS, before
    ``start``); ``server_class`` lets a stand-in keep its state on the server object."""

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        *,
        name: str,
        server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer,
        **server_arguments: Any,
    ) -> None:
        self.server = server_class(("127.0.0.1", 0), handler, **server_arguments)
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(SHUTDOWN_POLL_SECONDS,), name=name, daemon=True
        )

    @property
    def host(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
