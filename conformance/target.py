"""What is tested: the spec, the base URL and the credentials to send."""

import os
from dataclasses import dataclass, field
from pathlib import Path

from conformance.errors import UsageError
from conformance.redaction import Redactor
from conformance.spec import LoadedSpec, resolve_base_url

HEADERS_VARIABLE = "CONFORMANCE_HEADERS"


@dataclass(frozen=True)
class Target:
    spec: LoadedSpec
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    # A second client's credentials (--peer-header): the isolation check reads as this client; empty when not given.
    peer_headers: dict[str, str] = field(default_factory=dict)
    # True, or the path of a CA bundle to trust; False only with --insecure, which can never certify.
    verify: bool | str = True
    # Why the API's certificate failed verification before anything was sent to it; then NET-04 fails with
    # this and nothing else is sent to the API ("" when it verified, or was not checked).
    certificate_refused: str = ""

    @property
    def insecure(self) -> bool:
        return self.verify is False

    @property
    def redactor(self) -> Redactor:
        """Header values (ours and the peer's) are credentials until proven otherwise; so is any secret in a
        basic-auth token."""
        secrets: list[str] = []
        for value in [*self.headers.values(), *self.peer_headers.values()]:
            secrets.append(value)
            secrets.extend(value.split()[1:])  # "Bearer abc" -> also "abc"
        return Redactor(secrets)


def parse_headers(lines: list[str] | tuple[str, ...], option: str = "--header") -> dict[str, str]:
    """`Name: value` lines into a mapping, with a clear error (naming `option`) for a malformed one."""
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
            raise UsageError(f"{option} must look like 'Name: value' (got {line.split(':')[0]!r}...)")
        headers[name.strip()] = value.strip()
    return headers


def tls_verify(ca_bundle: str | None, insecure: bool) -> bool | str:
    """What requests should verify certificates against; never silently off."""
    if ca_bundle and insecure:
        raise UsageError("--ca-bundle and --insecure contradict each other; choose one")
    if ca_bundle:
        if not Path(ca_bundle).is_file():
            raise UsageError(f"--ca-bundle {ca_bundle}: no such file")
        return str(Path(ca_bundle).resolve())
    return not insecure


def headers_from_environment() -> list[str]:
    """`Name: value` lines from $CONFORMANCE_HEADERS, so CI can pass secrets without a command line."""
    return [line for line in os.environ.get(HEADERS_VARIABLE, "").splitlines() if line.strip()]


def build_target(
    spec: LoadedSpec,
    base_url: str | None,
    headers: dict[str, str],
    verify: bool | str,
    peer_headers: dict[str, str] | None = None,
) -> Target:
    """The target for a loaded document: `base_url`, else the document's own servers.

    The peer must be another client: its own credentials would show a client reading its own records.
    """
    if peer_headers and peer_headers == headers:
        raise UsageError("--peer-header repeats --header; give the credentials of a second, different client")
    return Target(
        spec=spec,
        base_url=resolve_base_url(spec, base_url),
        headers=headers,
        peer_headers=peer_headers or {},
        verify=verify,
    )
