"""A document with many independent errors, and where each one is: the operation and the JSON path."""

import copy
from typing import Any

from conformance.demo.openapi import build_document

# (operation, JSON path) of every error `many_errors()` makes; "" where the place is in no operation.
MANY_ERRORS_AT = [
    ("", "$.info.title"),
    ("", "$.foo"),
    ("GET /health", "$.paths['/health'].get.responses['200'].description"),
    ("GET /cases", "$.paths['/cases'].get.parameters[0].in"),
    ("GET /cases/{caseId}", "$.paths['/cases/{caseId}'].get.summry"),
    ("DELETE /cases/{caseId}", "$.paths['/cases/{caseId}'].delete.deprecated"),
    ("GET /cases/export", "$.paths['/cases/export'].get.responses['200'].content['text/csv'].schema"),
    ("", "$.components.schemas.CaseInput.type"),
]


def many_errors() -> dict[str, Any]:
    """The reference supplier's document with eight independent errors in several operations and places.

    Some leave their operation usable (a missing description, a misspelt field); some do not (a schema type
    that does not exist breaks creating and updating a case): the rest of the API can still be fuzzed.
    """
    document = copy.deepcopy(build_document())
    paths = document["paths"]
    del document["info"]["title"]
    document["foo"] = "an unknown top-level field"
    del paths["/health"]["get"]["responses"]["200"]["description"]
    del paths["/cases"]["get"]["parameters"][0]["in"]
    paths["/cases/{caseId}"]["get"]["summry"] = "Read a case"
    paths["/cases/{caseId}"]["delete"]["deprecated"] = "yes"
    paths["/cases/export"]["get"]["responses"]["200"]["content"]["text/csv"]["schema"] = {
        "$ref": "#/components/schemas/CsvRow"
    }
    document["components"]["schemas"]["CaseInput"]["type"] = "strin"
    return document
