"""CSV descriptions: read CSVW metadata or a Frictionless Table Schema into columns, and check cells against them."""

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from conformance.checks.kit.exports import FormatError, Parsed, decode
from conformance.checks.kit.outcomes import MAX_LISTED
from conformance.checks.kit.rfc3339 import is_rfc3339_date_time
from conformance.client import ApiClient

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
        return bool(XSD_DATE_TIME.match(value)) or is_rfc3339_date_time(value)
    if base == "date":
        return column.fmt is not None or bool(XSD_DATE.match(value))
    if base in ("string", "normalizedString", "token") and column.fmt:
        try:
            return bool(re.fullmatch(column.fmt, value))
        except re.error:
            return True
    return True


def validate_csv(parsed: Parsed, columns: list[Column], label: str) -> list[str]:
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


def fetch_json(api: ApiClient, url: str) -> dict[str, Any]:
    """A CSV description (CSVW metadata or Table Schema) the API links to; AssertionError when unusable."""
    response = api.get_url(url, headers={"Accept": CSVW_ACCEPT})
    if response.status_code != 200:
        raise AssertionError(f"HTTP {response.status_code}")
    try:
        data = json.loads(decode(response.content, response.headers.get("Content-Type")))
    except (ValueError, FormatError) as exc:
        raise AssertionError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise AssertionError("not a JSON object")
    return data
