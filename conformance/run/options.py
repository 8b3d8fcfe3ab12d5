"""The options of a run, declared once: `conformance run` makes `--NAME` of each, the pytest plugin
`--conformance-NAME`, and `RunSettings` checks the same bounds whichever way a value came in.
"""

from dataclasses import dataclass
from typing import Any

from conformance.safety import DEFAULT_MAX_RPS, DEFAULT_REQUEST_TIMEOUT
from conformance.spec import DEFAULT_MAX_DOCUMENT_MB

DEFAULT_MAX_EXAMPLES = 25
MAX_WORKERS = 16


@dataclass(frozen=True)
class Option:
    """One option of a run and the RunSettings field it fills."""

    name: str  # without dashes: "max-examples"
    help: str
    kind: type = str  # str, int, float, or bool for a flag
    default: Any = None
    multiple: bool = False  # repeatable; the field holds a tuple
    minimum: float | None = None
    maximum: float | None = None
    path: str | None = None  # "file" or "folder": click checks the kind of path it names
    field_name: str | None = None  # when the field is not the name with underscores (a plural)

    @property
    def field(self) -> str:
        return self.field_name or self.name.replace("-", "_")

    @property
    def pytest_flag(self) -> str:
        return f"--conformance-{self.name}"

    @property
    def pytest_dest(self) -> str:
        return "conformance_" + self.name.replace("-", "_")

    def bounds_problem(self, value: Any) -> str | None:
        """Why `value` is out of this option's bounds, or None."""
        if value is None or self.kind not in (int, float):
            return None
        if self.minimum is not None and value < self.minimum:
            return f"--{self.name} must be at least {self.minimum:g}"
        if self.maximum is not None and value > self.maximum:
            return f"--{self.name} must be at most {self.maximum:g}"
        return None


# What is tested: with --image (command line only) the spec may come from the container instead.
TARGET_OPTIONS = (
    Option("spec", "URL or file path of the supplier's OpenAPI document (with --image: the one it serves)."),
    Option("base-url", "Base URL of the API (default: the document's servers)."),
    Option("header", "'Name: value' sent with every request (repeatable).", multiple=True, field_name="headers"),
    Option(
        "peer-header",
        "'Name: value' of a second client, used to show that clients cannot read each other's records "
        "(repeatable; a secret, redacted like --header).",
        multiple=True,
        field_name="peer_headers",
    ),
)

# How it is tested.
RUN_OPTIONS = (
    Option("profile", "Profile id to run (repeatable; default: all).", multiple=True, field_name="profiles"),
    Option("out", "Output folder (default reports/<UTC timestamp>/).", path="folder"),
    Option("seed", "Seed for reproducible fuzzing (default: random, printed at the end).", kind=int),
    Option(
        "max-examples", "Generated examples per operation and phase.", kind=int, default=DEFAULT_MAX_EXAMPLES, minimum=1
    ),
    Option("workers", "Concurrent fuzzing workers.", kind=int, default=1, minimum=1, maximum=MAX_WORKERS),
    Option("ca-bundle", "Trust this private CA (PEM) for TLS.", path="file"),
    Option(
        "allow-ref-host",
        "Also fetch external $refs from this host (default: only the spec's own origin).",
        multiple=True,
        field_name="allow_ref_hosts",
    ),
    Option(
        "max-document-size",
        "Megabytes an OpenAPI document (and each document its $refs fetch) may have; larger is refused as hostile.",
        kind=int,
        default=DEFAULT_MAX_DOCUMENT_MB,
        minimum=1,
        field_name="max_document_mb",
    ),
    Option("read-only", "Send only GET, HEAD and OPTIONS: use this against live systems.", kind=bool, default=False),
    Option(
        "max-rps",
        f"Requests per second, fuzzing and checks alike (0: no limit; default {DEFAULT_MAX_RPS:g}, "
        "and no limit for a loopback or --trusted-target target).",
        kind=float,
        minimum=0,
    ),
    Option(
        "trusted-target",
        "The target is a test system you own: no default rate limit (--max-rps still applies).",
        kind=bool,
        default=False,
    ),
    Option("max-time", "Seconds for the whole run; stops cleanly.", kind=float, minimum=1),
    Option(
        "request-timeout",
        "Seconds per request, including reading the whole body.",
        kind=float,
        default=DEFAULT_REQUEST_TIMEOUT,
        minimum=0.1,
    ),
    Option("insecure", "Skip TLS verification: marked on the report, never certifies.", kind=bool, default=False),
    Option(
        "hooks",
        "Python file run before fuzzing, e.g. to register serializers for vendor media types "
        "(README: 'Vendor media types').",
        path="file",
    ),
)

ALL_OPTIONS = (*TARGET_OPTIONS, *RUN_OPTIONS)
