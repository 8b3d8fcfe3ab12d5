"""The export checks (EXP-10 to EXP-15) in this process against the reference supplier, its defect variants and
documents changed to take each other way through a check: the exact outcome, message and evidence.

tests/in_process/test_checks_decide.py shows every check passing on the conformant supplier and failing on
its defects; this pins down every sentence and evidence item, so that a check that examined less, or said
something else, is noticed.
"""

import copy
from collections.abc import Callable
from typing import Any

import pytest

from conformance.checks import export
from conformance.demo import RunningSupplier
from tests.in_process.conftest import Ended, client, run_declared

Supplier = Callable[[str], RunningSupplier]


def run(requirement: str, check: Callable[..., None], supplier: RunningSupplier, document: Any = None) -> Ended:
    """The check against `supplier`, reading `document` instead of the supplier's own when one is given."""
    return run_declared(requirement, check, client(supplier, document))


def changed(supplier: RunningSupplier, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The supplier's own document with `change` applied to a copy."""
    document = copy.deepcopy(client(supplier).target.spec.document)
    change(document)
    return document


def labelled(evidence: list[dict[str, Any]], *keys: str) -> list[tuple[Any, ...]]:
    """Each evidence item's label, request and status, and the named values it compared."""
    return [(e.get("label"), e.get("request"), e.get("status"), *(e.get(k) for k in keys)) for e in evidence]


def export_op(document: dict[str, Any]) -> dict[str, Any]:
    return document["paths"]["/cases/export"]["get"]


def referenced(document: dict[str, Any]) -> None:
    """The export's 200 response, the create's request body and a date property's schema moved to components and
    referenced."""
    components = document["components"]
    responses = export_op(document)["responses"]
    components["responses"] = {"Exported": responses["200"]}
    responses["200"] = {"$ref": "#/components/responses/Exported"}
    properties = components["schemas"]["Case"]["properties"]
    components["schemas"]["Instant"] = properties["reportedAt"]
    properties["reportedAt"] = {"$ref": "#/components/schemas/Instant"}
    create = document["paths"]["/cases"]["post"]
    components["requestBodies"] = {"NewCase": create["requestBody"]}
    create["requestBody"] = {"$ref": "#/components/requestBodies/NewCase"}


def twice(document: dict[str, Any]) -> None:
    """A second declared collection served by the same operations."""
    collections = document["x-conformance"]["collections"]
    collections.append({**collections[0], "name": "copies"})


@pytest.mark.parametrize(
    ("requirement", "check", "evidenced"),
    [
        ("EXP-10", export.test_json_is_utf8, 6),
        ("EXP-11", export.test_dates_are_rfc3339, 5),
        ("EXP-12", export.test_exports_offer_open_formats, 5),
        ("EXP-13", export.test_csv_exports_are_described, 3),
        ("EXP-14", export.test_errors_are_problem_details, 4),
        ("EXP-15", export.test_exported_properties_are_described, 1),
    ],
)
def test_referenced_responses_and_request_bodies_are_followed(
    requirement: str, check: Callable[..., None], evidenced: int, conformant: RunningSupplier
) -> None:
    result = run(requirement, check, conformant, changed(conformant, referenced))
    assert (result.outcome, result.message, len(result.evidence)) == ("pass", "", evidenced)


def test_what_referenced_responses_and_schemas_declare_is_read_through_the_reference(
    conformant: RunningSupplier,
) -> None:
    document = changed(conformant, referenced)
    dated = run("EXP-11", export.test_dates_are_rfc3339, conformant, document)
    assert [list(e["dates"]) for e in dated.evidence[1:]] == [["reportedAt", "updatedAt"]] * 4
    offered = run("EXP-12", export.test_exports_offer_open_formats, conformant, document)
    assert offered.evidence[0]["declared"] == ["application/json", "text/csv", "application/x-ndjson"]


# --- EXP-10 ----------------------------------------------------------------------------------------


def test_exp10_passes_on_every_json_response_of_the_conformant_supplier(conformant: RunningSupplier) -> None:
    result = run("EXP-10", export.test_json_is_utf8, conformant)
    made = result.evidence[0]["id"]
    assert (result.outcome, result.message) == ("pass", "")
    assert labelled(result.evidence[1:], "content_type", "utf8", "examined") == [
        ("createCase (the new record)", "POST /v1/cases", 201, "application/json", True, None),
        (f"getCase (record {made})", f"GET /v1/cases/{made}", 200, "application/json", True, None),
        ("exportCases as application/json", "GET /v1/cases/export", 200, "application/json", True, None),
        ("exportCases as application/x-ndjson", "GET /v1/cases/export", 200, "application/x-ndjson", True, None),
        ("listCases (first page)", "GET /v1/cases", 200, "application/json", True, None),
    ]


def test_exp10_fails_on_json_in_latin_1(supplier: Supplier) -> None:
    result = run("EXP-10", export.test_json_is_utf8, supplier("latin1-json"))
    assert result.outcome == "fail"
    assert result.message.startswith(
        "JSON that is not plain UTF-8: exportCases as application/json declares charset=iso-8859-1; "
        "exportCases as application/json is not valid UTF-8 (invalid continuation byte at byte "
    )
    assert [e["utf8"] for e in result.evidence[1:]] == [True, True, False, True, True]


def test_exp10_is_undecided_when_reads_and_exports_fail(supplier: Supplier) -> None:
    result = run("EXP-10", export.test_json_is_utf8, supplier("reads-and-exports-fail"))
    made = result.evidence[0]["id"]
    assert (result.outcome, result.message) == (
        "error",
        f"not every JSON response could be examined: getCase (record {made}) answered HTTP 500; "
        "exportCases as application/json answered HTTP 500; exportCases as application/x-ndjson answered HTTP 500",
    )
    assert labelled(result.evidence[1:], "content_type", "utf8", "examined") == [
        ("createCase (the new record)", "POST /v1/cases", 201, "application/json", True, None),
        (f"getCase (record {made})", f"GET /v1/cases/{made}", 500, "application/problem+json", None, False),
        ("exportCases as application/json", "GET /v1/cases/export", 500, "application/problem+json", None, False),
        ("exportCases as application/x-ndjson", "GET /v1/cases/export", 500, "application/problem+json", None, False),
        ("listCases (first page)", "GET /v1/cases", 200, "application/json", True, None),
    ]


def test_exp10_leaves_an_answer_that_is_not_json_unexamined(conformant: RunningSupplier) -> None:
    """A document whose JSON media type key also names CSV first: the Accept header sent asks for CSV before
    JSON, the supplier answers CSV, and that answer is shown but not held to the JSON rules."""

    def csv_first(document: dict[str, Any]) -> None:
        content = export_op(document)["responses"]["200"]["content"]
        content["text/csv, application/problem+json"] = content.pop("application/json")

    result = run("EXP-10", export.test_json_is_utf8, conformant, changed(conformant, csv_first))
    assert (result.outcome, result.message) == ("pass", "")
    assert result.evidence[4] == {
        "request": "GET /v1/cases/export",
        "status": 200,
        "label": "exportCases as text/csv, application/problem+json",
        "content_type": "text/csv",
        "examined": False,
        "why": "not JSON",
    }


# --- EXP-11 ----------------------------------------------------------------------------------------


def test_exp11_passes_on_rfc3339_dates_in_every_read_and_export(conformant: RunningSupplier) -> None:
    result = run("EXP-11", export.test_dates_are_rfc3339, conformant)
    made = result.evidence[0]["id"]
    assert (result.outcome, result.message) == ("pass", "")
    assert labelled(result.evidence[1:], "record") == [
        ("getCase", f"GET /v1/cases/{made}", 200, made),
        ("exportCases as application/json", "GET /v1/cases/export", 200, made),
        ("exportCases as application/x-ndjson", "GET /v1/cases/export", 200, made),
        ("exportCases as text/csv", "GET /v1/cases/export", 200, made),
    ]
    for item in result.evidence[1:]:
        assert list(item["dates"]) == ["reportedAt", "updatedAt"]
        assert item["dates"]["reportedAt"] == "2026-11-25T14:30:00Z"


def test_exp11_fails_on_dates_without_an_offset(supplier: Supplier) -> None:
    result = run("EXP-11", export.test_dates_are_rfc3339, supplier("naive-ndjson-dates"))
    updated = result.evidence[3]["dates"]["updatedAt"]
    assert (result.outcome, result.message) == (
        "fail",
        "dates that are not RFC 3339: exportCases as application/x-ndjson: reportedAt='2026-11-25T14:30:00' is not "
        "an RFC 3339 date-time with an offset; exportCases as application/x-ndjson: "
        f"updatedAt='{updated}' is not an RFC 3339 date-time with an offset",
    )


def test_exp11_reads_a_csv_without_a_header_row_by_its_description(supplier: Supplier) -> None:
    result = run("EXP-11", export.test_dates_are_rfc3339, supplier("csv-without-header"))
    assert result.outcome == "pass"
    assert result.evidence[-1]["label"] == "exportCases as text/csv"
    assert result.evidence[-1]["dates"]["reportedAt"] == "2026-11-25T14:30:00Z"


def test_exp11_is_undecided_when_the_created_record_cannot_be_read(supplier: Supplier) -> None:
    result = run("EXP-11", export.test_dates_are_rfc3339, supplier("reads-and-exports-fail"))
    assert (result.outcome, result.message) == (
        "error",
        "not every read and export of the created record could be examined: getCase: HTTP 500; "
        "exportCases as application/json: HTTP 500; exportCases as application/x-ndjson: HTTP 500; "
        "exportCases as text/csv: HTTP 500",
    )
    made = result.evidence[0]["id"]
    assert labelled(result.evidence[1:], "examined", "why") == [
        ("getCase", f"GET /v1/cases/{made}", 500, False, "HTTP 500"),
        *[(f"exportCases as {mt}", "GET /v1/cases/export", 500, False, "HTTP 500") for mt in OPEN],
    ]


OPEN = ("application/json", "application/x-ndjson", "text/csv")


def test_exp11_is_not_applicable_without_date_properties(conformant: RunningSupplier) -> None:
    def undated(document: dict[str, Any]) -> None:
        for name in ("reportedAt", "updatedAt"):
            del document["components"]["schemas"]["Case"]["properties"][name]["format"]

    result = run("EXP-11", export.test_dates_are_rfc3339, conformant, changed(conformant, undated))
    assert (result.outcome, result.message) == (
        "not-applicable",
        "no record property is declared with format date or date-time",
    )
    assert result.evidence == [{"collection": "cases", "date_properties": {}}]


def test_exp11_is_undecided_when_no_date_property_had_a_value(conformant: RunningSupplier) -> None:
    def never_dated(document: dict[str, Any]) -> None:
        properties = document["components"]["schemas"]["Case"]["properties"]
        for name in ("reportedAt", "updatedAt"):
            del properties[name]["format"]
        properties["closedAt"] = {"type": "string", "format": "date", "description": "When it was closed."}

    result = run("EXP-11", export.test_dates_are_rfc3339, conformant, changed(conformant, never_dated))
    assert (result.outcome, result.message) == (
        "error",
        "the records created carried no value for any date property, so no date was examined",
    )
    assert [e["dates"] for e in result.evidence[1:]] == [{}] * 4


# --- EXP-12 ----------------------------------------------------------------------------------------


def test_exp12_passes_on_every_open_format_the_export_offers(conformant: RunningSupplier) -> None:
    result = run("EXP-12", export.test_exports_offer_open_formats, conformant)
    assert (result.outcome, result.message) == ("pass", "")
    assert result.evidence[0] == {
        "export": "exportCases",
        "declared": ["application/json", "text/csv", "application/x-ndjson"],
        "open": ["application/json", "application/x-ndjson", "text/csv"],
    }
    assert labelled(result.evidence[2:], "problems") == [
        (f"exportCases as {mt}", "GET /v1/cases/export", 200, [])
        for mt in ("application/json", "application/x-ndjson", "text/csv")
    ]
    assert all(e["records"] >= 1 for e in result.evidence[2:])


def test_exp12_fails_on_a_csv_without_a_header_row(supplier: Supplier) -> None:
    result = run("EXP-12", export.test_exports_offer_open_formats, supplier("csv-without-header"))
    assert result.outcome == "fail"
    assert result.message.startswith(
        "exportCases as text/csv: says header=absent; the CSV must start with a header row; exportCases as "
        "text/csv: the first row is not a header row of unique, non-empty column names: "
    )
    assert len(result.evidence[-1]["problems"]) == 2 and "; ".join(result.evidence[-1]["problems"]) == result.message


def test_exp12_fails_on_exports_that_fail(supplier: Supplier) -> None:
    result = run("EXP-12", export.test_exports_offer_open_formats, supplier("reads-and-exports-fail"))
    assert (result.outcome, result.message) == (
        "fail",
        "exportCases as application/json: HTTP 500 for Accept: application/json; exportCases as "
        "application/x-ndjson: HTTP 500 for Accept: application/x-ndjson; exportCases as text/csv: HTTP 500 for "
        "Accept: text/csv",
    )
    assert [e["records"] for e in result.evidence[2:]] == [0, 0, 0]


def test_exp12_names_every_export_without_an_open_format(conformant: RunningSupplier) -> None:
    def closed_twice(document: dict[str, Any]) -> None:
        twice(document)
        export_op(document)["responses"]["200"]["content"] = {"application/xml": {}, "application/pdf": {}}

    result = run("EXP-12", export.test_exports_offer_open_formats, conformant, changed(conformant, closed_twice))
    closed = (
        "exportCases offers no open format (declared: application/xml, application/pdf); "
        "offer CSV, JSON, NDJSON or GeoJSON"
    )
    assert (result.outcome, result.message) == ("fail", f"{closed}; {closed}")
    assert (
        result.evidence
        == [{"export": "exportCases", "declared": ["application/xml", "application/pdf"], "open": []}] * 2
    )


@pytest.mark.parametrize(
    ("content", "declared"),
    [({"application/xml": {"schema": {"type": "string"}}}, "application/xml"), ({}, "none")],
)
def test_exp12_fails_on_an_export_without_an_open_format(
    content: dict[str, Any], declared: str, conformant: RunningSupplier
) -> None:
    def closed(document: dict[str, Any]) -> None:
        export_op(document)["responses"]["200"]["content"] = content

    result = run("EXP-12", export.test_exports_offer_open_formats, conformant, changed(conformant, closed))
    assert (result.outcome, result.message) == (
        "fail",
        f"exportCases offers no open format (declared: {declared}); offer CSV, JSON, NDJSON or GeoJSON",
    )
    assert result.evidence == [
        {"export": "exportCases", "declared": [declared] if content else [], "open": []},
    ]


# --- EXP-13 ----------------------------------------------------------------------------------------


def test_exp13_passes_on_a_csv_its_csvw_metadata_describes(conformant: RunningSupplier) -> None:
    result = run("EXP-13", export.test_csv_exports_are_described, conformant)
    assert (result.outcome, result.message) == ("pass", "")
    described = result.evidence[-1]
    assert result.evidence[-2] == {
        "request": "GET /v1/cases/export/metadata",
        "status": 200,
        "label": "the CSV's description",
    }
    assert described["describedby"] == f"{conformant.base}/v1/cases/export/metadata"
    assert (described["label"], described["description"], described["rows"] >= 1) == (
        "exportCases as text/csv",
        "CSVW metadata",
        True,
    )


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        (
            "csv-undescribed",
            'exportCases as text/csv: no `Link: <...>; rel="describedby"` header points to CSVW metadata or a '
            "Table Schema",
        ),
        ("reads-and-exports-fail", "exportCases as text/csv: HTTP 500"),
    ],
)
def test_exp13_fails_on_a_csv_that_is_not_described(variant: str, message: str, supplier: Supplier) -> None:
    result = run("EXP-13", export.test_csv_exports_are_described, supplier(variant))
    assert (result.outcome, result.message) == ("fail", message)


def test_exp13_fails_on_cells_that_break_the_description(supplier: Supplier) -> None:
    result = run("EXP-13", export.test_csv_exports_are_described, supplier("csv-dates-break-format"))
    assert result.outcome == "fail"
    assert result.message.startswith(
        "exportCases as text/csv: row 2, column 'reportedAt': '2026-11-25T14:30:00Z' is not datetime "
        "(dd/MM/yyyy HH:mm); exportCases as text/csv: row 2, column 'updatedAt': "
    )


def test_exp13_is_not_applicable_without_a_csv_export(conformant: RunningSupplier) -> None:
    def no_csv(document: dict[str, Any]) -> None:
        del export_op(document)["responses"]["200"]["content"]["text/csv"]

    result = run("EXP-13", export.test_csv_exports_are_described, conformant, changed(conformant, no_csv))
    assert (result.outcome, result.message, result.evidence) == (
        "not-applicable",
        "no declared export offers text/csv",
        [],
    )


# --- EXP-14 ----------------------------------------------------------------------------------------


def test_exp14_passes_on_problem_details_for_every_error_provoked(conformant: RunningSupplier) -> None:
    result = run("EXP-14", export.test_errors_are_problem_details, conformant)
    deleted = result.evidence[0]["id"]
    assert (result.outcome, result.message) == ("pass", "")
    assert labelled(result.evidence[1:], "content_type", "problems") == [
        ("getCase of a missing record", f"GET /v1/cases/{deleted}", 404, "application/problem+json", []),
        ("createCase with a JSON array for a body", "POST /v1/cases", 400, "application/problem+json", []),
        ("exportCases without credentials", "GET /v1/cases/export", 401, "application/problem+json", []),
    ]


def test_exp14_fails_on_errors_in_another_shape(supplier: Supplier) -> None:
    result = run("EXP-14", export.test_errors_are_problem_details, supplier("plain-json-errors"))
    assert (result.outcome, result.message) == (
        "fail",
        "getCase of a missing record: HTTP 404 came as application/json, not application/problem+json; "
        "createCase with a JSON array for a body: HTTP 400 came as application/json, not "
        "application/problem+json; exportCases without credentials: HTTP 401 came as application/json, not "
        "application/problem+json",
    )
    assert [e["problems"] for e in result.evidence[1:]] == [[p] for p in result.message.split("; ")]


def test_exp14_without_delete_reads_an_id_that_was_never_made(conformant: RunningSupplier) -> None:
    def undeletable(document: dict[str, Any]) -> None:
        del document["x-conformance"]["collections"][0]["delete"]

    result = run("EXP-14", export.test_errors_are_problem_details, conformant, changed(conformant, undeletable))
    assert result.outcome == "pass"
    assert result.evidence[0] == {
        "request": "GET /v1/cases/conformance-missing-20261125",
        "status": 400,
        "label": "getCase of a missing record",
        "content_type": "application/problem+json",
        "problems": [],
    }


def test_exp14_examines_only_error_responses(conformant: RunningSupplier) -> None:
    def found_anyway(document: dict[str, Any]) -> None:
        document["x-conformance"]["collections"][0]["read"] = "listCases"

    result = run("EXP-14", export.test_errors_are_problem_details, conformant, changed(conformant, found_anyway))
    assert result.outcome == "pass"
    assert result.evidence[1] == {
        "request": "GET /v1/cases",
        "status": 200,
        "label": "listCases of a missing record",
        "content_type": "application/json",
        "examined": False,
        "why": "not an error",
    }


# --- EXP-15 ----------------------------------------------------------------------------------------


def test_exp15_passes_when_every_exported_property_is_described(conformant: RunningSupplier) -> None:
    result = run("EXP-15", export.test_exported_properties_are_described, conformant)
    assert (result.outcome, result.message) == ("pass", "")
    assert result.evidence == [
        {
            "export": "exportCases",
            "properties_declared": {"200 application/json": 8, "200 text/csv": 0, "200 application/x-ndjson": 0},
            "undescribed": [],
        }
    ]


def test_exp15_fails_on_an_undescribed_property(supplier: Supplier) -> None:
    result = run("EXP-15", export.test_exported_properties_are_described, supplier("undescribed-property"))
    assert (result.outcome, result.message) == (
        "fail",
        "1 exported property has no description: exportCases 200 application/json:[].ward",
    )
    assert result.evidence[0]["undescribed"] == ["exportCases 200 application/json:[].ward"]


def test_exp15_counts_every_undescribed_property(conformant: RunningSupplier) -> None:
    def two_undescribed(document: dict[str, Any]) -> None:
        """Two properties without a description, in an export of one object rather than an array."""
        for name in ("ward", "title"):
            del document["components"]["schemas"]["Case"]["properties"][name]["description"]
        export_op(document)["responses"]["200"]["content"]["application/json"]["schema"] = {
            "$ref": "#/components/schemas/Case"
        }

    result = run(
        "EXP-15", export.test_exported_properties_are_described, conformant, changed(conformant, two_undescribed)
    )
    assert (result.outcome, result.message) == (
        "fail",
        "2 exported properties have no description: exportCases 200 application/json: title; "
        "exportCases 200 application/json: ward",
    )


def test_exp15_finds_undescribed_properties_in_each_collection_and_referenced_response(
    conformant: RunningSupplier,
) -> None:
    def undescribed_twice(document: dict[str, Any]) -> None:
        del document["components"]["schemas"]["Case"]["properties"]["ward"]["description"]
        referenced(document)
        twice(document)

    result = run(
        "EXP-15", export.test_exported_properties_are_described, conformant, changed(conformant, undescribed_twice)
    )
    assert (result.outcome, result.message) == (
        "fail",
        "2 exported properties have no description: exportCases 200 application/json:[].ward; "
        "exportCases 200 application/json:[].ward",
    )


def test_exp15_is_not_applicable_only_when_no_export_has_record_properties(conformant: RunningSupplier) -> None:
    def unstructured_twice(document: dict[str, Any]) -> None:
        twice(document)
        export_op(document)["responses"]["200"]["content"] = {"application/xml": {}, "application/pdf": {}}

    result = run(
        "EXP-15", export.test_exported_properties_are_described, conformant, changed(conformant, unstructured_twice)
    )
    each = "exportCases (200 application/xml, 200 application/pdf)"
    assert (result.outcome, result.message) == (
        "not-applicable",
        f"no export declares a structured format with record properties ({each}; {each}); CSV columns are "
        "described by the CSV's own description (EXP-13)",
    )


def test_exp15_fails_on_a_structured_export_without_properties(supplier: Supplier) -> None:
    result = run("EXP-15", export.test_exported_properties_are_described, supplier("export-without-schema"))
    assert (result.outcome, result.message) == (
        "fail",
        "exportCases declares no record properties for its 200 application/json, 200 application/x-ndjson "
        "response (no schema, or one without properties), so what it exports is described nowhere",
    )


@pytest.mark.parametrize(
    ("content", "shown"),
    [({"text/csv": {"schema": {"type": "string"}}}, "200 text/csv"), ({}, "no content")],
)
def test_exp15_is_not_applicable_to_an_export_in_csv_only(
    content: dict[str, Any], shown: str, conformant: RunningSupplier
) -> None:
    def csv_only(document: dict[str, Any]) -> None:
        export_op(document)["responses"]["200"]["content"] = content

    result = run("EXP-15", export.test_exported_properties_are_described, conformant, changed(conformant, csv_only))
    assert (result.outcome, result.message) == (
        "not-applicable",
        f"no export declares a structured format with record properties (exportCases ({shown})); CSV columns are "
        "described by the CSV's own description (EXP-13)",
    )


def test_exp14_is_undecided_when_no_probe_provokes_an_error(conformant: RunningSupplier) -> None:
    """A declaration whose read lists, whose create imports (an empty array is a valid import) and whose export
    is the public health check: every probe is answered 200, so no error response is there to examine."""

    def never_failing(document: dict[str, Any]) -> None:
        cases = document["x-conformance"]["collections"][0]
        cases.update(read="listCases", create="importCases", export="getHealth")
        del cases["delete"]

    result = run("EXP-14", export.test_errors_are_problem_details, conformant, changed(conformant, never_failing))
    assert (result.outcome, result.message) == (
        "error",
        "none of the probes provoked an error response, so no error response was examined",
    )
    assert labelled(result.evidence, "examined", "why") == [
        ("listCases of a missing record", "GET /v1/cases", 200, False, "not an error"),
        ("importCases with a JSON array for a body", "POST /v1/cases/import", 200, False, "not an error"),
        ("getHealth without credentials", "GET /v1/health", 200, False, "not an error"),
    ]
