"""The pytest plugin: options, fixtures, requirement marks, result capture and the run record.

`conformance run` and `pytest --pyargs conformance.suite --conformance-spec ...` both end up here,
so they give the same verdicts and the same results.json.
"""

import contextlib
import os
import secrets
import signal
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis

from conformance import __version__
from conformance.checks import NOT_APPLICABLE_PREFIX, Undecided
from conformance.client import ApiClient
from conformance.container import ContainerRequest, RunningContainer
from conformance.errors import UsageError
from conformance.fuzzing import FuzzReport, FuzzSettings, run_fuzzing
from conformance.outcomes import ExitCode, Outcome, Verdict
from conformance.profiles import Profile, all_requirements, select_profiles
from conformance.render import write_reports
from conformance.results import RequirementResult, RunRecord, build_profile_result, overall_verdict, utc_now
from conformance.safety import (
    DEFAULT_MAX_RPS,
    DEFAULT_REQUEST_TIMEOUT,
    ReadOnlyRefusal,
    Safety,
    TimeBudgetExhausted,
)
from conformance.target import Target, build_target, tls_verify

DEFAULT_MAX_EXAMPLES = 25


@dataclass
class RunSettings:
    """Everything `run` and the pytest options share."""

    spec: str
    base_url: str | None = None
    headers: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    out: str | None = None
    seed: int | None = None
    max_examples: int = DEFAULT_MAX_EXAMPLES
    workers: int = 1
    ca_bundle: str | None = None
    insecure: bool = False
    allow_ref_hosts: tuple[str, ...] = ()
    read_only: bool = False
    max_rps: float | None = None  # None: DEFAULT_MAX_RPS; 0: no limit
    max_time: float | None = None
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    container: ContainerRequest | None = None  # --image: started for the run (see execution.execute)

    def out_dir(self, started: datetime) -> Path:
        return Path(self.out) if self.out else Path("reports") / started.strftime("%Y%m%dT%H%M%SZ")


@dataclass
class Captured:
    outcome: Outcome
    reason: str
    evidence: list[dict[str, Any]]


@dataclass(eq=False)
class ConformanceSession:
    """One conformance run inside one pytest session; registered as a plugin so its hooks fire."""

    settings: RunSettings
    target: Target | None = None
    profiles: list[Profile] = field(default_factory=list)
    seed: int = 0
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    started_at: str = field(default_factory=utc_now)
    captured: dict[str, Captured] = field(default_factory=dict)
    fuzz: FuzzReport | None = None
    record: dict[str, Any] | None = None
    out_dir: Path | None = None
    progress_writer: Any = None
    safety: Safety = field(default_factory=Safety)
    interrupted: bool = False
    budget_exhausted: bool = False
    collection_errors: list[str] = field(default_factory=list)
    container: RunningContainer | None = None

    def prepare(self) -> None:
        """Load the target and the profiles; raises UsageError when either is unusable."""
        if self.settings.max_examples < 1:
            raise UsageError("--max-examples must be at least 1")
        if self.settings.workers < 1:
            raise UsageError("--workers must be at least 1")
        if (self.settings.max_rps or 0) < 0 or (self.settings.max_time or 0) < 0:
            raise UsageError("--max-rps and --max-time must not be negative")
        if self.settings.request_timeout <= 0:
            raise UsageError("--request-timeout must be positive")
        self.safety = Safety(
            read_only=self.settings.read_only,
            max_rps=DEFAULT_MAX_RPS if self.settings.max_rps is None else self.settings.max_rps,
            max_time=self.settings.max_time,
            request_timeout=self.settings.request_timeout,
        )
        self.profiles = select_profiles(self.settings.profiles)
        self.settings.headers = (*self.settings.headers, *headers_from_environment())
        verify = tls_verify(self.settings.ca_bundle, self.settings.insecure)
        self.target = build_target(
            self.settings.spec, self.settings.base_url, self.settings.headers, verify, self.settings.allow_ref_hosts
        )
        self.seed = self.settings.seed if self.settings.seed is not None else secrets.randbelow(2**31)
        self.out_dir = self.settings.out_dir(self.started)

    def progress(self, message: str) -> None:
        if self.progress_writer is not None:
            self.progress_writer(message)

    def selected_requirements(self) -> set[str]:
        return {r.id for p in self.profiles for r in p.requirements}

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

    # --- pytest hooks -------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        wanted = self.selected_requirements()
        keep, drop = [], []
        for item in items:
            (keep if requirement_of(item) in wanted else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        outcome = yield
        report = outcome.get_result()
        requirement = requirement_of(item)
        if requirement is None:
            return
        captured = _captured_from(report, call, item.stash.get(EVIDENCE_KEY, []))
        if captured is None:
            return
        if call.excinfo is not None and isinstance(call.excinfo.value, TimeBudgetExhausted):
            self.budget_exhausted = True
        if captured.outcome != Outcome.PASS or requirement not in self.captured:
            self.captured[requirement] = captured
        self.progress(f"{requirement}: {captured.outcome.value}")

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo) -> None:
        self.interrupted = True

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A suite module that cannot be imported is a harness defect: say so instead of losing it."""
        if report.failed:
            lines = str(report.longrepr).strip().splitlines()
            self.collection_errors.append(f"{report.nodeid}: {lines[-1] if lines else 'collection failed'}")

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.target is None:
            return
        self.record = self.build_record()
        assert self.out_dir is not None
        write_reports(self.record, self.out_dir)
        session.exitstatus = verdict_exit_code(self.record, self.interrupted)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Plain-pytest users see the verdicts and the seed under pytest's own summary."""
        if self.record is None:
            return
        for profile in self.record["profiles"]:
            terminalreporter.write_line(f"{profile['id']} {profile['version']}: {profile['verdict']}")
        terminalreporter.write_line(f"seed: {self.seed}")
        terminalreporter.write_line(f"report: {self.out_dir / 'report.html'}")

    # --- the run record -----------------------------------------------------------------------

    def incomplete_reason(self) -> str:
        """Why this run cannot speak for the whole API, or "" when it can."""
        if self.interrupted:
            return "the run was interrupted before it finished"
        if self.collection_errors:
            return "the conformance suite could not be loaded: " + "; ".join(self.collection_errors)
        if self.budget_exhausted:
            return f"the run reached its time limit (--max-time {self.safety.max_time:g}); see what was not tested"
        if self.fuzz is not None and self.fuzz.stop_reason != "completed":
            return f"fuzzing stopped early: {self.fuzz.stop_reason}"
        return ""

    def build_record(self) -> dict[str, Any]:
        assert self.target is not None
        catalogue = all_requirements()
        fuzz = self.fuzz
        incomplete_reason = self.incomplete_reason()
        complete = not incomplete_reason
        not_run = "not tested: the run was interrupted" if self.interrupted else "no check ran for this requirement"
        results: dict[str, RequirementResult] = {}
        for profile in self.profiles:
            for req in profile.requirements:
                got = self.captured.get(req.id) or Captured(Outcome.ERROR, not_run, [])
                results[req.id] = RequirementResult.of(catalogue[req.id], got.outcome, got.reason, got.evidence)
        profiles = [build_profile_result(p, results, complete, self.safety.read_only) for p in self.profiles]
        spec = self.target.spec
        record = RunRecord(
            run={
                "started_at": self.started_at,
                "finished_at": utc_now(),
                "seed": self.seed,
                "max_examples": self.settings.max_examples,
                "workers": self.settings.workers,
                "complete": complete,
                "incomplete_reason": incomplete_reason,
                "read_only": self.safety.read_only,
                "max_rps": self.safety.max_rps or 0,
                "max_time": self.safety.max_time or 0,
            },
            harness={
                "name": "procurement-conformance",
                "version": __version__,
                "schemathesis": schemathesis.__version__,
            },
            target={
                "spec": spec.name,
                "spec_sha256": spec.sha256,
                "spec_format": spec.flavour,
                "base_url": self.target.base_url,
                "tls_verification": "off (--insecure)" if self.target.insecure else "on",
                "api_title": str(spec.document.get("info", {}).get("title", "")),
                "api_version": str(spec.document.get("info", {}).get("version", "")),
            },
            profiles=profiles,
            fuzzing=_fuzz_summary(fuzz),
            verdict=overall_verdict(profiles).value,
        ).to_dict()
        if self.container is not None:
            self.container.annotate(record)  # the image's digest and the container's log tail
        return self.target.redactor.deep(record)


HEADERS_VARIABLE = "CONFORMANCE_HEADERS"


def headers_from_environment() -> list[str]:
    """`Name: value` lines from $CONFORMANCE_HEADERS, so CI can pass secrets without a command line."""
    return [line for line in os.environ.get(HEADERS_VARIABLE, "").splitlines() if line.strip()]


def verdict_exit_code(record: dict[str, Any], interrupted: bool) -> ExitCode:
    if interrupted:
        return ExitCode.INTERRUPTED
    return ExitCode.CONFORMANT if record["verdict"] == Verdict.CONFORMANT.value else ExitCode.NOT_CONFORMANT


def _fuzz_summary(fuzz: FuzzReport | None) -> dict[str, Any]:
    if fuzz is None:
        return {
            "ran": False,
            "cases": 0,
            "operations_total": 0,
            "operations_tested": 0,
            "stop_reason": "not-run",
            "findings": [],
            "errors": [],
        }
    return {
        "ran": True,
        "cases": fuzz.cases,
        "operations_total": fuzz.operations_total,
        "operations_tested": len(fuzz.operations_tested),
        "stop_reason": fuzz.stop_reason,
        "findings": [f.as_evidence() for f in sorted(fuzz.findings.values(), key=lambda f: f.key)],
        "errors": fuzz.error_lines(),
    }


EVIDENCE_KEY = pytest.StashKey[list]()
SESSION_KEY = pytest.StashKey[ConformanceSession]()


def requirement_of(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("requirement")
    return str(mark.args[0]) if mark and mark.args else None


def _captured_from(report: pytest.TestReport, call: pytest.CallInfo, evidence: list) -> Captured | None:
    """Translate a pytest report phase into a requirement outcome; None when the phase says nothing new."""
    if report.when == "teardown" and not report.failed:
        return None
    if report.skipped:
        reason = str(call.excinfo.value.msg) if call.excinfo else "skipped"
        if reason.startswith(NOT_APPLICABLE_PREFIX):
            return Captured(Outcome.NOT_APPLICABLE, reason[len(NOT_APPLICABLE_PREFIX) :], evidence)
        return Captured(Outcome.ERROR, f"the check was skipped: {reason}", evidence)
    if report.passed:
        return Captured(Outcome.PASS, "", evidence) if report.when == "call" else None
    exc = call.excinfo.value if call.excinfo else None
    message = str(exc).split("\nassert ")[0].strip() if exc else "failed"
    if report.when == "call" and isinstance(exc, AssertionError):
        return Captured(Outcome.FAIL, message, evidence)
    if isinstance(exc, ReadOnlyRefusal):
        return Captured(Outcome.NOT_APPLICABLE, f"read-only run: this check {message}", evidence)
    if isinstance(exc, Undecided | UsageError | TimeBudgetExhausted):
        return Captured(Outcome.ERROR, message, evidence)
    return Captured(Outcome.ERROR, f"the check could not run: {type(exc).__name__}: {message}"[:500], evidence)


# --- module-level hooks: the plugin entry point ------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "procurement conformance harness")
    group.addoption("--conformance-spec", help="URL or path of the supplier's OpenAPI document")
    group.addoption("--conformance-base-url", help="base URL of the API (default: the document's servers)")
    group.addoption("--conformance-header", action="append", default=[], help="'Name: value' sent with every request")
    group.addoption("--conformance-profile", action="append", default=[], help="profile id to run (default: all)")
    group.addoption("--conformance-out", help="output folder (default reports/<UTC timestamp>/)")
    group.addoption("--conformance-seed", type=int, help="seed for reproducible fuzzing")
    group.addoption("--conformance-max-examples", type=int, default=DEFAULT_MAX_EXAMPLES, help="examples per operation")
    group.addoption("--conformance-workers", type=int, default=1, help="concurrent fuzzing workers")
    group.addoption(
        "--conformance-allow-ref-host", action="append", default=[], help="host $refs may also be fetched from"
    )
    group.addoption("--conformance-read-only", action="store_true", help="send only GET, HEAD and OPTIONS")
    group.addoption(
        "--conformance-max-rps", type=float, help=f"requests per second (default {DEFAULT_MAX_RPS:g}; 0: no limit)"
    )
    group.addoption("--conformance-max-time", type=float, help="seconds for the whole run")
    group.addoption(
        "--conformance-request-timeout", type=float, default=DEFAULT_REQUEST_TIMEOUT, help="seconds per request"
    )
    group.addoption("--conformance-ca-bundle", help="PEM file of a private certificate authority to trust")
    group.addoption(
        "--conformance-insecure", action="store_true", help="do not verify TLS certificates (marked; never certifies)"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(id): the profile requirement this check implements")
    session = next((p for p in config.pluginmanager.get_plugins() if isinstance(p, ConformanceSession)), None)
    if session is None and config.getoption("--conformance-spec", None):
        session = ConformanceSession(
            RunSettings(
                spec=config.getoption("--conformance-spec"),
                base_url=config.getoption("--conformance-base-url"),
                headers=tuple(config.getoption("--conformance-header")),
                profiles=tuple(config.getoption("--conformance-profile")),
                out=config.getoption("--conformance-out"),
                seed=config.getoption("--conformance-seed"),
                max_examples=config.getoption("--conformance-max-examples"),
                workers=config.getoption("--conformance-workers"),
                ca_bundle=config.getoption("--conformance-ca-bundle"),
                insecure=config.getoption("--conformance-insecure"),
                allow_ref_hosts=tuple(config.getoption("--conformance-allow-ref-host")),
                read_only=config.getoption("--conformance-read-only"),
                max_rps=config.getoption("--conformance-max-rps"),
                max_time=config.getoption("--conformance-max-time"),
                request_timeout=config.getoption("--conformance-request-timeout"),
            )
        )
        config.pluginmanager.register(session, "conformance-session")
    if session is not None:
        config.stash[SESSION_KEY] = session
        if session.progress_writer is None:
            session.progress_writer = _terminal_progress(config)


def _terminal_progress(config: pytest.Config) -> Any:
    """Write progress lines past pytest's output capture, so a long fuzzing phase is visibly alive."""

    def write(message: str) -> None:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        capture = config.pluginmanager.get_plugin("capturemanager")
        if reporter is None:
            return
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.write_line(message)

    return write


def pytest_sessionstart(session: pytest.Session) -> None:
    conformance = session.config.stash.get(SESSION_KEY, None)
    if conformance is None:
        return
    stop_on_sigterm()
    if conformance.target is not None:
        return  # `conformance run` prepared it already, to report unusable input before pytest starts
    try:
        conformance.prepare()
    except UsageError as exc:
        pytest.exit(f"error: {exc}", returncode=ExitCode.UNUSABLE)


def stop_on_sigterm() -> None:
    """SIGTERM stops a run like Ctrl-C does, so the report so far is still written (marked incomplete)."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SESSION_KEY not in config.stash and any(requirement_of(i) for i in items):
        raise pytest.UsageError("the conformance suite needs --conformance-spec URL_OR_PATH")


@pytest.fixture(scope="session")
def conformance_session(request: pytest.FixtureRequest) -> ConformanceSession:
    return request.config.stash[SESSION_KEY]


@pytest.fixture(scope="session")
def target(conformance_session: ConformanceSession) -> Target:
    assert conformance_session.target is not None
    return conformance_session.target


@pytest.fixture(scope="session")
def api(target: Target, conformance_session: ConformanceSession) -> ApiClient:
    """An HTTP client for checks that exercise the live API directly, within the run's safety limits."""
    return ApiClient(target, conformance_session.safety)


@pytest.fixture(scope="session")
def fuzz_report(conformance_session: ConformanceSession) -> FuzzReport:
    return conformance_session.fuzz_report()


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """Append dicts here; they become the requirement's evidence in every report."""
    items: list[dict[str, Any]] = []
    request.node.stash[EVIDENCE_KEY] = items
    return items
