"""From requirement outcomes to verdicts and exit codes: the rules a marketplace lists or refuses a product by."""

from enum import IntEnum

from conformance.catalogue import Level, Profile
from conformance.record import Outcome, ProfileResult, RequirementResult, RunRecord, Verdict


class ExitCode(IntEnum):
    CONFORMANT = 0
    NOT_CONFORMANT = 1  # or incomplete
    UNUSABLE = 2  # the target or the arguments are unusable
    INTERRUPTED = 130  # Ctrl-C or SIGTERM: the report so far is written and marked incomplete


def profile_verdict(
    requirements: list[RequirementResult], complete: bool, read_only: bool = False, target_lost: bool = False
) -> Verdict:
    """Conformant only when every applicable MUST passed in a complete run; a skip or error never passes.

    In a read-only run a MUST that could not apply may only have been spared its writes, so it leaves
    the profile incomplete rather than conformant. A run that lost its target part-way is incomplete
    whatever failed: after the target went, a failure may be the harness talking to nobody.
    """
    if target_lost:
        return Verdict.INCOMPLETE
    musts = [r for r in requirements if r.level == Level.MUST]
    if any(r.outcome == Outcome.FAIL for r in musts):
        return Verdict.NOT_CONFORMANT
    undecided = {Outcome.ERROR} | ({Outcome.NOT_APPLICABLE} if read_only else set())
    if not complete or any(r.outcome in undecided for r in musts):
        return Verdict.INCOMPLETE
    return Verdict.CONFORMANT


def profile_result(
    profile: Profile,
    results: dict[str, RequirementResult],
    complete: bool,
    read_only: bool = False,
    target_lost: bool = False,
) -> ProfileResult:
    """The profile's requirements in catalogue order, its verdict, and its failed SHOULDs as advisories."""
    requirements = [results[r.id] for r in profile.requirements]
    advisories = tuple(r.id for r in requirements if r.level == Level.SHOULD and r.outcome == Outcome.FAIL)
    return ProfileResult(
        id=profile.id,
        version=profile.version,
        title=profile.title,
        verdict=profile_verdict(requirements, complete, read_only, target_lost),
        requirements=tuple(requirements),
        advisories=advisories,
    )


def overall_verdict(profiles: list[ProfileResult] | tuple[ProfileResult, ...]) -> Verdict:
    verdicts = {p.verdict for p in profiles}
    if Verdict.NOT_CONFORMANT in verdicts:
        return Verdict.NOT_CONFORMANT
    if Verdict.INCOMPLETE in verdicts or not profiles:
        return Verdict.INCOMPLETE
    return Verdict.CONFORMANT


def decided_musts(record: RunRecord) -> list[RequirementResult]:
    """The MUST requirements a run decided, leaving out what a document-only run leaves to the live API."""
    return [r for r in record.requirements() if r.level == Level.MUST and not r.needs_live_api]


def document_exit_code(record: RunRecord, interrupted: bool) -> ExitCode:
    """A document-only run is never conformant, so its code says what the document decided: 0 when every MUST
    it decides passed or does not apply, 1 when one failed or could not be decided (a failed SHOULD is an
    advisory, as in a live run). What needs the live API counts for neither."""
    if interrupted:
        return ExitCode.INTERRUPTED
    if any(r.outcome in (Outcome.FAIL, Outcome.ERROR) for r in decided_musts(record)):
        return ExitCode.NOT_CONFORMANT
    return ExitCode.CONFORMANT


def exit_code(verdict: Verdict, interrupted: bool) -> ExitCode:
    if interrupted:
        return ExitCode.INTERRUPTED
    return ExitCode.CONFORMANT if verdict == Verdict.CONFORMANT else ExitCode.NOT_CONFORMANT
