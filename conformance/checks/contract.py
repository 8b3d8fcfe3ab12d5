"""Contract requirements decided by fuzzing: every Schemathesis finding lands on one of these."""

from typing import Any

import pytest

from conformance.checks.kit.fuzzed import assert_no_findings
from conformance.fuzzing.findings import AUTH_REQUIREMENT, STATEFUL_REQUIREMENT
from conformance.fuzzing.report import FuzzReport
from conformance.safety import ReadOnlyRefusal


@pytest.mark.requirement("EXP-03")
def test_no_server_errors(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    assert_no_findings(fuzz_report, "EXP-03", evidence)


@pytest.mark.requirement("EXP-04")
def test_responses_match_declared_schemas(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    assert_no_findings(fuzz_report, "EXP-04", evidence)


@pytest.mark.requirement("EXP-05")
def test_status_codes_are_documented(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    assert_no_findings(fuzz_report, "EXP-05", evidence)


@pytest.mark.requirement("EXP-06")
def test_content_types_are_documented(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    assert_no_findings(fuzz_report, "EXP-06", evidence)


@pytest.mark.requirement("EXP-07")
def test_invalid_requests_are_rejected(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    assert_no_findings(fuzz_report, "EXP-07", evidence)


@pytest.mark.requirement("EXP-08")
def test_valid_requests_are_accepted(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    assert_no_findings(fuzz_report, "EXP-08", evidence)


@pytest.mark.requirement(STATEFUL_REQUIREMENT)
def test_resources_behave_as_links_declare(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    if fuzz_report.read_only:
        raise ReadOnlyRefusal("needs writes: it creates records and deletes them again")
    assert_no_findings(fuzz_report, STATEFUL_REQUIREMENT, evidence)


@pytest.mark.requirement(AUTH_REQUIREMENT)
def test_declared_auth_is_enforced(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    assert_no_findings(fuzz_report, AUTH_REQUIREMENT, evidence)
