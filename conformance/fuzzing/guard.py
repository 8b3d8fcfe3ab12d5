"""The run's Safety policy on every request the Schemathesis engine sends, and on our own checks inside it.

Schemathesis hooks are process-wide, so the hook is registered once and reads the policy of the run in
progress; outside a run it does nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis

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
    safety.allow(str(kwargs.get("method") or case.method))
    hooks = kwargs.setdefault("hooks", {})
    hooks.setdefault("response", []).append(safety.response_hook())


@contextmanager
def guarded(safety: Safety) -> Iterator[None]:
    """Apply `safety` to the engine for the duration of the block."""
    _active.append(safety)
    try:
        yield
    finally:
        _active.remove(safety)
