"""A loopback TCP listener that records every connection made to it (for tests that must
prove no answer was sent somewhere), and answers HTTP requests with a chosen status."""

from __future__ import annotations

import socket
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class Connection:
    first_bytes: bytes  # a whole HTTP request, or the start of a TLS ClientHello

    @property
    def is_http_put(self) -> bool:
        return self.first_bytes.startswith(b"PUT ")


@dataclass
class RecordingListener:
    """Any connection is recorded, whatever arrives on it; HTTP gets ``status`` and ``body``."""

    status: int = 200
    body: bytes = b""
    connections: list[Connection] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        listener = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                conn.settimeout(2.0)
                data = b""
                try:
                    data = conn.recv(65536)
                    # HTTP: read the head; anything else (a TLS ClientHello) is recorded as is
                    while data[:1].isalpha() and b"\r\n\r\n" not in data and len(data) < 65536:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass
                if not data[:1].isalpha():
                    with listener.lock:
                        listener.connections.append(Connection(data[:4096]))
                else:  # plain HTTP: read the body, record, answer
                    head, _, rest = data.partition(b"\r\n\r\n")
                    length = next(
                        (
                            int(line.split(b":", 1)[1])
                            for line in head.split(b"\r\n")
                            if line.lower().startswith(b"content-length:")
                        ),
                        0,
                    )
                    try:
                        while len(rest) < length:
                            chunk = conn.recv(65536)
                            if not chunk:
                                break
                            rest += chunk
                    except OSError:
                        pass
                    with listener.lock:
                        listener.connections.append(Connection(head + b"\r\n\r\n" + rest))
                    try:
                        reply = (
                            f"HTTP/1.1 {listener.status} X\r\nContent-Length: {len(listener.body)}\r\n"
                            "Connection: close\r\n\r\n"
                        ).encode() + listener.body
                        conn.sendall(reply)
                    except OSError:
                        pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="recording-listener", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def __enter__(self) -> RecordingListener:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def recorded(self) -> list[Connection]:
        with self.lock:
            return list(self.connections)
