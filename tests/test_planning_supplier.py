"""The second reference supplier (fixtures/planning_supplier), written from the standards rather than from the
checks: conformant on every profile, every pass with its evidence, and each defect failing exactly what it
breaks. Its runs are shared with the other modules that read them (tests/conftest.py: planning_run)."""

from collections.abc import Callable

import pytest
from planning_supplier import VARIANTS

from conformance.catalogue import Level, all_requirements
from tests.conftest import CliRun, assert_conformant_with_evidence

# What nothing in this supplier can decide, and why (it has no rate limit and offers no CORS).
NOT_APPLICABLE = {"NET-11": "no rate limiting seen", "NET-13": "no CORS headers"}


def test_conformant_on_every_profile_with_evidence_for_every_pass(planning_run: Callable[[str], CliRun]) -> None:
    assert_conformant_with_evidence(planning_run("conformant"), NOT_APPLICABLE)


@pytest.mark.parametrize("variant", [name for name in VARIANTS if name != "conformant"])
def test_each_defect_fails_exactly_its_requirements(variant: str, planning_run: Callable[[str], CliRun]) -> None:
    result = planning_run(variant)
    expected, sometimes = set(VARIANTS[variant].violates), set(VARIANTS[variant].sometimes)
    assert expected <= result.failed() <= expected | sometimes, {
        r["id"]: r["reason"][:300]
        for p in result.results["profiles"]
        for r in p["requirements"]
        if r["outcome"] != "pass"
    }
    breaks_a_must = any(all_requirements()[rid].level == Level.MUST for rid in VARIANTS[variant].violates)
    assert result.code == (1 if breaks_a_must else 0)  # a failed SHOULD is an advisory
