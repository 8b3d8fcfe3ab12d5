"""One conformance run: its target, profiles, seed and limits, what each requirement came to, and the record.

It knows nothing of pytest. The plugin tells it what each check concluded (for `conformance run` and plain
pytest alike); the run record is built here, once, when the run finishes, redacted, and written.
"""

import dataclasses
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import schemathesis

from conformance import __version__
from conformance.catalogue import Profile, all_requirements, select_profiles
from conformance.causes import certificate_refused
from conformance.checks.kit.probes import Endpoint, check_certificate
from conformance.container import RunningContainer, container_base_url
from conformance.errors import UsageError
from conformance.fuzzing.engine import FuzzSettings, run_fuzzing
from conformance.fuzzing.report import FuzzReport, summary_of
from conformance.progress import Progress
from conformance.record import (
    HarnessInfo,
    Outcome,
    RequirementResult,
    RunInfo,
    RunMode,
    RunRecord,
    SharedCause,
    TargetInfo,
    TlsVerification,
)
from conformance.render.reports import write_reports
from conformance.run.hooks import load_hooks
from conformance.run.settings import RunSettings
from conformance.safety import RateLimitBasis, Safety
from conformance.spec import CertificateNotVerified, LoadedSpec, declared_server, load_spec, resolve_base_url
from conformance.target import Target, build_target, headers_from_environment, parse_headers, tls_verify
from conformance.timestamps import utc_now
from conformance.verdicts import ExitCode, document_exit_code, exit_code, overall_verdict, profile_result

HARNESS_NAME = "procurement-conformance"
# The requirement that reports the document's problems: a run without it must not pass over them.
DOCUMENT_REQUIREMENT = "EXP-01"
# The requirement that judges the API's certificate: when it does not verify, the only one tested.
CERTIFICATE_REQUIREMENT = "NET-04"


@dataclass(frozen=True)
class CheckOutcome:
    """What one check concluded about its requirement."""

    outcome: Outcome
    reason: str
    evidence: list[dict[str, Any]]
    cause: SharedCause | None = None  # one missing thing that decided this and other requirements


@dataclass(eq=False)
class RunSession:
    settings: RunSettings
    progress: Progress = field(default_factory=Progress)  # silent until someone watches
    spec: LoadedSpec | None = None  # loaded once per run (before the container starts, for --image --spec FILE)
    container: RunningContainer | None = None
    target: Target | None = None
    profiles: list[Profile] = field(default_factory=list)
    seed: int = 0
    safety: Safety = field(default_factory=Safety)
    rate_basis: RateLimitBasis | None = None  # None in a document-only run, which sends nothing
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    started_at: str = field(default_factory=utc_now)
    outcomes: dict[str, CheckOutcome] = field(default_factory=dict)
    fuzz: FuzzReport | None = None
    interrupted: bool = False
    budget_exhausted: bool = False
    collection_errors: list[str] = field(default_factory=list)
    record: RunRecord | None = None

    @property
    def out_dir(self) -> Path:
        return self.settings.out_dir(self.started)

    @property
    def prepared(self) -> bool:
        return self.target is not None

    def headers(self) -> dict[str, str]:
        """The credentials to send: --header lines, then $CONFORMANCE_HEADERS."""
        return parse_headers([*self.settings.headers, *headers_from_environment()])

    def peer_headers(self) -> dict[str, str]:
        """A second client's credentials (--peer-header), for the isolation requirement; empty when not given."""
        return parse_headers(self.settings.peer_headers, "--peer-header")

    def verify(self) -> bool | str:
        return tls_verify(self.settings.ca_bundle, self.settings.insecure)

    def load_document(self, source: str | None = None) -> LoadedSpec:
        """Fetch, bundle and validate the document once (from `source`, else --spec); SpecError when unusable."""
        if self.spec is None:
            self.spec = load_spec(
                source or self.settings.spec,
                self.headers(),
                self.verify(),
                frozenset(self.settings.allow_ref_hosts),
                self.settings.max_document_mb,
            )
        return self.spec

    def prepare(self) -> None:
        """Check the settings and load the target and the profiles; UsageError when any is unusable.

        An invalid document or a certificate that does not verify is no reason to stop: each is the answer
        to a requirement (EXP-01, NET-04), and the run goes on to report it.
        """
        self.settings.check()
        began = time.monotonic()  # --max-time counts from here, the document's loading included
        if self.settings.hooks:
            load_hooks(self.settings.hooks)  # before any schema is built: it may register serializers
        self.progress.at(stage="loading the document")
        self.profiles = select_profiles(self.settings.profiles)
        if self.settings.document_only:
            self.target = self.document_target(self.load_document())
            self.seed = self.settings.seed or 0
            return
        try:
            spec = self.load_document()
        except CertificateNotVerified as refused:
            self.target = self.unread_target(refused)
        else:
            base_url = self.settings.base_url
            if base_url is None and self.container is not None:  # the document's servers name the supplier's host
                base_url = container_base_url(self.container.origin, spec.document)
            target = build_target(spec, base_url, self.headers(), self.verify(), self.peer_headers())
            self.target = with_certificate_checked(target)
        self.safety, self.rate_basis = self.settings.safety(self.target.base_url, began)
        limit = f"{self.safety.max_rps:g} requests per second" if self.safety.max_rps else "none"
        self.progress(f"target {self.target.base_url}; rate limit: {limit} ({self.rate_basis})")
        self.seed = self.settings.seed if self.settings.seed is not None else secrets.randbelow(2**31)

    def document_target(self, spec: LoadedSpec) -> Target:
        """The target of a document-only run, which sends nothing: its base URL is only read (NET-12 reads its
        path), so one the document does not resolve to an absolute URL is kept as written, or left empty."""
        try:
            base_url = resolve_base_url(spec, self.settings.base_url)
        except UsageError:
            base_url = self.settings.base_url or declared_server(spec.document) or ""
        return Target(spec=spec, base_url=base_url, headers=self.headers(), verify=self.verify())

    def unread_target(self, refused: CertificateNotVerified) -> Target:
        """The document's host failed certificate verification, so the document was not read (nor anything sent).

        When that host is the API's (no --base-url, or one on the same host), the run reports the certificate
        (NET-04) and nothing else; a certificate on another host says nothing about the API (exit 2).
        """
        spec = LoadedSpec.unread(self.settings.spec, refused.url, str(refused))
        where = urlsplit(refused.url)
        base_url = self.settings.base_url or f"{where.scheme}://{where.netloc}"
        target = build_target(spec, base_url, self.headers(), self.verify(), self.peer_headers())
        target = with_certificate_checked(target)
        if not target.certificate_refused:
            raise refused
        return target

    def wanted(self) -> set[str]:
        """The requirement ids of the selected profiles: checks for others are deselected.

        Over a certificate that does not verify only the certificate is tested: nothing is sent to the API.
        """
        selected = {r.id for p in self.profiles for r in p.requirements}
        if self.target is not None and self.target.certificate_refused:
            return selected & {CERTIFICATE_REQUIREMENT}
        return selected

    def fuzz_report(self) -> FuzzReport:
        """Fuzz once per run, however many profiles and requirements read the findings."""
        if self.fuzz is None:
            assert self.target is not None
            settings = FuzzSettings(
                base_url=self.target.base_url,
                headers=self.target.headers,
                seed=self.seed,
                max_examples=self.settings.max_examples,
                workers=self.settings.workers,
                tls_verify=self.target.verify,
                safety=self.safety,
            )
            self.fuzz = run_fuzzing(self.target.spec.document, settings, self.progress)
            if self.fuzz.stop_reason == "interrupted":
                raise KeyboardInterrupt  # the engine swallowed Ctrl-C; stop the whole run, keep what we have
            if self.fuzz.stop_reason == "max_time":
                self.budget_exhausted = True
        return self.fuzz

    def conclude(self, requirement: str, concluded: CheckOutcome) -> None:
        """Record a check's outcome; of several checks for one requirement, any non-pass wins."""
        if concluded.outcome != Outcome.PASS or requirement not in self.outcomes:
            self.outcomes[requirement] = concluded
        self.progress.at(stage="checks", done=len(self.outcomes), total=len(self.wanted()))
        self.progress(f"{requirement}: {concluded.outcome.value}")

    def incomplete_reason(self) -> str:
        """Why this run cannot speak for the whole API, or "" when it can."""
        if self.interrupted:
            return "the run was interrupted before it finished"
        if self.target is not None and self.target.certificate_refused:
            return f"nothing but the certificate was tested: {self.target.certificate_refused}"
        if self.collection_errors:
            return "the conformance suite could not be loaded: " + "; ".join(self.collection_errors)
        if self.settings.document_only:
            return "only the OpenAPI document was checked: the requirements that need the live API were not tested"
        if self.target_lost:
            return "the target stopped answering part-way through fuzzing; nothing decided after that can be trusted"
        if self.budget_exhausted:
            return f"the run reached its time limit (--max-time {self.safety.max_time:g}); see what was not tested"
        if self.fuzz is not None and self.fuzz.unloadable:
            return self.fuzz.unloadable
        if self.fuzz is not None and self.fuzz.stop_reason != "completed":
            return f"fuzzing stopped early: {self.fuzz.stop_reason}"
        problems = self.target.spec.problems if self.target is not None else ()
        if problems and DOCUMENT_REQUIREMENT not in self.wanted():
            return (
                f"the OpenAPI document is not valid ({len(problems)} problem(s)) and {DOCUMENT_REQUIREMENT}, "
                f"which lists them, was not selected: run its profile too"
            )
        return ""

    def not_tested_reason(self) -> str:
        """What a requirement no check concluded ends with."""
        if self.interrupted:
            return "not tested: the run was interrupted"
        if self.target is not None and self.target.certificate_refused:
            return (
                f"not tested: {self.target.certificate_refused.rstrip('.')}; nothing was sent to the API (see "
                f"{CERTIFICATE_REQUIREMENT}). Fix the certificate or, for a private CA, pass it with --ca-bundle "
                "(--insecure tests the rest, and is never certified)"
            )
        return "no check ran for this requirement"

    @property
    def target_lost(self) -> bool:
        return self.fuzz is not None and self.fuzz.target_lost

    def finish(self) -> RunRecord:
        """Build the run record, redact every credential from it, and write the reports."""
        assert self.target is not None
        record = self.target.redactor.deep(self.build_record())
        write_reports(record, self.out_dir)
        self.record = record
        return record

    def exit_code(self) -> ExitCode:
        assert self.record is not None
        if self.settings.document_only:
            return document_exit_code(self.record, self.interrupted)
        return exit_code(self.record.verdict, self.interrupted)

    def build_record(self) -> RunRecord:
        assert self.target is not None
        catalogue = all_requirements()
        incomplete_reason = self.incomplete_reason()
        complete = not incomplete_reason
        not_run = self.not_tested_reason()
        refused = self.target.certificate_refused
        not_run_cause = certificate_refused(refused) if refused else None
        results: dict[str, RequirementResult] = {}
        causes: dict[str, SharedCause] = {}
        for profile in self.profiles:
            for requirement in profile.requirements:
                got = self.outcomes.get(requirement.id) or CheckOutcome(Outcome.ERROR, not_run, [], not_run_cause)
                if got.cause is not None:
                    causes.setdefault(got.cause.id, got.cause)
                results[requirement.id] = RequirementResult.of(
                    catalogue[requirement.id], got.outcome, got.reason, got.evidence, got.cause
                )
        profiles = tuple(
            profile_result(p, results, complete, self.safety.read_only, self.target_lost) for p in self.profiles
        )
        spec = self.target.spec
        info = spec.document.get("info")
        info = info if isinstance(info, dict) else {}  # an invalid document is reported, not trusted
        return RunRecord(
            run=RunInfo(
                started_at=self.started_at,
                finished_at=utc_now(),
                seed=self.seed,
                max_examples=self.settings.max_examples,
                workers=self.settings.workers,
                complete=complete,
                incomplete_reason=incomplete_reason,
                read_only=self.safety.read_only,
                max_rps=self.safety.max_rps or 0,
                max_time=self.safety.max_time or 0,
                mode=RunMode.DOCUMENT_ONLY if self.settings.document_only else RunMode.LIVE,
                max_rps_basis=self.rate_basis.value if self.rate_basis else "",
            ),
            harness=HarnessInfo(HARNESS_NAME, __version__, schemathesis.__version__),
            target=TargetInfo(
                spec=spec.name,
                spec_sha256=spec.sha256,
                spec_format=spec.flavour or None,
                base_url=self.target.base_url,
                tls_verification=TlsVerification.OFF if self.target.insecure else TlsVerification.ON,
                api_title=str(info.get("title", "")),
                api_version=str(info.get("version", "")),
                image=self.container.image if self.container is not None else None,
            ),
            profiles=profiles,
            fuzzing=summary_of(self.fuzz),
            verdict=overall_verdict(profiles),
            container=self.container.info() if self.container is not None else None,
            causes=tuple(causes.values()),
        )


def with_certificate_checked(target: Target) -> Target:
    """Verify the API's certificate before anything is sent to it; a refusal is NET-04's finding."""
    endpoint = Endpoint.of(target.base_url)
    if not endpoint.https or target.insecure:
        return target
    checked = check_certificate(endpoint.host, endpoint.port, target.verify)
    return dataclasses.replace(target, certificate_refused=checked.detail) if checked.valid is False else target
