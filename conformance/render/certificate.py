"""The certificate page: a view rendered from the signed statement alone (no clock, no locale).

`verify` re-renders it from the verified payload and compares it with the page it was given, so an edit to
any visible text shows. A released view never changes, or every certificate signed with it would stop
verifying ("visible page edited"): change the page by adding a view; a test pins each released one.
"""

import json
from typing import Any

from conformance.render.templates import templates
from conformance.timestamps import human_time

CERTIFICATE_VIEWS = {1: "certificate-v1.html.j2"}  # the page layouts a certificate can name
CURRENT_VIEW = max(CERTIFICATE_VIEWS)


def embed_json(envelope: dict[str, Any]) -> str:
    """JSON that cannot end the <script> element or open a comment: <, > and & only occur inside strings."""
    text = json.dumps(envelope, indent=2, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def render_html(statement: dict[str, Any], envelope_json: str) -> str:
    """The certificate page: a pure function of the statement and the (already escaped) embedded envelope."""
    predicate = statement["predicate"]
    return (
        templates()
        .get_template(CERTIFICATE_VIEWS[predicate["view"]])
        .render(
            statement=statement,
            predicate=predicate,
            issued=human_time(predicate["issued_at"]),
            expires=human_time(predicate["expires_at"]),
            envelope_json=envelope_json,
        )
    )
