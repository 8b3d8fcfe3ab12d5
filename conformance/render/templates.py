"""The jinja2 environment every HTML output is rendered with."""

import re
from functools import cache

import jinja2
from markupsafe import Markup, escape

CODE_SPAN = re.compile(r"`([^`]+)`")


def code_spans(text: str) -> Markup:
    """Escaped text whose `backticked` spans (as profiles write names and headers) become <code>."""
    return Markup(CODE_SPAN.sub(r"<code>\1</code>", str(escape(text))))


@cache
def templates() -> jinja2.Environment:
    """Autoescaping everywhere: every string in a record may come from a hostile supplier."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("conformance", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["code_spans"] = code_spans
    return environment
