"""Every check that talks to the API, run in this process: it passes on the conformant supplier with the
evidence behind the pass, and fails on each defect variant made to break its requirement.

The end-to-end matrix (tests/test_core_run.py) shows the same through the whole harness; this is the fast
form that mutation testing reruns for every mutant.
"""

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from conformance.checks import document, export, network, portability
from conformance.checks.kit.declared import open_declared
from conformance.checks.kit.outcomes import Undecided
from conformance.client import ApiClient
from conformance.demo import VARIANTS, RunningSupplier
from conformance.fuzzing.report import FuzzReport
from tests.in_process.conftest import SEED, Ended, client, ended

CHECKS: dict[str, Callable[..., None]] = {
    decides.requirement: check
    for module in (document, export, network, portability)
    for check, decides in module.DECIDES.items()
}
# Decided by the fuzzer (tests/in_process/test_fuzzed.py), or by probes too slow for this module (NET-11).
NOT_HERE = {"EXP-03", "EXP-04", "EXP-05", "EXP-06", "EXP-07", "EXP-08", "EXP-09", "NET-01", "NET-10", "NET-11"}
# Shown by the end-to-end tests only: TLS 1.0 (refused by this OpenSSL), a 2.2 s health check, and a certificate
# that does not verify (the run, not the check, reads the document then: tests/test_network.py).
SLOW_VARIANTS = {"tls-1.0", "slow-health", "wrong-host-certificate"}
DEFECTS = [
    (rid, name)
    for name, variant in VARIANTS.items()
    if name not in SLOW_VARIANTS
    for rid in variant.violates
    if rid in CHECKS and rid not in NOT_HERE
]


# What each defect's failure must say: a check that fails for another reason has not found the defect.
SAYS = {
    ("EXP-01", "invalid-document"): ["5 problem(s)", "at $.info.title: is required but missing"],
    ("NET-02", "plain-http-too"): ["answers 200 over plain HTTP"],
    ("NET-05", "no-hsts"): ["health (200): no header"],
    ("NET-06", "api-key-in-query"): ["apiKeyQuery passes a credential in the query string ('api_key')"],
    ("NET-07", "undocumented-status"): ["the health endpoint answered 203, not 200"],
    ("NET-08", "leaky-errors"): ["a Python stack trace", "a framework banner ('Werkzeug')", "an internal file path"],
    ("NET-09", "no-nosniff"): ["without X-Content-Type-Options: nosniff: health (200)"],
    ("NET-12", "unversioned"): ["info.version is '1.4.0' but the API carries no version"],
    ("NET-13", "cors-any-origin-credentials"): ["health: allows a wildcard with Access-Control-Allow-Credentials"],
    ("NET-13", "cors-echoes-origin"): ["health: allows any origin (echoed 'https://conformance-probe.invalid')"],
    ("NET-14", "cross-client-read"): ["a second client reaches records the first client created: read: GET"],
    ("NET-15", "no-auth-challenge"): ["401 responses without a WWW-Authenticate challenge: listCases"],
    ("EXP-10", "latin1-json"): ["declares charset=iso-8859-1", "is not valid UTF-8 (invalid continuation byte"],
    ("EXP-11", "naive-ndjson-dates"): ["reportedAt='2026-11-25T14:30:00' is not an RFC 3339 date-time"],
    ("EXP-12", "csv-without-header"): ["says header=absent", "the first row is not a header row"],
    ("EXP-13", "csv-undescribed"): ['no `Link: <...>; rel="describedby"` header'],
    ("EXP-13", "csv-dates-break-format"): ["column 'reportedAt': '2026-11-25T14:30:00Z' is not datetime"],
    ("EXP-14", "plain-json-errors"): ["HTTP 404 came as application/json, not application/problem+json"],
    ("EXP-15", "undescribed-property"): ["1 exported property has no description: exportCases 200"],
    ("EXP-15", "export-without-schema"): ["declares no record properties for its 200 application/json"],
    ("PORT-01", "undeclared-collection"): ["keeps records at /notes (listNotes, createNote) with no declared"],
    ("PORT-02", "export-mangles-non-ascii"): ["record 1: field 'title' changed"],
    ("PORT-03", "pagination-repeats"): ["(walk 1, 2 pages): records 2 came more than once"],
    ("PORT-03", "pagination-skips"): ["(walk 1, 2 pages): created records 3 never came"],
    ("PORT-04", "deleted-still-exported"): ["deleted record 2 is still in the export"],
    ("PORT-05", "lossy-import"): ["after import, record 1: field 'ward' is missing from the export"],
    ("PORT-06", "no-last-modified"): ["records carry no last-modified timestamp"],
    ("PORT-07", "no-incremental-export"): ["exportCases offers no incremental export"],
}


class Fixtures:
    """What a check asks pytest's `request` for (`getfixturevalue`), answered from the fixtures given here."""

    def __init__(self, given: dict[str, Any]) -> None:
        self.given = given

    def getfixturevalue(self, name: str) -> Any:
        return self.given[name]


def run(requirement: str, supplier: RunningSupplier) -> Ended:
    """The check for `requirement` with the fixtures the plugin would give it."""
    check = CHECKS[requirement]
    api = client(supplier)
    evidence: list[dict[str, Any]] = []
    given: dict[str, Any] = {"evidence": evidence, "api": api, "target": api.target, "seed": SEED}
    given["fuzz_report"] = FuzzReport()  # what NET-08 reads besides its own requests: nothing fuzzed here
    wanted = inspect.signature(check).parameters
    if "declared" in wanted:
        try:
            given["declared"] = open_declared(requirement, api, SEED, evidence)
        except AssertionError as exc:
            return Ended("fail", str(exc), evidence)
    if "sampled" in wanted or "request" in wanted:
        given["sampled"] = network._sample(api)
    given["live_api"] = True  # a run against the live API, not a document-only one
    given["request"] = Fixtures(given)
    return ended(check, **{name: given[name] for name in wanted})


@pytest.mark.parametrize("requirement", sorted(set(CHECKS) - NOT_HERE))
def test_the_conformant_supplier_passes_with_evidence(requirement: str, conformant: RunningSupplier) -> None:
    result = run(requirement, conformant)
    assert result.outcome == "pass", result.message
    assert result.evidence and all(isinstance(item, dict) and item for item in result.evidence)


@pytest.mark.parametrize(("requirement", "variant"), DEFECTS, ids=[f"{r}-{v}" for r, v in DEFECTS])
def test_each_defect_fails_its_requirement(
    requirement: str, variant: str, supplier: Callable[[str], RunningSupplier]
) -> None:
    result = run(requirement, supplier(variant))
    assert result.outcome == "fail", (result.outcome, result.message)
    for words in SAYS[(requirement, variant)]:
        assert words in result.message, result.message


def test_the_sample_of_responses_covers_each_kind_of_answer(conformant: RunningSupplier) -> None:
    sampled = network._sample(client(conformant))
    assert [(label, r.request.method, r.request.path_url, r.status_code) for label, r in sampled] == [
        ("health", "GET", "/v1/health", 200),
        ("listCases without credentials", "GET", "/v1/cases", 401),
        ("getCase with a malformed path parameter", "GET", "/v1/cases/%7Bnot-an-id%7D", 400),
        ("an unknown path", "GET", "/v1/conformance-probe-no-such-resource", 404),
    ]
    sent_credentials = ["Authorization" in r.request.headers for _, r in sampled]
    assert sent_credentials == [True, False, True, True]


def test_a_sample_request_that_fails_leaves_the_requirements_undecided(conformant: RunningSupplier) -> None:
    api = client(conformant)
    gone = ApiClient(dataclasses.replace(api.target, base_url="http://127.0.0.1:9/v1"))
    with pytest.raises(Undecided, match=r"^GET /health \(health\) failed: ConnectionError: "):
        network._sample(gone)
