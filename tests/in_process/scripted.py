"""A loopback API that answers each request from a script, over real HTTP: the answers the reference supplier
never gives (a create with no id, a delete that drops the connection, an export that does not parse), so the
kit's handling of each is shown in this process.
"""

import copy
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from requests.structures import CaseInsensitiveDict

from conformance.client import ApiClient
from conformance.declaration import Collection
from conformance.safety import Safety
from conformance.spec import LoadedSpec
from conformance.target import Target
from tests.static_server import Canned, running, send_canned

FIRST = {"Authorization": "Bearer first-client"}
SECOND = {"Authorization": "Bearer second-client"}
JSON = "application/json"


@dataclass(frozen=True)
class Asked:
    """One request the API received."""

    method: str
    path: str  # with its query
    headers: CaseInsensitiveDict[str]
    body: bytes


# A fixed answer, or one made from the request (None: close the connection without answering).
Answer = Canned | Callable[[Asked], Canned | None]


@dataclass
class Script:
    """Answers by "METHOD /path" (the query is not part of the key), else by "METHOD /parent/*" for any last
    segment; anything else is answered 404."""

    routes: dict[str, Answer]
    asked: list[Asked] = field(default_factory=list)

    def answer(self, asked: Asked) -> Canned | None:
        self.asked.append(asked)
        path = asked.path.split("?")[0]
        found = self.routes.get(f"{asked.method} {path}") or self.routes.get(
            f"{asked.method} {path.rsplit('/', 1)[0]}/*", Canned(404, "text/plain", b"no route")
        )
        return found(asked) if callable(found) else found


def handler_for(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Silent."""

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = CaseInsensitiveDict(self.headers.items())  # as HTTP reads header names
            canned = script.answer(Asked(self.command, self.path, headers, body))
            if canned is None:
                self.close_connection = True
                return
            send_canned(self, canned, dated=False)  # no Date header unless the script gives one

        do_GET = do_POST = do_PUT = do_DELETE = _dispatch

    return Handler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: a client that drops a kept-alive connection is no news."""


@dataclass
class ScriptedApi:
    """A client of the scripted API, and every request the API received from it."""

    api: ApiClient
    asked: list[Asked]


@contextmanager
def scripted(document: dict[str, Any], routes: dict[str, Answer], timeout: float = 5.0) -> Iterator[ScriptedApi]:
    """A client (first client's credentials, a second client's as its peer) of an API that answers from `routes`."""
    script = Script(routes)
    with running(QuietServer(("127.0.0.1", 0), handler_for(script))) as base:
        spec = LoadedSpec("scripted", b"", document, "openapi-3.0", None)
        target = Target(spec, base, dict(FIRST), dict(SECOND))
        yield ScriptedApi(ApiClient(target, Safety(max_rps=0, request_timeout=timeout)), script.asked)


def json_answer(status: int, payload: Any, content_type: str = JSON, **headers: str) -> Canned:
    return Canned(status, content_type, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers)


THINGS = Collection(
    "things",
    "createThing",
    "getThing",
    "listThings",
    "exportThings",
    delete="deleteThing",
    import_="importThings",
    id_field="ref",
    modified_field="changedAt",
)
THING_INPUT = {
    "type": "object",
    "required": ["title"],
    "properties": {"title": {"type": "string"}, "size": {"type": "integer"}},
}


def things_document() -> dict[str, Any]:
    """A document with one declared collection, `things`, at /things (a fresh copy: tests change it)."""
    ok = {"200": {"description": "ok", "content": {JSON: {"schema": {"type": "object"}}}}}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "things", "version": "1"},
        "x-conformance": {
            "contact": "a@b.example",
            "health": "listThings",
            "collections": [
                {
                    "name": "things",
                    "create": "createThing",
                    "read": "getThing",
                    "list": "listThings",
                    "export": "exportThings",
                    "delete": "deleteThing",
                    "import": "importThings",
                    "id-field": "ref",
                    "modified-field": "changedAt",
                }
            ],
        },
        "paths": {
            "/things": {
                "get": {"operationId": "listThings", "responses": ok},
                "post": {
                    "operationId": "createThing",
                    "requestBody": {"content": {JSON: {"schema": THING_INPUT}}},
                    "responses": ok,
                },
            },
            "/things/{thingId}": {
                "parameters": [{"name": "thingId", "in": "path", "required": True, "schema": {"type": "string"}}],
                "get": {"operationId": "getThing", "responses": ok},
                "delete": {"operationId": "deleteThing", "responses": {"204": {"description": "gone"}}},
            },
            "/things/export": {
                "get": {
                    "operationId": "exportThings",
                    "responses": {"200": {"description": "all", "content": {JSON: {"schema": {"type": "array"}}}}},
                }
            },
            "/things/import": {
                "post": {
                    "operationId": "importThings",
                    "requestBody": {"content": {JSON: {"schema": {"type": "array"}}}},
                    "responses": ok,
                }
            },
        },
    }
    return copy.deepcopy(document)
