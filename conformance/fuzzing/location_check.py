"""A Schemathesis check of our own (EXP-09): a 201's Location names where the created record can be read.

Schemathesis cannot see a Location that names the wrong URL. Its Location-header inference
(specs/openapi/stateful/inference.py) strips the base path and matches what is left against the
document's paths; where one matches it writes a link that copies the path parameters into the *declared*
operation, and where none does (a Location outside the base path, such as /api/v1/... under /api/v2) it
drops the header silently. Its stateful checks (ensure_resource_availability, use_after_free) then judge
only requests built from links, so the Location URL itself is never requested. This check requests it,
right after the 201, on the API's own origin only.
"""

from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import schemathesis
from schemathesis.core.failures import Failure
from schemathesis.core.rate_limit import ratelimit

from conformance.fuzzing.guard import active_safety
from conformance.safety import DEFAULT_REQUEST_TIMEOUT

CHECK_NAME = "created_resource_is_at_its_location"
GONE = (404, 410)
NOT_FORWARDED = frozenset({"content-type", "content-length", "transfer-encoding"})


class CreatedResourceNotAtLocation(Failure):
    """The URL a 201 named in Location does not serve the created record."""

    kind_title = "Created record is not at its Location"


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


@schemathesis.check
def created_resource_is_at_its_location(ctx: Any, response: Any, case: Any) -> bool | None:
    """GET the Location of a 201 with the credentials that created it: 404 or 410 there is a failure."""
    locations = response.headers.get("location") if response.status_code == 201 else None
    if not locations:
        return None
    request = response.request
    url = urljoin(str(request.url), locations[0].strip())
    if _origin(url) != _origin(str(request.url)):
        return None  # never send credentials, or anything, to another origin
    safety = active_safety()
    headers = {name: value for name, value in request.headers.items() if name.lower() not in NOT_FORWARDED}
    config = case.operation.schema.config
    try:
        with ratelimit(config.rate_limit_for(operation=case.operation), config.base_url):
            answer = requests.get(
                url,
                headers=headers,
                verify=config.tls_verify_for(operation=case.operation),
                timeout=safety.request_timeout if safety else DEFAULT_REQUEST_TIMEOUT,
                allow_redirects=False,
                stream=True,  # only the status matters: the body is never read
            )
            answer.close()
    except requests.RequestException:
        return None  # the network failed, not the API's promise; the run reports network trouble elsewhere
    if answer.status_code in GONE:
        raise CreatedResourceNotAtLocation(
            operation=case.operation.label,
            message=(
                f"{case.method} {case.formatted_path} answered 201 with Location: {locations[0]}, "
                f"but GET {url} answered {answer.status_code}, so the created record is not where it says"
            ),
        )
    return None
