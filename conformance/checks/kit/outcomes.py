"""How a check ends other than by passing.

A check passes by returning, fails with an assertion (or `RequirementNotMet` from a fixture), ends as
not-applicable by calling `not_applicable`, and ends as error (the harness could not decide) by raising
`Undecided`, or `NeedsLiveApi` in a run that examines the document alone.
"""

import pytest
import requests
import urllib3.exceptions

from conformance.http import innermost_reason
from conformance.record import NEEDS_LIVE_API, SharedCause

NOT_APPLICABLE_PREFIX = "not-applicable: "
MAX_LISTED = 8


class Undecided(Exception):
    """The harness could not decide this requirement; the message says why."""


class NeedsLiveApi(Exception):
    """Only the live API can decide this requirement, and this run examines the OpenAPI document alone."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(f"{NEEDS_LIVE_API} ({detail})" if detail else NEEDS_LIVE_API)


class RequirementNotMet(AssertionError):
    """The requirement fails, before or in the check's body; `cause` when one missing thing decides many."""

    def __init__(self, message: str, cause: SharedCause | None = None) -> None:
        super().__init__(message)
        self.cause = cause


def not_applicable(reason: str, cause: SharedCause | None = None) -> None:
    """End the check as not-applicable (never counted as a pass); `cause` when it is a shared one."""
    skipped = pytest.skip.Exception(NOT_APPLICABLE_PREFIX + reason, allow_module_level=False)
    skipped.cause = cause  # type: ignore[attr-defined]  # read by the plugin with the reason
    raise skipped


def listed(problems: list[str]) -> str:
    """The first few problems, and how many more there are: a reason stays readable on one line."""
    more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    return "; ".join(problems[:MAX_LISTED]) + more


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and every exception behind it (causes, contexts and wrapped arguments): requests nests them deeply."""
    seen: list[BaseException] = []
    pending: list[object] = [exc]
    while pending:
        current = pending.pop()
        if isinstance(current, BaseException) and all(current is not s for s in seen):
            seen.append(current)
            pending.extend([current.__cause__, current.__context__, *current.args])
    return seen


def timed_out(exc: BaseException) -> bool:
    """Whether a request failed because the API did not answer in time."""
    return any(isinstance(e, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError) for e in _chain(exc))


def timeout_reason(exc: BaseException) -> str:
    """Why a requirement stopped at a request that timed out: not decided, and the option that gives the API longer."""
    sent = next((e.request for e in _chain(exc) if getattr(e, "request", None) is not None), None)
    which = f"{sent.method} {sent.path_url}" if isinstance(sent, requests.PreparedRequest) else "a request to the API"
    return (
        f"not tested: {which} timed out ({innermost_reason(exc)}); if the service is slow but working, "
        "give it longer with --request-timeout SECONDS"
    )
