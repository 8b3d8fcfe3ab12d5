"""What the user asked of a run, frozen: from the command line or from pytest options, the same fields."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from conformance.container import ContainerRequest
from conformance.errors import UsageError
from conformance.run.options import ALL_OPTIONS, DEFAULT_MAX_EXAMPLES
from conformance.safety import DEFAULT_REQUEST_TIMEOUT, RateLimitBasis, Safety, rate_limit
from conformance.spec import DEFAULT_MAX_DOCUMENT_MB


@dataclass(frozen=True)
class RunSettings:
    """One field per option in conformance.run.options, plus the container `--image` asks for."""

    spec: str
    base_url: str | None = None
    headers: tuple[str, ...] = ()
    peer_headers: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    out: str | None = None
    seed: int | None = None
    max_examples: int = DEFAULT_MAX_EXAMPLES
    workers: int = 1
    ca_bundle: str | None = None
    allow_ref_hosts: tuple[str, ...] = ()
    max_document_mb: int = DEFAULT_MAX_DOCUMENT_MB
    read_only: bool = False
    max_rps: float | None = None  # None: conformance.safety.rate_limit decides; 0: no limit
    trusted_target: bool = False
    max_time: float | None = None
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    insecure: bool = False
    hooks: str | None = None  # a Python file run before fuzzing (conformance.run.hooks)
    container: ContainerRequest | None = None  # --image: started for the run (see conformance.run.execution)
    # `check-document`: only the checks that decide from the document run; nothing is sent to the API.
    document_only: bool = False

    @classmethod
    def from_options(cls, values: Mapping[str, Any], container: ContainerRequest | None = None) -> "RunSettings":
        """Settings from option values keyed by field name; repeatable options become tuples."""
        fields: dict[str, Any] = {}
        for option in ALL_OPTIONS:
            value = values.get(option.field, option.default)
            fields[option.field] = tuple(value or ()) if option.multiple else value
        return cls(**{**fields, "spec": fields["spec"] or ""}, container=container)

    def check(self) -> None:
        """UsageError for a value out of its option's bounds (click checks them too; pytest options do not)."""
        for option in ALL_OPTIONS:
            problem = option.bounds_problem(getattr(self, option.field))
            if problem:
                raise UsageError(problem)

    def safety(self, base_url: str, started: float) -> tuple[Safety, RateLimitBasis]:
        """The limits of a run against `base_url` that began at `started` (monotonic), and why its rate limit."""
        max_rps, basis = rate_limit(self.max_rps, base_url, self.trusted_target)
        limits = Safety(
            read_only=self.read_only,
            max_rps=max_rps,
            max_time=self.max_time,
            request_timeout=self.request_timeout,
            started=started,
        )
        return limits, basis

    def out_dir(self, started: datetime) -> Path:
        return Path(self.out) if self.out else Path("reports") / started.strftime("%Y%m%dT%H%M%SZ")
