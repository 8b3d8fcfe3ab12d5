"""Open-standard export content (EXP-10..EXP-15): the helpers the checks rely on, and a run with no declaration.

Each defect variant of the reference supplier is run end to end by tests/test_core_run.py; these tests
pin down the parsing and validation rules and what happens when the supplier declares nothing.
"""

import json
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import requests

from conformance.catalogue import all_requirements
from conformance.checks.export import problem_problems, undescribed
from conformance.checks.kit.exports import FormatError, decode, differences, parse, parse_csv
from conformance.checks.kit.pagination import link_with_rel, parse_link_header
from conformance.checks.kit.records import EMOJI, sample_input
from conformance.checks.kit.rfc3339 import epoch_seconds, format_epoch, is_rfc3339_date, is_rfc3339_date_time
from conformance.checks.kit.table_schema import csvw_columns, frictionless_columns, has_header_row, validate_csv
from conformance.client import operations_by_id
from conformance.declaration import read_declaration
from conformance.demo import exports, serve
from conformance.demo.openapi import CASE_INPUT, build_document
from tests.conftest import SEED, CliRun, run_cli

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
    for rid in needed:
        assert "the document has no supplier declaration" in reasons(result)[rid]
        assert "x-conformance:" in reasons(result)[rid] and "export: exportCases" in reasons(result)[rid]


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


def test_reference_csv_validates_against_its_csvw_metadata() -> None:
    metadata = reference_csvw()
    columns = csvw_columns(metadata, "https://h/v1/cases/export", lambda url: {})
    assert [c.title for c in columns] == exports.CSV_COLUMNS
    parsed = parse_csv(exports.to_csv(CASES, "conformant").decode())
    assert validate_csv(parsed, columns, "csv") == []


def test_csvw_validation_finds_bad_cells_missing_values_and_wrong_headers() -> None:
    columns = csvw_columns(reference_csvw(), "https://h/v1/cases/export", lambda url: {})
    broken = [{**CASES[0], "id": "one", "category": "fireworks", "updatedAt": ""}]
    problems = validate_csv(parse_csv(exports.to_csv(broken, "conformant").decode()), columns, "csv")
    assert any("'id'" in p and "integer" in p for p in problems)
    assert any("'category'" in p for p in problems)
    assert any("'updatedAt' is empty but required" in p for p in problems)
    renamed = parse_csv("ID,title\r\n1,a\r\n")
    assert "does not match the described columns" in validate_csv(renamed, columns, "csv")[0]


def test_csvw_dialect_without_header_row() -> None:
    metadata = reference_csvw("csv-without-header")
    assert not has_header_row(metadata) and has_header_row(reference_csvw())
    columns = csvw_columns(metadata, "https://h/v1/cases/export", lambda url: {})
    text = exports.to_csv(CASES, "csv-without-header").decode()
    assert validate_csv(parse_csv(text, [c.title for c in columns]), columns, "csv") == []


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

    columns = csvw_columns(group, "https://h/v1/cases/export?x=1", fetch)
    assert fetched == ["schema.json"]
    assert [c.title for c in columns] == ["id", "Title"]


def test_frictionless_table_schema() -> None:
    schema = {
        "fields": [
            {"name": "id", "type": "integer", "constraints": {"required": True}},
            {"name": "category", "type": "string", "constraints": {"enum": ["alarm", "other"]}},
            {"name": "reportedAt", "type": "datetime"},
        ],
        "missingValues": ["", "NA"],
    }
    columns = frictionless_columns(schema)
    assert frictionless_columns({"schema": schema}) == columns
    good = parse_csv("id,category,reportedAt\r\n1,alarm,2026-11-25T14:30:00Z\r\n2,NA,NA\r\n")
    assert validate_csv(good, columns, "csv") == []
    bad = parse_csv("id,category,reportedAt\r\nNA,fireworks,yesterday\r\n")
    assert len(validate_csv(bad, columns, "csv")) == 3
    assert frictionless_columns({"@context": "x"}) is None


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


def test_differences_compare_exact_text_and_date_instants() -> None:
    sent = {"title": "Cafe\u0301", "reportedAt": "2026-11-25T14:30:00Z", "ward": "Bute"}
    same = {"title": "Cafe\u0301", "reportedAt": "2026-11-25T15:30:00+01:00", "ward": "Bute"}
    assert differences(sent, same, {"reportedAt": "date-time"}, False, "1") == []
    normalised = {**same, "title": "Café", "ward": ""}
    found = differences(sent, normalised, {"reportedAt": "date-time"}, False, "1")
    assert len(found) == 2 and "'title' changed" in found[0] and "'ward' is missing" in found[1]
    assert differences({"n": 1, "b": True}, {"n": "1", "b": "true"}, {}, True, "1") == []
