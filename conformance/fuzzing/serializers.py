"""Request bodies in the open formats Schemathesis cannot write by itself: NDJSON / JSON Lines and CSV.

Schemathesis already writes JSON and every `*/*+json` type (GeoJSON included), YAML, XML, form-urlencoded,
multipart, text/plain and binary; without a serialiser for a declared body it cannot generate a request at
all, and the operation goes untested. A supplier's vendor media types are theirs to register with
`--hooks FILE` (see conformance/run/hooks.py).

Schemathesis keeps one registry for all its transports, process-wide; `register_open_formats()` puts these
serialisers in it (again is harmless) before a schema is built.
"""

import csv
import io
import json
from typing import Any

import schemathesis

from conformance.media_types import CSV, NDJSON_TYPES
from conformance.operations import resolve, schema_properties


def declared_body_schema(ctx: Any) -> dict[str, Any]:
    """The request-body schema the case was generated from, `$ref`s into the document followed."""
    case = ctx.case
    document = case.operation.schema.raw_schema
    body = resolve(document, case.operation.definition.raw.get("requestBody") or {})
    media = (body.get("content") or {}).get(case.media_type) or {}
    schema = resolve(document, media.get("schema") or {})
    return schema if isinstance(schema, dict) else {}


def _json_text(value: Any) -> str:
    """Compact JSON, non-ASCII escaped as Schemathesis's JSON is: no raw U+2028 or U+0085 for a reader that
    splits lines on them."""
    return json.dumps(value, separators=(",", ":"))


def ndjson(ctx: Any, value: Any) -> bytes | None:
    """One JSON text per line, each ending in a newline: a declared array is the lines, anything else one line."""
    if isinstance(value, bytes):
        return value
    lines = value if isinstance(value, list) and declared_body_schema(ctx).get("type") == "array" else [value]
    return "".join(_json_text(line) + "\n" for line in lines).encode("utf-8")


def _cell(value: Any) -> str:
    """A CSV field: text as it is, nothing as empty, numbers and booleans as JSON writes them, structures as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return _json_text(value)


def _columns(ctx: Any, rows: list[dict[str, Any]]) -> list[str]:
    """The header row: the declared properties in document order, then any other keys the rows carry."""
    schema = declared_body_schema(ctx)
    record = schema.get("items", {}) if schema.get("type") == "array" else schema
    columns = list(schema_properties(ctx.case.operation.schema.raw_schema, record))
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    return columns


def csv_table(ctx: Any, value: Any) -> bytes | None:
    """RFC 4180 CSV with a header row made from the schema's properties; a string body is sent as it is.

    Records (objects) become rows under that header; anything else the fuzzer makes of the body (negative
    data) is written row by row as it is, without a header.
    """
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    rows = value if isinstance(value, list) else [value]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if rows and all(isinstance(row, dict) for row in rows):
        columns = _columns(ctx, rows)
        writer.writerow(columns)
        writer.writerows([_cell(row.get(name)) for name in columns] for row in rows)
    else:
        writer.writerows([_cell(cell) for cell in row] if isinstance(row, list) else [_cell(row)] for row in rows)
    return out.getvalue().encode("utf-8")


def register_open_formats() -> None:
    """Let Schemathesis write NDJSON / JSON Lines and CSV request bodies."""
    schemathesis.serializer(*NDJSON_TYPES)(ndjson)
    schemathesis.serializer(CSV)(csv_table)
