"""The jinja2 environment every HTML output is rendered with."""

from functools import cache

import jinja2


@cache
def templates() -> jinja2.Environment:
    """Autoescaping everywhere: every string in a record may come from a hostile supplier."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("conformance", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
