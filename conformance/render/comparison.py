"""Several OpenAPI documents checked side by side (`check-document`): one row a document, one column a requirement.

The same table twice: as terminal lines and as a self-contained HTML page (comparison.html), so a council can
compare vendors' documents on one page. Each row reads only its document's run record.
"""

from dataclasses import dataclass
from pathlib import Path

from conformance.record import Outcome, RequirementResult, RunRecord
from conformance.render.templates import templates
from conformance.verdicts import decided_musts

COMPARISON_NAME = "comparison.html"
# Each cell's style on the page, and its short form in the terminal.
CELL_CLASSES = {"pass": "pass", "fail": "fail", "n/a": "not-applicable", "not tested": "not-tested", "error": "error"}
TERMINAL_CELLS = {"pass": "pass", "fail": "FAIL", "n/a": "n/a", "not tested": "--", "error": "ERR"}
MAX_LABEL = 48


@dataclass(frozen=True)
class Cell:
    word: str  # pass, fail, n/a, not tested or error
    reason: str = ""

    @property
    def css(self) -> str:
        return CELL_CLASSES[self.word]


UNCHECKED = Cell("not tested", "this document was not checked against this requirement")


@dataclass(frozen=True)
class Checked:
    """One document given to `check-document`: its run record and report, or why it could not be read."""

    source: str  # the file or URL as given
    record: RunRecord | None = None
    report: str = ""  # the document's report.html, relative to the comparison page
    refused: str = ""  # why the document is unusable (exit code 2), when there is no record

    def cells(self) -> dict[str, Cell]:
        """Requirement id -> its cell."""
        if self.record is None:
            return {}
        return {r.id: cell(r) for r in self.record.requirements()}

    @property
    def summary(self) -> str:
        """What the document decided, in a few words."""
        if self.record is None:
            return f"unusable: {self.refused}"
        decided = decided_musts(self.record)
        if any(r.outcome == Outcome.FAIL for r in decided):
            return "fails a MUST it decides"
        if any(r.outcome == Outcome.ERROR for r in decided):
            return "could not decide a MUST"
        return "passes every MUST it decides"


def cell(result: RequirementResult) -> Cell:
    if result.needs_live_api:
        return Cell("not tested", result.reason)
    words = {Outcome.PASS: "pass", Outcome.FAIL: "fail", Outcome.NOT_APPLICABLE: "n/a"}
    return Cell(words.get(result.outcome, "error"), result.reason)


def columns(rows: list[Checked]) -> list[RequirementResult]:
    """Every requirement any document was checked against, in report order (the first row's result names it)."""
    seen: dict[str, RequirementResult] = {}
    for row in rows:
        for result in row.record.requirements() if row.record is not None else []:
            seen.setdefault(result.id, result)
    return list(seen.values())


def profile_groups(rows: list[Checked]) -> list[tuple[str, int]]:
    """Each profile's title and how many requirement columns it spans (the columns are in profile order)."""
    record = next((row.record for row in rows if row.record is not None), None)
    return [(p.title, len(p.requirements)) for p in record.profiles] if record is not None else []


def terminal_lines(rows: list[Checked]) -> list[str]:
    """The table for a terminal: a column only where some document decided something (the rest need the API).

    Lines hold supplier-given text (the sources): the caller makes them printable.
    """
    every = [r.id for r in columns(rows)]
    cells = [row.cells() for row in rows]
    shown = [rid for rid in every if any(c.get(rid, UNCHECKED).word != "not tested" for c in cells)]
    labels = [row.source[-MAX_LABEL:] for row in rows]
    width = max(len("document"), *(len(label) for label in labels))
    lines = ["  ".join(["document".ljust(width), *(rid.ljust(max(len(rid), 4)) for rid in shown)])]
    for label, row, row_cells in zip(labels, rows, cells, strict=True):
        if row.record is None:
            lines.append(f"{label.ljust(width)}  {row.summary[:160]}")
            continue
        texts = [TERMINAL_CELLS[row_cells.get(rid, UNCHECKED).word].ljust(max(len(rid), 4)) for rid in shown]
        lines.append("  ".join([label.ljust(width), *texts]).rstrip())
    hidden = len(every) - len(shown)
    legend = "pass, FAIL, n/a (not applicable), ERR (could not be decided), -- (not tested: needs the live API)"
    lines.append(legend)
    if hidden:
        lines.append(f"{hidden} more requirement(s) need the live API and were not tested for any document")
    return lines


def comparison_html(rows: list[Checked]) -> str:
    """The self-contained comparison page; each document's name links to its own report."""
    return (
        templates()
        .get_template("comparison.html.j2")
        .render(
            rows=rows,
            columns=columns(rows),
            groups=profile_groups(rows),
            cells=[row.cells() for row in rows],
            unchecked=UNCHECKED,
        )
    )


def write_comparison(rows: list[Checked], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / COMPARISON_NAME
    path.write_text(comparison_html(rows), encoding="utf-8")
    return path
