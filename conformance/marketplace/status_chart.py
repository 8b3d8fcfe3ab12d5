"""A product's verdicts over time as a small inline SVG: one mark per run, oldest on the left.

Made on the server: no script, no font and no external resource is needed to read it. Position says the
verdict and colour repeats it: a conformant run is a bar above the line, a not-conformant one a bar below it,
an incomplete run a short bar below, a run the harness could not make a dot on the line. The chart's title,
its description (every run's date and verdict) and each mark's own title say the same in words.
"""

from dataclasses import dataclass
from html import escape

from conformance.marketplace.badges import CONFORMANT_COLOUR, LABEL_COLOUR, OTHER_COLOUR
from conformance.marketplace.register.consequences import CONFORMANT, ERROR, INCOMPLETE, NOT_CONFORMANT
from conformance.timestamps import human_time

STEP = 10  # horizontal room per run
BAR = 6
PAD = 4
LINE = 26  # the line between passing (above) and failing (below)
HEIGHT = 2 * LINE
INCOMPLETE_COLOUR = "#8f4a00"

# outcome -> (top, height, colour) of its bar
BARS = {
    CONFORMANT: (PAD, LINE - PAD, CONFORMANT_COLOUR),
    NOT_CONFORMANT: (LINE, LINE - PAD, OTHER_COLOUR),
    INCOMPLETE: (LINE, (LINE - PAD) // 2, INCOMPLETE_COLOUR),
}
WORDS = {
    CONFORMANT: "conformant",
    NOT_CONFORMANT: "not conformant",
    INCOMPLETE: "incomplete",
    ERROR: "not run (harness-side error)",
}


@dataclass(frozen=True)
class Mark:
    """One run as the chart shows it."""

    at: str  # RFC 3339, as the register stores it
    outcome: str


def verdict_words(outcome: str) -> str:
    return WORDS.get(outcome, outcome)


def describe(marks: list[Mark]) -> str:
    """The text alternative: every run's date and verdict, oldest first."""
    if not marks:
        return "No runs yet."
    runs = "; ".join(f"{human_time(m.at)}: {verdict_words(m.outcome)}" for m in marks)
    return f"{len(marks)} run{'' if len(marks) == 1 else 's'}, oldest first: {runs}."


def mark_svg(index: int, mark: Mark) -> str:
    left = PAD + index * STEP
    label = escape(f"{human_time(mark.at)}: {verdict_words(mark.outcome)}")
    common = f'class="run {escape(mark.outcome)}" data-at="{escape(mark.at)}" data-outcome="{escape(mark.outcome)}"'
    if mark.outcome in BARS:
        top, height, colour = BARS[mark.outcome]
        return (
            f'<rect {common} x="{left}" y="{top}" width="{BAR}" height="{height}" fill="{colour}">'
            f"<title>{label}</title></rect>"
        )
    centre = left + BAR / 2
    return (
        f'<circle {common} cx="{centre:g}" cy="{LINE}" r="{BAR / 2:g}" fill="{LABEL_COLOUR}">'
        f"<title>{label}</title></circle>"
    )


def verdict_chart(marks: list[Mark], chart_id: str, title: str, zoom: float = 1.0) -> str:
    """The chart of `marks` (oldest first) as an inline <svg>; `chart_id` makes its title and desc ids unique
    on the page. Its natural size is `zoom` times STEP px per run; a page may scale it down to fit its width."""
    width = 2 * PAD + max(len(marks), 1) * STEP
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    body = "".join(mark_svg(i, mark) for i, mark in enumerate(marks))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" width="{width * zoom:g}" '
        f'height="{HEIGHT * zoom:g}" viewBox="0 0 {width} {HEIGHT}" role="img" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}">'
        f'<title id="{escape(title_id)}">{escape(title)}</title>'
        f'<desc id="{escape(desc_id)}">{escape(describe(marks))}</desc>'
        f'<line x1="0" y1="{LINE}" x2="{width}" y2="{LINE}" stroke="{LABEL_COLOUR}" stroke-width="1"/>'
        f"{body}</svg>"
    )
