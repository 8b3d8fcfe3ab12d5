"""The export checks' helpers on real HTTP responses from a loopback server, with their exact problems and evidence.

tests/in_process/test_export_checks.py runs the checks themselves against the reference supplier and its
defect variants; these pin down each helper on the answers a supplier rarely gives (a wrong status, a wrong
content type, a CSV without a header row, a broken description, a malformed problem document).
"""

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from conformance.checks.export import (
    created_record,
    csv_description_problems,
    date_problems,
    declared_properties,
    format_problems,
    problem_problems,
    read_export,
    success_schemas,
    undescribed,
    utf8_problems,
)
from conformance.checks.kit.exports import FormatError
from conformance.client import ApiClient
from conformance.declaration import Collection
from conformance.spec import LoadedSpec
from conformance.target import Target
from tests.static_server import Canned, serve_static

ITEMS = Collection("items", "createItem", "getItem", "listItems", "exportItems", id_field="key")
CSV = "text/csv"
META = {"tableSchema": {"columns": [{"name": "key", "datatype": "integer"}, {"name": "day", "datatype": "date"}]}}


class Static:
    """A loopback API answering what a test puts in `routes` (path -> Canned), and a client for it."""

    def __init__(self, routes: dict[str, Canned], api: ApiClient) -> None:
        self.routes, self.api = routes, api
        self.base = api.target.base_url

    def get(self, path: str, canned: Canned) -> requests.Response:
        self.routes[path] = canned
        return requests.get(self.base + path, timeout=5)


@pytest.fixture
def static() -> Iterator[Static]:
    routes: dict[str, Canned] = {}
    with serve_static(routes) as base:
        yield Static(routes, ApiClient(Target(LoadedSpec("s", b"", {"paths": {}}, "openapi-3.0", None), base)))


def described_by(path: str) -> dict[str, str]:
    return {"Link": f'<{path}>; rel="describedby"'}


# --- EXP-10 ----------------------------------------------------------------------------------------


def test_every_utf8_problem_of_one_response_is_listed(static: Static) -> None:
    response = static.get("/r", Canned(200, "application/json; charset=UTF-16", b'\xef\xbb\xbf{"a": "\xe9"}'))
    assert utf8_problems("x", response) == [
        "x declares charset=UTF-16",
        "x starts with a byte order mark",
        "x is not valid UTF-8 (invalid continuation byte at byte 10)",
    ]
    assert utf8_problems("x", static.get("/u", Canned(200, "application/json; charset=utf8", "é".encode()))) == []


# --- EXP-11 ----------------------------------------------------------------------------------------


def test_date_values_are_checked_by_their_declared_format() -> None:
    record = {
        "d": "2026-13-01",
        "t": "2026-11-25T14:30:00",
        "ok_d": "2026-11-25",
        "ok_t": "2026-11-25T14:30:00+01:00",
        "empty": "",
        "none": None,
        "long": "x" * 100,
        "date_as_time": "2026-11-25",
    }
    dates = {n: "date" if n in ("d", "ok_d", "empty") else "date-time" for n in ("missing", *record)}
    assert date_problems("read", record, dates) == (
        [
            "read: d='2026-13-01' is not an RFC 3339 full-date (YYYY-MM-DD)",
            "read: t='2026-11-25T14:30:00' is not an RFC 3339 date-time with an offset",
            f"read: long='{'x' * 59} is not an RFC 3339 date-time with an offset",
            "read: date_as_time='2026-11-25' is not an RFC 3339 date-time with an offset",
        ],
        6,
    )
    assert date_problems("read", {"d": "2026-11-25T14:30:00Z"}, {"d": "date"})[0] == [
        "read: d='2026-11-25T14:30:00Z' is not an RFC 3339 full-date (YYYY-MM-DD)"
    ]
    assert date_problems("read", {}, {}) == ([], 0)


def test_an_export_is_read_in_its_format(static: Static) -> None:
    ndjson = static.get("/e", Canned(200, "application/x-ndjson", b'{"key": 1}\n'))
    assert read_export(static.api, ndjson, "application/x-ndjson", ITEMS).records == [{"key": 1}]
    latin = static.get("/c", Canned(200, "text/csv; charset=iso-8859-1", "key,t\r\n1,é\r\n".encode("latin-1")))
    assert read_export(static.api, latin, CSV, ITEMS).records == [{"key": "1", "t": "é"}]
    geo = {"type": "FeatureCollection", "features": [{"type": "Feature", "id": 7, "geometry": None, "properties": {}}]}
    geojson = static.get("/g", Canned(200, "application/geo+json", json.dumps(geo).encode()))
    assert read_export(static.api, geojson, "application/geo+json", ITEMS).records == [{"key": 7}]


def test_a_csv_without_a_header_row_is_read_with_the_columns_its_description_names(static: Static) -> None:
    static.routes["/meta"] = Canned(200, "application/csvm+json", json.dumps(META).encode())
    headerless = Canned(
        200, "text/csv; header=ABSENT; charset=iso-8859-1", "1,é\r\n".encode("latin-1"), described_by("meta")
    )
    response = static.get("/export", headerless)
    assert read_export(static.api, response, CSV, ITEMS).records == [{"key": "1", "day": "é"}]
    assert created_record(static.api, response, CSV, ITEMS, "1") == ({"key": "1", "day": "é"}, "")
    group = {"tables": [{"url": "other.csv", "tableSchema": {"columns": [{"name": "x"}]}}, {"url": "export3", **META}]}
    static.routes["/group"] = Canned(200, "application/csvm+json", json.dumps(group).encode())
    grouped = static.get("/export3", Canned(200, "text/csv; header=absent", b"1,2\r\n", described_by("group")))
    assert read_export(static.api, grouped, CSV, ITEMS).records == [{"key": "1", "day": "2"}]
    with_header = static.get("/export2", Canned(200, "text/csv; header=present", b"key\r\n1\r\n", described_by("meta")))
    assert read_export(static.api, with_header, CSV, ITEMS).records == [{"key": "1"}]


@pytest.mark.parametrize(
    ("link", "served", "reason"),
    [
        (None, None, 'it says header=absent and links no description (rel="describedby") naming its columns'),
        ("meta", None, "it says header=absent and its description at {base}/meta is unusable: HTTP 404"),
        ("meta", {"title": "x"}, "it says header=absent and {base}/meta is neither CSVW metadata nor a Table Schema"),
    ],
    ids=["no-link", "link-broken", "not-a-description"],
)
def test_a_csv_without_a_header_row_and_no_usable_description_cannot_be_read(
    link: str | None, served: dict[str, Any] | None, reason: str, static: Static
) -> None:
    if served is not None:
        static.routes["/meta"] = Canned(200, "application/json", json.dumps(served).encode())
    headers = described_by(link) if link else {}
    response = static.get("/export", Canned(200, "text/csv; header=absent", b"1,x\r\n", headers))
    with pytest.raises(FormatError) as raised:
        read_export(static.api, response, CSV, ITEMS)
    assert str(raised.value) == reason.format(base=static.base)
    assert created_record(static.api, response, CSV, ITEMS, "1") == (None, reason.format(base=static.base))


def test_the_created_record_is_found_in_a_read_or_an_export_or_it_says_why_not(static: Static) -> None:
    read = static.get("/read", Canned(200, "application/json", b'{"key": "1", "t": "x"}'))
    assert created_record(static.api, read, "", ITEMS, "1") == ({"key": "1", "t": "x"}, "")
    for body in (b"[]", b"{}", b"{"):
        answered = static.get("/bad", Canned(200, "application/json", body))
        assert created_record(static.api, answered, "", ITEMS, "1") == (None, "the body is not a JSON object")
    for status in (201, 404):
        failed = static.get("/failed", Canned(status, "application/json", b'{"key": "1"}'))
        assert created_record(static.api, failed, "", ITEMS, "1") == (None, f"HTTP {status}")
    export = static.get("/export", Canned(200, "application/json", b'[{"key": 1}, {"key": 2, "t": "y"}]'))
    assert created_record(static.api, export, "application/json", ITEMS, "2") == ({"key": 2, "t": "y"}, "")
    assert created_record(static.api, export, "application/json", ITEMS, "3") == (None, "record 3 is not in it")
    broken = static.get("/broken", Canned(200, "application/x-ndjson", b"{"))
    assert created_record(static.api, broken, "application/x-ndjson", ITEMS, "1")[1].startswith(
        "NDJSON line 1 is not JSON: "
    )


# --- EXP-12 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mt", "canned", "found"),
    [
        ("application/json", Canned(200, "application/json", b'[{"key": 1}, {"key": 2}]'), ([], 2)),
        ("application/x-ndjson", Canned(200, "application/x-ndjson", b'{"key": 1}\n'), ([], 1)),
        (CSV, Canned(200, "text/csv; charset=UTF-8; header=present", b"key,t\r\n1,a\r\n2,b\r\n"), ([], 2)),
        (CSV, Canned(200, "text/csv; charset=utf8", b"key\r\n"), ([], 0)),
        (
            "application/json",
            Canned(201, "application/json", b"[]"),
            (["exportItems as application/json: HTTP 201 for Accept: application/json"], 0),
        ),
        (
            "application/json",
            Canned(200, "text/plain", b"[]"),
            (["exportItems as application/json: answered with Content-Type text/plain"], 0),
        ),
        (
            "application/json",
            Canned(200, "", b"[]"),
            (["exportItems as application/json: answered with Content-Type none"], 0),
        ),
        (
            "application/json",
            Canned(200, "application/json", b'{"n": 1}'),
            (["exportItems as application/json: the JSON object holds no array of records"], 0),
        ),
        (
            CSV,
            Canned(200, "text/csv; header=Absent; charset=ISO-8859-1", b"1,a\r\n"),
            (
                [
                    "exportItems as text/csv: says header=absent; the CSV must start with a header row",
                    "exportItems as text/csv: charset=ISO-8859-1, not UTF-8",
                    "exportItems as text/csv: the first row is not a header row naming the columns (no 'key' column; "
                    "first row: ['1', 'a'])",
                ],
                0,
            ),
        ),
        (
            CSV,
            Canned(200, "text/csv", "a,b,c,d,e,f\r\n1,2,3,4,5,\u0175\r\n".encode()),
            (
                [
                    "exportItems as text/csv: the first row is not a header row naming the columns (no 'key' column; "
                    "first row: ['a', 'b', 'c', 'd'])"
                ],
                1,
            ),
        ),
        (
            CSV,
            Canned(200, "text/csv", ("\u0175" * 80 + ",b\r\n1,2\r\n").encode()),
            (
                [
                    "exportItems as text/csv: the first row is not a header row naming the columns (no 'key' column; "
                    "first row: " + ascii(["\u0175" * 80, "b"])[:120] + ")"
                ],
                1,
            ),
        ),
        (
            CSV,
            Canned(200, "text/csv; charset=iso-8859-1", "key,t\r\n1,\u00e9\r\n".encode("latin-1")),
            (["exportItems as text/csv: charset=iso-8859-1, not UTF-8"], 1),
        ),
        (
            CSV,
            Canned(200, "text/csv; charset=latin-1", b"key,t\r\n1\r\n"),
            (
                [
                    "exportItems as text/csv: charset=latin-1, not UTF-8",
                    "exportItems as text/csv: CSV row 2 has 1 fields; the header has 2",
                ],
                0,
            ),
        ),
    ],
)
def test_an_export_in_an_open_format_is_held_to_it(
    mt: str, canned: Canned, found: tuple[list[str], int], static: Static
) -> None:
    assert format_problems(static.get("/export", canned), ITEMS, mt) == found


# --- EXP-13 ----------------------------------------------------------------------------------------


def described(static: Static, csv: bytes, meta: Any = META, content_type: str = CSV) -> tuple[Any, list[Any]]:
    """csv_description_problems of `csv` linking its description at /meta, and the evidence it left."""
    if meta is not None:
        static.routes["/meta"] = Canned(200, "application/json", json.dumps(meta).encode())
    response = static.get("/export", Canned(200, content_type, csv, described_by("/meta")))
    evidence: list[Any] = []
    return csv_description_problems(static.api, response, "csv", evidence), evidence


def test_a_csv_matching_its_description_has_no_problem_and_says_what_was_checked(static: Static) -> None:
    (found, evidence) = described(static, b"key,day\r\n1,2026-11-25\r\n2,2026-11-26\r\n")
    assert found == ([], [])
    assert evidence == [
        {"request": "GET /meta", "status": 200, "label": "the CSV's description"},
        {
            "request": "GET /export",
            "status": 200,
            "label": "csv",
            "describedby": f"{static.base}/meta",
            "description": "CSVW metadata",
            "columns": ["key", "day"],
            "rows": 2,
        },
    ]


def test_a_csv_is_checked_against_its_own_table_of_a_group_in_its_own_charset(static: Static) -> None:
    group = {
        "tables": [
            {"url": "other.csv", "tableSchema": {"columns": [{"name": "x"}]}},
            {"url": "export", "tableSchema": {"columns": [{"name": "key", "datatype": "integer"}, {"name": "t"}]}},
        ]
    }
    latin = "key,t\r\n1,\u00e9\r\n".encode("latin-1")
    (found, evidence) = described(static, latin, group, "text/csv; charset=iso-8859-1")
    assert found == ([], []) and evidence[-1]["columns"] == ["key", "t"]


def test_a_csv_breaking_its_description_has_each_problem(static: Static) -> None:
    (found, _) = described(static, b"key,day\r\nx,2026-11-25\r\n")
    assert found == (["csv: row 2, column 'key': 'x' is not integer"], [])


def test_a_csv_without_a_header_row_is_checked_when_its_description_says_so(static: Static) -> None:
    meta = {**META, "dialect": {"header": False}}
    (found, evidence) = described(static, "1,2026-11-25\r\n".encode("latin-1"), meta, "text/csv; charset=latin-1")
    assert found == ([], []) and evidence[-1]["rows"] == 1
    (found, _) = described(static, b"1,25/11/2026\r\n", meta)
    assert found == (["csv: row 2, column 'day': '25/11/2026' is not date"], [])


def test_what_a_csv_description_leaves_unchecked_is_said(static: Static) -> None:
    meta = {"tableSchema": {"columns": [{"name": "key", "datatype": {"base": "date", "format": "EEE"}}]}}
    (found, evidence) = described(static, b"key\r\n", meta)
    assert found == (
        [],
        [
            "csv: column 'key': date format field 'EEE' is not one the harness can read",
            "csv: the CSV holds no rows, not even the record just created",
        ],
    )
    assert evidence[-1]["rows"] == 0


@pytest.mark.parametrize(
    ("meta", "csv", "why"),
    [
        (None, b"key\r\n1\r\n", "HTTP 404"),
        (
            {"title": "x"},
            b"key\r\n1\r\n",
            "it is neither CSVW metadata (tableSchema.columns) nor a Table Schema (fields)",
        ),
        (META, b"key,key\r\n", "the first row is not a header row of unique, non-empty column names: ['key', 'key']"),
    ],
    ids=["missing", "neither", "bad-csv"],
)
def test_a_csv_whose_description_cannot_be_used_fails(meta: Any, csv: bytes, why: str, static: Static) -> None:
    (found, evidence) = described(static, csv, meta)
    assert found == ([f"csv: the description at {static.base}/meta is unusable: {why}"], [])
    assert evidence[-1] == {
        "request": "GET /export",
        "status": 200,
        "label": "csv",
        "describedby": f"{static.base}/meta",
    }


def test_a_csv_that_is_not_there_or_not_described_fails(static: Static) -> None:
    evidence: list[Any] = []
    failed = static.get("/export", Canned(201, CSV, b"key\r\n1\r\n"))
    assert csv_description_problems(static.api, failed, "csv", evidence) == (["csv: HTTP 201"], [])
    bare = static.get("/bare", Canned(200, CSV, b"key\r\n1\r\n", {"Link": '<meta>; rel="alternate"'}))
    assert csv_description_problems(static.api, bare, "csv", evidence) == (
        ['csv: no `Link: <...>; rel="describedby"` header points to CSVW metadata or a Table Schema'],
        [],
    )
    assert evidence == [
        {"request": "GET /export", "status": 201, "label": "csv"},
        {"request": "GET /bare", "status": 200, "label": "csv", "describedby": None},
    ]


# --- EXP-14 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("canned", "found"),
    [
        (
            Canned(
                404,
                "application/problem+json",
                b'{"type": "t", "title": "T", "detail": "d", "instance": "i", "status": 404}',
            ),
            [],
        ),
        (Canned(404, "application/problem+json; charset=utf-8", b"{}"), []),
        (
            Canned(404, "application/json", b"{}"),
            ["r: HTTP 404 came as application/json, not application/problem+json"],
        ),
        (Canned(404, "", b"{}"), ["r: HTTP 404 came as no content type, not application/problem+json"]),
        (
            Canned(404, "application/problem+json", b"{"),
            [
                "r: the problem details are not JSON: Expecting property name enclosed in double quotes: "
                "line 1 column 2 (char 1)"
            ],
        ),
        (
            Canned(404, "application/problem+json; charset=nope", b"{}"),
            ["r: the problem details are not JSON: unknown charset 'nope'"],
        ),
        (Canned(404, "application/problem+json", b"[]"), ["r: the problem details are not a JSON object"]),
        (
            Canned(
                404,
                "application/problem+json",
                b'{"type": 1, "title": null, "detail": [], "instance": {}, "status": "404"}',
            ),
            [
                "r: member 'type' is not a string",
                "r: member 'title' is not a string",
                "r: member 'detail' is not a string",
                "r: member 'instance' is not a string",
                "r: member 'status' is '404', the response is 404",
            ],
        ),
        (
            Canned(404, "application/problem+json", b'{"status": 400}'),
            ["r: member 'status' is 400, the response is 404"],
        ),
    ],
)
def test_an_error_is_held_to_rfc_9457(canned: Canned, found: list[str], static: Static) -> None:
    assert problem_problems("r", static.get("/r", canned)) == found


def test_problem_details_in_a_declared_charset_are_read_in_it(static: Static) -> None:
    latin = Canned(
        404, "application/problem+json; charset=iso-8859-1", '{"title": "é", "status": 404}'.encode("latin-1")
    )
    assert problem_problems("r", static.get("/r", latin)) == []


# --- EXP-15 ----------------------------------------------------------------------------------------

DOCUMENT = {
    "components": {
        "schemas": {
            "Case": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "description": "The id."},
                    "ward": {"$ref": "#/components/schemas/Ward"},
                    "blank": {"type": "string", "description": "  "},
                    "tags": {"type": "array", "items": {"type": "object", "properties": {"t": {"type": "string"}}}},
                    "extra": {"type": "object", "additionalProperties": {"properties": {"k": {"description": "K"}}}},
                    "self": {"$ref": "#/components/schemas/Case", "description": "The same case."},
                    "owner": {"$ref": "#/components/schemas/Person", "description": "Who owns it."},
                    "flag": True,
                },
                "allOf": [{"properties": {"a": {}}}, {"$ref": "#/components/schemas/Extra"}],
                "anyOf": [{"properties": {"b": {"description": "B"}}}],
                "oneOf": [{"properties": {"c": {}}}],
            },
            "Ward": {"type": "string", "description": "The ward."},
            "Person": {"type": "object", "properties": {"name": {"type": "string", "description": "Name."}}},
            "Extra": {"type": "object", "properties": {"e": {"type": "string"}}},
        }
    }
}
CASE = {"$ref": "#/components/schemas/Case"}


def test_every_declared_property_is_found_with_whether_it_is_described() -> None:
    assert list(declared_properties(DOCUMENT, {"type": "array", "items": CASE}, "x", set())) == [
        ("x[].id", True),
        ("x[].ward", True),
        ("x[].blank", False),
        ("x[].tags", False),
        ("x[].tags[].t", False),
        ("x[].extra", False),
        ("x[].extra.*.k", True),
        ("x[].self", True),
        ("x[].owner", True),
        ("x[].owner.name", True),
        ("x[].flag", False),
        ("x[].a", False),
        ("x[].e", False),
        ("x[].b", True),
        ("x[].c", False),
    ]
    assert undescribed(DOCUMENT, CASE, "x", set()) == [
        ".".join(("x", n)) for n in ("blank", "tags", "tags[].t", "extra", "flag", "a", "e", "c")
    ]
    assert list(declared_properties(DOCUMENT, "not a schema", "x", set())) == []


def test_success_responses_are_counted_by_status_and_media_type() -> None:
    document = {
        **DOCUMENT,
        "components": {**DOCUMENT["components"], "responses": {"Ok": {"content": {"text/csv": {}}}}},
    }
    op = {
        "responses": {
            "200": {"content": {"application/json; charset=utf-8": {"schema": CASE}, "application/x-ndjson": None}},
            "206": {"$ref": "#/components/responses/Ok"},
            "404": {"content": {"application/json": {"schema": CASE}}},
            "default": {"content": {"application/json": {"schema": CASE}}},
        }
    }
    assert success_schemas(document, op) == {
        "200 application/json": 15,
        "200 application/x-ndjson": 0,
        "206 text/csv": 0,
    }
    assert success_schemas(document, {}) == {}
