"""Which operations each fuzz-decided requirement speaks for, and whether the run exercised every one.

A requirement decided by the fuzzer passes only when every operation in its scope was exercised in the way
it needs (valid requests for EXP-03, invalid ones for EXP-07, stateful steps for EXP-09, ...). Its evidence
names the scope, what was sent to each operation in it, and which Schemathesis checks judged the answers.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.fuzzing.location_check import CHECK_NAME as LOCATION_CHECK
from conformance.operations import all_operations, declares_security, resolve
from conformance.safety import SAFE_METHODS

if TYPE_CHECKING:
    from conformance.fuzzing import FuzzReport

READ_ONLY_LEFT_OUT = "--read-only: only GET, HEAD and OPTIONS are sent"


@dataclass(frozen=True)
class PlannedOperation:
    """What the document says about one operation, as far as the scopes need it."""

    label: str  # "POST /cases", as Schemathesis labels it
    path: str
    has_inputs: bool  # parameters or a body: something a request can get wrong
    secured: bool
    response_schemas: bool  # some response declares a body schema or headers
    response_media_types: bool
    left_out: str = ""  # why the run sends this operation nothing, or ""


@dataclass
class OperationCoverage:
    """What the fuzzer sent one declared operation (generated cases with an answer), and what went wrong."""

    positive: int = 0  # valid requests
    negative: int = 0  # requests generated to violate the document
    probes: int = 0  # requests with a method the document does not declare for the path
    stateful: int = 0  # steps of stateful scenarios (also counted as positive or negative)
    accepted: int = 0  # valid requests answered 2xx
    checks: set[str] = field(default_factory=set)
    problems: dict[str, int] = field(default_factory=dict)
    skips: list[str] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return self.positive + self.negative

    def add_problem(self, reason: str) -> None:
        self.problems[reason] = self.problems.get(reason, 0) + 1


def plan_operations(document: dict[str, Any], read_only: bool) -> dict[str, PlannedOperation]:
    """Every operation of the document, with the facts the scopes read."""
    planned = {}
    for path, method, definition in all_operations(document):
        path_item = resolve(document, document["paths"][path])
        responses = [resolve(document, r) for r in _values(definition.get("responses"))]
        responses = [r for r in responses if isinstance(r, dict)]
        contents = [media for r in responses for media in _values(r.get("content")) if isinstance(media, dict)]
        swagger_produces = bool(definition.get("produces", document.get("produces")))
        label = f"{method.upper()} {path}"
        planned[label] = PlannedOperation(
            label=label,
            path=path,
            has_inputs=bool(
                path_item.get("parameters") or definition.get("parameters") or definition.get("requestBody")
            ),
            secured=declares_security(definition, document),
            response_schemas=any(m.get("schema") for m in contents)
            or any(r.get("headers") or r.get("schema") for r in responses),
            response_media_types=bool(contents) or (swagger_produces and any(r.get("schema") for r in responses)),
            left_out=READ_ONLY_LEFT_OUT if read_only and method.upper() not in SAFE_METHODS else "",
        )
    return planned


def _values(mapping: Any) -> list[Any]:
    """The values of what should be a mapping; none when an invalid document has something else there."""
    return list(mapping.values()) if isinstance(mapping, dict) else []


Includes = Callable[[PlannedOperation, "FuzzReport"], bool]
Counter = Callable[[OperationCoverage, int], int]  # (coverage, probes sent on the operation's path) -> count


def _every(op: PlannedOperation, report: "FuzzReport") -> bool:
    return True


def _violable(op: PlannedOperation, report: "FuzzReport") -> bool:
    return op.has_inputs or report.probes_sent


@dataclass(frozen=True)
class Scope:
    """The operations a requirement speaks for, and what sent to one of them counts as exercising it."""

    covers: str
    counts: str
    empty: str  # the not-applicable reason when no operation is in scope
    checks: tuple[str, ...]
    includes: Includes
    count: Counter


def _valid(op: OperationCoverage, probes: int) -> int:
    return op.positive


def _answered(op: OperationCoverage, probes: int) -> int:
    return op.answered


def _invalid(op: OperationCoverage, probes: int) -> int:
    return op.negative + probes


EVERY = "every operation the run may send"
NO_OPERATION = "the document declares no operation the run may send"
VIOLABLE = "operations with parameters or a body to get wrong, and every operation while undeclared methods are probed"
NOTHING_TO_VIOLATE = "no operation takes input and no undeclared method was probed (--read-only)"
INVALID = "invalid requests answered (negative cases and undeclared-method probes on its path)"

SCOPES: dict[str, Scope] = {
    "EXP-03": Scope(
        covers=EVERY,
        counts="valid requests answered",
        empty=NO_OPERATION,
        checks=("not_a_server_error",),
        includes=_every,
        count=_valid,
    ),
    "EXP-04": Scope(
        covers="operations whose responses declare a schema or headers",
        counts="requests answered",
        empty="no response in the document declares a schema or headers, so there is nothing to compare answers with",
        checks=("response_schema_conformance", "response_headers_conformance"),
        includes=lambda op, report: op.response_schemas,
        count=_answered,
    ),
    "EXP-05": Scope(
        covers=EVERY,
        counts="requests answered",
        empty=NO_OPERATION,
        checks=("status_code_conformance",),
        includes=_every,
        count=_answered,
    ),
    "EXP-06": Scope(
        covers="operations whose responses declare media types",
        counts="requests answered",
        empty="no response in the document declares a media type",
        checks=("content_type_conformance",),
        includes=lambda op, report: op.response_media_types,
        count=_answered,
    ),
    "EXP-07": Scope(
        covers=VIOLABLE,
        counts=INVALID,
        empty=NOTHING_TO_VIOLATE,
        checks=("negative_data_rejection", "missing_required_header", "unsupported_method", "allow_header_conformance"),
        includes=_violable,
        count=_invalid,
    ),
    "EXP-08": Scope(
        covers=EVERY,
        counts="valid requests answered",
        empty=NO_OPERATION,
        checks=("positive_data_acceptance",),
        includes=_every,
        count=_valid,
    ),
    "EXP-09": Scope(
        covers="operations that take part in links, declared in the document or inferred from Location headers "
        "and responses",
        counts="steps of stateful sequences",
        empty="the document declares no links and the fuzzer inferred none (no Location header or resource URL was "
        "seen), so there was no created record to follow",
        checks=("use_after_free", "ensure_resource_availability", LOCATION_CHECK),
        includes=lambda op, report: op.label in report.linked_operations,
        count=lambda op, probes: op.stateful,
    ),
    "NET-01": Scope(
        covers="operations that declare a security requirement (only a success shows whether credentials were needed)",
        counts="valid requests answered 2xx",
        empty="no operation declares a security requirement",
        checks=("ignored_auth", "object_level_authorization", "missing_required_header"),
        includes=lambda op, report: op.secured,
        count=lambda op, probes: op.accepted,
    ),
    "NET-10": Scope(
        covers=VIOLABLE,
        counts=INVALID,
        empty=NOTHING_TO_VIOLATE,
        checks=("not_a_server_error",),
        includes=_violable,
        count=_invalid,
    ),
}


@dataclass
class Coverage:
    """How far the run went through one requirement's scope."""

    scope: Scope
    exercised: dict[str, int] = field(default_factory=dict)
    not_exercised: dict[str, str] = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    idle_checks: dict[str, str] = field(default_factory=dict)  # in scope, enabled, but with nothing to work with

    @property
    def empty(self) -> bool:
        return not self.exercised and not self.not_exercised

    def gaps(self) -> list[str]:
        return [f"{label}: {why}" for label, why in self.not_exercised.items()]

    def evidence(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "scope": self.scope.covers,
            "counted": self.scope.counts,
            "schemathesis_checks": self.checks,
            "exercised": self.exercised,
        }
        if self.not_exercised:
            item["not_exercised"] = self.not_exercised
        if self.left_out:
            item["left_out"] = self.left_out
        if self.idle_checks:
            item["idle_checks"] = self.idle_checks
        return item


def coverage_of(requirement: str, report: "FuzzReport") -> Coverage:
    """Which operations in `requirement`'s scope the run exercised, and why the others were not."""
    scope = SCOPES[requirement]
    coverage = Coverage(scope)
    ran: set[str] = set()
    probes = report.probes_by_path()
    for label, planned in report.plan.items():
        if not scope.includes(planned, report):
            continue
        if planned.left_out:
            coverage.left_out[label] = planned.left_out
            continue
        sent = report.operations.get(label, OperationCoverage())
        ran |= sent.checks
        count = scope.count(sent, probes[planned.path])
        if sent.problems:
            coverage.not_exercised[label] = _problems(sent)
        elif count == 0:
            coverage.not_exercised[label] = _nothing_counted(scope, sent, label in report.operations)
        else:
            coverage.exercised[label] = count
    coverage.checks = sorted((ran & set(scope.checks)) - set(report.idle_checks))
    coverage.idle_checks = {name: why for name, why in report.idle_checks.items() if name in scope.checks}
    return coverage


def missed_by_chance(requirement: str, report: "FuzzReport") -> list[str]:
    """The operations in `requirement`'s scope not exercised yet though nothing went wrong with them: more of
    the same random cases may still reach them (the stateful phase goes on for them)."""
    not_exercised = coverage_of(requirement, report).not_exercised
    return [label for label in not_exercised if not report.operations.get(label, OperationCoverage()).problems]


def _problems(sent: OperationCoverage) -> str:
    return "; ".join(f"{reason} (x{n})" if n > 1 else reason for reason, n in sent.problems.items())


def _nothing_counted(scope: Scope, sent: OperationCoverage, reached: bool) -> str:
    if not reached:
        return "the fuzzer never reached it"
    skipped = f" (skipped: {'; '.join(sent.skips)})" if sent.skips else ""
    return f"no {scope.counts} ({sent.answered} requests answered in all){skipped}"
