"""The run record: the one data model every output (JSON, JUnit, HTML, certificate) is rendered from."""

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance.outcomes import Level, Outcome, Verdict
from conformance.profiles import Profile, Requirement
from conformance.schemas_loader import validate

SCHEMA_VERSION = "1.0"


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class RequirementResult:
    """How one requirement ended, why, and the evidence for it."""

    id: str
    level: str
    statement: str
    source: dict[str, str]
    outcome: str
    reason: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(
        cls, requirement: Requirement, outcome: Outcome, reason: str, evidence: list[dict[str, Any]]
    ) -> "RequirementResult":
        return cls(
            id=requirement.id,
            level=requirement.level.value,
            statement=requirement.statement,
            source=asdict(requirement.source),
            outcome=outcome.value,
            reason=reason,
            evidence=evidence,
        )


@dataclass
class ProfileResult:
    id: str
    version: str
    title: str
    verdict: str
    requirements: list[RequirementResult]
    advisories: list[str]


def profile_verdict(requirements: list[RequirementResult], complete: bool, read_only: bool = False) -> Verdict:
    """Conformant only when every applicable MUST passed in a complete run; a skip or error never passes.

    In a read-only run a MUST that could not apply may only have been spared its writes, so it leaves
    the profile incomplete rather than conformant.
    """
    musts = [r for r in requirements if r.level == Level.MUST.value]
    if any(r.outcome == Outcome.FAIL.value for r in musts):
        return Verdict.NOT_CONFORMANT
    undecided = {Outcome.ERROR.value} | ({Outcome.NOT_APPLICABLE.value} if read_only else set())
    if not complete or any(r.outcome in undecided for r in musts):
        return Verdict.INCOMPLETE
    return Verdict.CONFORMANT


def build_profile_result(
    profile: Profile, results: dict[str, RequirementResult], complete: bool, read_only: bool = False
) -> ProfileResult:
    reqs = [results[r.id] for r in profile.requirements]
    advisories = [r.id for r in reqs if r.level == Level.SHOULD.value and r.outcome == Outcome.FAIL.value]
    return ProfileResult(
        id=profile.id,
        version=profile.version,
        title=profile.title,
        verdict=profile_verdict(reqs, complete, read_only).value,
        requirements=reqs,
        advisories=advisories,
    )


def overall_verdict(profiles: list[ProfileResult]) -> Verdict:
    verdicts = {p.verdict for p in profiles}
    if Verdict.NOT_CONFORMANT.value in verdicts:
        return Verdict.NOT_CONFORMANT
    if Verdict.INCOMPLETE.value in verdicts or not profiles:
        return Verdict.INCOMPLETE
    return Verdict.CONFORMANT


@dataclass
class RunRecord:
    """Versioned and validated against `schemas/results.schema.json` before it is written."""

    run: dict[str, Any]
    harness: dict[str, str]
    target: dict[str, Any]
    profiles: list[ProfileResult]
    fuzzing: dict[str, Any]
    verdict: str
    schema_version: str = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_json(document: dict[str, Any], path: Path) -> None:
    """Validate the run record against its schema, then write it."""
    validate(document, "results")
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
