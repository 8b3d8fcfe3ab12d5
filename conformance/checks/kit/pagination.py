"""Following a list operation's pages to the end: RFC 8288 links, next URLs and cursors in bodies.

The walk sends the API's own page-size and cursor parameters (found by their usual names) and fails on a loop.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import requests

from conformance.checks.kit.document import parameters
from conformance.checks.kit.evidence import observed
from conformance.checks.kit.exports import FormatError, Parsed, decode, dump_json, parse
from conformance.checks.kit.outcomes import Undecided
from conformance.client import ApiClient
from conformance.declaration import Collection

LINK_RE = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


def parse_link_header(value: str | None) -> list[tuple[str, dict[str, str]]]:
    """RFC 8288 Link header -> [(target, {param: value})]; rel may hold several space-separated relations."""
    links = []
    for match in LINK_RE.finditer(value or ""):
        params = {}
        for part in match.group(2).split(";"):
            name, _, raw = part.partition("=")
            if name.strip():
                params[name.strip().lower()] = raw.strip().strip('"')
        links.append((match.group(1), params))
    return links


def link_with_rel(response: requests.Response, rel: str) -> str | None:
    for target, params in parse_link_header(response.headers.get("Link")):
        if rel in params.get("rel", "").lower().split():
            return urljoin(response.url, target)
    return None


PAGE_SIZE_NAMES = ("limit", "per_page", "perPage", "page_size", "pageSize", "size", "count", "max", "top", "$top")
CURSOR_NAMES = ("cursor", "page_token", "pageToken", "after", "continuation", "token", "next", "starting_after")
NEXT_KEYS = ("next", "nextUrl", "next_url", "nextLink", "next_link", "next_cursor", "nextCursor", "nextPageToken")
MAX_PAGES = 1000


@dataclass
class Walk:
    ids: list[str]
    page_size: int | None
    responses: list[requests.Response]  # every page, in order: the evidence of what was walked
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return len(self.responses)

    def seen(self, label: str) -> dict[str, Any]:
        """Evidence of the walk: its first request, then the next pages' requests and statuses (the first 20)."""
        first, *rest = self.responses
        then = [f"{r.request.method} {r.request.path_url} {r.status_code}" for r in rest[:20]]
        return observed(first, label, pages=self.pages, records=len(self.ids), then=then)


def page_size_parameter(document: dict[str, Any], api: ApiClient, collection: Collection) -> dict[str, Any] | None:
    for param in parameters(document, api, collection.list):
        if param.get("in") == "query" and param.get("name") in PAGE_SIZE_NAMES:
            return param
    return None


def page_size_bounds(param: dict[str, Any] | None) -> tuple[int, int]:
    schema = (param or {}).get("schema") or {}
    low = int(schema.get("minimum", 1) or 1)
    high = int(schema.get("maximum", 100) or 100)
    return max(1, low), max(1, high)


def walk(api: ApiClient, document: dict[str, Any], collection: Collection, page_size: int | None) -> Walk:
    """Follow the list operation's pages to the end; AssertionError on a loop or an unreadable page."""
    size_param = page_size_parameter(document, api, collection)
    params: dict[str, Any] = {}
    if size_param is not None and page_size is not None:
        params[size_param["name"]] = page_size
    cursor_param = next(
        (
            p["name"]
            for p in parameters(document, api, collection.list)
            if p.get("in") == "query" and p.get("name") in CURSOR_NAMES
        ),
        None,
    )
    ids: list[str] = []
    records: list[dict[str, Any]] = []
    seen_requests: set[str] = set()
    response = api.call(collection.list, params=params)
    responses: list[requests.Response] = []
    while True:
        responses.append(response)
        pages = len(responses)
        if response.status_code != 200:
            raise AssertionError(f"list page {pages} ({response.url}) answered HTTP {response.status_code}")
        try:
            parsed = parse("json", response.content, response.headers.get("Content-Type"), collection.id_field)
            body = json.loads(decode(response.content, response.headers.get("Content-Type")))
        except FormatError as exc:
            if not response.content.strip():
                parsed, body = Parsed("json", [], dump_json), []
            else:
                raise AssertionError(f"list page {pages} does not hold records: {exc}") from None
        ids.extend(str(r.get(collection.id_field)) for r in parsed.records)
        records.extend(parsed.records)
        following = link_with_rel(response, "next") or _body_next(body)
        if not following:
            return Walk(ids, page_size, responses, records)
        if pages >= MAX_PAGES:
            raise Undecided(f"stopped after {MAX_PAGES} pages of {page_size} records without reaching the end")
        if _looks_like_url(following):
            url = urljoin(response.url, following)
            if url in seen_requests:
                raise AssertionError(f"pagination loops: page {pages} links back to {url}")
            seen_requests.add(url)
            response = api.get_url(url)
        else:
            if cursor_param is None:
                raise AssertionError(
                    f"list page {pages} gives a next cursor {following!r} but {collection.list} declares no cursor "
                    "parameter to send it in"
                )
            if following in seen_requests:
                raise AssertionError(f"pagination loops: cursor {following!r} came back on page {pages}")
            seen_requests.add(following)
            response = api.call(collection.list, params={**params, cursor_param: following})


def _body_next(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    for holder in (body, body.get("links"), body.get("_links"), body.get("meta"), body.get("pagination")):
        if not isinstance(holder, dict):
            continue
        for key in NEXT_KEYS:
            value = holder.get(key)
            if isinstance(value, dict):
                value = value.get("href")
            if isinstance(value, (str, int)) and str(value):
                return str(value)
    return None


def _looks_like_url(value: str) -> bool:
    return value.startswith(("/", "?", "http://", "https://", "./", "../"))
