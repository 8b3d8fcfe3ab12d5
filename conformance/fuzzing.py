"""Fuzz every operation once with the Schemathesis engine and map each finding to a requirement ID.

The engine is the same one `st run` drives (examples, coverage, fuzzing and stateful phases), so the
harness finds what Schemathesis finds; this module only listens to its events.
"""

import dataclasses
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from conformance.client import all_operations, declares_security
from conformance.malformed import reached_server_malformed
from conformance.observations import banner_leaks, find_leaks, rate_limit_headers, tells_when_to_retry
from conformance.record import NOT_FUZZED, Finding, FuzzingSummary
from conformance.safety import SAFE_METHODS, Safety, cut_reason

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
# A server error on a request that reached the server malformed (negative mode) violates this one instead of EXP-03.
MALFORMED_INPUT_REQUIREMENT = "NET-10"
MAX_OBSERVATIONS_KEPT = 20
STATEFUL_REQUIREMENT = "EXP-09"
TESTING_PHASES = ("examples", "coverage", "fuzzing", "stateful")
FUZZ_SHARE_OF_TIME = 0.7  # of what is left of --max-time; the direct checks need the rest
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
    tls_verify: bool | str = True
    safety: Safety = field(default_factory=Safety)
    # Schemathesis testing phases to run; None runs them all (the benchmark measures without `stateful`).
    phases: tuple[str, ...] | None = None


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
    # What the fuzzed responses showed besides check failures (the first MAX_OBSERVATIONS_KEPT of each):
    # 429s and their headers, and how many responses advertised rate limits (NET-11); error responses
    # that give away stack traces, banners or internal paths (NET-08).
    throttled: list[dict[str, Any]] = field(default_factory=list)
    throttled_total: int = 0
    rate_limit_advertised: int = 0
    leaks: list[dict[str, Any]] = field(default_factory=list)
    leaks_total: int = 0

    def findings_for(self, requirement: str) -> list[Finding]:
        return sorted((f for f in self.findings.values() if f.requirement == requirement), key=lambda f: f.key)

    def add_finding(self, finding: Finding) -> None:
        """A finding seen before counts as one more occurrence of it."""
        existing = self.findings.get(finding.key)
        self.findings[finding.key] = (
            dataclasses.replace(existing, occurrences=existing.occurrences + 1) if existing else finding
        )

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

    def summary(self) -> FuzzingSummary:
        """What the run record keeps of the fuzzing."""
        return FuzzingSummary(
            ran=True,
            cases=self.cases,
            operations_total=self.operations_total,
            operations_tested=len(self.operations_tested),
            stop_reason=self.stop_reason,
            findings=tuple(sorted(self.findings.values(), key=lambda f: f.key)),
            errors=tuple(self.error_lines()),
        )


def summary_of(fuzz: FuzzReport | None) -> FuzzingSummary:
    """The record's fuzzing summary, also for a run that never fuzzed (a check selection without fuzzing)."""
    return NOT_FUZZED if fuzz is None else fuzz.summary()


Progress = Callable[[str], None]


def build_schema(document: dict[str, Any], settings: FuzzSettings) -> Any:
    """A Schemathesis schema configured for this run (seeded, with the user's headers masked in output)."""
    sanitized = sorted({name.lower() for name in settings.headers} | CREDENTIAL_HEADERS)
    safety = settings.safety
    options: dict[str, Any] = {
        "base-url": settings.base_url,
        "headers": settings.headers,
        "seed": settings.seed,
        "workers": settings.workers,
        "request-timeout": safety.request_timeout,
        "tls-verify": settings.tls_verify,
        "max-redirects": 0,  # a redirect is the response under test, never a destination
        "generation": {"max-examples": settings.max_examples},
        "output": {"sanitization": {"keys-to-sanitize": sanitized}},
    }
    if safety.max_rps:
        options["rate-limit"] = f"{safety.max_rps:g}/s"
    remaining = safety.remaining()
    if remaining is not None:
        options["max-time"] = max(1, int(remaining * FUZZ_SHARE_OF_TIME))
    if settings.phases is not None:
        options["phases"] = {name: {"enabled": name in settings.phases} for name in TESTING_PHASES}
    if safety.read_only:
        # No undeclared methods either: that check sends DELETE, PATCH and the like to every path.
        options["checks"] = {"unsupported_method": {"enabled": False}}
        options.setdefault("phases", {}).setdefault("coverage", {})["unexpected-methods"] = []
    schema = schemathesis.openapi.from_dict(document, config=SchemathesisConfig.from_dict(options))
    return schema.include(method=sorted(SAFE_METHODS)) if safety.read_only else schema


def run_fuzzing(document: dict[str, Any], settings: FuzzSettings, progress: Progress) -> FuzzReport:
    """Run every Schemathesis phase once over the whole API."""
    schema = build_schema(document, settings)
    report = FuzzReport(operations_total=schema.statistic.operations.total)
    report.secured_operations = _count_secured(document)
    with guarded(settings.safety), _long_lived_objects_frozen():
        _consume(from_schema(schema).execute(), report, progress)
    return report


# --- the Safety policy on every request the engine sends ------------------------------------------
# Schemathesis hooks are process-wide, so the hook is registered once and reads the policy of the run in
# progress; outside a run it does nothing.

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
    """Apply `safety` to the engine for the duration of the block."""
    _active.append(safety)
    try:
        yield
    finally:
        _active.remove(safety)


@contextmanager
def _long_lived_objects_frozen() -> Iterator[None]:
    """Keep the garbage collector off what lives for the whole run (modules, schema, settings).

    The engine allocates heavily, so full collections are frequent; each one would otherwise walk every
    object imported so far. Measured: about a third of the run's collection time (~0.3 s of 7 s).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _consume(stream: Any, report: FuzzReport, progress: Progress) -> None:
    """Fold the engine's events into the report."""
    for event in stream:
        if isinstance(event, events.PhaseStarted):
            if event.phase.name.value == "stateful":
                report.stateful_ran = True
            progress(f"fuzzing: {event.phase.name.value} phase")
        elif isinstance(event, events.ScenarioFinished):
            _record_scenario(event, report, progress)
        elif isinstance(event, events.NonFatalError):
            detail = cut_reason(event.value) or f"{event.info.title}: {event.info.message}"
            report.add_error(f"{event.label}: {detail}".strip())
        elif isinstance(event, events.FatalError):
            report.add_error(f"fuzzing failed: {event.exception}")
        elif isinstance(event, events.Interrupted):
            report.stop_reason = "interrupted"
        elif isinstance(event, events.EngineFinished):
            reason = getattr(event, "stop_reason", None)
            if reason is not None and str(reason.value) != "completed":
                report.stop_reason = str(reason.value)


def _record_scenario(event: events.ScenarioFinished, report: FuzzReport, progress: Progress) -> None:
    recorder = event.recorder
    if not event.is_test_scenario:
        return
    report.cases += len(recorder.cases)
    for case_id, node in recorder.cases.items():
        if recorder.checks.get(case_id) or recorder.interactions.get(case_id):
            report.operations_tested.add(node.value.operation.label)
    for interaction in recorder.interactions.values():
        if interaction.response is not None:
            _observe_response(interaction.response, recorder.label, report)
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status != Status.FAILURE or check.failure_info is None:
                continue
            interaction = recorder.interactions.get(case_id)
            response = interaction.response if interaction is not None else None
            report.add_finding(_finding(check, recorder.cases[case_id].value, response))
    already_explained = any(message.startswith(recorder.label + ":") for message in report.errors)
    if event.status == Status.ERROR and event.skip_reason is None and not already_explained:
        report.add_error(f"{recorder.label}: the harness could not complete the generated cases")
    report.scenarios += 1
    if event.phase.value != "stateful" or report.scenarios % STATEFUL_PROGRESS_EVERY == 0:
        progress(
            f"fuzzing [{event.phase.value}] {recorder.label}: {len(recorder.cases)} cases "
            f"(total {report.cases} cases, {len(report.findings)} findings so far)"
        )


def _finding(check: Any, case: Any, response: Any | None) -> Finding:
    failure = check.failure_info.failure
    requirement = CHECK_REQUIREMENTS.get(check.name, "EXP-04")
    if check.name == "not_a_server_error" and reached_server_malformed(case, response):
        requirement = MALFORMED_INPUT_REQUIREMENT
    if check.name == "missing_required_header" and getattr(failure, "header_name", "").lower() in _auth_headers(case):
        requirement = AUTH_REQUIREMENT
    return Finding(
        requirement=requirement,
        check=check.name,
        operation=case.operation.label,
        title=str(failure.title),
        message=str(failure.message),
        status_code=getattr(failure, "status_code", None),
        occurrences=1,
        curl=check.failure_info.code_sample,
    )


def _observe_response(response: Any, label: str, report: FuzzReport) -> None:
    """Note rate-limit headers and 429s, and what error responses give away."""
    headers = {name: values[0] for name, values in response.headers.items() if values}
    limits = rate_limit_headers(headers)
    if any(name != "retry-after" for name in limits):
        report.rate_limit_advertised += 1
    if response.status_code == 429:
        report.throttled_total += 1
        if len(report.throttled) < MAX_OBSERVATIONS_KEPT:
            report.throttled.append(
                {"source": "fuzzing", "operation": label, "headers": limits, "usable": tells_when_to_retry(headers)}
            )
    if response.status_code >= 400:
        leaks = find_leaks(response.content[:65536].decode("utf-8", "replace")) + banner_leaks(headers)
        if leaks:
            report.leaks_total += 1
            if len(report.leaks) < MAX_OBSERVATIONS_KEPT:
                report.leaks.append(
                    {"source": "fuzzing", "operation": label, "status": response.status_code, "leaks": leaks}
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
    return sum(declares_security(definition, document) for _, _, definition in all_operations(document))
