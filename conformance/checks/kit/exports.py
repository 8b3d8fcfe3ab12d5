"""Reading exports: decode a body, parse it as JSON, GeoJSON, NDJSON or CSV, and compare records with what was sent.

Parsing problems raise FormatError, so a check can turn them into a failure with a precise reason.
"""

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from conformance.checks.kit.document import declared_media_types, open_media_types
from conformance.checks.kit.rfc3339 import epoch_seconds, is_rfc3339_date_time
from conformance.client import ApiClient
from conformance.declaration import Collection
from conformance.media_types import kind_of, media_params


def dump_json(body: Any) -> bytes:
    """UTF-8 JSON as a client sends it: non-ASCII text as itself, not as escapes."""
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


class FormatError(Exception):
    """A body does not parse as the format its media type names."""


def decode(body: bytes, content_type: str | None, strict_utf8: bool = False) -> str:
    """Text of a body: the declared charset (UTF-8 when none); with strict_utf8, UTF-8 whatever it says."""
    charset = "utf-8" if strict_utf8 else media_params(content_type).get("charset", "utf-8")
    try:
        text = body.decode(charset)
    except LookupError:
        raise FormatError(f"unknown charset {charset!r}") from None
    except UnicodeDecodeError as exc:
        raise FormatError(f"the body is not valid {charset}: {exc.reason} at byte {exc.start}") from None
    return text[1:] if text.startswith("\ufeff") else text


@dataclass
class Parsed:
    """Records read from one export response, and how to write a subset back in the same shape."""

    kind: str
    records: list[dict[str, Any]]
    rebuild: Callable[[list[dict[str, Any]]], bytes]
    header: list[str] = field(default_factory=list)

    def by_id(self, id_field: str) -> dict[str, dict[str, Any]]:
        return {str(r.get(id_field)): r for r in self.records if r.get(id_field) is not None}


def parse(kind: str, body: bytes, content_type: str | None, id_field: str = "id") -> Parsed:
    text = decode(body, content_type)
    if kind == "csv":
        return parse_csv(text)
    if kind == "ndjson":
        records = []
        # NDJSON separates records with \n only; str.splitlines() would also split inside strings at U+2028 etc.
        for number, line in enumerate(text.split("\n"), 1):
            line = line.removesuffix("\r")
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError as exc:
                raise FormatError(f"NDJSON line {number} is not JSON: {exc}") from None
            if not isinstance(item, dict):
                raise FormatError(f"NDJSON line {number} is not a JSON object")
            records.append(item)
        return Parsed(kind, records, lambda rs: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rs).encode())
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise FormatError(f"the body is not JSON: {exc}") from None
    if kind == "geojson" or (isinstance(data, dict) and data.get("type") == "FeatureCollection"):
        return _parse_geojson(data, id_field)
    if isinstance(data, list):
        if not all(isinstance(r, dict) for r in data):
            raise FormatError("the JSON array holds something other than objects")
        return Parsed("json", data, lambda rs: dump_json(rs))
    if isinstance(data, dict):
        key = _records_key(data)
        if key is None:
            raise FormatError("the JSON object holds no array of records")
        return Parsed("json", data[key], lambda rs: dump_json({**data, key: rs}))
    raise FormatError("the JSON is neither an array of records nor an object holding one")


def _records_key(data: dict[str, Any]) -> str | None:
    for key in ("items", "data", "records", "results"):
        if isinstance(data.get(key), list):
            return key
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return key
    # An empty page under a name of the API's own ({"cases": [], "pagination": {...}}, as APIFlask writes it):
    # the one array in the object is where the records would be.
    arrays = [key for key, value in data.items() if isinstance(value, list)]
    return arrays[0] if len(arrays) == 1 and not data[arrays[0]] else None


def _parse_geojson(data: Any, id_field: str) -> Parsed:
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise FormatError("GeoJSON must be a FeatureCollection with a features array (RFC 7946)")
    records = []
    by_id: dict[str, dict[str, Any]] = {}
    for feature in data["features"]:
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise FormatError("a GeoJSON feature is not a Feature object")
        record = dict(feature.get("properties") or {})
        if id_field not in record and "id" in feature:
            record[id_field] = feature["id"]
        records.append(record)
        by_id[str(record.get(id_field))] = feature

    def rebuild(rs: list[dict[str, Any]]) -> bytes:
        return dump_json({**data, "features": [by_id[str(r.get(id_field))] for r in rs]})

    return Parsed("geojson", records, rebuild)


def parse_csv(text: str, names: list[str] | None = None) -> Parsed:
    """RFC 4180: every row has the header's number of fields; the header names are unique and non-empty.

    With `names` (a description that says the CSV has no header row) every row is data.
    """
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise FormatError(f"the CSV does not parse: {exc}") from None
    if names is not None:
        rows.insert(0, names)
    if not rows:
        raise FormatError("the CSV is empty: it has no header row")
    header = rows[0]
    if any(not name.strip() for name in header) or len(set(header)) != len(header):
        raise FormatError(f"the first row is not a header row of unique, non-empty column names: {header[:8]}")
    records = []
    for number, row in enumerate(rows[1:], 2):
        if len(row) != len(header):
            raise FormatError(f"CSV row {number} has {len(row)} fields; the header has {len(header)}")
        records.append(dict(zip(header, row, strict=True)))

    def rebuild(rs: list[dict[str, Any]]) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rs)
        return out.getvalue().encode("utf-8")

    return Parsed("csv", records, rebuild, header)


@dataclass
class Export:
    response: requests.Response
    media_type: str
    parsed: Parsed


def fetch(
    api: ApiClient, collection: Collection, mt: str, params: dict[str, Any] | None = None, **kwargs: Any
) -> requests.Response:
    headers = {"Accept": mt, **kwargs.pop("headers", {})}
    return api.call(collection.export, params=params, headers=headers, **kwargs)


def export(
    api: ApiClient, document: dict[str, Any], collection: Collection, params: dict[str, Any] | None = None
) -> Export:
    """The collection's export in the most structured open format it declares; AssertionError when unusable."""
    definition = api.operations[collection.export].definition
    offered = open_media_types(document, definition)
    if not offered:
        raise AssertionError(
            f"the export operation {collection.export} declares no open format "
            f"(declared: {', '.join(declared_media_types(document, definition)) or 'none'})"
        )
    return export_in(api, collection, offered[0], params)


def export_in(api: ApiClient, collection: Collection, mt: str, params: dict[str, Any] | None = None) -> Export:
    """The collection's export in `mt`; AssertionError when it does not answer 200 or does not parse as `mt`."""
    response = fetch(api, collection, mt, params)
    if response.status_code != 200:
        raise AssertionError(f"{collection.export} as {mt} answered HTTP {response.status_code}")
    try:
        parsed = parse(kind_of(mt), response.content, response.headers.get("Content-Type"), collection.id_field)
    except FormatError as exc:
        raise AssertionError(f"{collection.export} as {mt}: {exc}") from None
    return Export(response, mt, parsed)


def as_csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def same_value(sent: Any, got: Any, fmt: str | None, textual: bool) -> bool:
    if textual:
        got_text = got if isinstance(got, str) else as_csv_text(got)
        if fmt == "date-time" and is_rfc3339_date_time(got_text) and is_rfc3339_date_time(sent):
            return epoch_seconds(got_text) == epoch_seconds(sent)
        return got_text == as_csv_text(sent)
    if fmt == "date-time" and is_rfc3339_date_time(got) and is_rfc3339_date_time(sent):
        return epoch_seconds(got) == epoch_seconds(sent)
    if isinstance(sent, bool) or isinstance(got, bool):
        return sent is got
    return sent == got


def differences(
    sent: dict[str, Any], got: dict[str, Any], formats: dict[str, str], textual: bool, record_id: str
) -> list[str]:
    """What the export lost or changed of the fields the client supplied."""
    found = []
    for name, value in sent.items():
        if name not in got or (got[name] in (None, "") and value not in (None, "")):
            found.append(f"record {record_id}: field {name!r} is missing from the export")
        elif not same_value(value, got[name], formats.get(name), textual):
            shown = f"sent {ascii(value)[:120]}, exported {ascii(got[name])[:120]}"
            found.append(f"record {record_id}: field {name!r} changed: {shown}")
    return found
