"""Hold every request Schemathesis sends to the run's Safety policy, through its `before_call` hook.

Schemathesis hooks are process-wide, so the hook is registered once and reads the policy of the run
in progress; outside a run it does nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis

from conformance.safety import Safety

_active: list[Safety] = []


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Refuse writes in read-only runs and cap each response body's size and time."""
    if not _active:
        return
    safety = _active[-1]
    safety.allow(str(kwargs.get("method") or case.method))
    hooks = kwargs.setdefault("hooks", {})
    hooks.setdefault("response", []).append(safety.response_hook())


@contextmanager
def guarded(safety: Safety) -> Iterator[None]:
    """Apply `safety` to the fuzzer for the duration of the block."""
    _active.append(safety)
    try:
        yield
    finally:
        _active.remove(safety)
