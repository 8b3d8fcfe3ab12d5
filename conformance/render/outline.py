"""The report's outline, read from the run record alone: what limits the run, the counts, what to fix first.

The HTML report, the JUnit file and the terminal summary all say the same things in the same order: the
limits of the run (read-only, --insecure, incomplete, --max-time), per profile the verdict and its counts,
then the failures (MUST before SHOULD) with a shared cause said once, then what could not be decided.
"""

from collections import Counter
from dataclasses import dataclass, field

from conformance.catalogue import Level
from conformance.record import Outcome, ProfileResult, RequirementResult, RunMode, RunRecord, SharedCause
from conformance.render.evidence import EvidenceView, evidence_view

OUTCOME_ORDER = (Outcome.PASS, Outcome.FAIL, Outcome.NOT_APPLICABLE, Outcome.ERROR)
DOCUMENT_ONLY_REASON = "only the OpenAPI document was checked"  # how a run session says a run was document-only


@dataclass(frozen=True)
class Limit:
    """Something that limits what the run can say (shown as a banner, and first in the terminal)."""

    key: str  # read-only, insecure, incomplete, max-time
    headline: str
    detail: str


@dataclass(frozen=True)
class Item:
    """One requirement in the outline, with the profile it belongs to, its evidence view and its shared cause."""

    result: RequirementResult
    profile: ProfileResult
    cause: SharedCause | None

    @property
    def evidence(self) -> EvidenceView:
        return evidence_view(self.result)

    @property
    def curls(self) -> list[str]:
        return [str(e["curl"]) for e in self.result.evidence if e.get("curl")]


@dataclass(frozen=True)
class CauseGroup:
    cause: SharedCause
    items: list[Item]

    @property
    def ids(self) -> list[str]:
        return [i.result.id for i in self.items]


@dataclass(frozen=True)
class ProfileCounts:
    profile: ProfileResult
    counts: dict[Outcome, int]
    passed: list[Item] = field(default_factory=list)
    not_applicable: list[Item] = field(default_factory=list)
    untested: list[Item] = field(default_factory=list)  # left to the live API by a document-only run

    @property
    def tally(self) -> str:
        untested = [f"{len(self.untested)} not tested (need the live API)"] if self.untested else []
        return ", ".join([*(f"{self.counts[o]} {o.value}" for o in OUTCOME_ORDER if self.counts[o]), *untested])


@dataclass(frozen=True)
class Outline:
    record: RunRecord
    limits: list[Limit]
    profiles: list[ProfileCounts]
    failures: list[Item]  # MUST before SHOULD, each in profile order
    undecided: list[Item]  # outcome error: the harness could not decide
    causes: list[CauseGroup]

    @property
    def untested(self) -> int:
        return sum(len(p.untested) for p in self.profiles)

    @property
    def totals(self) -> dict[Outcome, int]:
        total: Counter[Outcome] = Counter()
        for p in self.profiles:
            total.update(p.counts)
        return {o: total[o] for o in OUTCOME_ORDER}


def limits_of(record: RunRecord) -> list[Limit]:
    """What keeps this run from speaking for the whole API, most limiting first."""
    limits = []
    run = record.run
    document_only = run.mode == RunMode.DOCUMENT_ONLY and run.incomplete_reason.startswith(DOCUMENT_ONLY_REASON)
    if run.mode == RunMode.DOCUMENT_ONLY:
        why = run.incomplete_reason if document_only else DOCUMENT_ONLY_REASON
        detail = f"{why}; nothing was sent to an API, and such a run is never certified"
        limits.append(Limit("document-only", "DOCUMENT-ONLY run", detail))
    if not run.complete and not document_only:  # a document-only run's own incompleteness has its banner above
        limits.append(Limit("incomplete", "INCOMPLETE run", run.incomplete_reason or "the run did not finish"))
    if record.fuzzing.stop_reason == "max_time" or "--max-time" in run.incomplete_reason:
        limits.append(
            Limit(
                "max-time",
                f"--max-time {run.max_time:g} s reached",
                "the run stopped at its time limit; what was not reached is named below as not tested",
            )
        )
    if run.read_only:
        limits.append(
            Limit(
                "read-only",
                "READ-ONLY run",
                "only GET, HEAD and OPTIONS were sent: requirements that need writes "
                "are not-applicable, a profile with such a MUST is incomplete, and the run is never certified",
            )
        )
    if not record.target.tls_verified:
        limits.append(
            Limit(
                "insecure",
                "INSECURE run (--insecure)",
                "TLS certificates were not verified: the certificate "
                "requirement cannot pass, and the run is never certified",
            )
        )
    return limits


def _level_first(items: list[Item]) -> list[Item]:
    return sorted(items, key=lambda i: i.result.level != Level.MUST)  # stable: profile order within a level


def outline(record: RunRecord) -> Outline:
    profiles, failures, undecided = [], [], []
    grouped: dict[str, list[Item]] = {}
    for profile in record.profiles:
        counts = {o: 0 for o in OUTCOME_ORDER}
        passed, not_applicable, untested = [], [], []
        for result in profile.requirements:
            item = Item(result, profile, record.cause(result.cause) if result.cause else None)
            counts[result.outcome] += not result.needs_live_api  # those are counted as untested
            if item.cause is not None:
                grouped.setdefault(item.cause.id, []).append(item)
            if result.needs_live_api:
                untested.append(item)
                continue
            {
                Outcome.PASS: passed,
                Outcome.NOT_APPLICABLE: not_applicable,
                Outcome.FAIL: failures,
                Outcome.ERROR: undecided,
            }[result.outcome].append(item)
        profiles.append(ProfileCounts(profile, counts, passed, not_applicable, untested))
    causes = [CauseGroup(c, grouped[c.id]) for c in record.causes if c.id in grouped]
    return Outline(record, limits_of(record), profiles, _level_first(failures), _level_first(undecided), causes)


def first_line(outline: Outline) -> str:
    """The summary's first line: the overall verdict, and every limit of the run before anything else."""
    limits = "".join(f" [{limit.headline}]" for limit in outline.limits)
    return f"overall: {outline.record.verdict.value.upper()}{limits}"
