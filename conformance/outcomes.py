"""The closed vocabularies of a run: requirement outcomes, levels, verdicts, and exit codes."""

from enum import IntEnum, StrEnum


class Outcome(StrEnum):
    """How one requirement ended. Only PASS counts as a pass."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not-applicable"
    ERROR = "error"


class Level(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"


class Verdict(StrEnum):
    """A profile's verdict: conformant only when every applicable MUST passed and the run was complete."""

    CONFORMANT = "conformant"
    NOT_CONFORMANT = "not-conformant"
    INCOMPLETE = "incomplete"


class ExitCode(IntEnum):
    CONFORMANT = 0
    NOT_CONFORMANT = 1
    UNUSABLE = 2
    INTERRUPTED = 130  # Ctrl-C or SIGTERM: the report so far is written and marked incomplete
