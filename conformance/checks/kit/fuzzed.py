"""Requirements decided by the fuzzer: each fails with its findings, and is undecided where fuzzing fell short."""

from typing import Any

from conformance.checks.kit.outcomes import Undecided
from conformance.fuzzing import FuzzReport
from conformance.record import as_json


def assert_no_findings(fuzz_report: FuzzReport, requirement: str, evidence: list[dict[str, Any]]) -> None:
    """Fail with the findings when there are any; end as error when fuzzing could not cover the API."""
    findings = fuzz_report.findings_for(requirement)
    evidence.extend(as_json(f) for f in findings)
    if findings:
        shown = "; ".join(f"{f.operation}: {f.title}" for f in findings[:5])
        more = f" and {len(findings) - 5} more" if len(findings) > 5 else ""
        raise AssertionError(f"{len(findings)} finding(s): {shown}{more}")
    gaps = fuzz_report.gaps()
    if gaps:
        raise Undecided("; ".join(gaps))
