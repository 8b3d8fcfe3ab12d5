"""Errors the user can act on: each ends a run with exit code 2 and a one-line message, never a traceback."""


class UsageError(Exception):
    """The target or the arguments are unusable (exit code 2)."""

    exit_code = 2


class SpecError(UsageError):
    """The OpenAPI document could not be fetched, parsed or validated."""
