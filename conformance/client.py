"""A small HTTP client for checks that exercise the live API directly (not through the fuzzer).

It resolves operationIds from the document, sends the user's credentials, verifies TLS as configured,
never follows redirects (a redirect is a finding, not a destination) and obeys the run's Safety limits.
"""

from typing import Any
from urllib.parse import urlsplit

import requests

from conformance.operations import operations_by_id
from conformance.progress import WAITS
from conformance.safety import Safety
from conformance.target import Target


class ApiClient:
    """Requests against `target.base_url` with the target's headers, TLS settings and the run's Safety."""

    def __init__(self, target: Target, safety: Safety | None = None) -> None:
        self.target = target
        self.safety = safety or Safety()
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
        """One request within the run's limits: refused writes in read-only runs, paced, time- and size-capped."""
        sent = dict(self.target.headers) if authenticated else {}
        sent.update(headers or {})
        return self._send(method, self.url(path), sent, **kwargs)

    def get_url(self, url: str, headers: dict[str, str] | None = None) -> requests.Response:
        """GET an absolute URL (a link the API gave), with the target's credentials only on the API's own origin."""
        there = urlsplit(url)
        if there.scheme not in ("http", "https"):
            raise AssertionError(f"refusing to follow a non-HTTP link: {url[:200]}")
        base = urlsplit(self.target.base_url)
        same_origin = (there.scheme, there.netloc) == (base.scheme, base.netloc)
        sent = dict(self.target.headers) if same_origin else {}
        sent.update(headers or {})
        return self._send("GET", url, sent)

    def _send(self, method: str, url: str, headers: dict[str, str], **kwargs: Any) -> requests.Response:
        self.safety.check_budget()
        self.safety.allow(method)
        self.safety.pace()
        kwargs.setdefault("timeout", self.safety.request_timeout)
        kwargs.setdefault("verify", self.target.verify)  # per request: REQUESTS_CA_BUNDLE would override session.verify
        with WAITS.on(f"{method.upper()} {urlsplit(url).path}", self.safety.request_timeout):
            response = self.session.request(
                method.upper(),
                url,
                headers=headers,
                allow_redirects=False,
                stream=True,
                hooks={"response": [self.safety.response_hook()]},
                **kwargs,
            )
            _ = response.content  # read now, under the cap, so checks never see a half-read body
        return response

    def call(self, operation_id: str, path_params: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        """Call a declared operation by its operationId."""
        operation = self.operations[operation_id]
        path = operation.path
        for name, value in (path_params or {}).items():
            path = path.replace("{" + name + "}", requests.utils.quote(str(value), safe=""))
        return self.request(operation.method, path, **kwargs)
