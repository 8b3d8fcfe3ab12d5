"""Which requirement a Schemathesis failure violates, and the finding it makes (labelled as it was sent).

A request with a method the document does not declare is not a valid request (a 501 to it is what RFC 9110
asks, and any other 4xx rejects it as EXP-07 asks), and a server error on a request that reached the server
malformed is NET-10's, not EXP-03's.
"""

from typing import Any

from schemathesis.generation.meta import CoverageScenario, coverage_scenario

from conformance.fuzzing.location_check import CHECK_NAME as LOCATION_CHECK
from conformance.fuzzing.malformed import reached_server_malformed
from conformance.operations import resolve
from conformance.record import Finding

# Every check Schemathesis runs, and the requirement its failures violate. A test keeps this complete.
CHECK_REQUIREMENTS: dict[str, str] = {
    "not_a_server_error": "EXP-03",
    "response_schema_conformance": "EXP-04",
    "response_headers_conformance": "EXP-04",
    "status_code_conformance": "EXP-05",
    "content_type_conformance": "EXP-06",
    "negative_data_rejection": "EXP-07",
    "missing_required_header": "EXP-07",
    "unsupported_method": "EXP-07",
    "allow_header_conformance": "EXP-07",
    "positive_data_acceptance": "EXP-08",
    "use_after_free": "EXP-09",
    "ensure_resource_availability": "EXP-09",
    LOCATION_CHECK: "EXP-09",
    "ignored_auth": "NET-01",
    "object_level_authorization": "NET-01",  # idle without Schemathesis's own second identity; NET-14 is direct
}
AUTH_REQUIREMENT = "NET-01"
# A server error on a request that reached the server malformed (negative mode, or a method the document does
# not declare) violates this one instead of EXP-03.
MALFORMED_INPUT_REQUIREMENT = "NET-10"
STATEFUL_REQUIREMENT = "EXP-09"
CREDENTIAL_HEADERS = {"authorization", "cookie", "proxy-authorization"}
# A body sent with a Content-Type the operation does not declare (or a broken one) is malformed input: a 415
# was due (RFC 9110 section 15.5.16), and a server error on it is NET-10's, not EXP-03's.
MALFORMED_CONTENT_TYPES = {CoverageScenario.MALFORMED_CONTENT_TYPE, CoverageScenario.UNSUPPORTED_CONTENT_TYPE}
# RFC 9110 section 15.6.2: the answer of a server that does not recognise a method at all.
NOT_IMPLEMENTED = 501
RESPONSE_BODY_LIMIT = 2000  # of a server error's body kept with its finding


def is_probe(case: Any) -> bool:
    """A request with a method the document does not declare for the path (the unsupported-method probe)."""
    return str(case.method).upper() != str(case.operation.method).upper()


def sent_label(case: Any) -> str:
    """The method actually sent and the path template: what the finding's curl shows."""
    return f"{str(case.method).upper()} {case.operation.path}"


def finding_of(check: Any, case: Any, response: Any | None, declared_methods: set[str], curl: str) -> Finding | None:
    """The finding a failed check makes, under the requirement it violates; None when it is no violation.

    `curl` replays it (conformance.fuzzing.reproduction).

    A request with an undeclared method is not a valid request: a server error to it is a failure on
    malformed input (NET-10), never EXP-03. A 501 to it is what RFC 9110 section 15.6.2 asks of a server
    that does not recognise the method at all, so it is no finding, unless the document declares that
    method elsewhere (then the server does recognise it, and 405 was due).
    """
    failure = check.failure_info.failure
    requirement = CHECK_REQUIREMENTS.get(check.name, "EXP-04")
    if is_probe(case):
        status = response.status_code if response is not None else None
        recognised = str(case.method).upper() in declared_methods
        if status == NOT_IMPLEMENTED and (check.name == "not_a_server_error" or not recognised):
            return None
        if check.name == "unsupported_method" and _rejected_otherwise(failure, status):
            return None
        if check.name == "not_a_server_error":
            requirement = MALFORMED_INPUT_REQUIREMENT
    elif check.name == "not_a_server_error" and (
        reached_server_malformed(case, response) or coverage_scenario(case) in MALFORMED_CONTENT_TYPES
    ):
        requirement = MALFORMED_INPUT_REQUIREMENT
    if check.name == "positive_data_acceptance" and _required_body_sent_empty(case, response):
        return None
    if check.name == "missing_required_header" and getattr(failure, "header_name", "").lower() in _auth_headers(case):
        requirement = AUTH_REQUIREMENT
    return Finding(
        requirement=requirement,
        check=check.name,
        operation=sent_label(case),
        title=str(failure.title),
        message=str(failure.message),
        status_code=getattr(failure, "status_code", None),
        occurrences=1,
        curl=curl,
        response_body=server_error_body(response),
    )


def server_error_body(response: Any | None) -> str:
    """What a server error said (the first RESPONSE_BODY_LIMIT characters): often the fastest way to its cause."""
    if response is None or not 500 <= response.status_code < 600:
        return ""
    content = bytes(response.content or b"")[: RESPONSE_BODY_LIMIT * 4]
    try:
        text = content.decode(response.encoding or "utf-8", errors="replace")
    except (LookupError, ValueError):  # a codec name the server made up
        text = content.decode("utf-8", errors="replace")
    return text[:RESPONSE_BODY_LIMIT]


def _rejected_otherwise(failure: Any, status: int | None) -> bool:
    """An undeclared method refused with a 4xx other than 405: EXP-07 asks for a 4xx, not for 405 itself.

    A router that matches paths before methods sends DELETE /reports/export to DELETE /reports/{id}, and
    rejects "export" as an id (422); that is a rejection. A 405 without its Allow header stays a finding.
    """
    return getattr(failure, "failure_reason", None) == "wrong_status" and status is not None and 400 <= status < 500


def _required_body_sent_empty(case: Any, response: Any | None) -> bool:
    """A valid value of a required body that serialises to nothing (an empty NDJSON array, an empty string).

    On the wire that is a request without content (RFC 9112 section 6.3), which is what `required: true`
    forbids, so a server that refuses it has refused an invalid request, not a valid one.
    """
    sent = getattr(getattr(response, "request", None), "body", None)
    if sent not in (None, b"", ""):
        return False
    document = case.operation.schema.raw_schema
    body = resolve(document, case.operation.definition.raw.get("requestBody") or {})
    return isinstance(body, dict) and body.get("required") is True


def _auth_headers(case: Any) -> set[str]:
    """Header names that carry credentials for this operation: a missing one is an auth failure."""
    names = set(CREDENTIAL_HEADERS)
    schemes = case.operation.schema.raw_schema.get("components", {}).get("securitySchemes", {})
    for scheme in schemes.values():
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            names.add(str(scheme.get("name", "")).lower())
    return names
