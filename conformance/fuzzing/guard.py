"""The run's Safety policy on every request the Schemathesis engine sends, and on our own checks inside it.

Schemathesis hooks are process-wide, so the hooks are registered once and read the policy of the run in
progress; outside a run they do nothing. They also tell conformance.progress which request is in flight,
so a slow one is named while the run waits on it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis

from conformance.progress import WAITS
from conformance.safety import Safety

_active: list[Safety] = []


def active_safety() -> Safety | None:
    """The policy of the fuzzing run in progress, if one is."""
    return _active[-1] if _active else None


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Refuse writes in read-only runs and cap each response body's size and time."""
    safety = active_safety()
    if safety is None:
        return
    method = str(kwargs.get("method") or case.method).upper()
    safety.allow(method)
    hooks = kwargs.setdefault("hooks", {})
    hooks.setdefault("response", []).append(safety.response_hook())
    WAITS.begin(f"{method} {case.operation.path}", safety.request_timeout)


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    WAITS.end()


@schemathesis.hook
def after_network_error(context: Any, case: Any, request: Any) -> None:
    WAITS.end()


@contextmanager
def guarded(safety: Safety) -> Iterator[None]:
    """Apply `safety` to the engine for the duration of the block."""
    _active.append(safety)
    try:
        yield
    finally:
        _active.remove(safety)
