"""Fetch, size-cap, parse, validate and fingerprint a supplier's OpenAPI document."""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import yaml
from openapi_spec_validator import OpenAPIV2SpecValidator, OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from conformance.document_limits import DocumentTooComplex, check_document_shape
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

MAX_SPEC_BYTES = 10 * 1024 * 1024
VALIDATORS = {
    "swagger-2.0": OpenAPIV2SpecValidator,
    "openapi-3.0": OpenAPIV30SpecValidator,
    "openapi-3.1": OpenAPIV31SpecValidator,
}


@dataclass(frozen=True)
class LoadedSpec:
    """A validated OpenAPI document and where it came from."""

    source: str
    raw: bytes
    document: dict[str, Any] = field(repr=False)
    flavour: str
    url: str | None
    external_refs: tuple[str, ...] = ()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def name(self) -> str:
        """The URL, or the file name for a local document (a local path says nothing to a council)."""
        return self.url or Path(self.source).name


def fetch(source: str, headers: dict[str, str] | None = None, verify: bool | str = True) -> tuple[bytes, str | None]:
    """The document's bytes, and its URL when it came over HTTP(S)."""
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        return _fetch_url(source, headers or {}, verify), source
    if scheme not in ("", "file"):
        raise SpecError(f"cannot fetch the OpenAPI document {source!r}: only http, https and file paths are supported")
    path = Path(source[len("file://") :] if scheme == "file" else source)
    try:
        return read_capped(path, MAX_SPEC_BYTES), None
    except TooLarge:
        raise SpecError(f"the OpenAPI document {source} is larger than {MAX_SPEC_BYTES} bytes") from None
    except OSError as exc:
        raise SpecError(f"cannot read the OpenAPI document {source}: {exc.strerror or exc}") from exc


def _fetch_url(url: str, headers: dict[str, str], verify: bool | str) -> bytes:
    try:
        with get_following_same_origin(url, headers, verify) as response:
            if response.status_code >= 400:
                raise SpecError(
                    f"fetching the OpenAPI document {url} failed: HTTP {response.status_code} {response.reason}"
                )
            try:
                return read_response_capped(response, MAX_SPEC_BYTES)
            except TooLarge:
                raise SpecError(f"the OpenAPI document at {url} is larger than {MAX_SPEC_BYTES} bytes") from None
    except RedirectRefused as exc:
        raise SpecError(str(exc)) from None
    except requests.exceptions.SSLError as exc:
        raise SpecError(f"cannot fetch the OpenAPI document {url}: TLS failed ({innermost_reason(exc)})") from exc
    except requests.exceptions.ConnectionError as exc:
        raise SpecError(
            f"cannot fetch the OpenAPI document {url}: the server is unreachable ({innermost_reason(exc)})"
        ) from exc
    except requests.exceptions.Timeout as exc:
        raise SpecError(f"cannot fetch the OpenAPI document {url}: no answer within {FETCH_TIMEOUT:.0f} s") from exc
    except requests.exceptions.RequestException as exc:
        raise SpecError(f"cannot fetch the OpenAPI document {url}: {innermost_reason(exc)}") from exc


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
            document = yaml.safe_load(text)
        except RecursionError:
            raise SpecError(f"{source} is nested too deeply to be an OpenAPI document") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise SpecError(f"{source} is neither JSON nor YAML: {getattr(exc, 'problem', exc)}{where}") from exc
    if not isinstance(document, dict):
        raise SpecError(f"{source} is not an OpenAPI document: expected a mapping at the top level")
    try:
        check_document_shape(document)
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


def validate_document(document: dict[str, Any], flavour: str, source: str) -> None:
    """Raise SpecError naming the first place the document breaks its OpenAPI schema."""
    validator = VALIDATORS[flavour](document)
    try:
        validator.validate()
    except OpenAPIValidationError as exc:
        where = exc.json_path if getattr(exc, "json_path", None) else "$"
        reason = str(exc.message).split("\n")[0]
        raise SpecError(f"{source} is not a valid {flavour} document: at {where}: {reason}") from exc
    except (ValueError, LookupError, OSError) as exc:
        raise SpecError(f"{source} could not be validated: {innermost_reason(exc)}") from exc


def load_spec(
    source: str,
    headers: dict[str, str] | None = None,
    verify: bool | str = True,
    allow_ref_hosts: frozenset[str] = frozenset(),
) -> LoadedSpec:
    """Everything the run needs to know about the document, or a SpecError that says what is wrong."""
    raw, url = fetch(source, headers, verify)
    label = url or source
    document = parse(raw, label)
    flavour = flavour_of(document, label)
    policy = RefPolicy(origin=origin_of(url) if url else None, allowed_hosts=allow_ref_hosts)

    def load_external(uri: str) -> dict[str, Any]:
        # Credentials go only where the spec itself came from.
        same_origin = url is not None and urlsplit(uri).scheme in ("http", "https") and origin_of(uri) == policy.origin
        return parse(fetch(uri, headers if same_origin else None, verify)[0], uri)

    external = bundle_external_refs(document, url or str(Path(source).resolve()), policy, load_external)
    validate_document(document, flavour, label)
    return LoadedSpec(
        source=source, raw=raw, document=document, flavour=flavour, url=url, external_refs=tuple(external)
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
    if "swagger" in document:
        host = document.get("host")
        if not host:
            return document.get("basePath") or None
        scheme = (document.get("schemes") or ["https"])[0]
        return f"{scheme}://{host}{document.get('basePath', '')}"
    servers = document.get("servers") or []
    if not servers or not isinstance(servers[0], dict) or not servers[0].get("url"):
        return None
    url = str(servers[0]["url"])
    for name, variable in (servers[0].get("variables") or {}).items():
        url = url.replace("{" + name + "}", str(variable.get("default", "")))
    return url
