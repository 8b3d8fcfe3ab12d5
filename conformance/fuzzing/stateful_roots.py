"""Let the stateful phase start where the document's own links start.

Schemathesis starts stateful scenarios only at "reliable roots" when it has any. A create operation stops
being one when its dependency analysis takes a body field for a reference to a resource nothing produces,
which it guesses from the field's name: the planning supplier's `siteAddress` reads as a reference to a
"Site". The list operation stays a root, so no scenario ever creates a record and the links the document
declares from the create (read it back, delete it) are never followed: EXP-09 could not be tested at all.

We trust the document over the name-based guess: an operation the document itself declares links from,
with no path parameters to guess at random, is a root as well. Schemathesis 4.32.5 is pinned; this wraps
`schemathesis.specs.openapi.stateful.is_likely_root_transition`, which `classify_root_transitions` reads
from its module on each call (tests/test_fuzzing.py shows the planning create being followed).
"""

from typing import Any

from schemathesis.specs.openapi import stateful
from schemathesis.specs.openapi.stateful.links import SCHEMATHESIS_LINK_EXTENSION

_schemathesis_rule = stateful.is_likely_root_transition


def declares_links(operation: Any) -> bool:
    """Whether the document (not Schemathesis's inference) declares a link from one of its responses."""
    for _status, response in operation.responses.items():
        for _name, link in response.iter_links():
            if not (link.get(SCHEMATHESIS_LINK_EXTENSION) or {}).get("is_inferred"):
                return True
    return False


def is_root(operation: Any, node: Any, produced_anywhere: set[str]) -> bool:
    """Schemathesis's rule, or: the document declares links from it and it has no path parameter to guess."""
    if declares_links(operation) and not operation.path_parameters:
        return True
    return _schemathesis_rule(operation, node, produced_anywhere)


def start_at_declared_links() -> None:
    """Install the rule (again is harmless)."""
    stateful.is_likely_root_transition = is_root
