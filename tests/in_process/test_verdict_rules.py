"""The rules a marketplace lists or refuses a product by, each shown deciding both ways."""

import dataclasses

import pytest

from conformance.catalogue import Level, Profile, Requirement, Source
from conformance.record import Outcome, ProfileResult, RequirementResult, Verdict
from conformance.verdicts import ExitCode, exit_code, overall_verdict, profile_result, profile_verdict

SOURCE = Source("RFC 9110", "15.6", "https://www.rfc-editor.org/rfc/rfc9110")


def requirement(rid: str, level: Level) -> Requirement:
    return Requirement(rid, level, f"{rid} statement", "why", "how to fix it", SOURCE, (), "p")


def result(rid: str, level: Level, outcome: Outcome) -> RequirementResult:
    return RequirementResult.of(requirement(rid, level), outcome, "", [{"request": "GET /v1", "status": 200}])


def must(outcome: Outcome) -> RequirementResult:
    return result("M-1", Level.MUST, outcome)


def should(outcome: Outcome) -> RequirementResult:
    return result("S-1", Level.SHOULD, outcome)


def test_every_must_passed_in_a_complete_run_is_conformant() -> None:
    assert profile_verdict([must(Outcome.PASS), should(Outcome.FAIL)], complete=True) == Verdict.CONFORMANT
    assert profile_verdict([must(Outcome.NOT_APPLICABLE)], complete=True) == Verdict.CONFORMANT


def test_a_failed_must_is_not_conformant_whatever_else() -> None:
    assert profile_verdict([must(Outcome.PASS), must(Outcome.FAIL)], complete=False) == Verdict.NOT_CONFORMANT
    assert profile_verdict([must(Outcome.FAIL), must(Outcome.ERROR)], complete=True) == Verdict.NOT_CONFORMANT


@pytest.mark.parametrize("outcome", [Outcome.ERROR])
def test_a_must_error_never_counts_towards_conformant(outcome: Outcome) -> None:
    assert profile_verdict([must(Outcome.PASS), must(outcome)], complete=True) == Verdict.INCOMPLETE
    assert profile_verdict([should(Outcome.ERROR)], complete=True) == Verdict.CONFORMANT


def test_a_should_failure_or_error_alone_never_refuses() -> None:
    assert profile_verdict([must(Outcome.PASS), should(Outcome.FAIL)], complete=True) == Verdict.CONFORMANT


def test_an_incomplete_run_is_incomplete() -> None:
    assert profile_verdict([must(Outcome.PASS)], complete=False) == Verdict.INCOMPLETE


def test_read_only_leaves_an_inapplicable_must_undecided() -> None:
    assert profile_verdict([must(Outcome.NOT_APPLICABLE)], True, read_only=True) == Verdict.INCOMPLETE
    assert profile_verdict([must(Outcome.PASS), should(Outcome.NOT_APPLICABLE)], True, True) == Verdict.CONFORMANT


def test_a_lost_target_is_incomplete_even_with_failures() -> None:
    assert profile_verdict([must(Outcome.FAIL)], True, target_lost=True) == Verdict.INCOMPLETE
    assert profile_verdict([must(Outcome.PASS)], True, False, False) == Verdict.CONFORMANT


def test_profile_result_orders_by_catalogue_and_lists_failed_shoulds() -> None:
    reqs = (
        requirement("B-1", Level.MUST),
        requirement("A-1", Level.SHOULD),
        requirement("C-1", Level.SHOULD),
    )
    profile = Profile("p", "1.2", "Title", "summary", (), reqs)
    results = {
        "A-1": result("A-1", Level.SHOULD, Outcome.FAIL),
        "C-1": result("C-1", Level.SHOULD, Outcome.PASS),
        "B-1": result("B-1", Level.MUST, Outcome.PASS),
        "Z-9": result("Z-9", Level.MUST, Outcome.FAIL),  # not in the profile: never consulted
    }
    made = profile_result(profile, results, complete=True)
    assert (made.id, made.version, made.title) == ("p", "1.2", "Title")
    assert [r.id for r in made.requirements] == ["B-1", "A-1", "C-1"]
    assert made.advisories == ("A-1",)
    assert made.verdict == Verdict.CONFORMANT
    assert profile_result(profile, results, complete=False).verdict == Verdict.INCOMPLETE
    inapplicable = {**results, "B-1": result("B-1", Level.MUST, Outcome.NOT_APPLICABLE)}
    assert profile_result(profile, inapplicable, True).verdict == Verdict.CONFORMANT  # not a read-only run
    lost = {**results, "B-1": result("B-1", Level.MUST, Outcome.NOT_APPLICABLE)}
    assert profile_result(profile, lost, True, read_only=True).verdict == Verdict.INCOMPLETE
    failed = {**results, "B-1": result("B-1", Level.MUST, Outcome.FAIL)}
    assert profile_result(profile, failed, True).verdict == Verdict.NOT_CONFORMANT
    assert profile_result(profile, failed, True, target_lost=True).verdict == Verdict.INCOMPLETE


def profile(verdict: Verdict) -> ProfileResult:
    return ProfileResult("p", "1", "t", verdict, (), ())


def test_overall_verdict_is_the_worst_profile_and_nothing_is_incomplete() -> None:
    c, i, n = profile(Verdict.CONFORMANT), profile(Verdict.INCOMPLETE), profile(Verdict.NOT_CONFORMANT)
    assert overall_verdict([c, c]) == Verdict.CONFORMANT
    assert overall_verdict((c, i)) == Verdict.INCOMPLETE
    assert overall_verdict([i, n, c]) == Verdict.NOT_CONFORMANT
    assert overall_verdict([]) == Verdict.INCOMPLETE


def test_exit_codes() -> None:
    assert exit_code(Verdict.CONFORMANT, False) == ExitCode.CONFORMANT == 0
    assert exit_code(Verdict.INCOMPLETE, False) == ExitCode.NOT_CONFORMANT == 1
    assert exit_code(Verdict.NOT_CONFORMANT, False) == 1
    assert exit_code(Verdict.CONFORMANT, True) == ExitCode.INTERRUPTED == 130
    assert ExitCode.UNUSABLE == 2


def test_requirement_result_of_keeps_every_field() -> None:
    req = requirement("X-1", Level.SHOULD)
    made = RequirementResult.of(req, Outcome.FAIL, "because", [{"a": 1}, {"b": 2}])
    fields = [getattr(made, f.name) for f in dataclasses.fields(made)]
    assert fields == [
        "X-1",
        Level.SHOULD,
        "X-1 statement",
        SOURCE,
        Outcome.FAIL,
        "because",
        ({"a": 1}, {"b": 2}),
        "how to fix it",
        "",
    ]
