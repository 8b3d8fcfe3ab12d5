"""Helpers for checks that handle a council's records: make test records, read exports, walk list pages.

Everything here works from the OpenAPI document and the supplier declaration (`x-conformance`); nothing
assumes the reference supplier. Parsing problems raise `FormatError` so a check can turn them into a
failure with a precise reason.
"""

import copy
import csv
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from conformance.checks import Undecided
from conformance.client import ApiClient
from conformance.declaration import Collection

# --- media types ---------------------------------------------------------------------------------

JSON = "application/json"
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines")
GEOJSON = "application/geo+json"
CSV = "text/csv"
OPEN_FORMATS = (JSON, GEOJSON, *NDJSON_TYPES, CSV)
PREFERENCE = (JSON, GEOJSON, *NDJSON_TYPES, CSV)


def media_type(content_type: str | None) -> str:
    """`text/csv; charset=utf-8` -> `text/csv` (lower case)."""
    return (content_type or "").split(";")[0].strip().lower()


def media_params(content_type: str | None) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip():
            params[name.strip().lower()] = value.strip().strip('"')
    return params


def is_json_family(mt: str) -> bool:
    return mt == JSON or mt.endswith("+json") or mt in NDJSON_TYPES


def kind_of(mt: str) -> str:
    """The parser a media type needs: json, geojson, ndjson, csv, or '' when it is not an open format."""
    if mt == GEOJSON:
        return "geojson"
    if mt == JSON:
        return "json"
    if mt in NDJSON_TYPES:
        return "ndjson"
    if mt == CSV:
        return "csv"
    return ""


# --- the document ---------------------------------------------------------------------------------


def resolve(document: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """Follow local `$ref`s (`#/...`) until a node without one; remote refs are left as they are."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        if depth > 50:
            return {}
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and part in target:
                target = target[part]
            elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
                target = target[int(part)]
            else:
                return {}
        node = target
        depth += 1
    return node


def operation(api: ApiClient, operation_id: str) -> dict[str, Any]:
    return api.operations[operation_id].definition


def success_content(document: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    """The media-type map of the operation's first declared 2xx response (200 preferred)."""
    responses = op.get("responses") or {}
    codes = sorted((str(c) for c in responses if str(c).startswith("2")), key=lambda c: (c != "200", c))
    for code in codes:
        content = resolve(document, responses[code]).get("content") or {}
        if content:
            return content
    return {}


def declared_media_types(document: dict[str, Any], op: dict[str, Any]) -> list[str]:
    return [media_type(mt) for mt in success_content(document, op)]


def open_media_types(document: dict[str, Any], op: dict[str, Any]) -> list[str]:
    declared = declared_media_types(document, op)
    return [mt for mt in PREFERENCE if mt in declared]


def record_schema(document: dict[str, Any], api: ApiClient, collection: Collection) -> dict[str, Any]:
    """The JSON schema of one record: the read operation's success response."""
    content = success_content(document, operation(api, collection.read))
    for mt, media in content.items():
        if is_json_family(media_type(mt)):
            return resolve(document, (media or {}).get("schema") or {})
    return {}


def parameters(document: dict[str, Any], api: ApiClient, operation_id: str) -> list[dict[str, Any]]:
    """The operation's parameters, path-level ones included, resolved."""
    found = api.operations[operation_id]
    path_item = (document.get("paths") or {}).get(found.path) or {}
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*(path_item.get("parameters") or []), *(found.definition.get("parameters") or [])]:
        param = resolve(document, raw)
        if isinstance(param, dict) and "name" in param:
            merged[(str(param.get("in")), str(param["name"]))] = param
    return list(merged.values())


def schema_properties(document: dict[str, Any], schema: Any) -> dict[str, Any]:
    """Properties of an object schema, merged through allOf (resolved)."""
    schema = resolve(document, schema)
    if not isinstance(schema, dict):
        return {}
    props = dict(schema.get("properties") or {})
    for part in schema.get("allOf") or []:
        props.update(schema_properties(document, part))
    return {k: resolve(document, v) for k, v in props.items()}


def date_properties(document: dict[str, Any], schema: Any) -> dict[str, str]:
    """Top-level property name -> 'date' or 'date-time' for the record schema's date properties."""
    found = {}
    for name, prop in schema_properties(document, schema).items():
        if isinstance(prop, dict) and prop.get("format") in ("date", "date-time"):
            found[name] = prop["format"]
    return found


# --- RFC 3339 ------------------------------------------------------------------------------------

DATE_TIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _valid_date(year: int, month: int, day: int) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return day <= days


def is_rfc3339_date(value: Any) -> bool:
    match = DATE_RE.match(value) if isinstance(value, str) else None
    return bool(match) and _valid_date(*(int(g) for g in match.groups()))  # type: ignore[union-attr]


def is_rfc3339_date_time(value: Any) -> bool:
    match = DATE_TIME_RE.match(value) if isinstance(value, str) else None
    if not match:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    if not _valid_date(year, month, day) or hour > 23 or minute > 59 or second > 60:
        return False
    if match.group(9):
        return int(match.group(10)) <= 23 and int(match.group(11)) <= 59
    return True


def epoch_seconds(value: str) -> float:
    """Seconds since 1970 for an RFC 3339 date-time (leap second folded into :59); ValueError otherwise."""
    match = DATE_TIME_RE.match(value)
    if not match or not is_rfc3339_date_time(value):
        raise ValueError(f"not an RFC 3339 date-time: {value!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    days = _days_from_civil(year, month, day)
    offset = 0
    if match.group(9):
        offset = (int(match.group(10)) * 60 + int(match.group(11))) * 60 * (1 if match.group(9) == "+" else -1)
    fraction = float("0" + match.group(7)) if match.group(7) else 0.0
    return days * 86400 + hour * 3600 + minute * 60 + min(second, 59) + fraction - offset


def _days_from_civil(year: int, month: int, day: int) -> int:
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def format_epoch(seconds: float) -> str:
    """An RFC 3339 UTC timestamp for epoch seconds (second precision)."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- test records --------------------------------------------------------------------------------

# Text a council really stores: Welsh, French accents (composed and decomposed), emoji with a ZWJ sequence.
WELSH = "Sŵn cerddoriaeth uchel ger Llyn Tegid; ŵ ŷ Ŵ Ŷ"
ACCENTS = "Café « bruyant » à Noël, naïve façade"
DECOMPOSED = "Cafe\u0301 de\u0301compose\u0301"
EMOJI = "🔊🐕 👩🏽\u200d🔧"
RICH_TEXT = f"{WELSH} | {ACCENTS} | {DECOMPOSED} | {EMOJI}"


def marker(seed: int, check: str, n: int) -> str:
    """A value that identifies a record made by this run and check."""
    return f"conformance-{seed}-{check}-{n}"


class SampleError(Exception):
    """The create schema asks for a value the harness cannot make up."""


def sample_value(document: dict[str, Any], schema: Any, text: str, full: bool, where: str) -> Any:
    """A value valid for `schema`, putting `text` in free-text strings."""
    schema = resolve(document, schema)
    if not isinstance(schema, dict):
        return text
    for key in ("example", "default"):
        if key in schema and schema[key] is not None and not _is_free_text(schema):
            return copy.deepcopy(schema[key])
    if schema.get("enum"):
        return copy.deepcopy(schema["enum"][0])
    if "const" in schema:
        return copy.deepcopy(schema["const"])
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return sample_value(document, schema[key][0], text, full, where)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind is None and (schema.get("properties") or schema.get("allOf")):
        kind = "object"
    if kind == "object":
        return sample_object(document, schema, text, full, where)
    if kind == "array":
        count = int(schema.get("minItems") or 0)
        return [sample_value(document, schema.get("items") or {}, text, full, f"{where}[]") for _ in range(count)]
    if kind == "integer" or kind == "number":
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        if isinstance(schema.get("exclusiveMinimum"), (int, float)) or schema.get("exclusiveMinimum") is True:
            low = low + 1
        value = max(1, low) if isinstance(low, (int, float)) else 1
        high = schema.get("maximum")
        if isinstance(high, (int, float)) and value > high:
            value = high
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    return _sample_string(schema, text, where)


def _is_free_text(schema: dict[str, Any]) -> bool:
    return (
        schema.get("type") in ("string", None)
        and not schema.get("enum")
        and not schema.get("format")
        and not schema.get("pattern")
        and "const" not in schema
        and not schema.get("properties")
    )


FORMAT_SAMPLES = {
    "date-time": "2026-11-25T14:30:00Z",
    "date": "2026-11-25",
    "time": "14:30:00Z",
    "email": "conformance@example.org",
    "uri": "https://example.org/conformance",
    "url": "https://example.org/conformance",
    "uuid": "00000000-0000-4000-8000-000000000001",
    "hostname": "example.org",
    "ipv4": "192.0.2.1",
}


def _sample_string(schema: dict[str, Any], text: str, where: str) -> str:
    fmt = schema.get("format")
    if fmt in FORMAT_SAMPLES:
        return FORMAT_SAMPLES[fmt]
    if schema.get("pattern") or fmt:
        raise SampleError(f"{where} needs a {fmt or 'pattern-matching'} string and declares no example")
    high = schema.get("maxLength")
    value = text[:high] if isinstance(high, int) else text
    low = int(schema.get("minLength") or 0)
    return value + "x" * max(0, low - len(value))


def sample_object(document: dict[str, Any], schema: Any, text: str, full: bool, where: str) -> dict[str, Any]:
    schema = resolve(document, schema)
    required = set(schema.get("required") or [])
    for part in schema.get("allOf") or []:
        required |= set(resolve(document, part).get("required") or [])
    result = {}
    for name, prop in schema_properties(document, schema).items():
        if isinstance(prop, dict) and prop.get("readOnly"):
            continue
        if name in required or full:
            try:
                result[name] = sample_value(document, prop, text, full, f"{where}.{name}")
            except SampleError:
                if name in required:
                    raise
    return result


def create_schema(document: dict[str, Any], api: ApiClient, collection: Collection) -> tuple[str, dict[str, Any]]:
    """The media type and schema of the create operation's JSON request body."""
    body = resolve(document, operation(api, collection.create).get("requestBody") or {})
    for mt, media in (body.get("content") or {}).items():
        if is_json_family(media_type(mt)):
            return media_type(mt), media or {}
    raise Undecided(
        f"the create operation {collection.create} declares no JSON request body, so the harness cannot create "
        "test records"
    )


def sample_input(
    document: dict[str, Any], api: ApiClient, collection: Collection, label: str, full: bool = True
) -> tuple[str, dict[str, Any]]:
    """A create body with `label` and the non-ASCII sample text in every free-text field."""
    mt, media = create_schema(document, api, collection)
    text = f"{label} {RICH_TEXT}"
    try:
        body = sample_object(document, media.get("schema") or {}, text, full, "body")
    except SampleError as exc:
        example = media.get("example")
        if not isinstance(example, dict):
            raise Undecided(f"cannot make a record for {collection.create}: {exc}") from None
        body = copy.deepcopy(example)
    return mt, body


@dataclass
class Created:
    """A record this check created: what was sent, the identifier the API gave it, and when (server clock)."""

    id: str
    sent: dict[str, Any]
    returned: dict[str, Any]
    at: float = 0.0


@dataclass
class RecordMaker:
    """Creates records for one check and deletes them again on exit (where the API can delete)."""

    api: ApiClient
    document: dict[str, Any]
    collection: Collection
    seed: int
    check: str
    evidence: list[dict[str, Any]]
    made: list[Created] = field(default_factory=list)

    def create(self, full: bool = True) -> Created:
        n = len(self.made) + 1
        mt, body = sample_input(self.document, self.api, self.collection, marker(self.seed, self.check, n), full)
        response = self.api.call(self.collection.create, json=None, data=_dump(body), headers={"Content-Type": mt})
        if not 200 <= response.status_code < 300:
            raise Undecided(
                f"could not create a test record with {self.collection.create}: "
                f"HTTP {response.status_code} {response.text[:200]}"
            )
        returned = json_body(response)
        record_id = returned.get(self.collection.id_field) if isinstance(returned, dict) else None
        if record_id is None:
            location = response.headers.get("Location", "")
            record_id = location.rstrip("/").rsplit("/", 1)[-1] or None
        if record_id is None:
            raise Undecided(
                f"{self.collection.create} returned no {self.collection.id_field!r} and no Location, so the harness "
                "cannot identify the record it created"
            )
        created = Created(str(record_id), body, returned if isinstance(returned, dict) else {}, _server_time(response))
        self.made.append(created)
        self.evidence.append({"created": created.id, "collection": self.collection.name})
        return created

    def delete(self, created: Created) -> requests.Response:
        assert self.collection.delete is not None
        response = self.api.call(
            self.collection.delete, path_params=delete_params(self.api, self.collection, created.id)
        )
        if 200 <= response.status_code < 300:
            self.made.remove(created)
        return response

    def adopt(self, record_id: str, sent: dict[str, Any]) -> None:
        """A record that came back some other way (an import): delete it on exit too."""
        if all(c.id != record_id for c in self.made):
            self.made.append(Created(record_id, sent, {}))

    def read(self, record_id: str) -> requests.Response:
        return self.api.call(self.collection.read, path_params=read_params(self.api, self.collection, record_id))

    def cleanup(self) -> None:
        if self.collection.delete is None:
            if self.made:
                self.evidence.append({"left_in_place": [c.id for c in self.made], "why": "no delete operation"})
            return
        for created in list(self.made):
            try:
                self.api.call(self.collection.delete, path_params=delete_params(self.api, self.collection, created.id))
            except requests.RequestException:
                self.evidence.append({"cleanup_failed": created.id})


@contextmanager
def records_for(
    api: ApiClient, document: dict[str, Any], collection: Collection, seed: int, check: str, evidence: list
) -> Iterator[RecordMaker]:
    maker = RecordMaker(api, document, collection, seed, check, evidence)
    try:
        yield maker
    finally:
        maker.cleanup()


def _server_time(response: requests.Response) -> float:
    """The response's Date header as epoch seconds; the local clock when there is none."""
    try:
        return parsedate_to_datetime(response.headers["Date"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return time.time()


def _dump(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def json_body(response: requests.Response) -> Any:
    try:
        return json.loads(decode(response.content, response.headers.get("Content-Type")))
    except (ValueError, UnicodeDecodeError):
        return {}


def delete_params(api: ApiClient, collection: Collection, record_id: str) -> dict[str, str]:
    assert collection.delete is not None
    names = re.findall(r"{([^}]+)}", api.operations[collection.delete].path)
    return {names[-1]: record_id} if names else {}


def read_params(api: ApiClient, collection: Collection, record_id: str) -> dict[str, str]:
    names = re.findall(r"{([^}]+)}", api.operations[collection.read].path)
    return {names[-1]: record_id} if names else {}


# --- parsing exports -----------------------------------------------------------------------------


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
        return Parsed("json", data, lambda rs: _dump(rs))
    if isinstance(data, dict):
        key = _records_key(data)
        if key is None:
            raise FormatError("the JSON object holds no array of records")
        return Parsed("json", data[key], lambda rs: _dump({**data, key: rs}))
    raise FormatError("the JSON is neither an array of records nor an object holding one")


def _records_key(data: dict[str, Any]) -> str | None:
    for key in ("items", "data", "records", "results"):
        if isinstance(data.get(key), list):
            return key
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return key
    return None


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
        return _dump({**data, "features": [by_id[str(r.get(id_field))] for r in rs]})

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
    offered = open_media_types(document, operation(api, collection.export))
    if not offered:
        raise AssertionError(
            f"the export operation {collection.export} declares no open format "
            f"(declared: {', '.join(declared_media_types(document, operation(api, collection.export))) or 'none'})"
        )
    mt = offered[0]
    response = fetch(api, collection, mt, params)
    if response.status_code != 200:
        raise AssertionError(f"{collection.export} with Accept: {mt} answered HTTP {response.status_code}")
    try:
        parsed = parse(kind_of(mt), response.content, response.headers.get("Content-Type"), collection.id_field)
    except FormatError as exc:
        raise AssertionError(f"{collection.export} ({mt}): {exc}") from None
    return Export(response, mt, parsed)


# --- comparing values ------------------------------------------------------------------------------


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


# --- following links -----------------------------------------------------------------------------


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


def get_url(api: ApiClient, url: str, headers: dict[str, str] | None = None) -> requests.Response:
    """GET an absolute URL, with the target's credentials only on the API's own origin."""
    base = urlsplit(api.target.base_url)
    there = urlsplit(url)
    if there.scheme not in ("http", "https"):
        raise AssertionError(f"refusing to follow a non-HTTP link: {url[:200]}")
    same_origin = (there.scheme, there.netloc) == (base.scheme, base.netloc)
    if url.startswith(api.target.base_url):
        return api.request("GET", url[len(api.target.base_url) :], headers=headers)
    sent = dict(api.target.headers) if same_origin else {}
    sent.update(headers or {})
    safety = getattr(api, "safety", None)
    extra: dict[str, Any] = {}
    if safety is not None:  # the run's limits hold for links followed off the base URL too
        safety.check_budget()
        safety.allow("GET")
        safety.pace()
        extra["hooks"] = {"response": [safety.response_hook()]}
    timeout = getattr(safety, "request_timeout", None) or getattr(api, "timeout", 10.0)
    response = api.session.get(
        url, headers=sent, timeout=timeout, allow_redirects=False, verify=api.target.verify, stream=True, **extra
    )
    _ = response.content
    return response


# --- walking list pages ----------------------------------------------------------------------------

PAGE_SIZE_NAMES = ("limit", "per_page", "perPage", "page_size", "pageSize", "size", "count", "max", "top", "$top")
CURSOR_NAMES = ("cursor", "page_token", "pageToken", "after", "continuation", "token", "next", "starting_after")
NEXT_KEYS = ("next", "nextUrl", "next_url", "nextLink", "next_link", "next_cursor", "nextCursor", "nextPageToken")
MAX_PAGES = 1000


@dataclass
class Walk:
    ids: list[str]
    pages: int
    page_size: int | None


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
    seen_requests: set[str] = set()
    response = api.call(collection.list, params=params)
    pages = 0
    while True:
        pages += 1
        if response.status_code != 200:
            raise AssertionError(f"list page {pages} ({response.url}) answered HTTP {response.status_code}")
        try:
            parsed = parse("json", response.content, response.headers.get("Content-Type"), collection.id_field)
            body = json.loads(decode(response.content, response.headers.get("Content-Type")))
        except FormatError as exc:
            if not response.content.strip():
                parsed, body = Parsed("json", [], _dump), []
            else:
                raise AssertionError(f"list page {pages} does not hold records: {exc}") from None
        ids.extend(str(r.get(collection.id_field)) for r in parsed.records)
        following = link_with_rel(response, "next") or _body_next(body)
        if not following:
            return Walk(ids, pages, page_size)
        if pages >= MAX_PAGES:
            raise Undecided(f"stopped after {MAX_PAGES} pages of {page_size} records without reaching the end")
        if _looks_like_url(following):
            url = urljoin(response.url, following)
            if url in seen_requests:
                raise AssertionError(f"pagination loops: page {pages} links back to {url}")
            seen_requests.add(url)
            response = get_url(api, url)
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
