"""A small HTTP client for checks that exercise the live API directly (not through the fuzzer).

It resolves operationIds from the document, sends the user's credentials, verifies TLS as configured,
never follows redirects (a redirect is a finding, not a destination) and caps response bodies.
"""

from dataclasses import dataclass
from typing import Any

import requests

from conformance.target import Target

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
DEFAULT_TIMEOUT = 10.0
MAX_BODY_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Operation:
    """Where an operationId lives in the API."""

    operation_id: str
    method: str
    path: str
    definition: dict[str, Any]


def operations_by_id(document: dict[str, Any]) -> dict[str, Operation]:
    found: dict[str, Operation] = {}
    for path, item in (document.get("paths") or {}).items():
        for method in HTTP_METHODS:
            operation = (item or {}).get(method)
            if isinstance(operation, dict) and operation.get("operationId"):
                found[str(operation["operationId"])] = Operation(str(operation["operationId"]), method, path, operation)
    return found


class ResponseTooLarge(Exception):
    """The response body exceeded the cap; the check should say so rather than read on."""


class ApiClient:
    """Requests against `target.base_url` with the target's headers and TLS settings."""

    def __init__(self, target: Target, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.target = target
        self.timeout = timeout
        self.operations = operations_by_id(target.spec.document)
        self.session = requests.Session()
        self.session.verify = target.verify

    def url(self, path: str) -> str:
        return self.target.base_url + path

    def request(
        self,
        method: str,
        path: str,
        *,
        authenticated: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """One request; the body is read up to MAX_BODY_BYTES."""
        sent = dict(self.target.headers) if authenticated else {}
        sent.update(headers or {})
        kwargs.setdefault("timeout", self.timeout)
        response = self.session.request(
            method.upper(), self.url(path), headers=sent, allow_redirects=False, stream=True, **kwargs
        )
        body = bytearray()
        for chunk in response.iter_content(65536):
            body.extend(chunk)
            if len(body) > MAX_BODY_BYTES:
                response.close()
                raise ResponseTooLarge(f"{method.upper()} {path}: response larger than {MAX_BODY_BYTES} bytes")
        response._content = bytes(body)
        return response

    def call(self, operation_id: str, path_params: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        """Call a declared operation by its operationId."""
        operation = self.operations[operation_id]
        path = operation.path
        for name, value in (path_params or {}).items():
            path = path.replace("{" + name + "}", requests.utils.quote(str(value), safe=""))
        return self.request(operation.method, path, **kwargs)
