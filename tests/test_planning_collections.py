"""The collection requirements (EXP-10..EXP-15, PORT-01..PORT-07) against the second supplier, shaped unlike the first.

The planning register assigns ids and times itself (readOnly), pages with offset/limit and Link headers, exports
NDJSON and CSV described by a Frictionless Table Schema, and imports NDJSON. The checks run through plain
pytest, as a supplier's CI runs them, without the fuzzing these requirements do not need.
"""

import json
from pathlib import Path
from typing import Any

from planning_supplier import serve
from planning_supplier.document import build_document

from tests.conftest import run_plain_pytest

COLLECTION_REQUIREMENTS = {*(f"EXP-{n}" for n in range(10, 16)), *(f"PORT-0{n}" for n in range(1, 8))}


def collection_results(variant: str, tmp_path: Path, document: dict[str, Any] | None = None) -> dict[str, dict]:
    """The collection requirements' results for a planning variant (serving `document` from a file if given)."""
    with serve(variant) as supplier:
        extra = ["-k", "export.py or portability.py"]
        if document is not None:
            path = tmp_path / "spec.json"
            path.write_text(json.dumps(document), "utf-8")
            extra += ["--conformance-spec", str(path), "--conformance-base-url", supplier.api]
        run_plain_pytest(supplier, tmp_path / "out", tmp_path, *extra)  # type: ignore[arg-type]
    results = json.loads((tmp_path / "out" / "results.json").read_text("utf-8"))
    found = {r["id"]: r for p in results["profiles"] for r in p["requirements"] if r["id"] in COLLECTION_REQUIREMENTS}
    assert set(found) == COLLECTION_REQUIREMENTS
    return found


def without_examples(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: without_examples(v) for k, v in node.items() if k != "example"}
    if isinstance(node, list):
        return [without_examples(v) for v in node]
    return node


def assert_all_pass_with_evidence(found: dict[str, dict]) -> None:
    assert {rid: r["outcome"] for rid, r in found.items()} == dict.fromkeys(COLLECTION_REQUIREMENTS, "pass"), {
        rid: r["reason"] for rid, r in found.items() if r["outcome"] != "pass"
    }
    for rid, result in found.items():
        assert result["evidence"], rid
        if rid not in ("EXP-15", "PORT-01"):  # the two that read only the document
            assert any("request" in item and "status" in item for item in result["evidence"]), rid


def test_records_are_made_without_the_documents_examples(tmp_path: Path) -> None:
    """`reference` has a pattern: with no example to copy, the harness makes a matching string itself."""
    document = without_examples(build_document())
    assert '"example":' not in json.dumps(document)
    found = collection_results("conformant", tmp_path, document)
    assert_all_pass_with_evidence(found)
    created = [e for e in found["PORT-02"]["evidence"] if e.get("label", "").startswith("created a test record")]
    assert created and all(e["status"] == 201 for e in created)
    # only what the client chooses: never the server's id, received or modified
    assert all(not {"id", "received", "modified"} & set(e["sent"]) for e in created)
    assert {"reference", "siteAddress", "proposal", "applicationType"} <= set(created[0]["sent"])


def test_a_refused_record_names_the_property_and_the_servers_reason(tmp_path: Path) -> None:
    """The document promises a reference pattern the server does not accept: the error says so in its words."""
    document = without_examples(build_document())
    reference = document["components"]["schemas"]["PlanningApplication"]["properties"]["reference"]
    reference["pattern"] = "^[a-z]{3}$"
    found = collection_results("conformant", tmp_path, document)
    reason = found["EXP-10"]["reason"]
    assert found["EXP-10"]["outcome"] == "error"
    assert "could not create a test record with createApplication" in reason
    assert "HTTP 422" in reason and "does not match" in reason
    assert "it names reference (sent 'aaa')" in reason
