"""Requirements decided by the fuzzer: each fails with its findings, is not-applicable when nothing is in its
scope, and passes only when every operation in its scope was exercised (conformance.fuzzing.scope)."""

from typing import Any

from conformance.checks.kit.outcomes import Undecided, listed, not_applicable
from conformance.fuzzing.report import FuzzReport
from conformance.fuzzing.scope import coverage_of
from conformance.record import as_json

FINDINGS_NAMED = 5


def assert_no_findings(fuzz_report: FuzzReport, requirement: str, evidence: list[dict[str, Any]]) -> None:
    """Fail with the findings; else end as error where fuzzing fell short of the requirement's scope.

    The evidence names the scope, how many cases each operation in it got, and the Schemathesis checks that
    judged them; then every finding with its reproduction.
    """
    coverage = coverage_of(requirement, fuzz_report)
    findings = fuzz_report.findings_for(requirement)
    evidence.append(coverage.evidence())
    evidence.extend(as_json(f) for f in findings)
    if findings:
        shown = "; ".join(f"{f.operation}: {f.title}" for f in findings[:FINDINGS_NAMED])
        more = f" and {len(findings) - FINDINGS_NAMED} more" if len(findings) > FINDINGS_NAMED else ""
        raise AssertionError(f"{len(findings)} finding(s): {shown}{more}")
    run_gaps = fuzz_report.gaps(requirement)
    if run_gaps:
        raise Undecided("; ".join(run_gaps))
    if coverage.empty:
        not_applicable(coverage.scope.empty)
    if coverage.not_exercised:
        names = len(coverage.not_exercised)
        raise Undecided(f"not tested: {names} operation(s) in scope were not exercised: {listed(coverage.gaps())}")
