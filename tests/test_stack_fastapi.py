"""The reference supplier on FastAPI (fixtures/stacks/fastapi_council): its generated OpenAPI 3.1 document and
live API are conformant on every profile with no false alarm, and the stack's typical defect is caught."""

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from stacks.fastapi_council import create_app
from stacks.serving import Served, serve_asgi

from tests.conftest import CliRun, assert_conformant_with_evidence, run_cli, supplier_args

EXAMPLES = "5"
# What nothing in this supplier can decide, and why: it applies no rate limit and offers no CORS.
NOT_APPLICABLE = {"NET-11": "no rate limiting seen", "NET-13": "no CORS headers"}


def tokens() -> tuple[str, str]:
    return secrets.token_urlsafe(16), secrets.token_urlsafe(16)


@pytest.fixture(scope="module")
def conformant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, CliRun]]:
    clients = tokens()
    with serve_asgi(create_app(clients), clients) as served:
        yield served, run_cli(supplier_args(served, examples=EXAMPLES), tmp_path_factory.mktemp("fastapi"))


def test_the_document_is_fastapis_own_openapi_31_with_the_declaration(conformant: tuple[Served, CliRun]) -> None:
    served, _ = conformant
    document = requests.get(served.spec_url, verify=served.ca_bundle, timeout=10).json()
    assert document["openapi"].startswith("3.1")
    assert document["x-conformance"]["collections"][0]["export"] == "export_reports"
    description = document["components"]["schemas"]["ReportIn"]["properties"]["description"]
    assert {"type": "null"} in description["anyOf"], "Optional[str] in OpenAPI 3.1's own dialect"
    assert document["components"]["schemas"]["Report"]["properties"]["id"]["readOnly"] is True


def test_conformant_on_every_profile_with_evidence_for_every_pass(conformant: tuple[Served, CliRun]) -> None:
    assert_conformant_with_evidence(conformant[1], NOT_APPLICABLE)


def test_naive_datetimes_are_caught(tmp_path: Path) -> None:
    """`datetime.utcnow()`-style stamps: Pydantic writes them without an offset (EXP-11), which the document's
    `format: date-time` forbids (EXP-04); comparing them with an aware `since` may also crash the export."""
    clients = tokens()
    with serve_asgi(create_app(clients, defect="naive-datetimes"), clients) as served:
        result = run_cli(supplier_args(served, "--profile", "open-standard-export", examples=EXAMPLES), tmp_path)
    assert result.code == 1
    failed = result.failed()
    assert {"EXP-04", "EXP-11"} <= failed <= {"EXP-03", "EXP-04", "EXP-05", "EXP-11"}, failed
    reasons = {r["id"]: r["reason"] for p in result.results["profiles"] for r in p["requirements"]}
    assert "updated_at=" in reasons["EXP-11"] and "with an offset" in reasons["EXP-11"]
    findings = result.results["fuzzing"]["findings"]
    crashed = {f["operation"] for f in findings if f["requirement"] in ("EXP-03", "EXP-05")}
    assert crashed <= {"GET /v1/reports/export"}, crashed
