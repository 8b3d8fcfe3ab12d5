"""How a check ends other than by passing.

A check passes by returning, fails with an assertion (or `RequirementNotMet` from a fixture), ends as
not-applicable by calling `not_applicable`, and ends as error (the harness could not decide) by raising
`Undecided`.
"""

import pytest

NOT_APPLICABLE_PREFIX = "not-applicable: "
MAX_LISTED = 8


class Undecided(Exception):
    """The harness could not decide this requirement; the message says why."""


class RequirementNotMet(AssertionError):
    """The requirement fails before the check's body runs (a fixture found the supplier at fault)."""


def not_applicable(reason: str) -> None:
    """End the check as not-applicable (never counted as a pass)."""
    pytest.skip(NOT_APPLICABLE_PREFIX + reason)


def listed(problems: list[str]) -> str:
    """The first few problems, and how many more there are: a reason stays readable on one line."""
    more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    return "; ".join(problems[:MAX_LISTED]) + more
