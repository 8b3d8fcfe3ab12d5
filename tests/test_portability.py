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
from tests.test_export import DECLARATION_NEEDED, reasons, run_with_document


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
