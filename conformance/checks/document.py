"""Requirements about the OpenAPI document itself: decided without sending a request."""

from typing import Any

from conformance.checks.kit.decides import Decides
from conformance.checks.kit.outcomes import listed
from conformance.target import Target


def test_described_by_openapi_3(target: Target, evidence: list[dict[str, Any]]) -> None:
    """Fails with every place the document breaks its schema: the supplier fixes them all in one go."""
    spec = target.spec
    problems = spec.problems
    evidence.append({"spec_format": spec.flavour, "spec_sha256": spec.sha256, "problems": len(problems)})
    evidence.extend(problem.as_evidence() for problem in problems)
    failures = []
    if not spec.flavour.startswith("openapi-3"):
        failures.append(
            f"the API is described in {spec.flavour}; publish an OpenAPI 3.0 or 3.1 document "
            "(tools such as swagger2openapi convert Swagger 2.0)"
        )
    if problems:
        failures.append(
            f"the document is not a valid {spec.flavour} document: {len(problems)} problem(s), each in the "
            f"evidence: {listed([str(problem) for problem in problems])}"
        )
    assert not failures, "; ".join(failures)


def test_document_states_version_contact_terms_and_servers(target: Target, evidence: list[dict[str, Any]]) -> None:
    document = target.spec.document
    info = document.get("info") or {}
    missing = []
    if not str(info.get("version", "")).strip():
        missing.append("info.version")
    if not info.get("contact"):
        missing.append("info.contact")
    if not info.get("license") and not info.get("termsOfService"):
        missing.append("info.license or info.termsOfService")
    if not (document.get("servers") or document.get("host")):
        missing.append("servers")
    evidence.append({"missing": missing})
    assert not missing, f"the document does not state: {', '.join(missing)}"


# What each check decides (a table, not decorators, so that mutation testing reaches the checks: kit/decides.py).
DECIDES = {
    test_described_by_openapi_3: Decides("EXP-01", from_document=True),
    test_document_states_version_contact_terms_and_servers: Decides("EXP-02", from_document=True),
}
