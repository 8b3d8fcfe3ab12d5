"""A tiny API on loopback for the fuzzer's tests: each test gives its document and how it answers.

Only the methods a test implements exist; http.server answers any other with 501 Not Implemented, as a
catch-all server that does not recognise a method does (RFC 9110 section 15.6.2).
"""

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.static_server import running

# (method, path, content type, body) -> (status, JSON value or None[, headers])
Answer = Callable[[str, str, str, bytes], tuple[Any, ...]]


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    content_type: str
    body: bytes


@dataclass
class TinyApi:
    base: str
    seen: list[Seen] = field(default_factory=list)

    def spec_args(self, document: dict[str, Any], folder: Path) -> list[str]:
        """`run` arguments for `document` (written to `folder`) against this server."""
        path = folder / "openapi.json"
        path.write_text(json.dumps(document), "utf-8")
        return ["run", "--spec", str(path), "--base-url", self.base, "--max-rps", "0"]


def ok(method: str, path: str, content_type: str, body: bytes) -> tuple[int, Any]:
    return 200, {"ok": True}


@contextmanager
def serve_api(methods: tuple[str, ...], answer: Answer = ok, gone_after: int | None = None) -> Iterator[TinyApi]:
    """Serve `methods` with `answer`; after `gone_after` requests the server closes and refuses the rest."""
    api = TinyApi("")
    lock = threading.Lock()

    def handle(self: BaseHTTPRequestHandler) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock:
            api.seen.append(Seen(self.command, self.path, self.headers.get("Content-Type", ""), body))
            gone = gone_after is not None and len(api.seen) > gone_after
        if gone:  # the target goes away: drop this connection, stop listening
            self.close_connection = True
            threading.Thread(target=_close, args=(self.server,), daemon=True).start()
            return
        status, value, *extra = answer(
            self.command, self.path.split("?")[0], self.headers.get("Content-Type", ""), body
        )
        payload = b"" if value is None else json.dumps(value).encode()
        self.send_response(status)
        for name, header in (extra[0] if extra else {}).items():
            self.send_header(name, header)
        if value is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self: BaseHTTPRequestHandler, format: str, *args: object) -> None:
        """Silent."""

    def send_error(
        self: BaseHTTPRequestHandler, code: int, message: str | None = None, explain: str | None = None
    ) -> None:
        """http.server's own answers (501 to a method not served) are requests the server saw too."""
        with lock:
            api.seen.append(Seen(self.command, self.path, self.headers.get("Content-Type", ""), b""))
        BaseHTTPRequestHandler.send_error(self, code, message, explain)

    handler = type(
        "TinyHandler",
        (BaseHTTPRequestHandler,),
        {
            "protocol_version": "HTTP/1.1",
            "log_message": log_message,
            "send_error": send_error,
            **{f"do_{m}": handle for m in methods},
        },
    )
    with running(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as base:
        api.base = base
        yield api


def _close(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()
