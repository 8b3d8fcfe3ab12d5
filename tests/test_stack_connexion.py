"""The reference supplier on Connexion 3 (fixtures/stacks/connexion_council): its hand-written OpenAPI 3.0
document drives the routing, and it is conformant on every profile with no false alarm; the stack's typical
defect (a 401 without a challenge) is caught."""

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from stacks.connexion_council import create_app
from stacks.serving import serve_asgi

from tests.conftest import CliRun, assert_conformant_with_evidence, run_cli, supplier_args

EXAMPLES = "5"
SPEC_PATH = "/v1/openapi.json"  # Connexion serves the document under its base path
# What nothing in this supplier can decide, and why: it applies no rate limit and offers no CORS.
NOT_APPLICABLE = {"NET-11": "no rate limiting seen", "NET-13": "no CORS headers"}


def run(tmp_path: Path, defect: str | None = None, *extra: str) -> CliRun:
    clients = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    with serve_asgi(create_app(clients, defect), clients, SPEC_PATH) as served:
        return run_cli(supplier_args(served, *extra, examples=EXAMPLES), tmp_path)


@pytest.fixture(scope="module")
def conformant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliRun]:
    yield run(tmp_path_factory.mktemp("connexion"))


def test_conformant_on_every_profile_with_evidence_for_every_pass(conformant: CliRun) -> None:
    assert_conformant_with_evidence(conformant, NOT_APPLICABLE)


def test_a_401_without_a_challenge_is_caught(tmp_path: Path) -> None:
    """Connexion's own 401 problem carries no WWW-Authenticate header (RFC 9110 11.6.1): NET-15 alone fails."""
    result = run(tmp_path, "bare-401", "--profile", "network-integration")
    assert result.code == 1
    assert result.failed() == {"NET-15"}, result.failed()
    reasons = {r["id"]: r["reason"] for p in result.results["profiles"] for r in p["requirements"]}
    assert "without a WWW-Authenticate challenge" in reasons["NET-15"]
