"""CSV descriptions read as Table Schemas, and CSV rows validated against them by frictionless, with exact results.

Each CSVW construct the harness maps (datatypes, facets, formats, nulls, titles, table groups, dialects) is
read into the exact Table Schema frictionless gets, and each problem frictionless finds is worded exactly;
the description is also fetched from real loopback servers (the reference supplier's CSVW metadata, and
canned answers for the ways a description can be unusable).
"""

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.checks.kit.exports import Parsed, dump_json, parse_csv
from conformance.checks.kit.table_schema import (
    CSVW_ACCEPT,
    Description,
    Unsupported,
    _csvw_datatype,
    _number_format,
    _strptime,
    describe,
    fetch_json,
    linked_description,
    validate_csv,
)
from conformance.client import ApiClient
from conformance.demo import RunningSupplier
from conformance.demo.exports import CSV_COLUMNS
from conformance.spec import LoadedSpec
from conformance.target import Target
from tests.in_process.conftest import client
from tests.static_server import Canned, serve_static

CSV_URL = "https://h/v1/cases/export"
BAD_PATTERN = (
    "pattern '(' is not a regular expression the harness can read (missing ), unterminated subpattern at position 0)"
)


def described(description: dict[str, Any], fetched: dict[str, Any] | None = None) -> Description:
    found = describe(description, CSV_URL, lambda url: fetched or {})
    assert found is not None
    return found


def columns(*columns: dict[str, Any], **metadata: Any) -> Description:
    """CSVW metadata with these columns (and the primary key `key`)."""
    key = {"primaryKey": metadata.pop("key")} if "key" in metadata else {}
    return described({"tableSchema": {"columns": list(columns), **key}, **metadata})


def problems(text: str, description: Description) -> list[str]:
    return validate_csv(parse_csv(text, None if description.header else description.titles), description, "csv")


# --- fetching the description ----------------------------------------------------------------------


@pytest.fixture
def static_api() -> Iterator[tuple[dict[str, Canned], ApiClient]]:
    """An API whose paths answer what a test puts in `routes` (path -> Canned)."""
    routes: dict[str, Canned] = {}
    with serve_static(routes) as base:
        yield (
            routes,
            ApiClient(Target(LoadedSpec("s", b"", {"openapi": "3.0.3", "paths": {}}, "openapi-3.0", None), base)),
        )


def test_the_reference_suppliers_csvw_metadata_is_fetched_and_read(conformant: RunningSupplier) -> None:
    api = client(conformant)
    link = f"{conformant.base}/v1/cases/export/metadata"
    response, description = linked_description(api, link, f"{conformant.base}/v1/cases/export")
    assert response.status_code == 200 and response.request.headers["Accept"] == CSVW_ACCEPT
    assert description is not None and description.kind == "CSVW metadata" and description.header
    assert description.titles == CSV_COLUMNS and description.schema["primaryKey"] == ["id"]


def test_a_referenced_table_schema_is_fetched_relative_to_the_metadata(
    static_api: tuple[dict[str, Canned], ApiClient],
) -> None:
    routes, api = static_api
    routes["/meta/m.json"] = Canned(200, "application/csvm+json", b'{"tableSchema": "schema.json"}')
    routes["/meta/schema.json"] = Canned(200, "application/json", b'{"columns": [{"name": "id"}, {"titles": "t"}]}')
    base = api.target.base_url
    response, description = linked_description(api, f"{base}/meta/m.json", f"{base}/x.csv")
    assert response.url == f"{base}/meta/m.json"
    assert description is not None and description.titles == ["id", "t"]
    routes["/meta/ts.json"] = Canned(200, "application/json", b'{"fields": [{"name": "a"}]}')
    assert linked_description(api, f"{base}/meta/ts.json", f"{base}/x.csv")[1] == Description(
        "Table Schema", {"fields": [{"name": "a"}]}, True, declared={"a": "string"}
    )
    tables = [{"url": url, "tableSchema": {"columns": [{"name": url[-5]}]}} for url in ("a.csv", "../x.csv")]
    group = json.dumps({"tables": tables}).encode()
    routes["/meta/group.json"] = Canned(200, "application/json", group)
    assert linked_description(api, f"{base}/meta/group.json", f"{base}/x.csv")[1].titles == ["x"]  # type: ignore[union-attr]
    routes["/meta/other.json"] = Canned(200, "application/json", b'{"title": "x"}')
    assert linked_description(api, f"{base}/meta/other.json", f"{base}/x.csv")[1] is None


def test_a_description_in_a_declared_charset_is_read_in_it(static_api: tuple[dict[str, Canned], ApiClient]) -> None:
    routes, api = static_api
    routes["/m"] = Canned(200, "application/json; charset=iso-8859-1", '{"t": "é"}'.encode("latin-1"))
    response, data = fetch_json(api, api.target.base_url + "/m")
    assert data == {"t": "é"} and response.status_code == 200


@pytest.mark.parametrize(
    ("canned", "reason"),
    [
        (Canned(404, "application/json", b"{}"), "HTTP 404"),
        (Canned(201, "application/json", b"{}"), "HTTP 201"),
        (Canned(200, "application/json", b"{"), "not JSON: Expecting property name enclosed in double quotes: "),
        (Canned(200, "application/json; charset=nope", b"{}"), "not JSON: unknown charset 'nope'"),
        (Canned(200, "application/json", b"[]"), "not a JSON object"),
    ],
)
def test_an_unusable_description_says_why(
    canned: Canned, reason: str, static_api: tuple[dict[str, Canned], ApiClient]
) -> None:
    routes, api = static_api
    routes["/m"] = canned
    with pytest.raises(AssertionError) as raised:
        fetch_json(api, api.target.base_url + "/m")
    assert str(raised.value).startswith(reason) and (reason.endswith(": ") or str(raised.value) == reason)


# --- CSVW metadata as a Table Schema ---------------------------------------------------------------


def test_csvw_columns_become_fields_with_their_titles_nulls_and_keys() -> None:
    metadata = {
        "null": "top",
        "tables": [
            {
                "url": "other.csv",
                "null": "ignored: another table",
                "tableSchema": {"columns": [{"name": "x"}]},
            },
            {
                "url": "./cases/export",
                "null": ["-", "n/a"],
                "tableSchema": {
                    "columns": [
                        {"name": "id", "titles": "ID", "datatype": "integer", "required": True},
                        "not a column",
                        {"name": "code", "titles": {"en": ["Code", "Kode"]}, "null": "", "datatype": "token"},
                        {"name": "v", "virtual": True},
                        {"name": "when", "titles": [], "datatype": {"base": "date", "format": "d.M.yyyy"}},
                        {"titles": {"en": "Note"}, "datatype": {"base": "string", "format": "[a-z]+"}},
                    ],
                    "primaryKey": ["id", "code"],
                },
            },
        ],
    }
    assert described(metadata) == Description(
        "CSVW metadata",
        {
            "fields": [
                {"name": "ID", "missingValues": ["-", "n/a"], "type": "integer", "constraints": {"required": True}},
                {"name": "Code", "missingValues": [""], "type": "string"},
                {"name": "when", "missingValues": ["-", "n/a"], "type": "date", "format": "%d.%m.%Y"},
                {
                    "name": "Note",
                    "missingValues": ["-", "n/a"],
                    "type": "string",
                    "constraints": {"pattern": "(?:[a-z]+)\\Z"},
                },
            ],
            "primaryKey": ["ID", "Code"],
        },
        True,
        patterns={"(?:[a-z]+)\\Z": "[a-z]+"},
        declared={"ID": "integer", "Code": "token", "when": "date (d.M.yyyy)", "Note": "string ([a-z]+)"},
    )


def test_nulls_are_inherited_from_the_schema_the_table_and_the_metadata() -> None:
    def nulls(metadata: dict[str, Any]) -> list[str]:
        return described(metadata).schema["fields"][0]["missingValues"]

    column = {"tableSchema": {"columns": [{"name": "a"}]}}
    assert nulls(column) == [""]
    assert nulls({**column, "null": "NA"}) == ["NA"]
    assert nulls({"tables": [{**column, "null": "T"}], "null": "NA"}) == ["T"]
    assert nulls({"tableSchema": {"columns": [{"name": "a"}], "null": "S"}, "null": "NA"}) == ["S"]
    assert nulls({"tables": [{"tableSchema": {"columns": [{"name": "a"}]}}], "null": "NA"}) == ["NA"]


def test_titles_are_read_in_every_form_csvw_allows() -> None:
    found = columns(
        {"name": "a", "titles": "A"},
        {"name": "b", "titles": ["B1", "B2"]},
        {"name": "c", "titles": {"de": ["C"], "en": "Cee"}},
        {"name": "d", "titles": []},
        {"name": "e", "titles": {}},
        {"name": "f"},
        {"titles": ""},
        {"datatype": "string"},
    )
    assert found.titles == ["A", "B1", "C", "d", "e", "f", "", ""]
    assert found.schema["fields"][6] == {"name": "", "missingValues": [""], "type": "string"}


def test_a_primary_key_is_named_by_the_columns_titles() -> None:
    found = described({"tableSchema": {"columns": [{"name": "id", "titles": "ID"}], "primaryKey": "id"}})
    assert found.schema["primaryKey"] == ["ID"]
    unknown = described({"tableSchema": {"columns": [{"titles": "ID"}], "primaryKey": ["ID", "zz"]}})
    assert unknown.schema["primaryKey"] == ["ID", "zz"]
    assert "primaryKey" not in described({"tableSchema": {"columns": [{"name": "a"}], "primaryKey": []}}).schema


def test_the_table_whose_url_is_the_csvs_is_chosen_from_a_group() -> None:
    def chosen(csv_url: str, *urls: Any) -> list[str]:
        group = {"tables": [{"url": u, "tableSchema": {"columns": [{"name": f"t{n}"}]}} for n, u in enumerate(urls)]}
        found = describe(group, csv_url, lambda url: {})
        assert found is not None
        return found.titles

    assert chosen(CSV_URL, "a.csv", "cases/export", "v1/cases/export") == ["t1"]
    assert chosen(CSV_URL, "a.csv", "./cases/export") == ["t1"]
    assert chosen(CSV_URL, "a.csv", "/v1/cases/export?x=1") == ["t1"]
    assert chosen(CSV_URL, None, "", "b.csv") == ["t0"]
    assert chosen("https://h/XXXX", None, "XXXX") == ["t1"]
    group = {"tables": ["not a table", {"tableSchema": {"columns": [{"name": "only"}]}}]}
    assert described(group).titles == ["only"]


def test_a_csvw_table_schema_given_by_url_is_fetched() -> None:
    asked: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        asked.append(url)
        return {"columns": [{"name": "a"}]}

    found = describe({"tables": [{"url": "cases/export", "tableSchema": "s.json"}]}, CSV_URL, fetch)
    assert asked == ["s.json"] and found is not None and found.titles == ["a"]


@pytest.mark.parametrize(
    ("metadata", "header"),
    [
        ({}, True),
        ({"dialect": {}}, True),
        ({"dialect": {"header": True}}, True),
        ({"dialect": {"header": False}}, False),
        ({"dialect": "default"}, True),
        ({"dialect": {"header": False}, "tables": [{"dialect": {"header": True}}]}, True),
        ({"dialect": {"header": True}, "tables": [{"dialect": {"header": False}}]}, False),
        ({"dialect": {"header": False}, "tables": [{"url": "x"}, "y"]}, False),
    ],
)
def test_a_header_row_is_expected_unless_a_dialect_says_otherwise(metadata: dict[str, Any], header: bool) -> None:
    schema = {"tableSchema": {"columns": [{"name": "a"}]}}
    if "tables" in metadata:
        metadata = {
            **metadata,
            "tables": [t if not isinstance(t, dict) else {**t, **schema} for t in metadata["tables"]],
        }
    assert described({**schema, **metadata}).header is header
    assert described({"fields": [{"name": "a"}], **metadata}).header is header


def test_neither_csvw_nor_a_table_schema_is_not_described() -> None:
    assert describe({"@context": "x"}, CSV_URL, lambda url: {}) is None
    assert describe({"tableSchema": {"columns": "a"}}, CSV_URL, lambda url: {}) is None
    assert describe({"tableSchema": "s.json"}, CSV_URL, lambda url: {"fields": []}) is None
    assert describe({"schema": "s.json"}, CSV_URL, lambda url: {}) is None
    assert describe({"schema": {"fields": "a"}}, CSV_URL, lambda url: {}) is None


# --- CSVW datatypes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("datatype", "field"),
    [
        ("integer", {"type": "integer"}),
        ("xsd:integer", {"type": "integer"}),
        ({"base": "long"}, {"type": "integer", "constraints": {"minimum": -(2**63), "maximum": 2**63 - 1}}),
        (
            {"base": "byte", "minimum": -200, "maximum": 50},
            {"type": "integer", "constraints": {"minimum": -128, "maximum": 50}},
        ),
        (
            {"base": "byte", "minInclusive": 5, "maxInclusive": 500},
            {"type": "integer", "constraints": {"minimum": 5, "maximum": 127}},
        ),
        (
            {"base": "integer", "minimum": 3, "maxInclusive": 9},
            {"type": "integer", "constraints": {"minimum": 3, "maximum": 9}},
        ),
        ({"base": "nonNegativeInteger"}, {"type": "integer", "constraints": {"minimum": 0}}),
        ({"base": "negativeInteger"}, {"type": "integer", "constraints": {"maximum": -1}}),
        ({"base": "integer", "format": "#0"}, {"type": "integer"}),
        ("decimal", {"type": "number"}),
        ({"base": "double", "format": "#,##0.0#"}, {"type": "number", "groupChar": ","}),
        ({"base": "float", "format": {"decimalChar": ","}}, {"type": "number", "decimalChar": ","}),
        (
            {"base": "number", "format": {"pattern": "#,##0.00", "groupChar": ".", "decimalChar": ","}},
            {"type": "number", "groupChar": ".", "decimalChar": ","},
        ),
        (
            {"base": "number", "minExclusive": 0, "maxExclusive": 1},
            {"type": "number", "constraints": {"exclusiveMinimum": 0, "exclusiveMaximum": 1}},
        ),
        ("boolean", {"type": "boolean", "trueValues": ["true", "1"], "falseValues": ["false", "0"]}),
        ({"base": "boolean", "format": "Y|N"}, {"type": "boolean", "trueValues": ["Y"], "falseValues": ["N"]}),
        (
            {"base": "boolean", "format": "yes|no|n"},
            {"type": "boolean", "trueValues": ["yes"], "falseValues": ["no", "n"]},
        ),
        (
            {"base": "boolean", "format": "yes"},
            {"type": "boolean", "trueValues": ["true", "1"], "falseValues": ["false", "0"]},
        ),
        (
            {"base": "boolean", "format": 1},
            {"type": "boolean", "trueValues": ["true", "1"], "falseValues": ["false", "0"]},
        ),
        ("date", {"type": "date"}),
        (
            {"base": "dateTime", "format": "yyyy-MM-ddTHH:mm:ss.SSSXXX"},
            {"type": "datetime", "format": "%Y-%m-%dT%H:%M:%S.%f%z"},
        ),
        ({"base": "dateTimeStamp"}, {"type": "datetime"}),
        ({"base": "time", "format": "HH:mm"}, {"type": "time", "format": "%H:%M"}),
        (
            {"base": "string", "minLength": 1, "maxLength": 9},
            {"type": "string", "constraints": {"minLength": 1, "maxLength": 9}},
        ),
        ({"base": "anyURI", "length": 3}, {"type": "string", "constraints": {"minLength": 3, "maxLength": 3}}),
        ({"base": "token", "format": "a|b"}, {"type": "string", "constraints": {"pattern": "(?:a|b)\\Z"}}),
        ({"base": "string", "format": 7}, {"type": "string"}),
        ({}, {"type": "string"}),
        ("gYear", {"type": "year"}),
        ({"base": "gYearMonth"}, {"type": "yearmonth"}),
        ("duration", {"type": "duration"}),
        ("anyAtomicType", {"type": "any"}),
    ],
)
def test_csvw_datatypes_become_table_schema_types(datatype: Any, field: dict[str, Any]) -> None:
    found = columns({"name": "c", "datatype": datatype})
    assert found.schema["fields"] == [{"name": "c", "missingValues": [""], **field}]
    assert found.unchecked == []


def test_a_columns_declared_type_is_shown_as_the_supplier_wrote_it() -> None:
    found = columns(
        {"name": "a", "datatype": {"format": "x|y"}},
        {"name": "b", "datatype": {"base": "number", "format": {"pattern": "#0"}}},
        {"name": "c", "datatype": "xsd:integer"},
        {"name": "d"},
    )
    assert found.declared == {"a": "string (x|y)", "b": "number", "c": "xsd:integer", "d": "string"}


def test_a_required_column_keeps_its_datatypes_constraints() -> None:
    found = columns({"name": "c", "required": True, "datatype": {"base": "unsignedByte"}})
    assert found.schema["fields"][0]["constraints"] == {"minimum": 0, "maximum": 255, "required": True}


@pytest.mark.parametrize(
    ("datatype", "why"),
    [
        (
            {"base": "gYear", "format": "yy"},
            "datatype {'base': 'gYear', 'format': 'yy'} is not one the harness can check",
        ),
        ("xml:lang", "datatype 'xml:lang' is not one the harness can check"),
        ({"base": "x" * 100}, "datatype " + ascii({"base": "x" * 100})[:80] + " is not one the harness can check"),
        ({"base": "decimal", "format": "#0.0%"}, "number format '#0.0%' is not one the harness can read"),
        ({"base": "decimal", "format": {"pattern": 5}}, "number format 5 is not one the harness can read"),
        ({"base": "decimal", "format": "#" * 70 + "%"}, f"number format '{'#' * 59} is not one the harness can read"),
        ({"base": "int", "format": "#,##0"}, "integer format '#,##0' groups digits, which the harness cannot read"),
        (
            {"base": "int", "format": {"groupChar": " ", "pattern": "#" * 70}},
            "integer format "
            + ascii({"groupChar": " ", "pattern": "#" * 70})[:60]
            + " groups digits, which the harness cannot read",
        ),
        ({"base": "date", "format": "EEE, d MMM yyyy"}, "date format field 'EEE, ' is not one the harness can read"),
        ({"base": "date", "format": ["yyyy"] * 20}, "date format " + ascii(["yyyy"] * 20)[:60] + " is not a string"),
        (
            {"base": "string", "format": "("},
            BAD_PATTERN,
        ),
    ],
)
def test_a_datatype_the_harness_cannot_read_leaves_its_column_unchecked(datatype: Any, why: str) -> None:
    found = columns({"name": "a"}, {"name": "c", "datatype": datatype, "required": True})
    assert found.unchecked == [f"column 'c': {why}"]
    assert found.schema["fields"][1] == {
        "name": "c",
        "missingValues": [""],
        "type": "any",
        "constraints": {"required": True},
    }


def test_number_formats() -> None:
    assert _number_format(None, integer=True) == {} and _number_format("#0.00", integer=False) == {}
    assert _number_format({"groupChar": None, "pattern": "#,##0"}, integer=True) == {}
    with pytest.raises(Unsupported):
        _number_format({"groupChar": "."}, integer=True)


def test_date_formats_become_strptime_formats() -> None:
    assert _strptime("dd/MM/yyyy HH:mm") == "%d/%m/%Y %H:%M"
    assert _strptime("yyyy-MM-ddTHH:mm:ss.SXX") == "%Y-%m-%dT%H:%M:%S.%f%z"
    assert _strptime("HH:mm:ssxxx 100%") == "%H:%M:%S%z 100%%"
    assert _strptime("SSSSSS") == "%f"
    with pytest.raises(Unsupported, match=r"^date format field 't' is not one the harness can read$"):
        _strptime("yyyytMM")
    with pytest.raises(Unsupported, match=r"^date format None is not a string$"):
        _strptime(None)


def test_datatype_details_the_converter_reads() -> None:
    found = Description("CSVW metadata", {"fields": []}, True)
    assert _csvw_datatype({"base": "string", "format": "x"}, found) == {
        "type": "string",
        "constraints": {"pattern": "(?:x)\\Z"},
    }
    assert found.patterns == {"(?:x)\\Z": "x"}


# --- Table Schemas as the supplier wrote them -------------------------------------------------------


def test_a_table_schema_is_used_as_written_with_its_patterns_anchored() -> None:
    schema = {
        "fields": [
            {"name": "id", "type": "integer", "constraints": {"required": True}},
            "not a field",
            {"name": "code", "type": "string", "constraints": {"pattern": "[A-Z]{2}|[0-9]"}},
            {"name": "when", "type": "date", "format": "%d/%m/%Y"},
            {"name": "any", "format": "default", "constraints": {"pattern": 5}},
            {"name": "bad", "constraints": {"pattern": "("}},
        ],
        "primaryKey": "id",
    }
    original = copy.deepcopy(schema)
    expected_fields = copy.deepcopy(schema["fields"])
    expected_fields[2]["constraints"]["pattern"] = "(?:[A-Z]{2}|[0-9])\\Z"
    expected_fields[5]["constraints"] = {}
    wrapped = described({"schema": schema, "dialect": {"header": False}})
    assert wrapped == Description(
        "Table Schema",
        {**schema, "fields": expected_fields},
        False,
        [f"column 'bad': {BAD_PATTERN}"],
        {"(?:[A-Z]{2}|[0-9])\\Z": "[A-Z]{2}|[0-9]"},
        {"id": "integer", "code": "string", "when": "date (%d/%m/%Y)", "any": "string", "bad": "string"},
    )
    assert schema == original  # the supplier's own description is left as it was
    assert described(schema).schema == wrapped.schema and described(schema).header


# --- validating rows -------------------------------------------------------------------------------


def test_each_kind_of_problem_is_worded_with_its_row_column_and_cell() -> None:
    found = columns(
        {"name": "id", "titles": "ID", "datatype": "integer", "required": True},
        {"name": "c", "datatype": {"base": "string", "format": "a|b"}},
        {"name": "w", "datatype": {"base": "date", "format": "dd/MM/yyyy"}},
        {"name": "n", "datatype": {"base": "byte", "minimum": -200, "maximum": 50}},
        key="id",
    )
    text = "ID,c,w,n\r\n1,ax,2026-01-01,51\r\n1,a,01/01/2026,\r\n,b,,\r\nx,,,-129\r\n,,,\r\n"
    assert problems(text, found) == [
        "csv: row 2, column 'c': 'ax' constraint error (constraint \"pattern\" is \"a|b\")",
        "csv: row 2, column 'w': '2026-01-01' is not date (dd/MM/yyyy)",
        "csv: row 2, column 'n': '51' constraint error (constraint \"maximum\" is \"50\")",
        "csv: row 3: primarykey error (the same as in the row at position 2)",
        "csv: row 4, column 'ID': '' constraint error (constraint \"required\" is \"True\")",
        'csv: row 4: primarykey error (cells composing the primary keys are all "None")',
        "csv: row 5, column 'ID': 'x' is not integer",
        "csv: row 5, column 'n': '-129' constraint error (constraint \"minimum\" is \"-128\")",
        'csv: row 5: primarykey error (cells composing the primary keys are all "None")',
        "csv: row 6: blank row",
        'csv: row 6: primarykey error (cells composing the primary keys are all "None")',
    ]


def test_a_wrong_header_is_named_by_frictionless() -> None:
    found = columns({"name": "id"}, {"name": "t"})
    assert problems("ID,t\r\n1,a\r\n", found) == [
        'csv: incorrect label: Label "ID" in field id at position "1" does not match the field name in the schema'
    ]


def test_without_a_header_row_the_titles_stand_in_for_one() -> None:
    found = columns({"name": "id", "datatype": "integer"}, dialect={"header": False})
    assert problems("1\r\n2\r\n", found) == []
    assert problems("id\r\n2\r\n", found) == ["csv: row 2, column 'id': 'id' is not integer"]


def test_long_cells_are_shortened_in_problems() -> None:
    found = columns({"name": "n", "datatype": "integer"}, {"name": "s", "datatype": {"base": "string", "maxLength": 1}})
    long = "é" * 70
    assert problems(f"n,s\r\n{long},{long}\r\n", found) == [
        f"csv: row 2, column 'n': {ascii(long)[:60]} is not integer",
        f'csv: row 2, column \'s\': {ascii(long)[:60]} constraint error (constraint "maxLength" is "1")',
    ]


def test_problems_stop_at_twice_the_number_listed() -> None:
    found = columns({"name": "n", "datatype": "integer"})
    assert len(problems("n\r\n" + "x\r\n" * 30, found)) == 16


def test_a_missing_cell_counts_as_empty() -> None:
    found = columns({"name": "a", "required": True}, {"name": "b", "required": True})
    rows = Parsed("csv", [{"a": "1"}], dump_json, ["a", "b"])
    assert validate_csv(rows, found, "csv") == [
        "csv: row 2, column 'b': '' constraint error (constraint \"required\" is \"True\")"
    ]


def test_a_type_problem_in_an_undeclared_column_quotes_frictionless() -> None:
    found = Description("Table Schema", {"fields": [{"name": "n", "type": "integer"}]}, True)
    assert problems("n\r\nx\r\n", found) == ["csv: row 2, column 'n': 'x' type error (type is \"integer/default\")"]


def test_a_schema_frictionless_cannot_use_is_said_to_be_unusable() -> None:
    found = described({"fields": [{"name": "id", "type": "no-such-type"}]})
    (problem,) = problems("id\r\n1\r\n", found)
    assert problem.startswith("csv: the Table Schema is not one frictionless can use: ")
