"""SVG verdict badges that suppliers embed: one per profile of a listed product, with no fonts or links.

The width comes from a fixed per-character estimate and `textLength`, so the badge is the same bytes on
every machine and the text fits whatever font the viewer has.
"""

from html import escape

from conformance.record import Verdict

CHAR_WIDTH = 6.5
PADDING = 12
HEIGHT = 20
CONFORMANT_COLOUR = "#00703c"
OTHER_COLOUR = "#d4351c"
LABEL_COLOUR = "#505a5f"


def _width(text: str) -> int:
    return int(len(text) * CHAR_WIDTH + 0.5) + PADDING


def _text(text: str, left: int, width: int) -> str:
    fitted = width - PADDING
    return (
        f'<text x="{left + width / 2:g}" y="14" text-anchor="middle" textLength="{fitted}" '
        f'lengthAdjust="spacingAndGlyphs">{escape(text)}</text>'
    )


def badge_svg(label: str, verdict: str, title: str) -> str:
    """A flat two-part badge: LABEL | VERDICT, green for conformant; `title` is the tooltip and accessible name."""
    left, right = _width(label), _width(verdict)
    colour = CONFORMANT_COLOUR if verdict == Verdict.CONFORMANT else OTHER_COLOUR
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + right}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(f"{label}: {verdict}")}">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{left}" height="{HEIGHT}" fill="{LABEL_COLOUR}"/>'
        f'<rect x="{left}" width="{right}" height="{HEIGHT}" fill="{colour}"/>'
        f'<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f"{_text(label, 0, left)}{_text(verdict, left, right)}</g></svg>\n"
    )
