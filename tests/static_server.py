"""A loopback HTTP server that serves fixed responses: stands in for broken spec hosts."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Canned:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def send_canned(handler: BaseHTTPRequestHandler, canned: Canned, dated: bool = True) -> None:
    """Write `canned` as the response; `dated=False` sends no Date or Server header (only what it holds)."""
    (handler.send_response if dated else handler.send_response_only)(canned.status)
    if canned.content_type:  # an empty one sends no Content-Type header at all
        handler.send_header("Content-Type", canned.content_type)
    for name, value in canned.headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(canned.body)))
    handler.end_headers()
    handler.wfile.write(canned.body)


@contextmanager
def serve_static(routes: dict[str, Canned], host: str = "127.0.0.1") -> Iterator[str]:
    """Yield the server's base URL; unknown paths answer 404."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Silent."""

        def do_GET(self) -> None:
            send_canned(self, routes.get(self.path, Canned(404, "text/plain", b"not found")))

    with running(ThreadingHTTPServer((host, 0), Handler)) as base:
        yield base


@contextmanager
def running(server: ThreadingHTTPServer, scheme: str = "http") -> Iterator[str]:
    """Serve from a daemon thread for the duration of a `with` block; yield the base URL."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"{scheme}://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
