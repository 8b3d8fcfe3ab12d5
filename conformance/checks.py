"""How a conformance check says something other than pass or fail.

A check passes by returning, fails with an assertion, ends as not-applicable by calling
`not_applicable`, and ends as error (the harness could not decide) by raising `Undecided`.
"""

import pytest

NOT_APPLICABLE_PREFIX = "not-applicable: "


class Undecided(Exception):
    """The harness could not decide this requirement; the message says why."""


def not_applicable(reason: str) -> None:
    """End the check as not-applicable (never counted as a pass)."""
    pytest.skip(NOT_APPLICABLE_PREFIX + reason)
