"""Fuzz every operation once with the Schemathesis engine and map each finding to a requirement ID.

The engine is the same one `st run` drives (examples, coverage, fuzzing and stateful phases), so the
harness finds what Schemathesis finds; this module only listens to its events.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

# Every check Schemathesis runs, and the requirement its failures violate. A test keeps this complete.
CHECK_REQUIREMENTS: dict[str, str] = {
    "not_a_server_error": "EXP-03",
    "response_schema_conformance": "EXP-04",
    "response_headers_conformance": "EXP-04",
    "status_code_conformance": "EXP-05",
    "content_type_conformance": "EXP-06",
    "negative_data_rejection": "EXP-07",
    "missing_required_header": "EXP-07",
    "unsupported_method": "EXP-07",
    "allow_header_conformance": "EXP-07",
    "positive_data_acceptance": "EXP-08",
    "use_after_free": "EXP-09",
    "ensure_resource_availability": "EXP-09",
    "ignored_auth": "NET-01",
    "object_level_authorization": "NET-01",
}
AUTH_REQUIREMENT = "NET-01"
STATEFUL_REQUIREMENT = "EXP-09"
STATEFUL_PROGRESS_EVERY = 20  # stateful scenarios are many and short; a line each would drown the output
CREDENTIAL_HEADERS = {"authorization", "cookie", "proxy-authorization"}


@dataclass(frozen=True)
class FuzzSettings:
    """What the user chose for the fuzzing phase."""

    base_url: str
    headers: dict[str, str]
    seed: int
    max_examples: int
    workers: int = 1
    request_timeout: float = 10.0
    tls_verify: bool | str = True


@dataclass
class Finding:
    """One distinct contract violation, with how to reproduce it (credentials already masked)."""

    requirement: str
    check: str
    operation: str
    title: str
    message: str
    curl: str
    status_code: int | None
    occurrences: int = 1

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.requirement, self.operation, self.check, self.title)

    def as_evidence(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement,
            "check": self.check,
            "operation": self.operation,
            "title": self.title,
            "message": self.message,
            "status_code": self.status_code,
            "occurrences": self.occurrences,
            "curl": self.curl,
        }


@dataclass
class FuzzReport:
    """Everything the fuzzing phase learned; requirement checks read their verdicts from it."""

    cases: int = 0
    scenarios: int = 0
    operations_total: int = 0
    operations_tested: set[str] = field(default_factory=set)
    findings: dict[tuple[str, str, str, str], Finding] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    stop_reason: str = "completed"
    stateful_ran: bool = False
    secured_operations: int = 0

    def findings_for(self, requirement: str) -> list[Finding]:
        return sorted((f for f in self.findings.values() if f.requirement == requirement), key=lambda f: f.key)

    def add_error(self, message: str) -> None:
        self.errors[message] = self.errors.get(message, 0) + 1

    def error_lines(self) -> list[str]:
        return [f"{message} (x{count})" if count > 1 else message for message, count in self.errors.items()]

    def gaps(self) -> list[str]:
        """Why the fuzzing could not speak for every operation, if it could not."""
        reasons = []
        if self.errors:
            shown = "; ".join(self.error_lines()[:3])
            more = f" and {len(self.errors) - 3} more" if len(self.errors) > 3 else ""
            reasons.append(f"fuzzing hit {sum(self.errors.values())} error(s): {shown}{more}")
        if self.stop_reason != "completed":
            reasons.insert(0, f"fuzzing stopped early: {self.stop_reason}")
        if self.cases == 0:
            reasons.append("no test case was generated")
        return reasons


Progress = Callable[[str], None]


def build_schema(document: dict[str, Any], settings: FuzzSettings) -> Any:
    """A Schemathesis schema configured for this run (seeded, with the user's headers masked in output)."""
    sanitized = sorted({name.lower() for name in settings.headers} | CREDENTIAL_HEADERS)
    config = SchemathesisConfig.from_dict(
        {
            "base-url": settings.base_url,
            "headers": settings.headers,
            "seed": settings.seed,
            "workers": settings.workers,
            "request-timeout": settings.request_timeout,
            "tls-verify": settings.tls_verify,
            "generation": {"max-examples": settings.max_examples},
            "output": {"sanitization": {"keys-to-sanitize": sanitized}},
        }
    )
    return schemathesis.openapi.from_dict(document, config=config)


def run_fuzzing(document: dict[str, Any], settings: FuzzSettings, progress: Progress) -> FuzzReport:
    """Run every Schemathesis phase once over the whole API."""
    schema = build_schema(document, settings)
    report = FuzzReport(operations_total=schema.statistic.operations.total)
    report.secured_operations = _count_secured(document)
    for event in from_schema(schema).execute():
        if isinstance(event, events.PhaseStarted):
            if event.phase.name.value == "stateful":
                report.stateful_ran = True
            progress(f"fuzzing: {event.phase.name.value} phase")
        elif isinstance(event, events.ScenarioFinished):
            _record_scenario(event, report, progress)
        elif isinstance(event, events.NonFatalError):
            report.add_error(f"{event.label}: {event.info.title}: {event.info.message}".strip())
        elif isinstance(event, events.FatalError):
            report.add_error(f"fuzzing failed: {event.exception}")
        elif isinstance(event, events.Interrupted):
            report.stop_reason = "interrupted"
        elif isinstance(event, events.EngineFinished):
            reason = getattr(event, "stop_reason", None)
            if reason is not None and str(reason.value) != "completed":
                report.stop_reason = str(reason.value)
    return report


def _record_scenario(event: events.ScenarioFinished, report: FuzzReport, progress: Progress) -> None:
    recorder = event.recorder
    if not event.is_test_scenario:
        return
    report.cases += len(recorder.cases)
    for case_id, node in recorder.cases.items():
        if recorder.checks.get(case_id) or recorder.interactions.get(case_id):
            report.operations_tested.add(node.value.operation.label)
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status != Status.FAILURE or check.failure_info is None:
                continue
            finding = _finding(check, recorder.cases[case_id].value)
            existing = report.findings.get(finding.key)
            if existing:
                existing.occurrences += 1
            else:
                report.findings[finding.key] = finding
    if event.status == Status.ERROR and event.skip_reason is None:
        report.add_error(f"{recorder.label}: the harness could not complete the generated cases")
    report.scenarios += 1
    if event.phase.value != "stateful" or report.scenarios % STATEFUL_PROGRESS_EVERY == 0:
        progress(
            f"fuzzing [{event.phase.value}] {recorder.label}: {len(recorder.cases)} cases "
            f"(total {report.cases} cases, {len(report.findings)} findings so far)"
        )


def _finding(check: Any, case: Any) -> Finding:
    failure = check.failure_info.failure
    requirement = CHECK_REQUIREMENTS.get(check.name, "EXP-04")
    if check.name == "missing_required_header" and getattr(failure, "header_name", "").lower() in _auth_headers(case):
        requirement = AUTH_REQUIREMENT
    return Finding(
        requirement=requirement,
        check=check.name,
        operation=case.operation.label,
        title=str(failure.title),
        message=str(failure.message),
        curl=check.failure_info.code_sample,
        status_code=getattr(failure, "status_code", None),
    )


def _auth_headers(case: Any) -> set[str]:
    """Header names that carry credentials for this operation: a missing one is an auth failure."""
    names = set(CREDENTIAL_HEADERS)
    schemes = case.operation.schema.raw_schema.get("components", {}).get("securitySchemes", {})
    for scheme in schemes.values():
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            names.add(str(scheme.get("name", "")).lower())
    return names


def _count_secured(document: dict[str, Any]) -> int:
    """Operations that declare a non-empty security requirement (their own, or the document's)."""
    default = document.get("security") or []
    count = 0
    for item in (document.get("paths") or {}).values():
        for method, operation in (item or {}).items():
            if method in {"get", "put", "post", "delete", "patch", "head", "options", "trace"}:
                security = operation.get("security", default) if isinstance(operation, dict) else default
                count += any(bool(s) for s in security) if security else 0
    return count
