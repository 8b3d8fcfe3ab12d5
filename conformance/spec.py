"""Fetch, size-cap, parse, validate and fingerprint a supplier's OpenAPI document.

What is hostile (bombs, absurd nesting, size), unreachable or not OpenAPI at all is refused (SpecError, exit 2).
What is merely invalid is loaded with every problem located, for EXP-01 to report while the rest is tested.
"""

import hashlib
import json
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import yaml

from conformance.document_limits import MAX_EXPANDED_NODES, DocumentTooComplex, check_document_shape
from conformance.errors import SpecError, UsageError
from conformance.http import (
    FETCH_TIMEOUT,
    RedirectRefused,
    TooLarge,
    get_following_same_origin,
    innermost_reason,
    origin_of,
    read_capped,
    read_response_capped,
)
from conformance.refs import RefPolicy, bundle_external_refs
from conformance.validation import DocumentProblem, document_problems, problem_at
from conformance.yaml_documents import as_json, load_yaml

MEGABYTE = 1024 * 1024
# A cap against hostile input (a document is parsed whole, in memory), not a judgement of the API. Real
# descriptions reach 10-15 MB (GitHub's REST API: 13 MB, 1,223 operations, about 150 MB to load, validate
# and plan: bench/corpus.py); 64 MB admits one five times that size and keeps intake under about 1 GB.
DEFAULT_MAX_DOCUMENT_MB = 64


class CertificateNotVerified(SpecError):
    """The document's host presented a certificate that does not verify: nothing was sent over it."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot fetch the OpenAPI document {url}: its TLS certificate does not verify ({reason})")
        self.url = url


@dataclass(frozen=True)
class LoadedSpec:
    """An OpenAPI document, where it came from, and every place it breaks its OpenAPI schema."""

    source: str
    raw: bytes
    document: dict[str, Any] = field(repr=False)
    flavour: str
    url: str | None
    external_refs: tuple[str, ...] = ()
    problems: tuple[DocumentProblem, ...] = ()  # empty for a valid document
    # Why the document could not be read (its host's certificate does not verify); then it is empty.
    unread_reason: str = ""

    @classmethod
    def unread(cls, source: str, url: str, reason: str) -> "LoadedSpec":
        """The document we were pointed at but could not read: its URL, no bytes, no digest."""
        return cls(source=source, raw=b"", document={}, flavour="", url=url, unread_reason=reason)

    @property
    def sha256(self) -> str | None:
        """The digest of the bytes tested; None when the document could not be read."""
        return None if self.unread_reason else hashlib.sha256(self.raw).hexdigest()

    @property
    def name(self) -> str:
        """The URL, or the file name for a local document (a local path says nothing to a council)."""
        return self.url or Path(self.source).name


def too_large(source: str, max_mb: int) -> SpecError:
    """The refusal of a document over the cap, saying how to raise it."""
    return SpecError(
        f"the OpenAPI document {source} is larger than {max_mb} MB, the cap on documents (it guards against "
        f"hostile input); if you trust it, raise the cap with --max-document-size MB "
        f"(--conformance-max-document-size with plain pytest)"
    )


def fetch(
    source: str,
    headers: dict[str, str] | None = None,
    verify: bool | str = True,
    max_mb: int = DEFAULT_MAX_DOCUMENT_MB,
) -> tuple[bytes, str | None]:
    """The document's bytes (at most `max_mb` megabytes), and its URL when it came over HTTP(S)."""
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        return _fetch_url(source, headers or {}, verify, max_mb), source
    if scheme not in ("", "file"):
        raise SpecError(f"cannot fetch the OpenAPI document {source!r}: only http, https and file paths are supported")
    path = Path(source[len("file://") :] if scheme == "file" else source)
    try:
        return read_capped(path, max_mb * MEGABYTE), None
    except TooLarge:
        raise too_large(source, max_mb) from None
    except OSError as exc:
        raise SpecError(f"cannot read the OpenAPI document {source}: {exc.strerror or exc}") from exc


def _fetch_url(url: str, headers: dict[str, str], verify: bool | str, max_mb: int) -> bytes:
    try:
        with get_following_same_origin(url, headers, verify) as response:
            if response.status_code >= 400:
                raise SpecError(
                    f"fetching the OpenAPI document {url} failed: HTTP {response.status_code} {response.reason}"
                )
            try:
                return read_response_capped(response, max_mb * MEGABYTE)
            except TooLarge:
                raise too_large(url, max_mb) from None
    except RedirectRefused as exc:
        raise SpecError(str(exc)) from None
    except requests.exceptions.SSLError as exc:
        refusal = _certificate_refusal(exc)
        if refusal is not None:
            raise CertificateNotVerified(url, refusal.verify_message or str(refusal)) from exc
        raise SpecError(f"cannot fetch the OpenAPI document {url}: TLS failed ({innermost_reason(exc)})") from exc
    except requests.exceptions.ConnectionError as exc:
        raise SpecError(
            f"cannot fetch the OpenAPI document {url}: the server is unreachable ({innermost_reason(exc)})"
        ) from exc
    except requests.exceptions.Timeout as exc:
        raise SpecError(f"cannot fetch the OpenAPI document {url}: no answer within {FETCH_TIMEOUT:.0f} s") from exc
    except requests.exceptions.RequestException as exc:
        raise SpecError(f"cannot fetch the OpenAPI document {url}: {innermost_reason(exc)}") from exc


def _certificate_refusal(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error that requests wraps several layers deep, if that is what failed."""
    current: BaseException | None = exc
    while current is not None and not isinstance(current, ssl.SSLCertVerificationError):
        current = current.__context__ if current.__context__ is not current else None
    return current


def parse(raw: bytes, source: str) -> dict[str, Any]:
    """JSON or YAML (loaded safely) into a mapping."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{source} is not UTF-8 text, so it is neither JSON nor YAML") from exc
    try:
        document = json.loads(text)
    except RecursionError:
        raise SpecError(f"{source} is nested too deeply to be an OpenAPI document") from None
    except ValueError:
        try:
            document = load_yaml(text)
        except RecursionError:
            raise SpecError(f"{source} is nested too deeply to be an OpenAPI document") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise SpecError(f"{source} is neither JSON nor YAML: {getattr(exc, 'problem', exc)}{where}") from exc
    if not isinstance(document, dict):
        raise SpecError(f"{source} is not an OpenAPI document: expected a mapping at the top level")
    try:
        # Written out, a node takes at least a byte: only aliases make more nodes than that (GitHub's 13 MB
        # description has 350,000), so a large honest document is never taken for a bomb.
        check_document_shape(document, max(MAX_EXPANDED_NODES, len(raw)))
    except DocumentTooComplex as exc:
        raise SpecError(f"{source} {exc}") from None
    return document


def flavour_of(document: dict[str, Any], source: str) -> str:
    """Which OpenAPI version the document claims to be."""
    if str(document.get("swagger", "")) == "2.0":
        return "swagger-2.0"
    version = str(document.get("openapi", ""))
    for prefix in ("3.0", "3.1"):
        if version == prefix or version.startswith(prefix + "."):
            return f"openapi-{prefix}"
    if version:
        raise SpecError(f"{source} declares OpenAPI {version}; supported are Swagger 2.0 and OpenAPI 3.0 and 3.1")
    raise SpecError(f"{source} is not an OpenAPI document: it has no top-level 'openapi' or 'swagger' field")


def load_spec(
    source: str,
    headers: dict[str, str] | None = None,
    verify: bool | str = True,
    allow_ref_hosts: frozenset[str] = frozenset(),
    max_mb: int = DEFAULT_MAX_DOCUMENT_MB,
) -> LoadedSpec:
    """Everything the run needs to know about the document, its problems included; SpecError when unusable.

    `max_mb` caps the document and each document its `$ref`s fetch.
    """
    raw, url = fetch(source, headers, verify, max_mb)
    label = url or source
    document = parse(raw, label)
    flavour = flavour_of(document, label)
    policy = RefPolicy(origin=origin_of(url) if url else None, allowed_hosts=allow_ref_hosts)

    def load_external(uri: str) -> dict[str, Any]:
        # Credentials go only where the spec itself came from.
        same_origin = url is not None and urlsplit(uri).scheme in ("http", "https") and origin_of(uri) == policy.origin
        try:
            return parse(fetch(uri, headers if same_origin else None, verify, max_mb)[0], uri)
        except CertificateNotVerified as exc:  # a referenced host's certificate says nothing about the API's
            raise SpecError(str(exc)) from None

    external = bundle_external_refs(document, url or str(Path(source).resolve()), policy, load_external)
    document, not_json = as_json(document)  # YAML's non-string keys and dates: tested as JSON, and reported
    problems = [problem_at(parts, message) for parts, message in not_json] + document_problems(document, flavour)
    return LoadedSpec(
        source=source,
        raw=raw,
        document=document,
        flavour=flavour,
        url=url,
        external_refs=tuple(external),
        problems=tuple(problems),
    )


def resolve_base_url(spec: LoadedSpec, override: str | None) -> str:
    """`--base-url`, else the document's first server, resolved against the spec's URL when relative."""
    if override:
        candidate = override
    else:
        candidate = declared_server(spec.document)
        if candidate is None:
            raise UsageError(f"no base URL found: {spec.name} declares no servers; pass --base-url")
        if not urlsplit(candidate).scheme:
            if spec.url is None:
                raise UsageError(
                    f"no base URL found: {spec.name} declares the relative server {candidate!r} and was read "
                    "from a file; pass --base-url"
                )
            candidate = urljoin(spec.url, candidate)
    parts = urlsplit(candidate)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"the base URL {candidate!r} is not an http(s) URL")
    return candidate.rstrip("/")


def declared_server(document: dict[str, Any]) -> str | None:
    """The first server the document names, read defensively: an invalid document still gets this far."""
    if "swagger" in document:
        host = document.get("host")
        base_path = document.get("basePath")
        base_path = base_path if isinstance(base_path, str) else ""
        if not host or not isinstance(host, str):
            return base_path or None
        schemes = document.get("schemes")
        scheme = schemes[0] if isinstance(schemes, list) and schemes and isinstance(schemes[0], str) else "https"
        return f"{scheme}://{host}{base_path}"
    servers = document.get("servers")
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
        return None
    url = servers[0].get("url")
    if not url or not isinstance(url, str):
        return None
    variables = servers[0].get("variables")
    for name, variable in (variables if isinstance(variables, dict) else {}).items():
        default = variable.get("default", "") if isinstance(variable, dict) else ""
        url = url.replace("{" + str(name) + "}", str(default))
    return url
