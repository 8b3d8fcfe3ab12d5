"""Errors the user can act on: each ends a run with exit code 2 and a one-line message, never a traceback."""


class UsageError(Exception):
    """The target or the arguments are unusable (exit code 2)."""

    def __init__(self, message: str) -> None:
        # One line whatever the cause said: parsers and servers put newlines in their messages.
        super().__init__(" ".join(str(message).split()))


class SpecError(UsageError):
    """The OpenAPI document could not be fetched, parsed or validated."""
