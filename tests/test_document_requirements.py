"""EXP-01 and EXP-02 fail on defective documents and pass on the reference one."""

import json
from pathlib import Path

from conformance.catalogue import load_profiles
from conformance.demo import serve
from conformance.demo.openapi import build_document
from tests.conftest import CliRun, file_spec_args, run_cli

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
