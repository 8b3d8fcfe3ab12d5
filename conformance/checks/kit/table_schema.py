"""CSV descriptions as Frictionless Table Schemas, and CSV exports validated against them with frictionless.

A Table Schema is used as the supplier wrote it; W3C CSVW metadata is mapped to one (frictionless reads no
CSVW). frictionless then checks the header, every cell's type and format, and the constraints. What stays
here is what frictionless does not do: reading CSVW, turning CSVW's UTS #35 date and number patterns into the
strptime formats and separators frictionless takes, and anchoring patterns (frictionless compiles
`^{pattern}$`, so `a|b` would accept "ax" and a trailing newline would pass; XML Schema patterns, which Table
Schema and CSVW use, match the whole value).
"""

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from frictionless import FrictionlessException, Resource, Schema

from conformance.checks.kit.exports import FormatError, Parsed, decode
from conformance.checks.kit.outcomes import MAX_LISTED
from conformance.client import ApiClient

CSVW_ACCEPT = "application/csvm+json, application/ld+json;q=0.9, application/json;q=0.8"
MAX_ROWS = 10000

# XML Schema integer types, and the bounds each implies.
INTEGER_BOUNDS: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-128, 127),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 255),
}
NUMBER_TYPES = {"number", "decimal", "double", "float"}
STRING_TYPES = {
    "string",
    "normalizedString",
    "token",
    "language",
    "Name",
    "NMTOKEN",
    "anyURI",
    "xml",
    "html",
    "json",
    "base64Binary",
    "hexBinary",
    "binary",
    "QName",
}
# CSVW datatype base -> Table Schema type, for the types whose format is a UTS #35 date pattern.
DATE_TYPES = {
    "date": "date",
    "datetime": "datetime",
    "dateTime": "datetime",
    "dateTimeStamp": "datetime",
    "time": "time",
}
OTHER_TYPES = {"gYear": "year", "gYearMonth": "yearmonth", "duration": "duration", "any": "any", "anyAtomicType": "any"}
# The UTS #35 fields CSVW allows in date and time formats (CSVW syntax 6.4.4), as strptime directives.
UTS35_FIELDS = re.compile(r"yyyy|MM?|dd?|HH|mm|ss|S{1,6}|XXX|XX|xxx|xx")
UTS35_DIRECTIVES = {"yyyy": "%Y", "M": "%m", "MM": "%m", "d": "%d", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}
# CSVW string-pattern number formats the harness can read: digits, grouping and the decimal point only.
NUMBER_PATTERN = re.compile(r"[#0,.]+")


class Unsupported(Exception):
    """A column's datatype format that the harness cannot turn into a check; the message says which."""


@dataclass
class Description:
    """A CSV export's columns as a Frictionless Table Schema, and how it was read."""

    kind: str  # "CSVW metadata" or "Table Schema"
    schema: dict[str, Any]
    header: bool
    # Columns whose format could not be checked, with why: their cells are not examined.
    unchecked: list[str] = field(default_factory=list)
    # What the supplier wrote for each anchored pattern, so problems quote the supplier's own pattern.
    patterns: dict[str, str] = field(default_factory=dict)
    # Each column's type as the supplier declared it (a CSVW date format, not the strptime one it became).
    declared: dict[str, str] = field(default_factory=dict)

    @property
    def titles(self) -> list[str]:
        return [str(f.get("name", "")) for f in self.schema["fields"]]


def fetch_json(api: ApiClient, url: str) -> tuple[requests.Response, dict[str, Any]]:
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
    return response, data


def linked_description(api: ApiClient, link: str, csv_url: str) -> tuple[requests.Response, Description | None]:
    """The description a CSV links to, fetched and read as a Table Schema (None when it is neither kind);
    AssertionError when it cannot be fetched."""
    response, raw = fetch_json(api, link)
    return response, describe(raw, csv_url, lambda url: fetch_json(api, urljoin(link, url))[1])


def describe(description: dict[str, Any], csv_url: str, fetch: Callable[[str], dict[str, Any]]) -> Description | None:
    """The description as a Table Schema: CSVW metadata mapped, a Table Schema as it is; None when it is neither.

    `fetch` reads a CSVW `tableSchema` given by URL.
    """
    table = _csvw_table(description, csv_url)
    schema = table.get("tableSchema")
    if isinstance(schema, str):
        schema = fetch(schema)
    if isinstance(schema, dict) and isinstance(schema.get("columns"), list):
        return _from_csvw(description, table, schema)
    held = description.get("schema") if isinstance(description.get("schema"), dict) else description
    if isinstance(held.get("fields"), list):
        found = Description("Table Schema", copy.deepcopy(held), _has_header_row(description))
        for raw in found.schema["fields"]:
            if not isinstance(raw, dict):
                continue  # frictionless says what is wrong with the schema
            fmt = raw.get("format", "default")
            found.declared[str(raw.get("name"))] = str(raw.get("type", "string")) + (
                f" ({fmt})" if fmt != "default" else ""
            )
            constraints = raw.get("constraints")
            if isinstance(constraints, dict) and isinstance(constraints.get("pattern"), str):
                try:
                    constraints["pattern"] = _anchored(constraints["pattern"], found)
                except Unsupported as exc:
                    del constraints["pattern"]
                    found.unchecked.append(f"column {raw.get('name')!r}: {exc}")
        return found
    return None


def _csvw_table(description: dict[str, Any], csv_url: str) -> dict[str, Any]:
    """The table of a CSVW table group whose url is the CSV's (else its first table), or the description."""
    tables = [t for t in description.get("tables") or [] if isinstance(t, dict)]
    if not tables:
        return description
    csv_path = urlsplit(csv_url).path
    same = [t for t in tables if _url_path(t.get("url")) and csv_path.endswith(_url_path(t.get("url")))]
    return (same or tables)[0]


def _url_path(url: Any) -> str:
    return urlsplit(str(url or "")).path.lstrip("./")


def _has_header_row(description: dict[str, Any]) -> bool:
    """CSVW dialect `header` (default true); a Frictionless dialect's `header` likewise."""
    dialect = description.get("dialect")
    for table in description.get("tables") or []:
        if isinstance(table, dict) and isinstance(table.get("dialect"), dict):
            dialect = table["dialect"]
    return not (isinstance(dialect, dict) and dialect.get("header") is False)


def _from_csvw(description: dict[str, Any], table: dict[str, Any], schema: dict[str, Any]) -> Description:
    found = Description("CSVW metadata", {"fields": []}, _has_header_row(description))
    inherited_null = schema.get("null", table.get("null", description.get("null", "")))
    names: dict[str, str] = {}
    for raw in schema["columns"]:
        if not isinstance(raw, dict) or raw.get("virtual"):
            continue
        title = _first_title(raw)
        names[str(raw.get("name", title))] = title
        nulls = raw.get("null", inherited_null)
        converted: dict[str, Any] = {"name": title, "missingValues": _strings(nulls)}
        found.declared[title] = _shown(raw.get("datatype", "string"))
        try:
            converted.update(_csvw_datatype(raw.get("datatype", "string"), found))
        except Unsupported as exc:
            converted["type"] = "any"
            found.unchecked.append(f"column {title!r}: {exc}")
        if raw.get("required"):
            converted.setdefault("constraints", {})["required"] = True
        found.schema["fields"].append(converted)
    key = schema.get("primaryKey")
    if key:
        found.schema["primaryKey"] = [names.get(k, k) for k in _strings(key)]
    return found


def _shown(datatype: Any) -> str:
    """A CSVW datatype as a reader knows it: `datetime (dd/MM/yyyy HH:mm)`."""
    if not isinstance(datatype, dict):
        return str(datatype)
    fmt = datatype.get("format")
    return str(datatype.get("base", "string")) + (f" ({fmt})" if isinstance(fmt, str) else "")


def _first_title(column: dict[str, Any]) -> str:
    titles = column.get("titles", column.get("name", ""))
    if isinstance(titles, dict):
        titles = next(iter(titles.values()), "")
    if isinstance(titles, list):
        titles = titles[0] if titles else ""
    return str(titles or column.get("name", ""))


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _csvw_datatype(datatype: Any, found: Description) -> dict[str, Any]:
    """A CSVW datatype (a name, or an object with base, format and facets) as Table Schema field properties."""
    spec = datatype if isinstance(datatype, dict) else {"base": datatype}
    base = str(spec.get("base", "string")).split(":")[-1]
    fmt = spec.get("format")
    constraints = _facets(spec)
    converted: dict[str, Any]
    if base in INTEGER_BOUNDS:
        low, high = INTEGER_BOUNDS[base]
        if low is not None:
            constraints["minimum"] = max(low, constraints.get("minimum", low))
        if high is not None:
            constraints["maximum"] = min(high, constraints.get("maximum", high))
        converted = {"type": "integer", **_number_format(fmt, integer=True)}
    elif base in NUMBER_TYPES:
        converted = {"type": "number", **_number_format(fmt, integer=False)}
    elif base == "boolean":
        true, false = str(fmt).split("|", 1) if isinstance(fmt, str) and "|" in fmt else ("true|1", "false|0")
        converted = {"type": "boolean", "trueValues": true.split("|"), "falseValues": false.split("|")}
    elif base in DATE_TYPES:
        converted = {"type": DATE_TYPES[base], **({"format": _strptime(fmt)} if fmt else {})}
    elif base in STRING_TYPES:
        converted = {"type": "string"}
        if isinstance(fmt, str):
            constraints["pattern"] = _anchored(fmt, found)
    elif base in OTHER_TYPES and not fmt:
        converted = {"type": OTHER_TYPES[base]}
    else:
        raise Unsupported(f"datatype {ascii(datatype)[:80]} is not one the harness can check")
    return {**converted, **({"constraints": constraints} if constraints else {})}


def _facets(spec: dict[str, Any]) -> dict[str, Any]:
    """CSVW datatype facets as Table Schema constraints."""
    renamed = {
        "minimum": "minimum",
        "minInclusive": "minimum",
        "maximum": "maximum",
        "maxInclusive": "maximum",
        "minExclusive": "exclusiveMinimum",
        "maxExclusive": "exclusiveMaximum",
        "minLength": "minLength",
        "maxLength": "maxLength",
    }
    constraints = {to: spec[name] for name, to in renamed.items() if name in spec}
    if "length" in spec:
        constraints["minLength"] = constraints["maxLength"] = spec["length"]
    return constraints


def _number_format(fmt: Any, integer: bool) -> dict[str, Any]:
    """A CSVW number format (a UTS #35 pattern, or an object with pattern, decimalChar and groupChar)."""
    if fmt is None:
        return {}
    spec = fmt if isinstance(fmt, dict) else {"pattern": fmt}
    pattern = spec.get("pattern")
    if pattern is not None and not (isinstance(pattern, str) and NUMBER_PATTERN.fullmatch(pattern)):
        raise Unsupported(f"number format {ascii(pattern)[:60]} is not one the harness can read")
    group = spec.get("groupChar", "," if pattern and "," in pattern else None)
    decimal = spec.get("decimalChar")
    if integer and group is not None:
        raise Unsupported(f"integer format {ascii(fmt)[:60]} groups digits, which the harness cannot read")
    return {
        **({"groupChar": group} if group is not None else {}),
        **({"decimalChar": decimal} if decimal is not None else {}),
    }


def _strptime(fmt: Any) -> str:
    """A CSVW date/time format (UTS #35 fields CSVW allows) as the strptime format frictionless takes."""
    if not isinstance(fmt, str):
        raise Unsupported(f"date format {ascii(fmt)[:60]} is not a string")
    out, at = [], 0
    for match in UTS35_FIELDS.finditer(fmt):
        out.append(_literal(fmt[at : match.start()]))
        token = match.group()
        out.append(UTS35_DIRECTIVES.get(token, "%f" if token.startswith("S") else "%z"))
        at = match.end()
    out.append(_literal(fmt[at:]))
    return "".join(out)


def _literal(text: str) -> str:
    if any(c.isalpha() and c != "T" for c in text):
        raise Unsupported(f"date format field {text!r} is not one the harness can read")
    return text.replace("%", "%%")


def _anchored(pattern: str, found: Description) -> str:
    """`pattern` matching whole values once frictionless wraps it in ^...$; Unsupported if Python cannot read it."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise Unsupported(f"pattern {pattern!r} is not a regular expression the harness can read ({exc})") from None
    anchored = f"(?:{pattern})\\Z"
    found.patterns[anchored] = pattern
    return anchored


def validate_csv(parsed: Parsed, description: Description, label: str) -> list[str]:
    """Problems of the CSV's header and first MAX_ROWS rows against the description, found by frictionless.

    The rows are the ones our RFC 4180 parser read, so frictionless never guesses a dialect; without a header
    row the description's titles stand in for one.
    """
    header = parsed.header if description.header else description.titles
    rows = [header, *([r.get(name, "") for name in parsed.header] for r in parsed.records[:MAX_ROWS])]
    try:
        schema = Schema.from_descriptor(description.schema)
        report = Resource(data=rows, schema=schema).validate(limit_errors=MAX_LISTED * 2)
    except FrictionlessException as exc:
        return [f"{label}: the {description.kind} is not one frictionless can use: {exc.error.message}"]
    found = []
    for task in report.tasks:
        for error in task.errors:
            found.append(f"{label}: {_said(error, description)}")
    return found


def _said(error: Any, description: Description) -> str:
    """One frictionless error in a sentence, quoting the supplier's own patterns."""
    note = str(getattr(error, "note", "") or "")
    for anchored, original in description.patterns.items():
        note = note.replace(anchored, original)
    row, column = getattr(error, "row_number", None), getattr(error, "field_name", None)
    if row is None:
        return f"{error.title.lower()}: {error.message}"
    where = f"row {row}" + (f", column {column!r}" if column else "")
    cell = getattr(error, "cell", None)
    if error.type == "type-error" and column in description.declared:
        return f"{where}: {ascii(cell)[:60]} is not {description.declared[column]}"
    shown = f" {ascii(cell)[:60]}" if cell is not None else ""
    return f"{where}:{shown} {error.title.lower()}" + (f" ({note})" if note else "")
