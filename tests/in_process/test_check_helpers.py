"""The checks' helpers on real HTTP responses from a loopback server: each problem they exist to find, found."""

from typing import Any

import pytest
import requests

from conformance.checks import contract, network
from conformance.checks.export import utf8_problems
from conformance.fuzzing.report import FuzzReport
from conformance.fuzzing.scope import OperationCoverage, plan_operations
from conformance.record import Finding
from conformance.safety import ReadOnlyRefusal
from tests.in_process.conftest import ended
from tests.static_server import Canned, serve_static

JSON = "application/json"


def answered(canned: Canned) -> requests.Response:
    with serve_static({"/r": canned}) as base:
        return requests.get(base + "/r", timeout=5)


@pytest.mark.parametrize(
    ("content_type", "body", "problem"),
    [
        (JSON, b'\xef\xbb\xbf{"a": 1}', "x starts with a byte order mark"),
        ("application/json; charset=iso-8859-1", b'{"a": 1}', "x declares charset=iso-8859-1"),
        (JSON, b'{"a": "\xe9"}', "x is not valid UTF-8 (invalid continuation byte at byte 7)"),
    ],
    ids=["byte-order-mark", "latin-1-charset", "invalid-bytes"],
)
def test_utf8_problems_are_each_found(content_type: str, body: bytes, problem: str) -> None:
    assert utf8_problems("x", answered(Canned(200, content_type, body))) == [problem]


@pytest.mark.parametrize("charset", ["", "; charset=utf-8", "; charset=UTF8"])
def test_plain_utf8_json_has_no_problem(charset: str) -> None:
    assert utf8_problems("x", answered(Canned(200, JSON + charset, '{"a": "é"}'.encode()))) == []


def finding(requirement: str, operation: str = "GET /cases") -> Finding:
    return Finding(
        requirement,
        "negative_data_rejection",
        operation,
        "API accepted schema-violating request",
        "accepted limit=0",
        200,
        3,
        "curl -X GET 'https://127.0.0.1/v1/cases?limit=0'",
    )


def test_a_fuzz_finding_fails_its_requirement_and_names_it() -> None:
    """EXP-07 fails on a finding of its own: a check that always passed would let an API accept anything."""
    report = FuzzReport()
    report.add_finding(finding("EXP-07"))
    result = ended(contract.test_invalid_requests_are_rejected, fuzz_report=report)
    assert result.outcome == "fail"
    assert result.message == "1 finding(s): GET /cases: API accepted schema-violating request"
    assert result.evidence[1]["curl"].startswith("curl -X GET")


# Every check the fuzzer decides, by its requirement.
FUZZ_DECIDED = {
    **{decides.requirement: check for check, decides in contract.DECIDES.items()},
    "NET-10": network.test_malformed_input_is_no_server_error,
}


@pytest.mark.parametrize("requirement", sorted(FUZZ_DECIDED))
def test_each_fuzz_decided_check_fails_on_its_own_findings_only(requirement: str) -> None:
    """Its own finding fails it with its evidence; another requirement's finding is not its to report."""
    own = FuzzReport()
    own.add_finding(finding(requirement))
    result = ended(FUZZ_DECIDED[requirement], fuzz_report=own)
    assert result.outcome == "fail"
    assert result.message == "1 finding(s): GET /cases: API accepted schema-violating request"
    assert "scope" in result.evidence[0] and result.evidence[1]["requirement"] == requirement
    other = FuzzReport()
    other.add_finding(finding("EXP-04" if requirement == "EXP-03" else "EXP-03"))
    assert ended(FUZZ_DECIDED[requirement], fuzz_report=other).outcome != "fail"


def test_the_stateful_check_refuses_a_read_only_run() -> None:
    with pytest.raises(ReadOnlyRefusal, match=r"^needs writes: it creates records and deletes them again$"):
        contract.test_resources_behave_as_links_declare(FuzzReport(read_only=True), [])


def test_findings_are_named_five_at_most() -> None:
    report = FuzzReport()
    for n in range(7):
        report.add_finding(finding("EXP-03", f"GET /p{n}"))
    result: Any = ended(contract.test_no_server_errors, fuzz_report=report)
    assert result.outcome == "fail" and result.message.startswith("7 finding(s): GET /p0: ")
    assert result.message.endswith("GET /p4: API accepted schema-violating request and 2 more")


def scoped_report(**sent: int) -> FuzzReport:
    """A finished fuzzing run over two GET operations, with `sent` valid cases answered per operation."""
    document = {"openapi": "3.0.3", "paths": {p: {"get": {"responses": {"200": {"description": "ok"}}}} for p in "ab"}}
    report = FuzzReport(plan=plan_operations(document, False), probes_sent=True)
    report.operations = {f"GET {path}": OperationCoverage(positive=n) for path, n in sent.items()}
    report.cases = sum(sent.values())
    return report


def test_a_fuzz_decided_pass_names_its_scope_and_what_each_operation_got() -> None:
    result = ended(contract.test_no_server_errors, fuzz_report=scoped_report(a=3, b=1))
    assert result.outcome == "pass"
    assert result.evidence[0]["exercised"] == {"GET a": 3, "GET b": 1}


def test_a_run_that_fell_short_is_undecided_with_every_reason() -> None:
    report = scoped_report(a=3, b=1)
    report.unowned_errors = [("examples", "one"), ("coverage", "two")]
    result = ended(contract.test_no_server_errors, fuzz_report=report)
    assert (result.outcome, result.message) == ("error", "not tested: one; not tested: two")
    result = ended(contract.test_no_server_errors, fuzz_report=scoped_report(a=3))
    assert result.outcome == "error"
    assert (
        result.message == "not tested: 1 operation(s) in scope were not exercised: GET b: the fuzzer never reached it"
    )


def test_nothing_in_scope_is_not_applicable_with_the_scopes_reason() -> None:
    result = ended(contract.test_responses_match_declared_schemas, fuzz_report=scoped_report(a=1, b=1))
    assert result.outcome == "not-applicable"
    assert result.message.startswith("no response in the document declares a schema or headers")


def test_exactly_five_findings_are_all_named() -> None:
    report = FuzzReport()
    for n in range(5):
        report.add_finding(finding("EXP-03", f"GET /p{n}"))
    result = ended(contract.test_no_server_errors, fuzz_report=report)
    assert result.message.endswith("GET /p4: API accepted schema-violating request")
    assert "; GET /p1: " in result.message


def test_a_broken_stateful_phase_stops_only_the_stateful_requirement() -> None:
    report = scoped_report(a=3, b=1)
    report.unowned_errors = [("stateful", "links broke")]
    assert ended(contract.test_no_server_errors, fuzz_report=report).outcome == "pass"
    stateful = ended(contract.test_resources_behave_as_links_declare, fuzz_report=report)
    assert (stateful.outcome, stateful.message) == ("error", "not tested: links broke")
