"""The pytest plugin: options, hooks and fixtures, shaped like pytest's own junitxml plugin.

`pytest_configure` adopts the run that `conformance run` prepared (or builds one from the
`--conformance-*` options), stashes it and registers a reporter for it; `pytest_unconfigure` undoes both.
What a run is lives in `conformance.run`; here pytest's events become requirement outcomes, and the
checks get what they examine through fixtures.
"""

import contextlib
from pathlib import Path
from typing import Any

import pytest

from conformance import checks
from conformance.causes import read_only_run
from conformance.checks.kit.decides import table_of
from conformance.checks.kit.declared import DeclaredCollections, open_declared, read_declared
from conformance.checks.kit.outcomes import (
    NOT_APPLICABLE_PREFIX,
    NeedsLiveApi,
    RequirementNotMet,
    Undecided,
    timed_out,
    timeout_reason,
)
from conformance.client import ApiClient
from conformance.errors import UsageError
from conformance.fuzzing.report import FuzzReport
from conformance.progress import PlainLines, Progress
from conformance.record import Outcome
from conformance.render.summary import summary_lines
from conformance.run.execution import stop_on_sigterm
from conformance.run.options import ALL_OPTIONS
from conformance.run.session import CheckOutcome, RunSession
from conformance.run.settings import RunSettings
from conformance.safety import ReadOnlyRefusal, TimeBudgetExhausted
from conformance.target import Target
from conformance.verdicts import ExitCode

RUN_KEY = pytest.StashKey[RunSession]()
OWN_PROGRESS_KEY = pytest.StashKey[Progress]()  # the progress this plugin started (plain pytest), to stop it
EVIDENCE_KEY = pytest.StashKey[list]()
REPORTER_NAME = "conformance-reporter"
NO_EVIDENCE = "the check passed without recording what it examined (a harness defect), so it does not count as a pass"
CHECKS_DIR = Path(checks.__file__).parent
# The mark of a check that decides from the document alone: in a document-only run (`check-document`) only these
# run. It comes from the check's module (its table), not the profile: how a requirement is decided is the check's doing.
FROM_DOCUMENT = "from_document"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "procurement conformance harness")
    for option in ALL_OPTIONS:
        if option.kind is bool:
            group.addoption(option.pytest_flag, dest=option.pytest_dest, action="store_true", help=option.help)
        elif option.multiple:
            group.addoption(option.pytest_flag, dest=option.pytest_dest, action="append", default=[], help=option.help)
        else:
            group.addoption(
                option.pytest_flag, dest=option.pytest_dest, type=option.kind, default=option.default, help=option.help
            )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(id): the profile requirement this check decides")
    config.addinivalue_line(
        "markers", f"{FROM_DOCUMENT}: the check decides from the OpenAPI document alone and sends nothing"
    )
    session = next((p for p in config.pluginmanager.get_plugins() if isinstance(p, RunSession)), None)
    if session is None and config.getoption("conformance_spec", None):
        values = {option.field: config.getoption(option.pytest_dest) for option in ALL_OPTIONS}
        session = RunSession(RunSettings.from_options(values))
    if session is None:
        return
    if session.progress.silent:
        session.progress = Progress(PlainLines(terminal_writer(config))).__enter__()
        config.stash[OWN_PROGRESS_KEY] = session.progress
    config.stash[RUN_KEY] = session
    config.pluginmanager.register(OutcomeReporter(session), REPORTER_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    if OWN_PROGRESS_KEY in config.stash:
        config.stash[OWN_PROGRESS_KEY].__exit__(None, None, None)
        del config.stash[OWN_PROGRESS_KEY]
    if RUN_KEY in config.stash:
        del config.stash[RUN_KEY]
        config.pluginmanager.unregister(name=REPORTER_NAME)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """The check modules are not named test_*.py; collect them anyway (never the kit beside them)."""
    if file_path.suffix == ".py" and file_path.parent == CHECKS_DIR and file_path.name != "__init__.py":
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def pytest_itemcollected(item: pytest.Item) -> None:
    """Mark a check with what its module's table says it decides, as soon as it is collected, so that every reader
    of its marks (`-m`, deselection, the outcomes) sees them (the checks carry no decorators: checks/kit/decides.py)."""
    if not isinstance(item, pytest.Function) or item.path.parent != CHECKS_DIR:
        return
    decides = table_of(item.module).get(item.originalname)
    if decides is None:
        return
    item.add_marker(pytest.mark.requirement(decides.requirement))
    if decides.from_document:
        item.add_marker(FROM_DOCUMENT)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if RUN_KEY not in config.stash and any(requirement_of(i) for i in items):
        raise pytest.UsageError("the conformance checks need --conformance-spec URL_OR_PATH")


def decides_from_document(item: pytest.Item) -> bool:
    return item.get_closest_marker(FROM_DOCUMENT) is not None


def requirement_of(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("requirement")
    return str(mark.args[0]) if mark and mark.args else None


def terminal_writer(config: pytest.Config) -> Any:
    """Write progress lines past pytest's output capture, so a long fuzzing phase is visibly alive."""

    def write(message: str) -> None:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        capture = config.pluginmanager.get_plugin("capturemanager")
        if reporter is None:
            return
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.write_line(message)

    return write


class OutcomeReporter:
    """pytest's events for one run, as the outcomes of its requirements."""

    def __init__(self, session: RunSession) -> None:
        self.session = session

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        stop_on_sigterm()
        if self.session.prepared:
            return  # `conformance run` prepared it already, to report unusable input before pytest starts
        try:
            self.session.prepare()
        except UsageError as exc:
            pytest.exit(f"error: {exc}", returncode=ExitCode.UNUSABLE)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        wanted = self.session.wanted()
        keep, drop = [], []
        for item in items:
            (keep if requirement_of(item) in wanted else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """In a document-only run, a check that needs the live API is stopped before its fixtures reach the API.

        Its declaration is still read when it opens one (the `declared` fixture): a missing or malformed
        declaration fails the requirement whatever the API does, so the document alone decides that.
        """
        if not self.session.settings.document_only or requirement_of(item) is None or decides_from_document(item):
            return
        if "declared" in getattr(item, "fixturenames", ()):
            assert self.session.target is not None
            read_declared(self.session.target.spec.document)
        raise NeedsLiveApi()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        outcome = yield
        requirement = requirement_of(item)
        if requirement is None:
            return
        concluded = outcome_of(outcome.get_result(), call, item.stash.get(EVIDENCE_KEY, []))
        if concluded is None:
            return
        if call.excinfo is not None and isinstance(call.excinfo.value, TimeBudgetExhausted):
            self.session.budget_exhausted = True
        self.session.conclude(requirement, concluded)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo) -> None:
        self.session.interrupted = True

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A check module that cannot be imported is a harness defect: say so instead of losing it."""
        if report.failed:
            lines = str(report.longrepr).strip().splitlines()
            self.session.collection_errors.append(f"{report.nodeid}: {lines[-1] if lines else 'collection failed'}")

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.session.prepared:
            return
        self.session.finish()
        session.exitstatus = self.session.exit_code()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Plain-pytest users see the verdicts and the seed under pytest's own summary."""
        record = self.session.record
        if record is None:
            return
        for line in summary_lines(record, self.session.out_dir / "report.html"):
            terminalreporter.write_line(line)


def outcome_of(report: pytest.TestReport, call: pytest.CallInfo, evidence: list) -> CheckOutcome | None:
    """A pytest report phase as a requirement outcome; None when the phase says nothing new."""
    if report.when == "teardown" and not report.failed:
        return None
    cause = getattr(call.excinfo.value, "cause", None) if call.excinfo else None  # a shared cause, said once
    if report.skipped:
        reason = str(call.excinfo.value.msg) if call.excinfo else "skipped"
        if reason.startswith(NOT_APPLICABLE_PREFIX):
            return CheckOutcome(Outcome.NOT_APPLICABLE, reason[len(NOT_APPLICABLE_PREFIX) :], evidence, cause)
        return CheckOutcome(Outcome.ERROR, f"the check was skipped: {reason}", evidence)
    if report.passed:
        if report.when != "call":
            return None
        if not evidence:  # a pass is a claim about the API: without what was examined, it is no claim at all
            return CheckOutcome(Outcome.ERROR, NO_EVIDENCE, evidence)
        return CheckOutcome(Outcome.PASS, "", evidence)
    exc = call.excinfo.value if call.excinfo else None
    message = str(exc).split("\nassert ")[0].strip() if exc else "failed"
    if isinstance(exc, RequirementNotMet) or (report.when == "call" and isinstance(exc, AssertionError)):
        return CheckOutcome(Outcome.FAIL, message, evidence, cause)
    if isinstance(exc, ReadOnlyRefusal):
        return CheckOutcome(Outcome.NOT_APPLICABLE, f"read-only run: this check {message}", evidence, read_only_run())
    if isinstance(exc, Undecided | NeedsLiveApi | UsageError | TimeBudgetExhausted):
        return CheckOutcome(Outcome.ERROR, message, evidence)
    if exc is not None and timed_out(exc):
        return CheckOutcome(Outcome.ERROR, timeout_reason(exc), evidence)
    return CheckOutcome(Outcome.ERROR, f"the check could not run: {raised(exc, message, call)}"[:500], evidence)


def raised(exc: BaseException | None, message: str, call: pytest.CallInfo) -> str:
    """An unexpected exception as a reason: its class and message or, with no message, where it was raised."""
    if message or call.excinfo is None:
        return f"{type(exc).__name__}: {message}"
    frame = call.excinfo.traceback[-1]
    return f"{type(exc).__name__} with no message, raised at {Path(str(frame.path)).name}:{frame.lineno + 1}"


# --- what checks receive ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def conformance_run(request: pytest.FixtureRequest) -> RunSession:
    return request.config.stash[RUN_KEY]


@pytest.fixture(scope="session")
def live_api(conformance_run: RunSession) -> bool:
    """False in a document-only run: a check marked from_document then decides from the document or raises
    NeedsLiveApi, and sends nothing."""
    return not conformance_run.settings.document_only


@pytest.fixture(scope="session")
def target(conformance_run: RunSession) -> Target:
    assert conformance_run.target is not None
    return conformance_run.target


@pytest.fixture(scope="session")
def api(target: Target, conformance_run: RunSession) -> ApiClient:
    """An HTTP client for checks that exercise the live API directly, within the run's safety limits."""
    return ApiClient(target, conformance_run.safety)


@pytest.fixture(scope="session")
def seed(conformance_run: RunSession) -> int:
    """The run's seed: test records are marked with it, and it reproduces the fuzzing."""
    return conformance_run.seed


@pytest.fixture(scope="session")
def fuzz_report(conformance_run: RunSession) -> FuzzReport:
    """The fuzzing's results; a check that reads them cannot be decided when the fuzzer could not read the document."""
    report = conformance_run.fuzz_report()
    if report.unloadable:
        raise Undecided(f"not tested: {report.unloadable}")
    return report


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """Append dicts here; they become the requirement's evidence in every report."""
    items: list[dict[str, Any]] = []
    request.node.stash[EVIDENCE_KEY] = items
    return items


@pytest.fixture
def declared(
    request: pytest.FixtureRequest, api: ApiClient, seed: int, evidence: list[dict[str, Any]]
) -> DeclaredCollections:
    """The supplier's declared collections, for the requirement the check's mark names."""
    requirement = requirement_of(request.node)
    assert requirement is not None, "the `declared` fixture serves checks marked with a requirement"
    return open_declared(requirement, api, seed, evidence)
