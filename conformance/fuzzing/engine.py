"""Fuzz every operation once with the Schemathesis engine and map each finding to a requirement ID.

The engine is the same one `st run` drives (examples, coverage, fuzzing and stateful phases), so the
harness finds what Schemathesis finds; this module listens to its events, counts what was sent to each
declared operation (conformance.fuzzing.scope decides from those counts), and stops the engine at --max-time.
"""

import copy
import functools
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.errors import InvalidStateMachine, SerializationNotPossible
from schemathesis.core.result import Ok
from schemathesis.engine import Status, events, from_schema
from schemathesis.engine.errors import UnresponsiveOperationError
from schemathesis.specs.openapi.stateful import collect_transitions
from schemathesis.wfc.escalation import escalating_provider

from conformance.fuzzing.findings import STATEFUL_REQUIREMENT, finding_of, is_probe
from conformance.fuzzing.guard import guarded
from conformance.fuzzing.report import NOT_LOADED, FuzzReport, StatefulProgress
from conformance.fuzzing.reproduction import Replay, reproduction
from conformance.fuzzing.scope import missed_by_chance, plan_operations
from conformance.fuzzing.serializers import register_open_formats
from conformance.fuzzing.stateful_roots import start_at_declared_links
from conformance.fuzzing.unloadable import unloadable_reason
from conformance.observations import banner_leaks, find_leaks, rate_limit_headers, tells_when_to_retry
from conformance.operations import all_operations
from conformance.progress import WAITS, Progress
from conformance.safety import SAFE_METHODS, Safety, cut_reason

MAX_OBSERVATIONS_KEPT = 20
TESTING_PHASES = ("examples", "coverage", "fuzzing", "stateful")
FUZZ_SHARE_OF_TIME = 0.7  # of what is left of --max-time; the direct checks need the rest
STATEFUL_PROGRESS_EVERY = 20  # stateful scenarios are many and short; a line each would drown the output
# The stateful phase repeats its suite of linked-call sequences while each pass finds new failures, and shrinks
# every failing sequence by replaying it: unbounded, that was minutes of a large API's run. It stops after
# this many sequences per --max-examples (100 at the default 25), each of at most STATEFUL_MAX_STEPS calls.
STATEFUL_SCENARIOS_PER_EXAMPLE = 4
# Sequences are random, so a short phase can leave out an operation EXP-09 must see. The phase runs this many
# per --max-examples when they find nothing and every linked operation took part (Schemathesis alone ran about
# 1.6 a suite, missing one now and then), and goes on to the bound otherwise.
STATEFUL_USUAL_PER_EXAMPLE = 2
STATEFUL_MAX_STEPS = 6
HOOKS_WAY_OUT = "register a serializer for it in a Python file given with --hooks (README: 'Vendor media types')"


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
    stateful_bound: int | None = None  # sequences the stateful phase may run; None: STATEFUL_SCENARIOS_PER_EXAMPLE each

    @property
    def max_stateful_scenarios(self) -> int:
        return self.stateful_bound or self.max_examples * STATEFUL_SCENARIOS_PER_EXAMPLE

    def runs(self, phase: str) -> bool:
        return self.phases is None or phase in self.phases


def build_schema(document: dict[str, Any], settings: FuzzSettings) -> Any:
    """A Schemathesis schema configured for this run (seeded).

    No `max-time`: Schemathesis spends all of it, repeating its phases with new seeds; run_fuzzing stops
    the engine at the ceiling instead. No output sanitization: it masks every name that merely looks
    sensitive (a `page_token` cursor), so its curl lines would not replay; conformance.fuzzing.reproduction
    masks the real credentials instead, and conformance.redaction keeps them out of every output.
    """
    register_open_formats()
    start_at_declared_links()
    safety = settings.safety
    options: dict[str, Any] = {
        "base-url": settings.base_url,
        "headers": settings.headers,
        "seed": settings.seed,
        "workers": settings.workers,
        "request-timeout": safety.request_timeout,
        "tls-verify": settings.tls_verify,
        "max-redirects": 0,  # a redirect is the response under test, never a destination
        # Every case is sent even after a failure, so each requirement's evidence counts the same cases.
        "continue-on-failure": True,
        "generation": {"max-examples": settings.max_examples},
        # The stateful phase may run up to its bound; _consume ends it where it has run its course.
        "phases": {
            "stateful": {
                "max-steps": STATEFUL_MAX_STEPS,
                "generation": {"max-examples": settings.max_stateful_scenarios},
            }
        },
        "output": {"sanitization": {"enabled": False}},
    }
    if safety.max_rps:
        options["rate-limit"] = f"{safety.max_rps:g}/s"
    if settings.phases is not None:
        for name in TESTING_PHASES:
            options["phases"].setdefault(name, {})["enabled"] = name in settings.phases
    if safety.read_only:
        # No undeclared methods either: that check sends DELETE, PATCH and the like to every path.
        options["checks"] = {"unsupported_method": {"enabled": False}}
        options["phases"].setdefault("coverage", {})["unexpected-methods"] = []
    schema = schemathesis.openapi.from_dict(document, config=SchemathesisConfig.from_dict(options))
    return schema.include(method=sorted(SAFE_METHODS)) if safety.read_only else schema


def run_fuzzing(document: dict[str, Any], settings: FuzzSettings, progress: Progress) -> FuzzReport:
    """Run every Schemathesis phase once over the whole API, within the --max-time ceiling."""
    # Schemathesis writes the links it infers into the document it is given: keep the run's own untouched.
    schema = build_schema(copy.deepcopy(document), settings)
    safety = settings.safety
    try:
        operations_total = schema.statistic.operations.total  # the first read of the whole document
    except Exception as exc:  # a shape intake reports (EXP-01) can stop Schemathesis reading it at all
        return _not_loaded(document, settings, unloadable_reason(document, exc, lambda part: loads(part, settings)))
    report = FuzzReport(
        operations_total=operations_total,
        plan=plan_operations(document, safety.read_only),
        read_only=safety.read_only,
        probes_sent=not safety.read_only,
        declared_methods={method.upper() for _, method, _ in all_operations(document)},
        request_timeout=safety.request_timeout,
        stateful=StatefulProgress(
            max_scenarios=settings.max_stateful_scenarios,
            max_steps=STATEFUL_MAX_STEPS,
            usual=min(settings.max_stateful_scenarios, settings.max_examples * STATEFUL_USUAL_PER_EXAMPLE),
        ),
    )
    if escalating_provider(schema) is None:
        report.idle_checks["object_level_authorization"] = "needs a second identity, and none is configured"
    stream = from_schema(schema).execute()
    ceiling = _ceiling(safety, stream, report)
    per_operation = sum(settings.runs(phase) for phase in TESTING_PHASES if phase != "stateful")
    progress.at(stage="fuzzing", done=0, total=report.operations_total * per_operation, cases=0, findings=0)
    try:
        with guarded(safety), _long_lived_objects_frozen():
            _consume(stream, report, progress, _replay_of(settings), lambda: _linked_operations(schema))
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM between two events: the engine's workers must stop first,
        stream.stop()  # or they go on sending and writing while the run reports and exits
        report.stop_reason = "interrupted"
    finally:
        if ceiling is not None:
            ceiling.cancel()
        WAITS.clear()  # a request cut off by a stop never reports its end
    report.linked_operations = _linked_operations(schema)
    return report


def _not_loaded(document: dict[str, Any], settings: FuzzSettings, reason: str) -> FuzzReport:
    """The report of a fuzzing that could not start: every requirement it decides ends as error, with `reason`."""
    report = FuzzReport(
        plan=plan_operations(document, settings.safety.read_only),
        read_only=settings.safety.read_only,
        request_timeout=settings.safety.request_timeout,
        stop_reason=NOT_LOADED,
        unloadable=reason,
    )
    report.unowned_errors.append(("", reason))
    report.add_error(reason)
    return report


def loads(document: dict[str, Any], settings: FuzzSettings) -> bool:
    """Whether Schemathesis reads `document` (a part of the run's document, to locate what it cannot read)."""
    try:
        build_schema(copy.deepcopy(document), settings).statistic  # noqa: B018 - reading it is the test
    except Exception:
        return False
    return True


def _replay_of(settings: FuzzSettings) -> Replay:
    """What a finding's reproduction masks (the credentials sent) and names (the CA bundle trusted)."""
    return Replay(
        credentials=settings.headers,
        ca_bundle=settings.tls_verify if isinstance(settings.tls_verify, str) else None,
    )


def _ceiling(safety: Safety, stream: Any, report: FuzzReport) -> threading.Timer | None:
    """Stop the engine when the fuzzing's share of --max-time is spent; it runs its normal course until then."""
    remaining = safety.remaining()
    if remaining is None:
        return None

    def reached() -> None:
        report.ceiling_reached = True
        stream.stop()

    timer = threading.Timer(max(1.0, remaining * FUZZ_SHARE_OF_TIME), reached)
    timer.daemon = True
    timer.start()
    return timer


def _linked_operations(schema: Any) -> set[str]:
    """Operations at either end of a link: declared ones, and those the run inferred (written into the schema)."""
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    try:
        transitions = collect_transitions(operations)
    except InvalidStateMachine:  # the engine reported the broken links already; EXP-09 ends as error on them
        return set()
    return {label for label, entry in transitions.operations.items() if entry.incoming or entry.outgoing}


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


def _consume(
    stream: Any, report: FuzzReport, progress: Progress, replay: Replay, linked: Callable[[], set[str]]
) -> None:
    """Fold the engine's events into the report (`linked`: the operations in links the run knows of so far)."""
    for event in stream:
        if isinstance(event, events.PhaseStarted):
            phase = event.phase.name.value
            if phase == "stateful":  # its share of the estimate: the bound, or what is left of it
                position = progress.position
                progress.at(total=position.done + report.stateful.max_scenarios - report.stateful.scenarios)
                report.linked_operations = linked()  # the links declared, and those the earlier phases inferred
                report.stateful.findings_before = len(report.findings)
            progress.at(phase=phase, operation="")
            progress(f"fuzzing: {phase} phase")
        elif isinstance(event, events.ScenarioFinished):
            _record_scenario(event, report, progress, replay)
            stateful = report.stateful
            if event.phase.value == "stateful" and not stateful.stopped:
                unvisited = functools.partial(missed_by_chance, STATEFUL_REQUIREMENT, report)
                if stateful.may_end(len(report.findings), unvisited):
                    stateful.stopped = True  # the last phase: stopping the engine ends only what is left of it
                    stream.stop()
        elif isinstance(event, events.NonFatalError):
            _record_error(event, report)
        elif isinstance(event, events.FatalError):
            report.unowned_errors.append(("", f"fuzzing failed: {event.exception}"))
            report.add_error(f"fuzzing failed: {event.exception}")
        elif isinstance(event, events.Interrupted):
            report.stop_reason = _stopped_because(report, "interrupted")
        elif isinstance(event, events.EngineFinished):
            reason = str(event.stop_reason.value)
            if reason != "completed":
                report.stop_reason = _stopped_because(report, reason)


def _stopped_because(report: FuzzReport, engine_reason: str) -> str:
    """Why the engine stopped: our own stops (--max-time, the stateful bound) are told apart from the rest."""
    if report.ceiling_reached:
        return "max_time"
    if report.stateful.stopped and engine_reason == "interrupted":
        return "completed"  # the stateful bound, reached: the record says so (fuzzing.stateful)
    return engine_reason


def _record_error(event: events.NonFatalError, report: FuzzReport) -> None:
    """An operation the engine could not exercise (fully) is named with the reason and the way out."""
    phase = event.phase.value if event.phase is not None else ""
    reason = _why_not_exercised(event, report.request_timeout)
    label = event.label if event.label in report.plan else None
    if label is not None:
        report.operation(label).add_problem(f"{phase} phase: {reason}" if phase else reason)
    else:
        report.unowned_errors.append((phase, f"{phase} phase: {reason}" if phase else reason))
    report.add_error(f"{event.label}: {reason}" if event.label else reason)


def _why_not_exercised(event: events.NonFatalError, request_timeout: float) -> str:
    error = event.value
    if isinstance(error, SerializationNotPossible):
        return f"the harness cannot write its request body ({event.info.message.strip()}): {HOOKS_WAY_OUT}"
    if isinstance(error, requests.Timeout | UnresponsiveOperationError):
        return (
            f"requests timed out ({event.info.message.strip()}); if the API is slow but working, "
            f"raise --request-timeout (now {request_timeout:g} s)"
        )
    cut = cut_reason(error)
    if cut is not None:
        return f"{cut}; if the API is slow but working, raise --request-timeout (now {request_timeout:g} s)"
    return f"{event.info.title}: {event.info.message.strip()}"


def _record_scenario(event: events.ScenarioFinished, report: FuzzReport, progress: Progress, replay: Replay) -> None:
    if not event.is_test_scenario:
        return
    recorder = event.recorder
    phase = event.phase.value
    if event.skip_reason is not None and event.label in report.plan:
        report.operation(event.label).skips.append(f"{phase}: {event.skip_reason}")
    sent = 0
    for case_id, node in recorder.cases.items():
        interaction = recorder.interactions.get(case_id)
        if node.parent_id is not None and node.transition is None:
            continue  # a check's own follow-up request, not a generated case
        if interaction is None or interaction.response is None:
            continue  # generated but never sent, or no answer (the engine reports why)
        checks = {check.name for check in recorder.checks.get(case_id, [])}
        _count_case(report, node.value, interaction.response, checks, stateful=phase == "stateful")
        sent += 1
    for interaction in recorder.interactions.values():
        if interaction.response is not None:
            _observe_response(interaction.response, event.label or recorder.label, report)
    replay.note_creations(recorder)
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status != Status.FAILURE or check.failure_info is None:
                continue
            interaction = recorder.interactions.get(case_id)
            response = interaction.response if interaction is not None else None
            case = recorder.cases[case_id].value
            curl = reproduction(check, recorder, replay)
            finding = finding_of(check, case, response, report.declared_methods, curl)
            if finding is not None:
                report.add_finding(finding)
    explained = event.label is not None and any(m.startswith(f"{event.label}:") for m in report.errors)
    if event.status == Status.ERROR and event.skip_reason is None and not explained:
        reason = "the harness could not complete the generated cases"
        if event.label in report.plan:
            report.operation(event.label).add_problem(f"{phase} phase: {reason}")
        report.add_error(f"{event.label or recorder.label}: {reason}")
    report.cases += sent
    report.scenarios += 1
    if phase == "stateful":
        report.stateful.scenarios += 1
        report.stateful.steps += sent
    label = event.label or recorder.label
    progress.at(operation=label, done=report.scenarios, cases=report.cases, findings=len(report.findings))
    if phase != "stateful" or report.stateful.scenarios % STATEFUL_PROGRESS_EVERY == 0:
        estimate = progress.estimate()
        progress(
            f"fuzzing [{phase}] {label}: {sent} cases "
            f"(total {report.cases} cases, {len(report.findings)} findings so far{'; ' + estimate if estimate else ''})"
        )


def _count_case(report: FuzzReport, case: Any, response: Any, checks: set[str], stateful: bool) -> None:
    """One generated case sent and answered, filed under the declared operation it was generated for."""
    coverage = report.operation(case.operation.label)
    coverage.checks |= checks
    if is_probe(case):
        coverage.probes += 1
        return
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if negative:
        coverage.negative += 1
    else:
        coverage.positive += 1
        coverage.accepted += 200 <= response.status_code < 300
    coverage.stateful += stateful


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
