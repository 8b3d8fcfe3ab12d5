"""EXP-01 and EXP-02 fail on defective documents and pass on the reference one."""

import copy
import json
from pathlib import Path

import pytest
from planning_supplier.document import build_document as planning_document

from conformance.catalogue import load_profiles
from conformance.demo import VARIANTS, serve
from conformance.demo.openapi import build_document, document_for
from conformance.validation import DocumentProblem, document_problems
from tests.conftest import CliRun, file_spec_args, run_cli
from tests.invalid_documents import MANY_ERRORS_AT, many_errors

SWAGGER_2 = {
    "swagger": "2.0",
    "info": {
        "title": "Council noise-complaint health",
        "version": "1.4.0",
        "contact": {"email": "conformance@supplier.example"},
        "license": {"name": "OGL-UK-3.0"},
    },
    "host": "127.0.0.1",
    "basePath": "/v1",
    "paths": {
        "/health": {
            "get": {
                "operationId": "getHealth",
                "produces": ["application/json"],
                "responses": {
                    "200": {
                        "description": "Up.",
                        "schema": {
                            "type": "object",
                            "required": ["status"],
                            "properties": {"status": {"type": "string", "enum": ["ok"]}},
                        },
                    }
                },
            }
        }
    },
}


def run_file_spec(document: dict, tmp_path: Path) -> CliRun:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(document))
    with serve("conformant") as supplier:
        args = file_spec_args(supplier, path, "--profile", "open-standard-export", "--max-examples", "5", "--seed", "3")
        return run_cli(args, tmp_path / "out")


def test_swagger_2_is_accepted_but_fails_exp_01(tmp_path: Path) -> None:
    result = run_file_spec(SWAGGER_2, tmp_path)
    assert result.code == 1, result.stderr
    # it declares no x-conformance either, so the export-content requirements fail for that
    needs_declaration = {r.id for r in load_profiles()["open-standard-export"].requirements if r.needs}
    assert result.failed() == {"EXP-01"} | needs_declaration
    assert result.results["target"]["spec_format"] == "swagger-2.0"


def test_document_without_contact_and_licence_fails_exp_02(tmp_path: Path) -> None:
    document = build_document()
    del document["info"]["contact"]
    del document["info"]["license"]
    result = run_file_spec(document, tmp_path)
    assert result.failed() == {"EXP-02"}
    reasons = {r["id"]: r["reason"] for p in result.results["profiles"] for r in p["requirements"]}
    assert "info.contact" in reasons["EXP-02"] and "info.license or info.termsOfService" in reasons["EXP-02"]


def test_reference_document_passes_exp_01_and_exp_02(tmp_path: Path) -> None:
    result = run_file_spec(build_document(), tmp_path)
    assert result.code == 0, result.stdout
    assert result.outcomes()["EXP-01"] == result.outcomes()["EXP-02"] == "pass"


# --- EXP-01's problems: each located in its operation, at its JSON path --------------------------------


def test_each_schema_error_is_located_down_to_its_field() -> None:
    problems = document_problems(many_errors(), "openapi-3.0")
    assert sorted((p.operation, p.json_path) for p in problems) == sorted(MANY_ERRORS_AT)
    messages = {p.json_path: p.message for p in problems}
    assert messages["$.info.title"] == "is required but missing"
    assert "'summry' is not a field of this object" in messages["$.paths['/cases/{caseId}'].get.summry"]
    assert "'strin' is not one of" in messages["$.components.schemas.CaseInput.type"]
    assert "points nowhere" in messages["$.paths['/cases/export'].get.responses['200'].content['text/csv'].schema"]


def test_semantic_errors_are_placed_in_their_operation_or_path_item() -> None:
    document = copy.deepcopy(build_document())
    paths = document["paths"]
    paths["/cases/{caseId}"]["get"]["operationId"] = "listCases"  # a duplicate
    paths["/cases"]["get"]["parameters"].append({"name": "x", "in": "path", "required": True, "schema": {}})
    paths["/health"]["get"]["parameters"] = [
        {"name": "n", "in": "query", "schema": {"type": "integer", "default": "a"}}
    ]
    problems = {(p.operation, p.json_path): p.message for p in document_problems(document, "openapi-3.0")}
    assert "is not unique" in problems[("GET /cases/{caseId}", "$.paths['/cases/{caseId}'].get")]
    assert "'x'" in problems[("GET /cases", "$.paths['/cases'].get")]
    assert "'a' is not of type 'integer'" in problems[("", "$.paths['/health']")]
    assert len(problems) == 3


@pytest.mark.parametrize(
    ("document", "flavour"),
    [
        (SWAGGER_2, "swagger-2.0"),
        (
            {
                "openapi": "3.1.0",
                "info": {"title": "t", "version": "1"},
                "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}},
            },
            "openapi-3.1",
        ),
    ],
    ids=["swagger-2.0", "openapi-3.1"],
)
def test_other_flavours_locate_their_errors_too(document: dict, flavour: str) -> None:
    broken = copy.deepcopy(document)
    operation = next(iter(broken["paths"].values()))["get"]
    operation["summry"] = "misspelt"
    del broken["info"]["title"]
    path = next(iter(broken["paths"]))
    assert {(p.operation, p.json_path) for p in document_problems(broken, flavour)} == {
        ("", "$.info.title"),
        (f"GET {path}", f"$.paths['{path}'].get.summry"),
    }


def test_no_problem_is_dropped_however_many() -> None:
    document = copy.deepcopy(build_document())
    operations = [op for item in document["paths"].values() for op in item.values() if isinstance(op, dict)]
    responses = [response for op in operations for response in op["responses"].values()]
    for response in responses:
        response.pop("description", None)  # some response objects are shared between operations
    problems = document_problems(document, "openapi-3.0")
    assert len(responses) > 20 and len(problems) == len({p.json_path for p in problems}) == len(responses)
    assert all(p.json_path.endswith(".description") and p.operation for p in problems)


def test_valid_documents_have_no_problems() -> None:
    sound = [document_for(name) for name in VARIANTS if name != "invalid-document"]
    for document in [*sound, planning_document(), SWAGGER_2]:
        flavour = "swagger-2.0" if "swagger" in document else "openapi-3.0"
        assert document_problems(copy.deepcopy(document), flavour) == []
    assert document_problems(document_for("invalid-document"), "openapi-3.0")


def test_a_problem_reads_as_its_place_and_message() -> None:
    problem = DocumentProblem("$.paths['/a'].get.summry", "'summry' is not a field of this object", "GET /a")
    assert str(problem) == "GET /a at $.paths['/a'].get.summry: 'summry' is not a field of this object"
    assert str(DocumentProblem("$.info.title", "is required but missing")) == "at $.info.title: is required but missing"
