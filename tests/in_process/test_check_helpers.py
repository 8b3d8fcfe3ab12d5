"""The checks' helpers on real HTTP responses from a loopback server: each problem they exist to find, found."""

from typing import Any

import pytest
import requests

from conformance.checks import contract
from conformance.checks.export import utf8_problems
from conformance.fuzzing.report import FuzzReport
from conformance.record import Finding
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


def test_findings_are_named_five_at_most() -> None:
    report = FuzzReport()
    for n in range(7):
        report.add_finding(finding("EXP-03", f"GET /p{n}"))
    result: Any = ended(contract.test_no_server_errors, fuzz_report=report)
    assert result.outcome == "fail" and result.message.startswith("7 finding(s): GET /p0: ")
    assert result.message.endswith("GET /p4: API accepted schema-violating request and 2 more")
