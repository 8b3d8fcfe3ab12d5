"""Contract requirements decided by fuzzing: every Schemathesis finding lands on one of these."""

from typing import Any

from conformance.checks.kit.decides import Decides
from conformance.checks.kit.fuzzed import assert_no_findings
from conformance.fuzzing.findings import AUTH_REQUIREMENT, STATEFUL_REQUIREMENT
from conformance.fuzzing.report import FuzzReport
from conformance.safety import ReadOnlyRefusal


def test_no_server_errors(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    assert_no_findings(fuzz_report, "EXP-03", evidence)


def test_responses_match_declared_schemas(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    assert_no_findings(fuzz_report, "EXP-04", evidence)


def test_status_codes_are_documented(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    assert_no_findings(fuzz_report, "EXP-05", evidence)


def test_content_types_are_documented(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    assert_no_findings(fuzz_report, "EXP-06", evidence)


def test_invalid_requests_are_rejected(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    assert_no_findings(fuzz_report, "EXP-07", evidence)


def test_valid_requests_are_accepted(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    assert_no_findings(fuzz_report, "EXP-08", evidence)


def test_resources_behave_as_links_declare(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    if fuzz_report.read_only:
        raise ReadOnlyRefusal("needs writes: it creates records and deletes them again")
    assert_no_findings(fuzz_report, STATEFUL_REQUIREMENT, evidence)


def test_declared_auth_is_enforced(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    assert_no_findings(fuzz_report, AUTH_REQUIREMENT, evidence)


# What each check decides (a table, not decorators, so that mutation testing reaches the checks: kit/decides.py).
DECIDES = {
    test_no_server_errors: Decides("EXP-03"),
    test_responses_match_declared_schemas: Decides("EXP-04"),
    test_status_codes_are_documented: Decides("EXP-05"),
    test_content_types_are_documented: Decides("EXP-06"),
    test_invalid_requests_are_rejected: Decides("EXP-07"),
    test_valid_requests_are_accepted: Decides("EXP-08"),
    test_resources_behave_as_links_declare: Decides(STATEFUL_REQUIREMENT),
    test_declared_auth_is_enforced: Decides(AUTH_REQUIREMENT),
}
