"""Open-standard export content (EXP-10..EXP-15): the helpers the checks rely on, and a run with no declaration.

Each defect variant of the reference supplier is run end to end by tests/test_core_run.py; these tests
pin down the parsing and validation rules and what happens when the supplier declares nothing.
"""

import json
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import requests

from conformance.catalogue import all_requirements
from conformance.checks.export import csv_description_problems, problem_problems, success_schemas, undescribed
from conformance.checks.kit.document import date_properties
from conformance.checks.kit.exports import FormatError, decode, differences, fetch, parse, parse_csv
from conformance.checks.kit.outcomes import Undecided
from conformance.checks.kit.pagination import link_with_rel, parse_link_header
from conformance.checks.kit.records import EMOJI, rejection, sample_input
from conformance.checks.kit.rfc3339 import epoch_seconds, format_epoch, is_rfc3339_date, is_rfc3339_date_time
from conformance.checks.kit.table_schema import Description, describe, validate_csv
from conformance.client import ApiClient
from conformance.declaration import read_declaration
from conformance.demo import RunningSupplier, exports, serve
from conformance.demo.openapi import CASE_INPUT, build_document
from conformance.operations import operations_by_id
from conformance.spec import load_spec
from conformance.target import build_target
from tests.conftest import SEED, CliRun, run_cli, run_plain_pytest

DECLARATION_NEEDED = {r.id for r in all_requirements().values() if any(n.startswith("x-conformance") for n in r.needs)}


def run_with_document(document: dict, tmp_path: Path, *profiles: str) -> CliRun:
    """The CLI against the conformant supplier, but reading `document` from a file."""
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(document))
    args = ["run", "--spec", str(path), "--max-rps", "0", "--max-examples", "5", "--seed", str(SEED)]
    for profile in profiles:
        args += ["--profile", profile]
    with serve("conformant") as supplier:
        args += ["--base-url", supplier.base + "/v1", "--header", f"Authorization: Bearer {supplier.token}"]
        args += ["--ca-bundle", supplier.ca_bundle] if supplier.ca_bundle else []
        return run_cli(args, tmp_path / "out")


def reasons(run: CliRun) -> dict[str, str]:
    return {r["id"]: r["reason"] for p in run.results["profiles"] for r in p["requirements"]}


def test_the_new_requirements_all_need_the_declaration() -> None:
    expected = {f"EXP-{n}" for n in range(10, 16)} | {f"PORT-0{n}" for n in range(1, 8)}
    assert expected <= DECLARATION_NEEDED


def test_document_without_declaration_fails_what_needs_it_with_the_help(tmp_path: Path) -> None:
    document = build_document()
    del document["x-conformance"]
    result = run_with_document(document, tmp_path, "data-portability")
    outcomes = result.outcomes()
    needed = {rid for rid in outcomes if rid in DECLARATION_NEEDED}
    assert needed >= {"EXP-10", "EXP-15", "PORT-01", "PORT-07"}
    assert result.code == 1, result.stderr
    assert result.failed() == needed, outcomes
    assert {o for rid, o in outcomes.items() if rid not in needed} == {"pass"}
    (cause,) = result.results["causes"]  # the example is said once, and each requirement points to it
    assert cause["id"] == "no-declaration" and "export: exportCases" in cause["snippet"]
    causes = {r["id"]: r.get("cause") for p in result.results["profiles"] for r in p["requirements"]}
    for rid in needed:
        assert "the document has no supplier declaration" in reasons(result)[rid]
        assert causes[rid] == "no-declaration"


# --- RFC 3339 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["2026-11-25T14:30:00Z", "2026-11-25t14:30:00.123+01:00", "2024-02-29T23:59:60-05:30", "1970-01-01T00:00:00z"],
)
def test_rfc3339_date_times_accepted(value: str) -> None:
    assert is_rfc3339_date_time(value)


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-25T14:30:00",  # no offset
        "2026-11-25 14:30:00Z",  # space
        "25/11/2026 14:30",
        "2023-02-29T00:00:00Z",  # not a leap year
        "2026-13-01T00:00:00Z",
        "2026-11-25T24:00:00Z",
        "2026-11-25T14:30Z",
        20261125,
    ],
)
def test_non_rfc3339_date_times_rejected(value: object) -> None:
    assert not is_rfc3339_date_time(value)


def test_rfc3339_dates_and_instants() -> None:
    assert is_rfc3339_date("2024-02-29") and not is_rfc3339_date("2026-11-25T00:00:00Z")
    assert epoch_seconds("1970-01-01T01:00:00+01:00") == 0
    assert epoch_seconds("2026-11-25T14:30:00Z") == epoch_seconds("2026-11-25T15:30:00+01:00")
    assert format_epoch(epoch_seconds("2026-11-25T14:30:00Z")) == "2026-11-25T14:30:00Z"


# --- parsing exports ------------------------------------------------------------------------------


def test_ndjson_splits_on_newlines_only() -> None:
    body = json.dumps({"id": 1, "title": "a\u2028b\x85c"}, ensure_ascii=False) + "\n" + '{"id": 2}\n'
    parsed = parse("ndjson", body.encode(), "application/x-ndjson")
    assert [r["id"] for r in parsed.records] == [1, 2]
    assert parsed.records[0]["title"] == "a\u2028b\x85c"


def test_an_empty_page_under_the_apis_own_name_holds_no_records() -> None:
    empty = parse("json", b'{"cases": [], "pagination": {"page": 1, "next": ""}}', "application/json")
    assert empty.records == []
    with pytest.raises(FormatError, match="holds no array of records"):
        parse("json", b'{"cases": [], "notes": [], "next": null}', "application/json")  # which one? undecided


def test_json_export_in_a_wrapper_and_geojson() -> None:
    wrapped = parse("json", b'{"items": [{"id": 1}], "next": null}', "application/json")
    assert wrapped.records == [{"id": 1}]
    assert json.loads(wrapped.rebuild([{"id": 1}])) == {"items": [{"id": 1}], "next": None}
    geo = {"type": "FeatureCollection", "features": [{"type": "Feature", "id": 7, "properties": {"ward": "Bute"}}]}
    parsed = parse("geojson", json.dumps(geo).encode(), "application/geo+json")
    assert parsed.records == [{"ward": "Bute", "id": 7}]
    with pytest.raises(FormatError):
        parse("geojson", b'[{"id": 1}]', "application/geo+json")


def test_json_honours_the_declared_charset() -> None:
    body = exports.latin1_json([{"title": "Café 🔊"}])
    assert parse("json", body, "application/json; charset=iso-8859-1").records == [{"title": "Café 🔊"}]
    with pytest.raises(FormatError, match="not valid utf-8"):
        decode(body, "application/json; charset=iso-8859-1", strict_utf8=True)


def test_csv_needs_a_header_row_and_rectangular_rows() -> None:
    parsed = parse_csv('id,title\r\n1,"Sŵn, uchel"\r\n2,"two\r\nlines"\r\n')
    assert parsed.header == ["id", "title"]
    assert parsed.records[1] == {"id": "2", "title": "two\r\nlines"}
    with pytest.raises(FormatError, match="header"):
        parse_csv("id,\r\n1,\r\n")
    with pytest.raises(FormatError, match="row 3 has 3 fields"):
        parse_csv("id,title\r\n1,a\r\n2,b,c\r\n")
    with pytest.raises(FormatError, match="empty"):
        parse_csv("")
    assert parse_csv("1,a\r\n", names=["id", "title"]).records == [{"id": "1", "title": "a"}]


def test_link_header_with_several_links_and_relations() -> None:
    header = '</v1/cases?cursor=2>; rel="next", </meta>; rel="describedby alternate"; type="application/csvm+json"'
    links = parse_link_header(header)
    assert links[0] == ("/v1/cases?cursor=2", {"rel": "next"})
    response = requests.Response()
    response.url = "https://api.example/v1/cases/export"
    response.headers["Link"] = header
    assert link_with_rel(response, "describedby") == "https://api.example/meta"
    assert link_with_rel(response, "prev") is None


# --- CSVW and Table Schema --------------------------------------------------------------------------

CASES = [
    {
        "id": 1,
        "title": "Sŵn 🔊",
        "category": "alarm",
        "reportedAt": "2026-11-25T14:30:00+00:00",
        "status": "open",
        "updatedAt": "2026-11-25T14:31:00Z",
    },
    {
        "id": 2,
        "title": "b",
        "description": 'x,"y"',
        "category": "other",
        "ward": "Bute",
        "reportedAt": "2026-01-01T00:00:00Z",
        "status": "closed",
        "updatedAt": "2026-01-01T00:00:00Z",
    },
]


def reference_csvw(variant: str = "conformant") -> dict:
    return exports.csvw_metadata(SimpleNamespace(variant=variant, prefix="/v1"))


def described(description: dict, fetch: object = None) -> Description:
    found = describe(description, "https://h/v1/cases/export", fetch or (lambda url: {}))
    assert found is not None
    return found


def test_reference_csv_validates_against_its_csvw_metadata() -> None:
    description = described(reference_csvw())
    assert description.kind == "CSVW metadata" and description.titles == exports.CSV_COLUMNS
    parsed = parse_csv(exports.to_csv(CASES, "conformant").decode())
    assert validate_csv(parsed, description, "csv") == []


def test_csvw_validation_finds_bad_cells_missing_values_and_wrong_headers() -> None:
    description = described(reference_csvw())
    broken = [{**CASES[0], "id": "one", "category": "fireworks", "updatedAt": ""}]
    problems = validate_csv(parse_csv(exports.to_csv(broken, "conformant").decode()), description, "csv")
    assert any("'id': 'one' is not integer" in p for p in problems), problems
    assert any("'category'" in p and "amplified\\-music|" in p for p in problems), problems
    assert any("'updatedAt'" in p and "required" in p for p in problems), problems
    renamed = parse_csv("ID,title\r\n1,a\r\n")
    assert any("label" in p for p in validate_csv(renamed, description, "csv"))


def test_csvw_string_formats_match_whole_cells() -> None:
    """frictionless compiles ^{pattern}$, so an unanchored alternation would let "alarmx" through."""
    description = described(
        {"tableSchema": {"columns": [{"name": "c", "datatype": {"base": "string", "format": "alarm|other"}}]}}
    )
    assert validate_csv(parse_csv("c\r\nalarm\r\nother\r\n"), description, "csv") == []
    problems = validate_csv(parse_csv("c\r\nalarmx\r\nxother\r\n"), description, "csv")
    assert len(problems) == 2 and all("pattern" in p and '"alarm|other"' in p for p in problems), problems


def test_csvw_date_formats_are_checked_cell_by_cell() -> None:
    """A column whose datatype has a format is held to it: the cell checker once accepted anything there."""
    description = described(reference_csvw("csv-dates-break-format"))
    rfc3339 = parse_csv(exports.to_csv(CASES, "conformant").decode())
    problems = validate_csv(rfc3339, description, "csv")
    assert any("'reportedAt': '2026-11-25T14:30:00+00:00' is not datetime (dd/MM/yyyy HH:mm)" in p for p in problems)
    promised = [{**c, "reportedAt": "25/11/2026 14:30", "updatedAt": "01/01/2026 00:00"} for c in CASES]
    assert validate_csv(parse_csv(exports.to_csv(promised, "conformant").decode()), description, "csv") == []


@pytest.mark.parametrize(
    ("datatype", "good", "bad"),
    [
        ({"base": "date", "format": "d.M.yyyy"}, "5.1.2026", "2026-01-05"),
        ({"base": "boolean", "format": "Y|N"}, "N", "true"),
        ({"base": "decimal", "format": {"pattern": "#,##0.00", "groupChar": " ", "decimalChar": ","}}, "1 234,50", "x"),
        ({"base": "positiveInteger"}, "7", "0"),
        ({"base": "string", "length": 2}, "ab", "abc"),
    ],
)
def test_csvw_datatypes_map_to_table_schema(datatype: dict, good: str, bad: str) -> None:
    description = described({"tableSchema": {"columns": [{"titles": "c", "datatype": datatype}]}})
    assert description.unchecked == []
    assert validate_csv(parse_csv(f'c\r\n"{good}"\r\n'), description, "csv") == []
    assert len(validate_csv(parse_csv(f'c\r\n"{bad}"\r\n'), description, "csv")) == 1


def test_csvw_formats_the_harness_cannot_read_leave_the_column_unchecked() -> None:
    columns = [
        {"name": "when", "datatype": {"base": "date", "format": "EEE, d MMM yyyy"}},
        {"name": "pct", "datatype": {"base": "decimal", "format": "#0.0%"}},
        {"name": "ok", "datatype": "date"},
    ]
    description = described({"tableSchema": {"columns": columns}})
    assert len(description.unchecked) == 2 and "'when'" in description.unchecked[0]
    problems = validate_csv(parse_csv("when,pct,ok\r\nanything,at all,2026-13-01\r\n"), description, "csv")
    assert len(problems) == 1 and "'ok'" in problems[0]


def test_csvw_dialect_without_header_row() -> None:
    description = described(reference_csvw("csv-without-header"))
    assert not description.header and described(reference_csvw()).header
    text = exports.to_csv(CASES, "csv-without-header").decode()
    assert validate_csv(parse_csv(text, description.titles), description, "csv") == []


def test_csvw_table_group_and_referenced_schema() -> None:
    group = {
        "@context": "http://www.w3.org/ns/csvw",
        "tables": [
            {"url": "other.csv", "tableSchema": {"columns": [{"name": "x"}]}},
            {"url": "cases/export", "tableSchema": "schema.json"},
        ],
    }
    fetched = []

    def fetch(url: str) -> dict:
        fetched.append(url)
        return {"columns": [{"name": "id", "datatype": "integer"}, {"titles": {"en": ["Title"]}, "name": "t"}]}

    description = describe(group, "https://h/v1/cases/export?x=1", fetch)
    assert fetched == ["schema.json"]
    assert description is not None and description.titles == ["id", "Title"]


def test_frictionless_table_schema() -> None:
    schema = {
        "fields": [
            {"name": "id", "type": "integer", "constraints": {"required": True}},
            {"name": "category", "type": "string", "constraints": {"enum": ["alarm", "other"]}},
            {"name": "reportedAt", "type": "datetime"},
            {"name": "code", "type": "string", "constraints": {"pattern": "[A-Z]{2}|[0-9]"}},
        ],
        "missingValues": ["", "NA"],
    }
    description = described(schema)
    assert description.kind == "Table Schema" and described({"schema": schema}).schema == description.schema
    good = parse_csv("id,category,reportedAt,code\r\n1,alarm,2026-11-25T14:30:00Z,AB\r\n2,NA,NA,7\r\n")
    assert validate_csv(good, description, "csv") == []
    bad = parse_csv("id,category,reportedAt,code\r\nNA,fireworks,yesterday,ABC\r\n")
    problems = validate_csv(bad, description, "csv")
    assert len(problems) == 4 and 'pattern" is "[A-Z]{2}|[0-9]"' in problems[3], problems  # the supplier's own
    assert describe({"@context": "x"}, "https://h/x.csv", lambda url: {}) is None
    unusable = described({"fields": [{"name": "id", "type": "no-such-type"}]})
    assert "not one frictionless can use" in validate_csv(parse_csv("id\r\n1\r\n"), unusable, "csv")[0]


# --- problem details and descriptions ----------------------------------------------------------------


def response(status: int, content_type: str, body: bytes) -> requests.Response:
    made = requests.Response()
    made.status_code = status
    made.headers["Content-Type"] = content_type
    made._content = body
    return made


def test_problem_details_rules() -> None:
    good = response(404, "application/problem+json", b'{"type": "about:blank", "title": "Not Found", "status": 404}')
    assert problem_problems("read", good) == []
    plain = response(404, "application/json", b'{"error": "Not Found"}')
    assert "not application/problem+json" in problem_problems("read", plain)[0]
    wrong = response(400, "application/problem+json", b'{"title": 3, "status": 500}')
    found = problem_problems("create", wrong)
    assert any("'title'" in p for p in found) and any("'status' is 500" in p for p in found)


def test_undescribed_properties_are_listed_by_path() -> None:
    document = build_document()
    export_200 = document["paths"]["/cases/export"]["get"]["responses"]["200"]["content"]["application/json"]
    assert undescribed(document, export_200["schema"], "export", set()) == []
    broken = exports.apply_defects(document, "undescribed-property")
    schema = broken["paths"]["/cases/export"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert undescribed(broken, schema, "export", set()) == ["export[].ward"]
    assert document["components"]["schemas"]["Case"]["properties"]["ward"]["description"]  # not mutated


# --- test records -----------------------------------------------------------------------------------


def test_sample_records_are_valid_and_carry_non_ascii_text() -> None:
    document = build_document()
    api = SimpleNamespace(operations=operations_by_id(document))
    collection = read_declaration(document).collections[0]
    mt, body = sample_input(document, api, collection, "conformance-1-exp10-1")
    assert mt == "application/json"
    jsonschema.validate(body, CASE_INPUT)
    assert set(body) == set(CASE_INPUT["properties"])
    assert body["title"].startswith("conformance-1-exp10-1 ") and EMOJI in body["title"]
    assert len(body["ward"]) == 100
    _, minimal = sample_input(document, api, collection, "m", full=False)
    assert set(minimal) == set(CASE_INPUT["required"])


def register_document(properties: dict, required: list[str], **collection: str) -> dict:
    """A minimal document whose create operation takes `properties`, declared as one collection."""
    ops = {
        "create": ("post", "/things"),
        "list": ("get", "/things"),
        "read": ("get", "/things/{id}"),
        "export": ("get", "/export"),
    }
    paths: dict = {}
    for role, (method, path) in ops.items():
        operation: dict = {"operationId": role, "responses": {"200": {"description": "ok"}}}
        if role == "create":
            schema = {"type": "object", "required": required, "properties": properties}
            operation["requestBody"] = {"content": {"application/json": {"schema": schema}}}
        paths.setdefault(path, {})[method] = operation
    declared = {"name": "things", **{role: role for role in ops}, **collection}
    return {"paths": paths, "x-conformance": {"contact": "a@b.example", "health": "list", "collections": [declared]}}


def test_records_carry_only_what_the_client_chooses() -> None:
    """Never the server's properties (readOnly, the declared id and modified fields, even when `required`);
    the required properties and the free-text ones; nothing optional that is not text."""
    properties = {
        "ref": {"type": "string", "description": "Declared id field, not marked readOnly.", "pattern": "^R[0-9]{3}$"},
        "last_modified": {"type": "string", "format": "date-time"},
        "createdBy": {"type": "string", "readOnly": True},
        "code": {"type": "string", "pattern": "^[0-9]{2}/[A-Z]{2,4}$", "minLength": 6},
        "title": {"type": "string", "maxLength": 60},
        "note": {"type": "string"},
        "priority": {"type": "integer", "minimum": 1},
        "due": {"type": "string", "format": "date"},
    }
    document = register_document(
        properties,
        ["ref", "last_modified", "createdBy", "code", "title"],
        **{"id-field": "ref", "modified-field": "last_modified"},
    )
    api = SimpleNamespace(operations=operations_by_id(document))
    collection = read_declaration(document).collections[0]
    _, body = sample_input(document, api, collection, "conformance-1-port02-1")
    assert set(body) == {"code", "title", "note"}
    assert body["code"] == "00/AAA"  # the simplest string the pattern matches in full, 6 characters or more
    assert EMOJI in body["note"] and len(body["title"]) == 60
    _, minimal = sample_input(document, api, collection, "m", full=False)
    assert set(minimal) == {"code", "title"}


def test_a_described_reference_to_an_enum_is_sampled_from_the_enum() -> None:
    """OpenAPI 3.0 ignores siblings of $ref, so generators wrap a described $ref in allOf (drf-spectacular)."""
    document = register_document(
        {"category": {"allOf": [{"$ref": "#/components/schemas/CategoryEnum"}], "description": "Kind of noise."}},
        ["category"],
    )
    document["components"] = {"schemas": {"CategoryEnum": {"type": "string", "enum": ["alarm", "vehicle"]}}}
    api = SimpleNamespace(operations=operations_by_id(document))
    _, body = sample_input(document, api, read_declaration(document).collections[0], "m")
    assert body == {"category": "alarm"}


def test_a_pattern_no_string_can_meet_is_undecided_with_the_property() -> None:
    document = register_document({"code": {"type": "string", "pattern": "^[0-9]$", "minLength": 3}}, ["code"])
    api = SimpleNamespace(operations=operations_by_id(document))
    with pytest.raises(Undecided, match=r"body\.code needs a string matching '\^\[0-9\]\$' of 3 to any characters"):
        sample_input(document, api, read_declaration(document).collections[0], "m")


def test_a_rejection_names_the_properties_the_server_objects_to() -> None:
    body = {
        "type": "about:blank",
        "title": "Unprocessable Entity",
        "status": 422,
        "invalid-params": [{"name": "ward", "reason": "unknown ward"}],
    }
    refused = response(422, "application/problem+json", json.dumps(body).encode())
    said = rejection(refused, {"title": "t", "ward": "Bute"}, {"title", "ward", "postcode"})
    assert said.startswith("HTTP 422: Unprocessable Entity; {")
    assert said.endswith("it names ward (sent 'Bute')")
    plain = response(400, "text/plain", b"postcode is required")
    assert rejection(plain, {"title": "t"}, {"title", "postcode"}) == (
        "HTTP 400: postcode is required; it names postcode (not sent)"
    )


def test_a_rejection_names_the_properties_of_errors_given_by_field() -> None:
    """Problem details whose `errors` member maps each field to its messages (DRF, marshmallow)."""
    body = {"title": "Bad Request", "status": 400, "errors": {"category": ['"{}" is not a valid choice.']}}
    refused = response(400, "application/problem+json", json.dumps(body).encode())
    said = rejection(refused, {"title": "t", "category": {}}, {"title", "category"})
    assert said.endswith("it names category (sent {})")


def test_differences_compare_exact_text_and_date_instants() -> None:
    sent = {"title": "Cafe\u0301", "reportedAt": "2026-11-25T14:30:00Z", "ward": "Bute"}
    same = {"title": "Cafe\u0301", "reportedAt": "2026-11-25T15:30:00+01:00", "ward": "Bute"}
    assert differences(sent, same, {"reportedAt": "date-time"}, False, "1") == []
    normalised = {**same, "title": "Café", "ward": ""}
    found = differences(sent, normalised, {"reportedAt": "date-time"}, False, "1")
    assert len(found) == 2 and "'title' changed" in found[0] and "'ward' is missing" in found[1]
    assert differences({"n": 1, "b": True}, {"n": "1", "b": "true"}, {}, True, "1") == []


# --- passing only on what was examined ------------------------------------------------------------


def plain_results(
    supplier: RunningSupplier,
    tmp_path: Path,
    *extra: str,
    document: dict | None = None,
    select: str = "export.py or portability.py",
) -> dict[str, dict]:
    """The checks `select` names through plain pytest (no fuzzing), against `supplier` reading `document` from
    a file when given: requirement id -> result."""
    if document is not None:
        spec = tmp_path / "spec.json"
        spec.write_text(json.dumps(document))
        extra = ("--conformance-spec", str(spec), "--conformance-base-url", supplier.base + "/v1", *extra)
    run_plain_pytest(supplier, tmp_path / "out", tmp_path, "-k", select, *extra)
    results = json.loads((tmp_path / "out" / "results.json").read_text("utf-8"))
    return {r["id"]: r for p in results["profiles"] for r in p["requirements"]}


def test_reads_and_exports_that_fail_decide_nothing(tmp_path: Path) -> None:
    """Every read of a record and every export answers 500: no date and no encoding was examined."""
    with serve("reads-and-exports-fail") as supplier:
        found = plain_results(supplier, tmp_path)
    assert found["EXP-11"]["outcome"] == "error"
    assert "getCase: HTTP 500" in found["EXP-11"]["reason"]
    assert "exportCases as text/csv: HTTP 500" in found["EXP-11"]["reason"]
    assert found["EXP-10"]["outcome"] == "error"
    assert "exportCases as application/json answered HTTP 500" in found["EXP-10"]["reason"]
    readers = {"EXP-10", "EXP-11", "EXP-12", "EXP-13", "PORT-02", "PORT-04", "PORT-05", "PORT-06", "PORT-07"}
    assert all(found[rid]["outcome"] in ("fail", "error") for rid in readers), {r: found[r]["outcome"] for r in readers}


def test_exported_properties_are_counted_per_success_response() -> None:
    document = build_document()
    export_get = document["paths"]["/cases/export"]["get"]
    counts = success_schemas(document, export_get)
    assert counts == {"200 application/json": 8, "200 text/csv": 0, "200 application/x-ndjson": 0}
    broken = exports.apply_defects(document, "export-without-schema")
    assert set(success_schemas(broken, broken["paths"]["/cases/export"]["get"]).values()) == {0}


STALLED_HEAD = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 99\r\n\r\n["


@contextmanager
def silent_server(after_headers: bool) -> Iterator[str]:
    """A loopback server that reads requests and never finishes answering (optionally after the headers)."""
    done = threading.Event()

    class Silent(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.recv(65536)
            if after_headers:
                self.request.sendall(STALLED_HEAD)
            done.wait(30)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Silent)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        done.set()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("after_headers", [False, True], ids=["no-answer", "body-stalls"])
def test_requests_that_time_out_leave_the_requirement_undecided_naming_the_option(
    after_headers: bool, tmp_path: Path
) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(build_document()))
    with serve("conformant") as supplier, silent_server(after_headers) as base:
        args = ["--conformance-spec", str(spec), "--conformance-base-url", base + "/v1"]
        found = plain_results(supplier, tmp_path, *args, "--conformance-request-timeout", "0.5")
    for rid in ("EXP-10", "PORT-02"):
        assert found[rid]["outcome"] == "error", found[rid]
        assert found[rid]["reason"].startswith("not tested: ") and " timed out (" in found[rid]["reason"]
        assert "--request-timeout" in found[rid]["reason"]


def test_records_without_date_values_decide_nothing(tmp_path: Path) -> None:
    """The only date property is one no record carries: no date was examined, so EXP-11 cannot pass."""
    document = build_document()
    case = document["components"]["schemas"]["Case"]
    for name in ("reportedAt", "updatedAt"):
        case["properties"][name] = {k: v for k, v in case["properties"][name].items() if k != "format"}
    case["properties"]["closedAt"] = {"type": "string", "format": "date-time", "description": "When it closed."}
    with serve("conformant") as supplier:
        found = plain_results(supplier, tmp_path, document=document, select="test_dates_are_rfc3339")
    assert found["EXP-11"]["outcome"] == "error"
    assert "carried no value for any date property" in found["EXP-11"]["reason"]


def test_an_export_offering_only_csv_leaves_its_description_to_exp13(tmp_path: Path) -> None:
    document = build_document()
    responses = document["paths"]["/cases/export"]["get"]["responses"]
    responses["200"]["content"] = {"text/csv": {"schema": {"type": "string"}}}
    with serve("conformant") as supplier:
        found = plain_results(supplier, tmp_path, document=document, select="test_exported_properties_are_described")
    assert found["EXP-15"]["outcome"] == "not-applicable"
    assert "exportCases (200 text/csv)" in found["EXP-15"]["reason"] and "EXP-13" in found["EXP-15"]["reason"]


def test_a_csv_with_no_rows_leaves_its_cells_unchecked() -> None:
    """An empty store exports a header row alone: the header is checked, no cell is, so EXP-13 cannot pass."""
    with serve("conformant") as supplier:
        headers = {"Authorization": f"Bearer {supplier.token}"}
        verify = supplier.ca_bundle or True
        api = ApiClient(build_target(load_spec(supplier.spec_url, headers, verify), None, headers, verify))
        collection = read_declaration(api.target.spec.document).collections[0]
        evidence: list[dict] = []
        problems, unchecked = csv_description_problems(api, fetch(api, collection, "text/csv"), "csv", evidence)
    assert problems == [] and unchecked == ["csv: the CSV holds no rows, not even the record just created"]
    assert evidence[-1]["rows"] == 0 and evidence[-1]["request"] == "GET /v1/cases/export"


def test_nullable_dates_in_openapi_31s_own_dialect_are_dates() -> None:
    """FastAPI writes `updated_at: datetime | None` as anyOf with the null type; it is still a date-time, whose
    values EXP-11 checks, PORT-02 compares as instants and PORT-06 finds as the last-modified field."""
    document = {"components": {"schemas": {"Day": {"type": "string", "format": "date"}}}}
    schema = {
        "type": "object",
        "properties": {
            "updated_at": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}], "title": "U"},
            "due": {"oneOf": [{"$ref": "#/components/schemas/Day"}, {"type": "null"}]},
            "typed": {"type": ["string", "null"], "format": "date-time"},
            "mixed": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "integer"}]},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
    }
    assert date_properties(document, schema) == {"updated_at": "date-time", "due": "date", "typed": "date-time"}
