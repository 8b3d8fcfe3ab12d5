"""Evidence for people: a requirement's evidence items as tables, findings and facts, read from the record alone.

Checks record evidence as small dicts (conformance.checks.kit.evidence). Here they are sorted by shape:
observations of one response each ("request" and "status") become table rows, and rows that saw the same
thing are grouped with a count ("a framework banner ('Werkzeug')" in 20 responses to 9 requests); fuzzing
findings (with "curl") keep their reproduction; a fuzz scope ("exercised") becomes the cases per operation;
anything else is a fact shown as name and value. The HTML report and JUnit both read this view.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from conformance.record import RequirementResult

ROW_KEYS = ("request", "status", "label")  # what identifies one observation; the rest is what it saw
QUIET_KEYS = ("id", "sent")  # bookkeeping of test records: not what a supplier fixes from
BODY_LIMIT = 2000  # characters of a server's error body shown; the rest is counted
LISTED_REQUESTS = 6


@dataclass(frozen=True)
class Observation:
    """One thing seen (the values that matter), and every response it was seen in."""

    seen: tuple[tuple[str, str], ...]  # (name, value) pairs, in the order the check recorded them
    responses: tuple[tuple[str, str, str], ...]  # (request, status, label)

    @property
    def count(self) -> int:
        return len(self.responses)

    @property
    def requests(self) -> list[str]:
        return sorted({request for request, _status, _label in self.responses})

    @property
    def statuses(self) -> str:
        return ", ".join(sorted({status for _request, status, _label in self.responses}))

    @property
    def where(self) -> str:
        """The request (and what it was) for one response; else how many responses to how many requests."""
        if self.count == 1:
            request, _status, label = self.responses[0]
            return f"{request} ({label})" if label else request
        requests = self.requests
        shown = ", ".join(requests[:LISTED_REQUESTS])
        more = f" and {len(requests) - LISTED_REQUESTS} more" if len(requests) > LISTED_REQUESTS else ""
        return f"{self.count} responses to {len(requests)} request(s): {shown}{more}"

    @property
    def summary(self) -> str:
        """`name: value` of what was seen, on one line."""
        return "; ".join(f"{name}: {value}" for name, value in self.seen) or "(nothing recorded)"


@dataclass(frozen=True)
class FindingView:
    operation: str
    title: str
    message: str
    status_code: int | None
    occurrences: int
    curl: str
    cut: int  # characters of the message not shown
    response_body: str  # of a server error, as the record keeps it (capped when found, redacted with the record)


@dataclass
class EvidenceView:
    observations: list[Observation] = field(default_factory=list)
    findings: list[FindingView] = field(default_factory=list)
    scopes: list[dict[str, Any]] = field(default_factory=list)
    facts: list[list[tuple[str, str]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.observations or self.findings or self.scopes or self.facts)


def evidence_view(requirement: RequirementResult) -> EvidenceView:
    """The requirement's evidence, sorted by shape and grouped; nothing is dropped but test-record bookkeeping."""
    view = EvidenceView()
    grouped: dict[str, list[tuple[tuple[tuple[str, str], ...], tuple[str, str, str]]]] = {}
    for item in requirement.evidence:
        if "curl" in item:
            view.findings.append(_finding(item))
        elif "exercised" in item:
            view.scopes.append(item)
        elif "request" in item and "status" in item:
            response = (str(item["request"]), str(item["status"]), str(item.get("label", "")))
            for seen in _seen(item):
                grouped.setdefault(json.dumps(seen), []).append((seen, response))
        else:
            view.facts.append([(name, show(value)) for name, value in item.items()])
    view.observations = [
        Observation(entries[0][0], tuple(response for _seen, response in entries)) for entries in grouped.values()
    ]
    return view


def _seen(item: dict[str, Any]) -> list[tuple[tuple[str, str], ...]]:
    """What one response showed; a list of several things seen (leaks, problems) counts each on its own."""
    values = {k: v for k, v in item.items() if k not in ROW_KEYS and k not in QUIET_KEYS}
    lists = {k: v for k, v in values.items() if isinstance(v, list) and v and all(isinstance(x, str) for x in v)}
    rest = tuple((k, show(v)) for k, v in values.items() if k not in lists)
    if not lists:
        return [rest]
    return [(*rest, (name, entry)) for name, entries in lists.items() for entry in entries]


def _finding(item: dict[str, Any]) -> FindingView:
    message = str(item.get("message", ""))
    return FindingView(
        operation=str(item.get("operation", "")),
        title=str(item.get("title", "")),
        message=message[:BODY_LIMIT],
        status_code=item.get("status_code"),
        occurrences=int(item.get("occurrences", 1)),
        curl=str(item.get("curl", "")),
        cut=max(0, len(message) - BODY_LIMIT),
        response_body=str(item.get("response_body", ""))[:BODY_LIMIT],
    )


def show(value: Any) -> str:
    """A value as a person reads it: text as is, none as "none", anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return "none"
    if isinstance(value, list) and not value:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def text_table(rows: Iterable[tuple[str, ...]], header: tuple[str, ...]) -> str:
    """Rows as aligned plain text (for JUnit and terminals); long cells are not cut, only aligned."""
    rows = [header, *rows]
    widths = [min(48, max(len(row[i]) for row in rows)) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def evidence_text(view: EvidenceView) -> str:
    """The evidence as plain text: the observation table, the findings with their reproduction, the facts."""
    parts = []
    if view.observations:
        rows = [(o.where, o.statuses, o.summary) for o in view.observations]
        parts.append(text_table(rows, ("request", "status", "seen")))
    for finding in view.findings:
        times = f" ({finding.occurrences} times)" if finding.occurrences > 1 else ""
        cut = f"\n[{finding.cut} more characters]" if finding.cut else ""
        body = f"\nResponse body: {finding.response_body}" if finding.response_body else ""
        parts.append(
            f"{finding.operation}: {finding.title}{times}\n{finding.message}{cut}{body}\nReproduce: {finding.curl}"
        )
    for scope in view.scopes:
        exercised = scope.get("exercised") or {}
        rows = [(operation, str(cases)) for operation, cases in exercised.items()]
        parts.append(f"{scope.get('scope', 'scope')}:\n" + text_table(rows, ("operation", "cases")))
    for fact in view.facts:
        parts.append("\n".join(f"{name}: {value}" for name, value in fact))
    return "\n\n".join(parts)
