"""Synthetic APIs for the scale benchmark: an OpenAPI document with N operations and a server that
answers every one of them generically, so the cost measured is the harness's, not the server's."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ITEM = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "name": {"type": "string", "maxLength": 50},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
    },
}


def synthetic_document(operations: int) -> dict[str, Any]:
    """`operations` GET/POST operations spread over resources, all sharing one component schema."""
    paths: dict[str, Any] = {}
    for index in range(operations):
        resource, method = divmod(index, 2)
        path = f"/r{resource}/{{id}}" if method == 0 else f"/r{resource}"
        ok = {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}
        operation: dict[str, Any] = {
            "operationId": f"op{index}",
            "responses": {"200": ok, "400": {"description": "bad"}},
        }
        if method == 0:
            operation["parameters"] = [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
            ]
            paths[path] = {"get": operation}
        else:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
            }
            paths[path] = {"post": operation}
    return {
        "openapi": "3.0.3",
        "info": {"title": f"Synthetic {operations}", "version": "1.0.0"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": {"Item": ITEM}},
    }


@contextmanager
def generic_server(every_method: bool = False) -> Iterator[str]:
    """Answer with a valid Item: GET and POST (others get the stdlib's 501), or with every_method every
    method on every path (a catch-all). Yields the base URL on loopback."""
    body = json.dumps({"id": 1, "name": "item", "tags": []}).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:
            """Silent."""

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = _answer
        if every_method:
            do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_TRACE = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
