"""Shared causes: one missing thing that decides many requirements, so every output says it once.

A check that ends because of one of these names it (`RequirementNotMet(..., cause=...)`,
`not_applicable(..., cause=...)`); the run record lists each cause once, and each requirement points to it.
"""

from conformance.declaration import DECLARATION_EXAMPLE, DECLARATION_SCHEMA
from conformance.record import SharedCause


def declaration_missing() -> SharedCause:
    return SharedCause(
        id="no-declaration",
        title="The OpenAPI document has no supplier declaration (x-conformance)",
        explanation=(
            "The checks that create, read, list and export a council's records need to know which operations do "
            f"that. Add a top-level x-conformance extension to the OpenAPI document ({DECLARATION_SCHEMA}), "
            "naming your own operationIds, for example:"
        ),
        snippet=DECLARATION_EXAMPLE,
        snippet_language="yaml",
    )


def declaration_malformed(problem: str) -> SharedCause:
    return SharedCause(
        id="malformed-declaration",
        title="The supplier declaration (x-conformance) is malformed",
        explanation=f"{problem}. Every check that needs the declaration stops here. Its shape ({DECLARATION_SCHEMA}):",
        snippet=DECLARATION_EXAMPLE,
        snippet_language="yaml",
    )


def no_tls(base_url: str) -> SharedCause:
    return SharedCause(
        id="no-tls",
        title="The API is not served over HTTPS",
        explanation=(
            f"The API was tested at {base_url}, over plain HTTP, so none of the TLS requirements (protocol versions, "
            "certificate, HSTS) can pass. Serve it over HTTPS and list its https:// URL in the document's servers:"
        ),
        snippet="servers:\n  - url: https://api.supplier.example/v1",
        snippet_language="yaml",
    )


def read_only_run() -> SharedCause:
    return SharedCause(
        id="read-only",
        title="This was a --read-only run",
        explanation=(
            "Only GET, HEAD and OPTIONS requests were sent, so the requirements that need the API to create, "
            "change or delete records were not tested (not-applicable, never a pass). Run again without "
            "--read-only against a test instance to decide them:"
        ),
        snippet="conformance run --spec URL --header 'Authorization: Bearer $TOKEN'",
        snippet_language="shell",
    )


def certificate_refused(detail: str) -> SharedCause:
    return SharedCause(
        id="certificate-refused",
        title="The API's certificate does not verify, so nothing was sent to it",
        explanation=(
            f"{detail.rstrip('.')}. Only the certificate (NET-04) was tested. Fix the certificate or, for a "
            "private CA, pass it with --ca-bundle (--insecure tests the rest, and is never certified):"
        ),
        snippet="conformance run --spec URL --ca-bundle private-ca.pem",
        snippet_language="shell",
    )
