"""What the fuzzing learned: cases per operation, findings, errors and what the responses showed.

The requirement checks read their verdicts from it (conformance.checks.kit.fuzzed), through the scope each
requirement speaks for (conformance.fuzzing.scope).
"""

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.fuzzing.findings import STATEFUL_REQUIREMENT
from conformance.fuzzing.scope import OperationCoverage, PlannedOperation
from conformance.record import NOT_FUZZED, Finding, FuzzingSummary, StatefulSummary

SERVER_UNAVAILABLE = "server_unavailable"
NOT_LOADED = "document_not_loaded"  # Schemathesis could not read the document: nothing was sent


@dataclass
class StatefulProgress:
    """How far the stateful phase went against its bound (conformance.fuzzing.engine stops it there)."""

    max_scenarios: int = 0
    max_steps: int = 0
    scenarios: int = 0
    steps: int = 0  # generated calls sent and answered within the scenarios
    stopped: bool = False  # the engine was stopped at the bound, or where the phase had run its course
    usual: int = 0  # scenarios enough when they find nothing and every linked operation took part
    findings_before: int = 0  # findings when the phase started

    @property
    def bound_reached(self) -> bool:
        return self.max_scenarios > 0 and self.scenarios >= self.max_scenarios

    def may_end(self, findings: int, unvisited: Callable[[], list[str]]) -> bool:
        """Whether the phase has run its course: the bound, or the usual number of scenarios once they found
        nothing and every linked operation took part. Scenarios are random, so a short phase can miss an
        operation EXP-09 must see; more are run, up to the bound, until none is missed. A phase that found
        something goes on to the bound, as Schemathesis goes on with a phase that finds new failures."""
        if self.bound_reached:
            return True
        return self.scenarios >= self.usual and findings == self.findings_before and not unvisited()

    def summary(self) -> StatefulSummary:
        return StatefulSummary(self.scenarios, self.steps, self.max_scenarios, self.max_steps, self.bound_reached)


@dataclass
class FuzzReport:
    """Everything the fuzzing phase learned; requirement checks read their verdicts from it."""

    cases: int = 0  # generated cases sent and answered
    scenarios: int = 0
    operations_total: int = 0
    # The document's operations (conformance.fuzzing.scope), and what was sent to each, by Schemathesis label.
    plan: dict[str, PlannedOperation] = field(default_factory=dict)
    operations: dict[str, OperationCoverage] = field(default_factory=dict)
    linked_operations: set[str] = field(default_factory=set)  # in links, declared or inferred (EXP-09)
    read_only: bool = False
    probes_sent: bool = False  # requests with methods the document does not declare (not in --read-only runs)
    declared_methods: set[str] = field(default_factory=set)
    idle_checks: dict[str, str] = field(default_factory=dict)  # enabled checks with nothing to work with, and why
    request_timeout: float = 0.0
    findings: dict[tuple[str, str, str, str], Finding] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    unowned_errors: list[tuple[str, str]] = field(default_factory=list)  # (phase, reason) no operation owns
    stop_reason: str = "completed"
    unloadable: str = ""  # why the fuzzer could not read the document at all, if it could not
    ceiling_reached: bool = False  # --max-time stopped the engine
    # What the fuzzed responses showed besides check failures (the first MAX_OBSERVATIONS_KEPT of each):
    # 429s and their headers, and how many responses advertised rate limits (NET-11); error responses
    # that give away stack traces, banners or internal paths (NET-08).
    throttled: list[dict[str, Any]] = field(default_factory=list)
    throttled_total: int = 0
    rate_limit_advertised: int = 0
    leaks: list[dict[str, Any]] = field(default_factory=list)
    leaks_total: int = 0
    stateful: StatefulProgress = field(default_factory=StatefulProgress)

    @property
    def target_lost(self) -> bool:
        """The target stopped answering part-way: nothing decided after that can be trusted."""
        return self.stop_reason == SERVER_UNAVAILABLE

    def operation(self, label: str) -> OperationCoverage:
        return self.operations.setdefault(label, OperationCoverage())

    def probes_by_path(self) -> Counter[str]:
        """Undeclared-method probes answered on each path (Schemathesis files them under one of its operations).

        One pass over the plan: asked for every operation in a scope, and during the stateful phase after every
        sequence, a pass per operation would grow with the square of a large API."""
        tally: Counter[str] = Counter()
        for label, op in self.plan.items():
            if label in self.operations:
                tally[op.path] += self.operations[label].probes
        return tally

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

    def gaps(self, requirement: str) -> list[str]:
        """Why the fuzzing as a whole cannot speak for `requirement`, if it cannot.

        An error no operation owns stops every requirement, except one of the stateful phase (broken links,
        say), which stops only the requirement that phase decides.
        """
        if self.target_lost:  # first: the engine's own "server unavailable" errors only repeat it
            return ["not tested: the target stopped answering part-way through fuzzing (server unavailable)"]
        unowned = [
            f"not tested: {reason}"
            for phase, reason in self.unowned_errors
            if phase != "stateful" or requirement == STATEFUL_REQUIREMENT
        ]
        if unowned:
            return unowned
        if self.stop_reason == "max_time":
            return ["not tested: fuzzing reached the --max-time ceiling before it finished"]
        if self.stop_reason != "completed":
            return [f"not tested: fuzzing stopped early ({self.stop_reason})"]
        if self.cases == 0:
            return ["not tested: no test case was sent"]
        return []

    def summary(self) -> FuzzingSummary:
        """What the run record keeps of the fuzzing."""
        return FuzzingSummary(
            ran=True,
            cases=self.cases,
            operations_total=self.operations_total,
            operations_tested=sum(1 for op in self.operations.values() if op.answered or op.probes),
            stop_reason=self.stop_reason,
            findings=tuple(sorted(self.findings.values(), key=lambda f: f.key)),
            errors=tuple(self.error_lines()),
            stateful=self.stateful.summary(),
        )


def summary_of(fuzz: FuzzReport | None) -> FuzzingSummary:
    """The record's fuzzing summary, also for a run that never fuzzed (a check selection without fuzzing)."""
    return NOT_FUZZED if fuzz is None else fuzz.summary()
