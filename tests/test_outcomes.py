"""How a check's pytest report becomes a requirement outcome: a pass needs evidence, a failure is the
supplier's only when the check (or a fixture that found the supplier at fault) says so."""

from typing import Any

import pytest

from conformance.checks.kit.outcomes import RequirementNotMet, Undecided, not_applicable
from conformance.plugin import NO_EVIDENCE, outcome_of
from conformance.record import Outcome

SEEN = [{"request": "GET /v1/cases", "status": 200}]


def concluded(phase: str, func: Any, evidence: list) -> tuple[Outcome, str] | None:
    """Run `func` as pytest runs a check's phase, make pytest's own report of it, and translate that."""
    call = pytest.CallInfo.from_call(func, phase)
    outcome = (
        "passed"
        if call.excinfo is None
        else "skipped"
        if call.excinfo.errisinstance(pytest.skip.Exception)
        else "failed"
    )
    report = pytest.TestReport("x::check", ("x.py", 1, "check"), {}, outcome, None, phase)
    result = outcome_of(report, call, evidence)
    return None if result is None else (result.outcome, result.reason)


def raising(exc: BaseException) -> Any:
    def run() -> None:
        raise exc

    return run


def test_a_pass_carries_evidence_or_is_no_pass() -> None:
    assert concluded("call", lambda: None, SEEN) == (Outcome.PASS, "")
    assert concluded("call", lambda: None, []) == (Outcome.ERROR, NO_EVIDENCE)
    assert concluded("setup", lambda: None, []) is None and concluded("teardown", lambda: None, []) is None


def test_only_the_checks_own_assertion_or_a_fixtures_finding_fails_the_requirement() -> None:
    assert concluded("call", raising(AssertionError("no header row")), SEEN) == (Outcome.FAIL, "no header row")
    assert concluded("setup", raising(RequirementNotMet("no declaration")), []) == (Outcome.FAIL, "no declaration")
    outcome, reason = concluded("setup", raising(AssertionError("internal")), [])
    assert outcome == Outcome.ERROR and "could not run" in reason


def test_undecided_skipped_and_not_applicable_are_never_passes() -> None:
    assert concluded("call", raising(Undecided("no JSON came back")), SEEN) == (Outcome.ERROR, "no JSON came back")
    assert concluded("call", lambda: not_applicable("no CSV export"), []) == (Outcome.NOT_APPLICABLE, "no CSV export")
    outcome, reason = concluded("call", lambda: pytest.skip("flaky"), [])
    assert outcome == Outcome.ERROR and "skipped" in reason
    outcome, reason = concluded("call", raising(KeyError("id")), SEEN)
    assert outcome == Outcome.ERROR and "KeyError" in reason
