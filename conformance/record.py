"""The run record: the one typed model that every output (JSON, JUnit, HTML, certificate, terminal) is read from.

It is built once, when a run finishes (`conformance.run.session`), redacted there, and becomes JSON only where
results.json is written (`RunRecord.to_json`, validated against `schemas/results.schema.json`).
"""

import dataclasses
import types
import typing
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

from conformance.catalogue import Level, Requirement, Source

# 1.1: target.spec_sha256 and spec_format are null for a document not read; 1.2: run.mode.
# 1.3: run.max_rps_basis says why the rate limit is what it is; fuzzing.stateful, how far that phase went.
# 1.4: a requirement carries its `fix` hint and may name a shared `cause`; the record lists its `causes`; a
#      finding of a server error keeps the start of the response body
SCHEMA_VERSION = "1.4"
OMIT_WHEN_EMPTY = {"omit_when_empty": True}  # field metadata: leave the key out of the JSON when None or ""


class Outcome(StrEnum):
    """How one requirement ended. Only PASS counts as a pass."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not-applicable"
    ERROR = "error"


class Verdict(StrEnum):
    """A profile's verdict: conformant only when every applicable MUST passed and the run was complete."""

    CONFORMANT = "conformant"
    NOT_CONFORMANT = "not-conformant"
    INCOMPLETE = "incomplete"


class RunMode(StrEnum):
    """What a run examined: the live API, or the OpenAPI document alone (`check-document`, never certified)."""

    LIVE = "live"
    DOCUMENT_ONLY = "document-only"


# The reason of a requirement a document-only run leaves undecided (its outcome is ERROR: not tested, never a pass).
NEEDS_LIVE_API = "not tested: needs the live API"


class TlsVerification(StrEnum):
    """Whether certificates were verified; OFF only with --insecure, and such a run never certifies."""

    ON = "on"
    OFF = "off (--insecure)"


@dataclass(frozen=True)
class SharedCause:
    """One missing thing that decides many requirements (no declaration, no TLS): said once, with the way out.

    Requirements it decides name it by `id`; `snippet` is what to add, in `snippet_language` (yaml, json, shell).
    """

    id: str
    title: str
    explanation: str
    snippet: str = ""
    snippet_language: str = ""


@dataclass(frozen=True)
class RequirementResult:
    """How one requirement ended, why, and the evidence for it."""

    id: str
    level: Level
    statement: str
    source: Source
    outcome: Outcome
    reason: str = ""
    evidence: tuple[dict[str, Any], ...] = ()
    fix: str = dataclasses.field(default="", metadata=OMIT_WHEN_EMPTY)  # the profile's hint for a failure
    cause: str = dataclasses.field(default="", metadata=OMIT_WHEN_EMPTY)  # the id of a SharedCause in the record

    @classmethod
    def of(
        cls,
        requirement: Requirement,
        outcome: Outcome,
        reason: str,
        evidence: list[dict[str, Any]],
        cause: SharedCause | None = None,
    ) -> "RequirementResult":
        return cls(
            requirement.id,
            requirement.level,
            requirement.statement,
            requirement.source,
            outcome,
            reason,
            tuple(evidence),
            requirement.fix,
            cause.id if cause is not None else "",
        )

    @property
    def needs_live_api(self) -> bool:
        """Left undecided by a document-only run because only the live API can decide it."""
        return self.outcome == Outcome.ERROR and self.reason.startswith(NEEDS_LIVE_API)


@dataclass(frozen=True)
class ProfileResult:
    id: str
    version: str
    title: str
    verdict: Verdict
    requirements: tuple[RequirementResult, ...]
    advisories: tuple[str, ...]  # the ids of failed SHOULD requirements


@dataclass(frozen=True)
class RunInfo:
    started_at: str
    finished_at: str
    seed: int
    max_examples: int
    workers: int
    complete: bool
    incomplete_reason: str
    read_only: bool
    max_rps: float  # 0: no limit
    max_time: float  # 0: no limit
    mode: RunMode = RunMode.LIVE  # absent from records before schema 1.2, which were all live
    # Why max_rps is what it is (conformance.safety.RateLimitBasis); "" before schema 1.3 and in document-only runs.
    max_rps_basis: str = dataclasses.field(default="", metadata=OMIT_WHEN_EMPTY)


@dataclass(frozen=True)
class HarnessInfo:
    name: str
    version: str
    schemathesis: str


@dataclass(frozen=True)
class ImageInfo:
    """Which container image exactly was tested (`--image`); the certificate's subject names it by digest."""

    name: str
    id: str
    digest: str
    digest_source: str  # "repo-digest", or "image-id" for an image built locally
    repo_digests: tuple[str, ...] = ()
    note: str = dataclasses.field(default="", metadata=OMIT_WHEN_EMPTY)


@dataclass(frozen=True)
class TargetInfo:
    spec: str
    spec_sha256: str | None  # None: the document could not be read (its host's certificate does not verify)
    spec_format: str | None
    base_url: str
    tls_verification: TlsVerification
    api_title: str
    api_version: str
    image: ImageInfo | None = dataclasses.field(default=None, metadata=OMIT_WHEN_EMPTY)

    @property
    def tls_verified(self) -> bool:
        return self.tls_verification == TlsVerification.ON


@dataclass(frozen=True)
class ContainerInfo:
    """The container started for the run: its state at the end and the tail of its logs."""

    image: str
    port: int
    status: str
    logs: str
    logs_truncated: bool
    logs_limit: str


@dataclass(frozen=True)
class Finding:
    """One distinct contract violation found by fuzzing, with how to reproduce it (credentials masked)."""

    requirement: str
    check: str
    operation: str
    title: str
    message: str
    status_code: int | None
    occurrences: int
    curl: str
    response_body: str = dataclasses.field(default="", metadata=OMIT_WHEN_EMPTY)  # of a server error, capped

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.requirement, self.operation, self.check, self.title)


@dataclass(frozen=True)
class StatefulSummary:
    """How far the stateful phase (sequences of linked calls) went, and whether its bound stopped it."""

    scenarios: int  # sequences run, replays while shrinking a failure included
    steps: int  # generated calls in them that were sent and answered
    max_scenarios: int  # the bound: the phase is stopped once this many ran (one under way still finishes)
    max_steps: int  # calls per sequence at most
    bound_reached: bool


@dataclass(frozen=True)
class FuzzingSummary:
    ran: bool
    cases: int
    operations_total: int
    operations_tested: int
    stop_reason: str
    findings: tuple[Finding, ...]
    errors: tuple[str, ...]
    stateful: StatefulSummary | None = dataclasses.field(default=None, metadata=OMIT_WHEN_EMPTY)


NOT_FUZZED = FuzzingSummary(False, 0, 0, 0, "not-run", (), ())


@dataclass(frozen=True)
class RunRecord:
    run: RunInfo
    harness: HarnessInfo
    target: TargetInfo
    profiles: tuple[ProfileResult, ...]
    fuzzing: FuzzingSummary
    verdict: Verdict
    container: ContainerInfo | None = dataclasses.field(default=None, metadata=OMIT_WHEN_EMPTY)
    causes: tuple[SharedCause, ...] = ()  # each named by the requirements it decides
    schema_version: str = SCHEMA_VERSION

    def requirements(self) -> list[RequirementResult]:
        """Every requirement of every profile, in report order."""
        return [r for p in self.profiles for r in p.requirements]

    def cause(self, cause_id: str) -> SharedCause | None:
        """The shared cause a requirement names, if any."""
        return next((c for c in self.causes if c.id == cause_id), None)

    def to_json(self) -> dict[str, Any]:
        """The record as results.json holds it (schema: schemas/results.schema.json)."""
        return as_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RunRecord":
        """A record read back from results.json (already validated against its schema by whoever reads it)."""
        return from_json(cls, data)


def as_json(value: Any) -> Any:
    """JSON-ready data from record types: enums become their values, tuples lists, empty optionals are left out."""
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: as_json(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not (f.metadata.get("omit_when_empty") and getattr(value, f.name) in (None, ""))
        }
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    return value


def from_json(kind: Any, value: Any) -> Any:
    """The inverse of `as_json`, guided by the record types' annotations."""
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return from_json(inner, value)
    if origin is tuple:
        (item, _ellipsis) = typing.get_args(kind)
        return tuple(from_json(item, v) for v in value)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(value)
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        names = {f.name for f in dataclasses.fields(kind) if f.init}
        return kind(**{name: from_json(hints[name], v) for name, v in value.items() if name in names})
    return value
