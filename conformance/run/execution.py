"""Drive one conformance run in-process: the same pytest session a supplier runs with plain pytest.

The run is prepared first, so unusable input is reported before pytest starts; with `--image` the container
lives until the reports are written.
"""

import contextlib
import os
import signal
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from conformance import checks
from conformance.container import run_container
from conformance.errors import UsageError
from conformance.progress import Progress
from conformance.run.session import RunSession
from conformance.run.settings import RunSettings


def execute(settings: RunSettings, progress: Progress) -> RunSession:
    """Prepare the target (UsageError when unusable), run the checks, and return the finished session."""
    session = RunSession(settings, progress=progress)
    with contextlib.ExitStack() as stack:
        if settings.container is not None:
            start_container(session, stack)
        session.prepare()
        code = pytest.main(suite_arguments(), plugins=[session])
    if session.record is None:
        raise UsageError(f"the conformance suite could not run (pytest exit code {int(code)}); see the messages above")
    return session


def suite_arguments() -> list[str]:
    """The pytest command line of a conformance run (the benchmark times the same session)."""
    # Our own settings only: a pytest config in the user's working directory must not change the suite.
    checks_dir = str(Path(checks.__file__).parent)
    # No conftest.py either: pytest would load `test*/conftest.py` from the folder the command runs in (a
    # supplier's own project, or this repository, whose tests' conftest needs the test extras).
    args = ["--pyargs", "conformance.checks", "-c", os.devnull, "--rootdir", checks_dir, "--noconftest"]
    args += ["-s", "-p", "no:cacheprovider", "-p", "no:terminal", "-W", "ignore"]
    # The checks assert with explicit messages, and drive Schemathesis's engine, not its pytest plugin:
    # rewriting every Schemathesis module's asserts on import only costs start-up time.
    args += ["--assert=plain", "-p", "no:schemathesis"]
    # Warnings are ignored, so pytest's hunt for unraisable exceptions (five full garbage collections of a
    # heap full of Hypothesis and Schemathesis state, ~0.5 s at exit) could only find what nobody reads.
    args += ["-p", "no:unraisableexception"]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "conformance.plugin"]
    return args


def start_container(session: RunSession, stack: contextlib.ExitStack) -> None:
    """`--image`: run the container until the stack closes; without `--spec`, test the spec it serves.

    A spec given as a file is loaded first: its health endpoint tells when the container is ready.
    """
    settings = session.settings
    assert settings.container is not None
    stop_on_sigterm()  # before the container exists: SIGTERM must unwind through its removal too
    spec_file = bool(settings.spec) and urlsplit(settings.spec).scheme not in ("http", "https")
    document = session.load_document().document if spec_file else None
    running = stack.enter_context(
        run_container(
            settings.container,
            serves_spec=not settings.spec,
            document=document,
            base_url=settings.base_url,
            verify=session.verify(),
            headers=session.headers(),
            progress=session.progress,
        )
    )
    session.container = running
    if not settings.spec:
        session.load_document(running.origin + settings.container.spec_path)


def stop_on_sigterm() -> None:
    """SIGTERM stops a run like Ctrl-C does, so the report so far is still written (marked incomplete)."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)
