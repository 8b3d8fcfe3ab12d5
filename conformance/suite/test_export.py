"""Open-standard export content: encodings, dates, open formats, CSV column descriptions, errors, documentation.

Each check reads the supplier declaration (`x-conformance`), creates the few records it needs (deleting
them again where the API can delete), and looks at what the export really returns.
"""

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from conformance import records as rec
from conformance.checks import Undecided, not_applicable
from conformance.client import ApiClient
from conformance.declaration import require_declaration
from conformance.plugin import ConformanceSession
from conformance.target import Target

MAX_LISTED = 8


def listed(problems: list[str]) -> str:
    more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    return "; ".join(problems[:MAX_LISTED]) + more


# --- EXP-10 -----------------------------------------------------------------------------------------


def utf8_problems(label: str, response: requests.Response) -> list[str]:
    content_type = response.headers.get("Content-Type", "")
    charset = rec.media_params(content_type).get("charset")
    found = []
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        found.append(f"{label} declares charset={charset}")
    if response.content.startswith(b"\xef\xbb\xbf"):
        found.append(f"{label} starts with a byte order mark")
    try:
        response.content.decode("utf-8")
    except UnicodeDecodeError as exc:
        found.append(f"{label} is not valid UTF-8 ({exc.reason} at byte {exc.start})")
    return found


@pytest.mark.requirement("EXP-10")
def test_json_is_utf8(
    target: Target, api: ApiClient, conformance_session: ConformanceSession, evidence: list[dict[str, Any]]
) -> None:
    document = target.spec.document
    declaration = require_declaration(document)
    problems: list[str] = []
    checked = []
    for collection in declaration.collections:
        with rec.records_for(api, document, collection, conformance_session.seed, "exp10", evidence) as maker:
            created = maker.create()
            responses = [(f"{collection.read} (record {created.id})", maker.read(created.id))]
            for mt in rec.declared_media_types(document, rec.operation(api, collection.export)):
                if rec.is_json_family(mt):
                    responses.append((f"{collection.export} as {mt}", rec.fetch(api, collection, mt)))
            responses.append((f"{collection.list} (first page)", api.call(collection.list)))
            for label, response in responses:
                mt = rec.media_type(response.headers.get("Content-Type"))
                if response.status_code != 200 or not rec.is_json_family(mt):
                    evidence.append({"skipped": label, "status": response.status_code, "content_type": mt})
                    continue
                checked.append(label)
                problems.extend(utf8_problems(label, response))
    evidence.append({"checked": checked})
    if not checked:
        raise Undecided("no JSON response came back to check the encoding of")
    assert not problems, f"JSON that is not plain UTF-8: {listed(problems)}"


# --- EXP-11 -----------------------------------------------------------------------------------------


def date_problems(where: str, record: dict[str, Any], dates: dict[str, str]) -> list[str]:
    found = []
    for name, fmt in dates.items():
        value = record.get(name)
        if value in (None, ""):
            continue
        valid = rec.is_rfc3339_date(value) if fmt == "date" else rec.is_rfc3339_date_time(value)
        if not valid:
            expected = "full-date (YYYY-MM-DD)" if fmt == "date" else "date-time with an offset"
            found.append(f"{where}: {name}={ascii(value)[:60]} is not an RFC 3339 {expected}")
    return found


@pytest.mark.requirement("EXP-11")
def test_dates_are_rfc3339(
    target: Target, api: ApiClient, conformance_session: ConformanceSession, evidence: list[dict[str, Any]]
) -> None:
    document = target.spec.document
    declaration = require_declaration(document)
    problems: list[str] = []
    any_dates = False
    for collection in declaration.collections:
        dates = rec.date_properties(document, rec.record_schema(document, api, collection))
        evidence.append({"collection": collection.name, "date_properties": dates})
        if not dates:
            continue
        any_dates = True
        with rec.records_for(api, document, collection, conformance_session.seed, "exp11", evidence) as maker:
            created = maker.create()
            read = maker.read(created.id)
            if read.status_code == 200:
                body = rec.json_body(read)
                problems.extend(date_problems(f"{collection.read}", body if isinstance(body, dict) else {}, dates))
            for mt in rec.open_media_types(document, rec.operation(api, collection.export)):
                response = rec.fetch(api, collection, mt)
                if response.status_code != 200:
                    continue
                try:
                    parsed = rec.parse(
                        rec.kind_of(mt), response.content, response.headers.get("Content-Type"), collection.id_field
                    )
                except rec.FormatError as exc:
                    evidence.append({"unparsed": mt, "why": str(exc)})
                    continue
                record = parsed.by_id(collection.id_field).get(created.id)
                if record is None:
                    evidence.append({"missing": created.id, "format": mt})
                    continue
                problems.extend(date_problems(f"{collection.export} as {mt}", record, dates))
    if not any_dates:
        not_applicable("no record property is declared with format date or date-time")
    assert not problems, f"dates that are not RFC 3339: {listed(problems)}"


# --- EXP-12 -----------------------------------------------------------------------------------------


@pytest.mark.requirement("EXP-12")
def test_exports_offer_open_formats(
    target: Target, api: ApiClient, conformance_session: ConformanceSession, evidence: list[dict[str, Any]]
) -> None:
    document = target.spec.document
    declaration = require_declaration(document)
    problems: list[str] = []
    for collection in declaration.collections:
        op = rec.operation(api, collection.export)
        declared = rec.declared_media_types(document, op)
        offered = rec.open_media_types(document, op)
        evidence.append({"export": collection.export, "declared": declared, "open": offered})
        if not offered:
            problems.append(
                f"{collection.export} offers no open format (declared: {', '.join(declared) or 'none'}); "
                "offer CSV, JSON, NDJSON or GeoJSON"
            )
            continue
        with rec.records_for(api, document, collection, conformance_session.seed, "exp12", evidence) as maker:
            maker.create()
            for mt in offered:
                problems.extend(format_problems(api, collection, mt))
    assert not problems, listed(problems)


def format_problems(api: ApiClient, collection: Any, mt: str) -> list[str]:
    label = f"{collection.export} as {mt}"
    response = rec.fetch(api, collection, mt)
    if response.status_code != 200:
        return [f"{label}: HTTP {response.status_code} for Accept: {mt}"]
    content_type = response.headers.get("Content-Type", "")
    got = rec.media_type(content_type)
    if got != mt:
        return [f"{label}: answered with Content-Type {got or 'none'}"]
    found = []
    kind = rec.kind_of(mt)
    if kind == "csv":
        params = rec.media_params(content_type)
        if params.get("header", "").lower() == "absent":
            found.append(f"{label}: says header=absent; the CSV must start with a header row")
        charset = params.get("charset")
        if charset is not None and charset.lower() not in ("utf-8", "utf8"):
            found.append(f"{label}: charset={charset}, not UTF-8")
    try:
        parsed = rec.parse(kind, response.content, content_type, collection.id_field)
    except rec.FormatError as exc:
        return [*found, f"{label}: {exc}"]
    if kind == "csv" and collection.id_field not in parsed.header:
        found.append(
            f"{label}: the first row is not a header row naming the columns "
            f"(no {collection.id_field!r} column; first row: {ascii(parsed.header[:4])[:120]})"
        )
    return found


# --- EXP-13 -----------------------------------------------------------------------------------------

CSVW_ACCEPT = "application/csvm+json, application/ld+json;q=0.9, application/json;q=0.8"
XSD_DATE_TIME = re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
XSD_DATE = re.compile(r"^-?\d{4,}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?$")
INTEGER_TYPES = {
    "integer",
    "int",
    "long",
    "short",
    "byte",
    "nonNegativeInteger",
    "positiveInteger",
    "nonPositiveInteger",
    "negativeInteger",
    "unsignedLong",
    "unsignedInt",
    "unsignedShort",
    "unsignedByte",
}
NUMBER_TYPES = {"number", "decimal", "double", "float"}
MAX_ROWS = 10000


@dataclass
class Column:
    title: str
    base: str
    fmt: str | None
    required: bool
    nulls: tuple[str, ...]
    enum: tuple[str, ...] = ()
    pattern: str | None = None


def has_header_row(description: dict[str, Any]) -> bool:
    """CSVW dialect `header` (default true); a Frictionless dialect's `header` likewise."""
    dialect = description.get("dialect")
    for table in description.get("tables") or []:
        if isinstance(table, dict) and isinstance(table.get("dialect"), dict):
            dialect = table["dialect"]
    return not (isinstance(dialect, dict) and dialect.get("header") is False)


def _url_path(url: Any) -> str:
    return urlsplit(str(url or "")).path.lstrip("./")


def csvw_columns(description: dict[str, Any], csv_url: str, fetch_json: Any) -> list[Column] | None:
    """Columns from CSVW metadata (a table or a table group), or None when it is not CSVW."""
    table = description
    if isinstance(description.get("tables"), list) and description["tables"]:
        tables = [t for t in description["tables"] if isinstance(t, dict)]
        csv_path = urlsplit(csv_url).path
        same = [t for t in tables if _url_path(t.get("url")) and csv_path.endswith(_url_path(t.get("url")))]
        table = (same or tables)[0]
    schema = table.get("tableSchema")
    if isinstance(schema, str):
        schema = fetch_json(schema)
    if not isinstance(schema, dict) or not isinstance(schema.get("columns"), list):
        return None
    columns = []
    table_null = schema.get("null", description.get("null", ""))
    for raw in schema["columns"]:
        if not isinstance(raw, dict) or raw.get("virtual"):
            continue
        titles = raw.get("titles", raw.get("name", ""))
        if isinstance(titles, dict):
            titles = next(iter(titles.values()), "")
        if isinstance(titles, list):
            titles = titles[0] if titles else ""
        datatype = raw.get("datatype", "string")
        base, fmt = (
            (datatype.get("base", "string"), datatype.get("format")) if isinstance(datatype, dict) else (datatype, None)
        )
        nulls = raw.get("null", table_null)
        columns.append(
            Column(
                title=str(titles or raw.get("name", "")),
                base=str(base),
                fmt=fmt if isinstance(fmt, str) else None,
                required=bool(raw.get("required")),
                nulls=tuple(nulls) if isinstance(nulls, list) else (str(nulls),),
            )
        )
    return columns


def frictionless_columns(description: dict[str, Any]) -> list[Column] | None:
    """Columns from a Frictionless Table Schema (or a tabular data resource holding one)."""
    schema = description.get("schema") if isinstance(description.get("schema"), dict) else description
    if not isinstance(schema.get("fields"), list):
        return None
    missing = schema.get("missingValues", [""])
    columns = []
    for raw in schema["fields"]:
        if not isinstance(raw, dict):
            continue
        constraints = raw.get("constraints") or {}
        fmt = raw.get("format")
        columns.append(
            Column(
                title=str(raw.get("name", "")),
                base=str(raw.get("type", "string")),
                fmt=fmt if isinstance(fmt, str) and fmt != "default" else None,
                required=bool(constraints.get("required")),
                nulls=tuple(str(m) for m in missing) if isinstance(missing, list) else ("",),
                enum=tuple(str(v) for v in constraints.get("enum") or ()),
                pattern=constraints.get("pattern") if isinstance(constraints.get("pattern"), str) else None,
            )
        )
    return columns


def cell_ok(value: str, column: Column) -> bool:
    base = column.base.split(":")[-1]
    if column.enum and value not in column.enum:
        return False
    if column.pattern and not re.fullmatch(column.pattern, value):
        return False
    if base in INTEGER_TYPES:
        return column.fmt is not None or bool(re.fullmatch(r"[+-]?\d+", value))
    if base in NUMBER_TYPES:
        if column.fmt is not None:
            return True
        try:
            float(value)
        except ValueError:
            return False
        return True
    if base == "boolean":
        if column.fmt and "|" in column.fmt:
            return value in column.fmt.split("|")
        return value.lower() in ("true", "false", "1", "0")
    if base in ("datetime", "dateTime", "dateTimeStamp"):
        if column.fmt:
            return True
        return bool(XSD_DATE_TIME.match(value)) or rec.is_rfc3339_date_time(value)
    if base == "date":
        return column.fmt is not None or bool(XSD_DATE.match(value))
    if base in ("string", "normalizedString", "token") and column.fmt:
        try:
            return bool(re.fullmatch(column.fmt, value))
        except re.error:
            return True
    return True


def validate_csv(parsed: rec.Parsed, columns: list[Column], label: str) -> list[str]:
    titles = [c.title for c in columns]
    if parsed.header != titles:
        return [f"{label}: the header {ascii(parsed.header)[:200]} does not match the described columns {titles}"]
    found = []
    for number, row in enumerate(parsed.records[:MAX_ROWS], 2):
        for column in columns:
            value = row.get(column.title, "")
            if value in column.nulls:
                if column.required:
                    found.append(f"{label}: row {number}, column {column.title!r} is empty but required")
            elif not cell_ok(value, column):
                shown = column.base + (f" ({column.fmt})" if column.fmt else "")
                found.append(f"{label}: row {number}, column {column.title!r}: {ascii(value)[:60]} is not {shown}")
        if len(found) >= MAX_LISTED * 2:
            break
    return found


@pytest.mark.requirement("EXP-13")
def test_csv_exports_are_described(
    target: Target, api: ApiClient, conformance_session: ConformanceSession, evidence: list[dict[str, Any]]
) -> None:
    document = target.spec.document
    declaration = require_declaration(document)
    problems: list[str] = []
    with_csv = [
        c
        for c in declaration.collections
        if rec.CSV in rec.declared_media_types(document, rec.operation(api, c.export))
    ]
    if not with_csv:
        not_applicable("no declared export offers text/csv")
    for collection in with_csv:
        label = f"{collection.export} as text/csv"
        with rec.records_for(api, document, collection, conformance_session.seed, "exp13", evidence) as maker:
            maker.create()
            response = rec.fetch(api, collection, rec.CSV)
            if response.status_code != 200:
                problems.append(f"{label}: HTTP {response.status_code}")
                continue
            link = rec.link_with_rel(response, "describedby")
            if link is None:
                problems.append(
                    f'{label}: no `Link: <...>; rel="describedby"` header points to CSVW metadata or a Table Schema'
                )
                continue
            evidence.append({"describedby": link})
            try:
                description = fetch_json(api, link)
                columns = csvw_columns(
                    description, response.url, lambda u, base=link: fetch_json(api, urljoin(base, u))
                )
                if columns is None:
                    columns = frictionless_columns(description)
                if columns is None:
                    raise AssertionError(
                        "it is neither CSVW metadata (tableSchema.columns) nor a Table Schema (fields)"
                    )
                text = rec.decode(response.content, response.headers.get("Content-Type"))
                header = has_header_row(description)
                parsed = rec.parse_csv(text, None if header else [c.title for c in columns])
            except (AssertionError, rec.FormatError) as exc:
                problems.append(f"{label}: the description at {link} is unusable: {exc}")
                continue
            evidence.append({"columns": [c.title for c in columns], "header_row": header, "rows": len(parsed.records)})
            problems.extend(validate_csv(parsed, columns, label))
    assert not problems, listed(problems)


def fetch_json(api: ApiClient, url: str) -> dict[str, Any]:
    response = rec.get_url(api, url, headers={"Accept": CSVW_ACCEPT})
    if response.status_code != 200:
        raise AssertionError(f"HTTP {response.status_code}")
    try:
        data = json.loads(rec.decode(response.content, response.headers.get("Content-Type")))
    except (ValueError, rec.FormatError) as exc:
        raise AssertionError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise AssertionError("not a JSON object")
    return data


# --- EXP-14 -----------------------------------------------------------------------------------------

PROBLEM_MEMBERS = {"type": str, "title": str, "detail": str, "instance": str}


def problem_problems(label: str, response: requests.Response) -> list[str]:
    mt = rec.media_type(response.headers.get("Content-Type"))
    if mt != "application/problem+json":
        return [f"{label}: HTTP {response.status_code} came as {mt or 'no content type'}, not application/problem+json"]
    try:
        body = json.loads(rec.decode(response.content, response.headers.get("Content-Type")))
    except (ValueError, rec.FormatError) as exc:
        return [f"{label}: the problem details are not JSON: {exc}"]
    if not isinstance(body, dict):
        return [f"{label}: the problem details are not a JSON object"]
    found = []
    for name, kind in PROBLEM_MEMBERS.items():
        if name in body and not isinstance(body[name], kind):
            found.append(f"{label}: member {name!r} is not a string")
    if "status" in body and (not isinstance(body["status"], int) or body["status"] != response.status_code):
        found.append(f"{label}: member 'status' is {body['status']!r}, the response is {response.status_code}")
    return found


@pytest.mark.requirement("EXP-14")
def test_errors_are_problem_details(
    target: Target, api: ApiClient, conformance_session: ConformanceSession, evidence: list[dict[str, Any]]
) -> None:
    document = target.spec.document
    declaration = require_declaration(document)
    seed = conformance_session.seed
    probes: list[tuple[str, requests.Response]] = []
    for collection in declaration.collections:
        with rec.records_for(api, document, collection, seed, "exp14", evidence) as maker:
            if collection.delete is not None:
                gone = maker.create()
                maker.delete(gone)
                missing_id = gone.id
            else:
                missing_id = f"conformance-missing-{seed}"
            probes.append((f"{collection.read} of a missing record", maker.read(missing_id)))
        mt, _ = rec.create_schema(document, api, collection)
        probes.append(
            (
                f"{collection.create} with a JSON array for a body",
                api.call(collection.create, data=b"[]", headers={"Content-Type": mt}),
            )
        )
        if target.headers:
            probes.append(
                (f"{collection.export} without credentials", api.call(collection.export, authenticated=False))
            )
    problems: list[str] = []
    errors = 0
    for label, response in probes:
        evidence.append(
            {"probe": label, "status": response.status_code, "content_type": response.headers.get("Content-Type", "")}
        )
        if response.status_code < 400:
            continue
        errors += 1
        problems.extend(problem_problems(label, response))
    if errors == 0:
        raise Undecided("none of the probes provoked an error response")
    assert not problems, listed(problems)


# --- EXP-15 -----------------------------------------------------------------------------------------


def undescribed(document: dict[str, Any], schema: Any, path: str, seen: set[int]) -> list[str]:
    resolved = rec.resolve(document, schema)
    if not isinstance(resolved, dict) or id(resolved) in seen:
        return []
    seen.add(id(resolved))
    found = []
    for name, raw in (resolved.get("properties") or {}).items():
        target = rec.resolve(document, raw)
        description = (raw.get("description") if isinstance(raw, dict) else None) or (
            target.get("description") if isinstance(target, dict) else None
        )
        if not str(description or "").strip():
            found.append(f"{path}.{name}")
        found.extend(undescribed(document, raw, f"{path}.{name}", seen))
    for key in ("items", "additionalProperties"):
        if isinstance(resolved.get(key), dict):
            found.extend(undescribed(document, resolved[key], f"{path}[]" if key == "items" else f"{path}.*", seen))
    for key in ("allOf", "anyOf", "oneOf"):
        for part in resolved.get(key) or []:
            found.extend(undescribed(document, part, path, seen))
    return found


@pytest.mark.requirement("EXP-15")
def test_exported_properties_are_described(target: Target, api: ApiClient, evidence: list[dict[str, Any]]) -> None:
    document = target.spec.document
    declaration = require_declaration(document)
    missing: list[str] = []
    for collection in declaration.collections:
        op = rec.operation(api, collection.export)
        seen: set[int] = set()
        for code, response in (op.get("responses") or {}).items():
            for mt, media in (rec.resolve(document, response).get("content") or {}).items():
                schema = (media or {}).get("schema")
                if schema is not None:
                    missing.extend(undescribed(document, schema, f"{collection.export} {code} {mt}:", seen))
    evidence.append({"undescribed": missing})
    assert not missing, (
        f"{len(missing)} exported propert{'y has' if len(missing) == 1 else 'ies have'} no "
        f"description: {listed([m.replace(':.', ': ') for m in missing])}"
    )
