"""Walking a list operation's pages on a loopback API paged each way a real API pages: RFC 8288 links, a next
URL in the body, a cursor; and each way a walk must stop (a loop, a cursor with nowhere to go, a bad page)."""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from conformance.checks.kit.outcomes import Undecided
from conformance.checks.kit.pagination import (
    _body_next,
    _looks_like_url,
    page_size_bounds,
    page_size_parameter,
    parse_link_header,
    walk,
)
from conformance.client import ApiClient
from conformance.declaration import Collection
from conformance.spec import LoadedSpec
from conformance.target import Target
from tests.static_server import running

# (query) -> (status, headers, body bytes)
Pager = Callable[[dict[str, str]], tuple[int, dict[str, str], bytes]]
ITEMS = Collection("items", "createItem", "getItem", "listItems", "exportItems", id_field="key")


def document(*params: dict[str, Any]) -> dict[str, Any]:
    listing = {"operationId": "listItems", "parameters": list(params), "responses": {"200": {"description": "d"}}}
    return {"openapi": "3.0.3", "paths": {"/items": {"get": listing}}}


LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 2, "maximum": 20}}
CURSOR = {"name": "after", "in": "query", "schema": {"type": "string"}}


@contextmanager
def api(pager: Pager, doc: dict[str, Any]) -> Iterator[ApiClient]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Silent."""

        def do_GET(self) -> None:
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            status, headers, body = pager(query)
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with running(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as base:
        spec = LoadedSpec("s", b"", doc, "openapi-3.0", None)
        yield ApiClient(Target(spec, base))


def page(keys: list[int], **extra: Any) -> bytes:
    return json.dumps({"items": [{"key": k} for k in keys], **extra}).encode()


def test_a_cursor_in_the_body_is_sent_back_in_the_declared_parameter() -> None:
    asked: list[dict[str, str]] = []

    def pager(query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        asked.append(query)
        if "after" not in query:
            return 200, {}, page([1, 2], meta={"next_cursor": "c2"})
        return 200, {}, page([3], meta={"next_cursor": ""})

    with api(pager, document(LIMIT, CURSOR)) as client:
        walked = walk(client, client.target.spec.document, ITEMS, 2)
    assert walked.ids == ["1", "2", "3"] and walked.pages == 2 and walked.page_size == 2
    assert asked == [{"limit": "2"}, {"limit": "2", "after": "c2"}]
    assert [r["key"] for r in walked.records] == [1, 2, 3]
    seen = walked.seen("listItems")
    assert seen["request"] == "GET /items?limit=2" and seen["pages"] == 2 and seen["records"] == 3
    assert seen["then"] == ["GET /items?limit=2&after=c2 200"]


def test_a_next_url_in_the_body_and_link_headers_are_followed() -> None:
    def pager(query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        at = query.get("p", "1")
        if at == "1":
            return 200, {}, page([1], links={"next": {"href": "/items?p=2"}})
        if at == "2":
            return 200, {"Link": '</elsewhere>, </items?p=3>; rel="last next"'}, page([2])
        return 200, {"Link": '</items?p=1>; rel="first"'}, b"[]"

    with api(pager, document()) as client:
        walked = walk(client, client.target.spec.document, ITEMS, 5)
    assert walked.ids == ["1", "2"] and walked.pages == 3


def test_an_empty_last_page_is_no_records() -> None:
    def pager(query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if "p" not in query:
            return 200, {}, page([1], next="?p=2")
        return 200, {}, b"  "

    with api(pager, document()) as client:
        assert walk(client, client.target.spec.document, ITEMS, None).ids == ["1"]


@pytest.mark.parametrize(
    ("pager", "doc", "message"),
    [
        (lambda q: (200, {}, page([1], next="/items?p=1")), document(), "pagination loops: page 2 links back to "),
        (lambda q: (200, {}, page([1], nextCursor="same")), document(CURSOR), "cursor 'same' came back on page 2"),
        (lambda q: (200, {}, page([1], nextPageToken="t")), document(), "declares no cursor parameter to send it in"),
        (lambda q: (503, {}, b"{}"), document(), "list page 1 ("),
        (lambda q: (200, {}, b"<html>"), document(), "list page 1 does not hold records: "),
    ],
    ids=["url-loop", "cursor-loop", "cursor-nowhere", "status", "not-records"],
)
def test_a_walk_that_cannot_finish_fails_saying_why(pager: Pager, doc: dict[str, Any], message: str) -> None:
    with api(pager, doc) as client, pytest.raises(AssertionError, match=message.replace("(", r"\(")):
        walk(client, client.target.spec.document, ITEMS, None)


def test_a_walk_without_end_stops_undecided(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("conformance.checks.kit.pagination.MAX_PAGES", 3)

    def pager(query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        n = int(query.get("p", "0")) + 1
        return 200, {}, page([n], next=f"?p={n}")

    with api(pager, document()) as client, pytest.raises(Undecided, match="stopped after 3 pages of 2 records"):
        walk(client, client.target.spec.document, ITEMS, 2)


def test_link_headers_parse_every_link_and_parameter() -> None:
    assert parse_link_header('<a?x=1>; rel="next prev"; Title=T, <b>;rel=last') == [
        ("a?x=1", {"rel": "next prev", "title": "T"}),
        ("b", {"rel": "last"}),
    ]
    assert parse_link_header(None) == [] and parse_link_header("<c>") == [("c", {})]
    assert parse_link_header('<d>; title="Xa=bX"') == [("d", {"title": "Xa=bX"})]


def test_next_links_in_bodies() -> None:
    assert _body_next({"next": 3}) == "3"
    assert _body_next({"_links": {"nextLink": {"href": "/n"}}}) == "/n"
    assert _body_next({"pagination": {"next_url": "/p"}, "next": ""}) == "/p"
    assert _body_next({"links": "x", "meta": {"other": 1}}) is None
    assert _body_next([{"next": "/n"}]) is None
    assert [_looks_like_url(v) for v in ("/a", "?p=2", "http://x", "https://x", "./a", "../a")] == [True] * 6
    assert _looks_like_url("abc") is False


def test_page_size_parameter_and_bounds() -> None:
    def found(doc: dict[str, Any]) -> dict[str, Any] | None:
        client = ApiClient(Target(LoadedSpec("s", b"", doc, "openapi-3.0", None), "http://127.0.0.1:9"))
        return page_size_parameter(doc, client, ITEMS)

    assert found(document({"name": "limit", "in": "header"}, LIMIT, {"name": "top", "in": "query"})) == LIMIT
    assert found(document(CURSOR)) is None
    assert page_size_bounds(LIMIT) == (2, 20)
    assert page_size_bounds(None) == (1, 100)
    assert page_size_bounds({"schema": {"minimum": 0, "maximum": 0}}) == (1, 100)
    assert page_size_bounds({"schema": {"minimum": -5, "maximum": -1}}) == (1, 1)


def test_pages_in_a_declared_charset_and_as_geojson() -> None:
    feature = {"type": "Feature", "id": 5, "geometry": None, "properties": {"t": "é"}}

    def pager(query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if "p" not in query:
            latin = json.dumps({"items": [{"key": 1, "t": "é"}], "next": "?p=2"}, ensure_ascii=False)
            return 200, {"Content-Type": "application/json; charset=iso-8859-1"}, latin.encode("latin-1")
        return 200, {}, json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()

    with api(pager, document()) as client:
        walked = walk(client, client.target.spec.document, ITEMS, None)
    assert walked.ids == ["1", "5"] and walked.records[0]["t"] == "é"


def test_a_long_walk_is_cut_at_the_page_limit_and_its_evidence_at_twenty_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[dict[str, str]] = []

    def pager(query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        asked.append(query)
        n = int(query.get("p", "0")) + 1
        return 200, {}, page([n], next=f"?p={n}" if n < 23 else "")

    with api(pager, document()) as client:
        walked = walk(client, client.target.spec.document, ITEMS, None)
        seen = walked.seen("listItems")
        assert walked.pages == 23 and seen["label"] == "listItems" and len(seen["then"]) == 20
        monkeypatch.setattr("conformance.checks.kit.pagination.MAX_PAGES", 3)
        asked.clear()
        with pytest.raises(Undecided):
            walk(client, client.target.spec.document, ITEMS, None)
        assert len(asked) == 3
