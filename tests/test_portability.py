"""Data portability (PORT-01..PORT-07): malformed declarations, no import declared, and the reference supplier.

Every defect variant is run end to end by tests/test_core_run.py; these runs cover what the supplier
declares rather than how it behaves.
"""

from pathlib import Path

from conformance.checks.kit.pagination import walk
from conformance.client import ApiClient
from conformance.declaration import read_declaration
from conformance.demo import serve
from conformance.demo.openapi import build_document
from conformance.spec import load_spec
from conformance.target import build_target
from tests.conftest import run_plain_pytest
from tests.test_export import DECLARATION_NEEDED, plain_results, reasons, run_with_document


def test_malformed_declaration_fails_what_needs_it_without_crashing(tmp_path: Path) -> None:
    document = build_document()
    document["x-conformance"] = {
        "contact": "conformance@supplier.example",
        "health": "getHealth",
        "collections": [{"name": "cases", "create": "createCase"}],
    }
    result = run_with_document(document, tmp_path, "data-portability")
    needed = {rid for rid in result.outcomes() if rid in DECLARATION_NEEDED}
    assert result.failed() == needed, result.outcomes()
    assert "error" not in result.outcomes().values()
    for rid in needed:
        assert "the supplier declaration is malformed at x-conformance['collections'][0]" in reasons(result)[rid]
        assert "'read' is a required property" in reasons(result)[rid]


def test_declaration_naming_unknown_operations_fails(tmp_path: Path) -> None:
    document = build_document()
    document["x-conformance"]["collections"][0]["export"] = "downloadEverything"
    result = run_with_document(document, tmp_path, "data-portability")
    needed = {rid for rid in result.outcomes() if rid in DECLARATION_NEEDED}
    assert result.failed() == needed
    assert "export: downloadEverything" in reasons(result)["PORT-02"]


def test_no_import_declared_is_not_applicable_with_the_reason(tmp_path: Path) -> None:
    document = build_document()
    del document["x-conformance"]["collections"][0]["import"]
    result = run_with_document(document, tmp_path, "data-portability")
    outcomes = result.outcomes()
    assert outcomes.pop("PORT-05") == "not-applicable"
    assert "no declared collection has an import operation" in reasons(result)["PORT-05"]
    assert set(outcomes.values()) == {"pass"}
    assert result.code == 0, result.stdout


def test_checks_clean_up_the_records_they_create(tmp_path: Path) -> None:
    """The export and portability checks alone (plain pytest, no fuzzing) leave the supplier as they found it."""
    with serve("conformant") as supplier:
        proc = run_plain_pytest(supplier, tmp_path / "out", tmp_path, "-k", "export.py or portability.py")
        assert "13 passed" in proc.stdout, proc.stdout[-2000:]
        assert supplier.app.requests_seen > 50
        assert supplier.app.store.all() == []


def test_walk_follows_link_headers_and_reports_every_page() -> None:
    with serve("conformant") as supplier:
        headers = {"Authorization": f"Bearer {supplier.token}"}
        verify = supplier.ca_bundle or True
        target = build_target(load_spec(supplier.spec_url, headers, verify), None, headers, verify)
        api = ApiClient(target)
        document = target.spec.document
        collection = read_declaration(document).collections[0]
        for n in range(5):
            supplier.app.store.create({"title": f"t{n}", "category": "alarm", "reportedAt": "2026-11-25T14:30:00Z"})
        walked = walk(api, document, collection, 2)
        assert walked.ids == ["1", "2", "3", "4", "5"] and walked.pages == 3
        assert walk(api, document, collection, None).pages == 1


def test_no_path_that_lists_and_creates_is_not_applicable(tmp_path: Path) -> None:
    document = build_document()
    document["paths"]["/cases/all"] = {"get": document["paths"]["/cases"].pop("get")}
    with serve("conformant") as supplier:
        found = plain_results(supplier, tmp_path, document=document, select="test_every_collection_has_a_full_export")
    assert found["PORT-01"]["outcome"] == "not-applicable"
    assert "no path both lists (GET) and creates (POST) records" in found["PORT-01"]["reason"]


def test_port01_examines_each_path_that_lists_and_creates(tmp_path: Path) -> None:
    with serve("conformant") as supplier:
        found = plain_results(supplier, tmp_path)
    assert found["PORT-01"]["outcome"] == "pass"
    assert found["PORT-01"]["evidence"] == [
        {
            "path": "/cases",
            "operations": ["listCases", "createCase"],
            "collection": "cases",
            "export": "GET /cases/export",
            "problems": [],
        }
    ]


def test_read_only_runs_pass_only_what_the_document_decides(tmp_path: Path) -> None:
    """Every check that creates records needs a write: not applicable, never passed, in a --read-only run."""
    with serve("conformant") as supplier:
        found = plain_results(supplier, tmp_path, "--conformance-read-only")
        methods = set(supplier.app.methods_seen)
    assert methods <= {"GET", "HEAD", "OPTIONS"}, methods
    mine = {rid: r for rid, r in found.items() if rid.startswith("PORT-") or rid in {f"EXP-{n}" for n in range(10, 16)}}
    assert {rid for rid, r in mine.items() if r["outcome"] == "pass"} == {"EXP-15", "PORT-01"}
    for rid, result in mine.items():
        if rid not in ("EXP-15", "PORT-01"):
            assert result["outcome"] == "not-applicable" and "read-only run" in result["reason"], (rid, result)
