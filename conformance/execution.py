"""Drive one conformance run in-process: the same pytest session a supplier runs with plain pytest."""

import contextlib
import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import suite
from conformance.container import container_base_url, run_container
from conformance.errors import UsageError
from conformance.outcomes import ExitCode
from conformance.plugin import (
    ConformanceSession,
    RunSettings,
    headers_from_environment,
    stop_on_sigterm,
    verdict_exit_code,
)
from conformance.target import parse_headers, tls_verify


def execute(settings: RunSettings, progress: Callable[[str], None]) -> ConformanceSession:
    """Prepare the target (UsageError when unusable), run the suite, and return the finished session."""
    session = ConformanceSession(settings, progress_writer=progress)
    with contextlib.ExitStack() as stack:  # --image: the container lives until the reports are written
        if settings.container is not None:
            start_container(session, stack)
        session.prepare()
        if session.container is not None and settings.base_url is None:
            assert session.target is not None  # the document's servers name the supplier's host, not ours
            base_url = container_base_url(session.container.origin, session.target.spec.document)
            session.target = dataclasses.replace(session.target, base_url=base_url)
        code = pytest.main(suite_arguments(), plugins=[session])
    if session.record is None:
        raise UsageError(f"the conformance suite could not run (pytest exit code {int(code)}); see the messages above")
    return session


def suite_arguments() -> list[str]:
    """The pytest command line of a conformance run (the benchmark times the same session)."""
    # Our own settings only: a pytest config in the user's working directory must not change the suite.
    suite_dir = str(Path(suite.__file__).parent)
    args = ["--pyargs", "conformance.suite", "-c", os.devnull, "--rootdir", suite_dir]
    args += ["-s", "-p", "no:cacheprovider", "-p", "no:terminal", "-W", "ignore"]
    # The suite asserts with explicit messages, and drives Schemathesis's engine, not its pytest plugin:
    # rewriting every Schemathesis module's asserts on import only costs start-up time.
    args += ["--assert=plain", "-p", "no:schemathesis"]
    # Warnings are ignored, so pytest's hunt for unraisable exceptions (five full garbage collections of a
    # heap full of Hypothesis and Schemathesis state, ~0.5 s at exit) could only find what nobody reads.
    args += ["-p", "no:unraisableexception"]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "conformance.plugin"]
    return args


def start_container(session: ConformanceSession, stack: contextlib.ExitStack) -> None:
    """`--image`: run the container until the stack closes; without `--spec`, test the spec it serves."""
    settings = session.settings
    assert settings.container is not None
    stop_on_sigterm()  # before the container exists: SIGTERM must unwind through its removal too
    running = stack.enter_context(
        run_container(
            settings.container,
            spec=settings.spec or None,
            base_url=settings.base_url,
            verify=tls_verify(settings.ca_bundle, settings.insecure),
            headers=parse_headers([*settings.headers, *headers_from_environment()]),
            progress=session.progress,
        )
    )
    session.container = running
    if not settings.spec:
        settings.spec = running.origin + settings.container.spec_path


def exit_code(session: ConformanceSession) -> ExitCode:
    assert session.record is not None
    return verdict_exit_code(session.record, session.interrupted)
