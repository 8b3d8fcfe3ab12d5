"""The plugin's reading of a check's pytest report, for every way a check can end (beyond tests/test_outcomes.py)."""

import pytest
import requests

from conformance.causes import read_only_run
from conformance.checks.kit.outcomes import NeedsLiveApi, RequirementNotMet, Undecided, not_applicable
from conformance.errors import UsageError
from conformance.plugin import outcome_of
from conformance.record import NEEDS_LIVE_API, Outcome, SharedCause
from conformance.run.session import CheckOutcome
from conformance.safety import ReadOnlyRefusal, TimeBudgetExhausted
from tests.test_outcomes import SEEN, concluded, raising


def test_a_fixtures_finding_fails_in_setup_and_a_teardown_failure_is_an_error() -> None:
    assert concluded("setup", raising(AssertionError("x")), SEEN)[0] == Outcome.ERROR
    outcome, reason = concluded("teardown", raising(RuntimeError("cleanup broke")), SEEN)
    assert outcome == Outcome.ERROR and reason == "the check could not run: RuntimeError: cleanup broke"
    outcome, reason = concluded("teardown", raising(AssertionError("late")), SEEN)  # not the check's own finding
    assert outcome == Outcome.ERROR and "AssertionError: late" in reason


def test_an_assertion_message_keeps_the_reason_not_pytests_rewrite() -> None:
    outcome, reason = concluded("call", raising(AssertionError("  no header row\nassert 1 == 2\nmore")), SEEN)
    assert (outcome, reason) == (Outcome.FAIL, "no header row")
    assert concluded("call", raising(AssertionError()), SEEN) == (Outcome.FAIL, "")


def test_read_only_refusal_is_not_applicable_with_what_it_needed() -> None:
    outcome, reason = concluded("call", raising(ReadOnlyRefusal("needs writes")), [])
    assert (outcome, reason) == (Outcome.NOT_APPLICABLE, "read-only run: this check needs writes")


def test_usage_errors_and_the_time_budget_are_errors_with_their_message() -> None:
    assert concluded("call", raising(UsageError("bad --hooks")), SEEN) == (Outcome.ERROR, "bad --hooks")
    assert concluded("setup", raising(TimeBudgetExhausted("max time")), []) == (Outcome.ERROR, "max time")


def test_a_timed_out_request_names_the_option() -> None:
    exc = requests.ReadTimeout("read timed out")
    outcome, reason = concluded("call", raising(exc), SEEN)
    assert outcome == Outcome.ERROR and reason.startswith("not tested: ") and "--request-timeout" in reason


def test_an_unexpected_exception_is_cut_to_500_characters() -> None:
    outcome, reason = concluded("call", raising(ValueError("x" * 1000)), SEEN)
    assert outcome == Outcome.ERROR and len(reason) == 500
    assert reason.startswith("the check could not run: ValueError: xxx")


def test_the_evidence_travels_with_every_outcome() -> None:
    endings = [
        lambda: None,
        lambda: None,  # no evidence: an error, with the (empty) evidence still attached
        raising(AssertionError("f")),
        raising(KeyError()),
        lambda: not_applicable("nothing"),
        lambda: pytest.skip("flaky"),
        raising(ReadOnlyRefusal("needs writes")),
        raising(Undecided("why")),
        raising(requests.ReadTimeout("slow")),
    ]
    for n, func in enumerate(endings):
        seen = [] if n == 1 else list(SEEN)
        call = pytest.CallInfo.from_call(func, "call")
        skipped = call.excinfo is not None and call.excinfo.errisinstance(pytest.skip.Exception)
        state = "passed" if call.excinfo is None else "skipped" if skipped else "failed"
        report = pytest.TestReport("x::check", ("x.py", 1, "check"), {}, state, None, "call")
        assert outcome_of(report, call, seen).evidence is seen, n


def test_a_teardown_that_passed_or_skipped_says_nothing() -> None:
    assert concluded("teardown", lambda: pytest.skip("late"), SEEN) is None


CAUSE = SharedCause("no-declaration", "No declaration", "Add x-conformance.")


def ending(func: object, phase: str = "call") -> CheckOutcome | None:
    call = pytest.CallInfo.from_call(func, phase)  # type: ignore[arg-type]
    skipped = call.excinfo is not None and call.excinfo.errisinstance(pytest.skip.Exception)
    state = "passed" if call.excinfo is None else "skipped" if skipped else "failed"
    return outcome_of(pytest.TestReport("x::check", ("x.py", 1, "check"), {}, state, None, phase), call, list(SEEN))


def test_a_shared_cause_travels_with_a_failure_and_a_not_applicable() -> None:
    failed = ending(raising(RequirementNotMet("no declaration", CAUSE)), "setup")
    assert failed is not None and (failed.outcome, failed.reason, failed.cause) == (
        Outcome.FAIL,
        "no declaration",
        CAUSE,
    )
    skipped = ending(lambda: not_applicable("nothing to export", CAUSE))
    assert skipped is not None and (skipped.outcome, skipped.reason, skipped.cause) == (
        Outcome.NOT_APPLICABLE,
        "nothing to export",
        CAUSE,
    )
    plain = ending(raising(AssertionError("x")))
    assert plain is not None and plain.cause is None
    assert RequirementNotMet("m").cause is None and str(RequirementNotMet("m", CAUSE)) == "m"
    refused = ending(raising(ReadOnlyRefusal("needs writes")))
    assert refused is not None and refused.cause == read_only_run()


def test_what_needs_the_live_api_is_an_error_saying_so() -> None:
    assert str(NeedsLiveApi()) == NEEDS_LIVE_API
    assert str(NeedsLiveApi("a header may")) == f"{NEEDS_LIVE_API} (a header may)"
    found = ending(raising(NeedsLiveApi("a header may")))
    assert found is not None and (found.outcome, found.reason) == (Outcome.ERROR, f"{NEEDS_LIVE_API} (a header may)")


def test_an_exception_without_a_message_says_where_it_was_raised() -> None:
    """A bare `assert` in a library a fixture calls (Schemathesis has some) is never just an exception's name."""

    def fixture_with_a_bare_assert() -> None:
        raise AssertionError  # what an unrewritten bare `assert` raises: no message at all

    outcome, reason = concluded("setup", fixture_with_a_bare_assert, [])
    assert outcome == Outcome.ERROR
    assert reason.startswith("the check could not run: AssertionError with no message, raised at ")
    assert reason.endswith(f"test_outcome_reading.py:{fixture_with_a_bare_assert.__code__.co_firstlineno + 1}")
