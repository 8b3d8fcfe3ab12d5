"""Drive one conformance run in-process: the same pytest session a supplier runs with plain pytest."""

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import suite
from conformance.errors import UsageError
from conformance.outcomes import ExitCode
from conformance.plugin import ConformanceSession, RunSettings, verdict_exit_code


def execute(settings: RunSettings, progress: Callable[[str], None]) -> ConformanceSession:
    """Prepare the target (UsageError when unusable), run the suite, and return the finished session."""
    session = ConformanceSession(settings, progress_writer=progress)
    session.prepare()
    # Our own settings only: a pytest config in the user's working directory must not change the suite.
    suite_dir = str(Path(suite.__file__).parent)
    args = ["--pyargs", "conformance.suite", "-c", os.devnull, "--rootdir", suite_dir]
    args += ["-s", "-p", "no:cacheprovider", "-p", "no:terminal", "-W", "ignore"]
    # The suite asserts with explicit messages, and drives Schemathesis's engine, not its pytest plugin:
    # rewriting every Schemathesis module's asserts on import only costs start-up time.
    args += ["--assert=plain", "-p", "no:schemathesis"]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "conformance.plugin"]
    code = pytest.main(args, plugins=[session])
    if session.record is None:
        raise UsageError(f"the conformance suite could not run (pytest exit code {int(code)}); see the messages above")
    return session


def exit_code(session: ConformanceSession) -> ExitCode:
    assert session.record is not None
    return verdict_exit_code(session.record, session.interrupted)
