"""The pytest plugin: options, fixtures, requirement marks, result capture and the run record.

`conformance run` and `pytest --pyargs conformance.suite --conformance-spec ...` both end up here,
so they give the same verdicts and the same results.json.
"""

import contextlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis

from conformance import __version__
from conformance.checks import NOT_APPLICABLE_PREFIX, Undecided
from conformance.client import ApiClient
from conformance.errors import UsageError
from conformance.fuzzing import FuzzReport, FuzzSettings, run_fuzzing
from conformance.outcomes import ExitCode, Outcome, Verdict
from conformance.profiles import Profile, all_requirements, select_profiles
from conformance.render import write_reports
from conformance.results import RequirementResult, RunRecord, build_profile_result, overall_verdict, utc_now
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

    def prepare(self) -> None:
        """Load the target and the profiles; raises UsageError when either is unusable."""
        if self.settings.max_examples < 1:
            raise UsageError("--max-examples must be at least 1")
        if self.settings.workers < 1:
            raise UsageError("--workers must be at least 1")
        self.profiles = select_profiles(self.settings.profiles)
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
            )
            self.fuzz = run_fuzzing(self.target.spec.document, settings, self.progress)
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
        if captured.outcome != Outcome.PASS or requirement not in self.captured:
            self.captured[requirement] = captured
        self.progress(f"{requirement}: {captured.outcome.value}")

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.target is None:
            return
        self.record = self.build_record()
        assert self.out_dir is not None
        write_reports(self.record, self.out_dir)
        verdict = self.record["verdict"]
        session.exitstatus = ExitCode.CONFORMANT if verdict == Verdict.CONFORMANT.value else ExitCode.NOT_CONFORMANT

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Plain-pytest users see the verdicts and the seed under pytest's own summary."""
        if self.record is None:
            return
        for profile in self.record["profiles"]:
            terminalreporter.write_line(f"{profile['id']} {profile['version']}: {profile['verdict']}")
        terminalreporter.write_line(f"seed: {self.seed}")
        terminalreporter.write_line(f"report: {self.out_dir / 'report.html'}")

    # --- the run record -----------------------------------------------------------------------

    def build_record(self) -> dict[str, Any]:
        assert self.target is not None
        catalogue = all_requirements()
        fuzz = self.fuzz
        complete = fuzz is None or fuzz.stop_reason == "completed"
        results: dict[str, RequirementResult] = {}
        for profile in self.profiles:
            for req in profile.requirements:
                got = self.captured.get(req.id) or Captured(Outcome.ERROR, "no check ran for this requirement", [])
                results[req.id] = RequirementResult.of(catalogue[req.id], got.outcome, got.reason, got.evidence)
        profiles = [build_profile_result(p, results, complete) for p in self.profiles]
        spec = self.target.spec
        record = RunRecord(
            run={
                "started_at": self.started_at,
                "finished_at": utc_now(),
                "seed": self.seed,
                "max_examples": self.settings.max_examples,
                "workers": self.settings.workers,
                "complete": complete,
                "incomplete_reason": "" if complete else f"fuzzing stopped early: {fuzz.stop_reason}" if fuzz else "",
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
        )
        return self.target.redactor.deep(record.to_dict())


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
    if isinstance(exc, Undecided | UsageError):
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
    if conformance is None or conformance.target is not None:
        return
    try:
        conformance.prepare()
    except UsageError as exc:
        pytest.exit(f"error: {exc}", returncode=ExitCode.UNUSABLE)


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
def api(target: Target) -> ApiClient:
    """An HTTP client for checks that exercise the live API directly."""
    return ApiClient(target)


@pytest.fixture(scope="session")
def fuzz_report(conformance_session: ConformanceSession) -> FuzzReport:
    return conformance_session.fuzz_report()


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """Append dicts here; they become the requirement's evidence in every report."""
    items: list[dict[str, Any]] = []
    request.node.stash[EVIDENCE_KEY] = items
    return items
