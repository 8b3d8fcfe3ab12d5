"""Network integration: TLS, certificates, plain HTTP, authentication schemes and challenges, isolation
between clients, health, what responses give away, malformed input, rate limiting, versioning and CORS.

Direct checks send only GET and OPTIONS requests, only to the target's own host, with short timeouts; the
isolation check alone also creates (and deletes again) one test record per declared collection.
"""

import re
import time
from typing import Any

import pytest
import requests

from conformance.causes import no_tls
from conformance.checks.kit.decides import Decides
from conformance.checks.kit.declared import DeclaredCollections, open_declared
from conformance.checks.kit.evidence import observed
from conformance.checks.kit.fuzzed import assert_no_findings
from conformance.checks.kit.isolation import Planted, as_peer, peer_views
from conformance.checks.kit.outcomes import NeedsLiveApi, RequirementNotMet, Undecided, listed, not_applicable
from conformance.checks.kit.probes import (
    LEGACY_TLS,
    MODERN_TLS,
    PLAIN_HTTP_UNDECIDED,
    PROBE_TIMEOUT,
    Endpoint,
    PlainHttp,
    Probe,
    check_certificate,
    probe_plain_http,
    probe_tls_version,
)
from conformance.checks.kit.records import marker
from conformance.checks.kit.security import credentials_in_query, declared_security_schemes
from conformance.client import ApiClient
from conformance.declaration import DeclarationError, read_declaration
from conformance.fuzzing.findings import MALFORMED_INPUT_REQUIREMENT
from conformance.fuzzing.report import FuzzReport
from conformance.observations import (
    api_version_headers,
    banner_leaks,
    find_leaks,
    hsts_max_age,
    rate_limit_headers,
    tells_when_to_retry,
)
from conformance.operations import HTTP_METHODS, Operation, declares_security
from conformance.target import Target

HEALTH_DEADLINE = 2.0  # seconds: "promptly"
BURST_REQUESTS = 30
BURST_SECONDS = 3.0
MAX_POLITE_WAIT = 2.0  # after provoking a 429, wait this long at most before the next check
PROBE_ORIGIN = "https://conformance-probe.invalid"
STANDARD_HTTP_SCHEMES = {"bearer", "basic"}
STANDARD_SCHEME_TYPES = {"oauth2", "openIdConnect", "mutualTLS"}
# RFC 9110 11.6.1: a challenge starts with its auth-scheme, a token.
AUTH_CHALLENGE = re.compile(r"^\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+")
VERSION_SEGMENT = re.compile(r"^v\d+(\.\d+)*$", re.I)


# --- shared look-ups ------------------------------------------------------------------------------


def _endpoint(target: Target) -> Endpoint:
    return Endpoint.of(target.base_url)


def _health(api: ApiClient) -> Operation | None:
    """The declared health operation, or None when the declaration is missing (NET-07 reports that)."""
    try:
        return api.operations[read_declaration(api.target.spec.document).health]
    except DeclarationError:
        return None


def _concrete(operation: Operation, value: str = "1") -> str:
    return re.sub(r"\{[^}]+\}", value, operation.path)


def _sample(api: ApiClient) -> list[tuple[str, requests.Response]]:
    """A handful of ordinary and error responses: the health check, a secured GET without credentials, a
    path parameter of the wrong kind, and an unknown path."""
    document = api.target.spec.document
    requests_to_send: list[tuple[str, str, bool]] = []
    health = _health(api)
    if health is not None:
        requests_to_send.append(("health", health.path, True))
    gets = [op for op in api.operations.values() if op.method == "get"]
    secured = [op for op in gets if declares_security(op.definition, document)]
    if secured:
        op = min(secured, key=lambda o: ("{" in o.path, o.path))
        requests_to_send.append((f"{op.operation_id} without credentials", _concrete(op), False))
    with_parameter = [op for op in gets if "{" in op.path]
    if with_parameter:
        op = with_parameter[0]
        requests_to_send.append(
            (f"{op.operation_id} with a malformed path parameter", _concrete(op, "%7Bnot-an-id%7D"), True)
        )
    requests_to_send.append(("an unknown path", "/conformance-probe-no-such-resource", True))
    sampled = []
    for label, path, authenticated in requests_to_send:
        try:
            sampled.append((label, api.request("GET", path, authenticated=authenticated)))
        except requests.RequestException as exc:
            raise Undecided(f"GET {path} ({label}) failed: {type(exc).__name__}: {exc}") from None
    return sampled


@pytest.fixture(scope="module")
def sampled(api: ApiClient) -> list[tuple[str, requests.Response]]:
    return _sample(api)


# --- checks ---------------------------------------------------------------------------------------


def test_https_only(target: Target, api: ApiClient, evidence: list[dict[str, Any]]) -> None:
    endpoint = _endpoint(target)
    evidence.append({"base_url": target.base_url})
    if not endpoint.https:
        raise RequirementNotMet(
            f"the API is served over plain HTTP ({target.base_url}); serve it over HTTPS only", no_tls(target.base_url)
        )
    health = _health(api)
    path = endpoint.path + (health.path if health else "/")
    probes = [probe_plain_http(url) for url in endpoint.plain_http_urls(path)]
    evidence.extend(p.as_evidence() for p in probes)
    answered = [p.detail for p in probes if p.result is PlainHttp.ANSWERED]
    assert not answered, "; ".join(answered) + ": refuse plain HTTP or redirect it to https://"
    undecided = [p.detail for p in probes if p.result in PLAIN_HTTP_UNDECIDED]
    if undecided:
        raise Undecided("could not tell whether plain HTTP is refused: " + "; ".join(undecided))


def test_tls_versions(target: Target, evidence: list[dict[str, Any]]) -> None:
    endpoint = _endpoint(target)
    if not endpoint.https:
        raise RequirementNotMet("the API is not served over TLS at all (see NET-02)", no_tls(target.base_url))
    probes = {v: probe_tls_version(endpoint.host, endpoint.port, v) for v in (*MODERN_TLS, *LEGACY_TLS)}
    evidence.extend(p.as_evidence() for p in probes.values())
    accepted_legacy = [p.version for v, p in probes.items() if v in LEGACY_TLS and p.result == Probe.ACCEPTED]
    assert not accepted_legacy, f"the server accepts {' and '.join(accepted_legacy)}; refuse everything below TLS 1.2"
    modern = [probes[v] for v in MODERN_TLS]
    if not any(p.result == Probe.ACCEPTED for p in modern):
        if all(p.result in (Probe.UNREACHABLE, Probe.NOT_OFFERED) for p in modern):
            raise Undecided("; ".join(p.detail for p in modern))
        raise AssertionError("the server accepts neither TLS 1.2 nor TLS 1.3: " + "; ".join(p.detail for p in modern))
    undecided = [p for v, p in probes.items() if v in LEGACY_TLS and p.result != Probe.REFUSED]
    if undecided:
        raise Undecided("could not tell whether old versions are refused: " + "; ".join(p.detail for p in undecided))


def test_certificate_valid_for_host(target: Target, evidence: list[dict[str, Any]]) -> None:
    endpoint = _endpoint(target)
    if not endpoint.https:
        raise RequirementNotMet(
            "the API is not served over HTTPS, so it has no certificate (see NET-02)", no_tls(target.base_url)
        )
    if target.insecure:
        raise Undecided(
            "certificate verification is off (--insecure), so the certificate cannot be judged; run again "
            "without --insecure (with --ca-bundle FILE for a private CA)"
        )
    trusted = "the CA bundle given with --ca-bundle" if isinstance(target.verify, str) else "the public CA bundle"
    seen = {"host": endpoint.host, "port": endpoint.port, "trusted": trusted}
    if target.certificate_refused:  # found before anything was sent; the rest of the run is not tested
        evidence.append({**seen, "verified": False, "detail": target.certificate_refused})
        raise AssertionError(f"{target.certificate_refused} (trusting {trusted}); nothing else was tested")
    result = check_certificate(endpoint.host, endpoint.port, target.verify)
    evidence.append({**seen, "verified": result.valid, "detail": result.detail, **result.certificate})
    if result.valid is None:
        raise Undecided(result.detail)
    assert result.valid, f"{result.detail} (trusting {trusted})"


def test_hsts(target: Target, sampled: list[tuple[str, requests.Response]], evidence: list[dict[str, Any]]) -> None:
    if not _endpoint(target).https:
        not_applicable("the API sends no HTTPS responses, so HSTS does not apply (see NET-02)", no_tls(target.base_url))
    missing = []
    for label, response in sampled:
        value = response.headers.get("Strict-Transport-Security")
        evidence.append(observed(response, label, strict_transport_security=value))
        if not hsts_max_age(value):
            missing.append(f"{label} ({response.status_code}): {value or 'no header'}")
    assert not missing, "responses without Strict-Transport-Security max-age > 0: " + "; ".join(missing)


def test_standard_auth_schemes(target: Target, evidence: list[dict[str, Any]]) -> None:
    document = target.spec.document
    schemes = declared_security_schemes(document)
    problems = []
    for name, scheme in schemes.items():
        kind = scheme.get("type", "")
        evidence.append({"scheme": name, "type": kind, "in": scheme.get("in"), "http_scheme": scheme.get("scheme")})
        if kind == "apiKey":
            where = scheme.get("in", "?")
            if where == "query":
                problems.append(f"{name} passes a credential in the query string ({scheme.get('name')!r})")
            else:
                problems.append(f"{name} is an API key in a {where}, not a standard scheme")
        elif kind == "http" and str(scheme.get("scheme", "")).lower() not in STANDARD_HTTP_SCHEMES:
            problems.append(f"{name} uses HTTP scheme {scheme.get('scheme')!r}; use bearer or basic")
        elif kind not in {"http", "basic", *STANDARD_SCHEME_TYPES}:
            problems.append(f"{name} has type {kind!r}, not a standard scheme")
    problems.extend(credentials_in_query(document, schemes))
    if not schemes and not problems:
        not_applicable("the document declares no security scheme")
    assert not problems, "; ".join(sorted(set(problems)))


def test_health_endpoint(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    api = declared.api
    operation = api.operations[declared.declaration.health]
    started = time.monotonic()
    try:
        response = api.call(operation.operation_id, timeout=max(PROBE_TIMEOUT, HEALTH_DEADLINE + 1))
    except requests.Timeout:
        raise AssertionError(
            f"{operation.method.upper()} {operation.path} did not answer within "
            f"{max(PROBE_TIMEOUT, HEALTH_DEADLINE + 1):g} s"
        ) from None
    except requests.RequestException as exc:
        raise Undecided(f"{operation.method.upper()} {operation.path} failed: {type(exc).__name__}: {exc}") from None
    elapsed = time.monotonic() - started
    evidence.append(observed(response, "health", seconds=round(elapsed, 3)))
    # explicit raises: the CLI runs pytest without its terminal, which cannot explain a failed comparison
    if response.status_code != 200:
        raise AssertionError(f"the health endpoint answered {response.status_code}, not 200")
    if elapsed > HEALTH_DEADLINE:
        raise AssertionError(f"the health endpoint took {elapsed:.2f} s (at most {HEALTH_DEADLINE:g} s)")


def test_errors_reveal_no_internals(
    sampled: list[tuple[str, requests.Response]], fuzz_report: FuzzReport, evidence: list[dict[str, Any]]
) -> None:
    found = []
    for label, response in sampled:
        leaks = (
            banner_leaks(response.headers) + find_leaks(response.text[:65536]) if response.status_code >= 400 else []
        )
        evidence.append(observed(response, label, leaks=leaks))
        found.extend(f"{label} ({response.status_code}): {leak}" for leak in leaks)
    for item in fuzz_report.leaks:
        evidence.append(item)
        found.extend(f"fuzzing {item['operation']} ({item['status']}): {leak}" for leak in item["leaks"])
    more = fuzz_report.leaks_total - len(fuzz_report.leaks)
    assert not found, "; ".join(found[:5]) + (f" and more ({more} further fuzzed responses)" if more > 0 else "")


def test_nosniff(sampled: list[tuple[str, requests.Response]], evidence: list[dict[str, Any]]) -> None:
    missing = []
    for label, response in sampled:
        value = response.headers.get("X-Content-Type-Options")
        evidence.append(observed(response, label, x_content_type_options=value))
        if (value or "").strip().lower() != "nosniff":
            missing.append(f"{label} ({response.status_code})")
    assert not missing, "responses without X-Content-Type-Options: nosniff: " + "; ".join(missing)


def test_malformed_input_is_no_server_error(fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    assert_no_findings(fuzz_report, MALFORMED_INPUT_REQUIREMENT, evidence)


def test_rate_limiting(api: ApiClient, fuzz_report: FuzzReport, evidence: list[dict[str, Any]]) -> None:
    throttled = list(fuzz_report.throttled)
    advertised = fuzz_report.rate_limit_advertised
    health = _health(api)
    sent = 0
    if health is not None:
        started = time.monotonic()
        while sent < BURST_REQUESTS and time.monotonic() - started < BURST_SECONDS:
            try:
                response = api.request(health.method, health.path, timeout=PROBE_TIMEOUT)
            except requests.RequestException:
                break
            sent += 1
            limits = rate_limit_headers(response.headers)
            advertised += any(name != "retry-after" for name in limits)
            if response.status_code == 429:
                throttled.append(
                    {
                        "source": f"burst of {sent} health checks",
                        "operation": health.operation_id,
                        "headers": limits,
                        "usable": tells_when_to_retry(response.headers),
                    }
                )
                retry = limits.get("retry-after", "")
                time.sleep(min(float(retry) if retry.isdigit() else 1.0, MAX_POLITE_WAIT))  # leave it as found
                break
    evidence.append(
        {
            "fuzzing_429s": fuzz_report.throttled_total,
            "burst_requests": sent,
            "responses_advertising_limits": advertised,
        }
    )
    evidence.extend(throttled)
    bad = [t for t in throttled if not t["usable"]]
    assert not bad, (
        f"{len(bad)} 429 response(s) without a valid Retry-After or RateLimit header, e.g. {bad[0]['operation']} "
        f"({bad[0]['source']}); say when to retry"
    )
    if not throttled and not advertised:
        not_applicable(
            f"no rate limiting seen: no 429 while fuzzing or in a burst of {sent} health checks, and no "
            "RateLimit headers"
        )


def test_api_is_versioned(
    target: Target, live_api: bool, request: pytest.FixtureRequest, evidence: list[dict[str, Any]]
) -> None:
    """The document decides info.version, and a version in the paths or a header parameter; only the live API
    can show a version in its response headers, so a document-only run leaves a document without either open."""
    document = target.spec.document
    version = str((document.get("info") or {}).get("version", "")).strip()
    assert version, "the document states no info.version"
    paths = list(document.get("paths") or {})
    where = []
    if any(VERSION_SEGMENT.match(seg) for seg in _endpoint(target).path.split("/")):
        where.append(f"base path {_endpoint(target).path}")
    elif paths and all(any(VERSION_SEGMENT.match(seg) for seg in p.split("/")) for p in paths):
        where.append("every path")
    for path, item in (document.get("paths") or {}).items():
        for method in HTTP_METHODS:
            operation = (item or {}).get(method)
            if not isinstance(operation, dict):
                continue
            parameters = [*((item or {}).get("parameters") or []), *(operation.get("parameters") or [])]
            if any(
                p.get("in") == "header" and "version" in str(p.get("name", "")).lower()
                for p in parameters
                if isinstance(p, dict)
            ):
                where.append(f"a version header parameter on {method.upper()} {path}")
    if not live_api and not where:
        raise NeedsLiveApi("the document shows no version in its paths or a header parameter; a response header may")
    sampled: list[tuple[str, requests.Response]] = request.getfixturevalue("sampled") if live_api else []
    for label, response in sampled:
        names = api_version_headers(response.headers)
        if names:
            where.append(f"response header {names[0]} on {label}")
    evidence.append({"info.version": version, "base_url": target.base_url, "versioned_by": where[:5]})
    assert where, f"info.version is {version!r} but the API carries no version in its path (such as /v1) or a header"


def test_cors_never_any_origin_with_credentials(api: ApiClient, evidence: list[dict[str, Any]]) -> None:
    document = api.target.spec.document
    probes: list[tuple[str, str, str, dict[str, str]]] = []
    health = _health(api)
    if health is not None:
        probes.append(("health", "GET", health.path, {}))
    gets = sorted((op for op in api.operations.values() if op.method == "get"), key=lambda o: ("{" in o.path, o.path))
    secured = [op for op in gets if declares_security(op.definition, document)]
    if secured:
        op = secured[0]
        probes.append((op.operation_id, "GET", _concrete(op), {}))
        preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
        probes.append((f"preflight for {op.operation_id}", "OPTIONS", _concrete(op), preflight))
    elif gets:
        probes.append((gets[0].operation_id, "GET", _concrete(gets[0]), {}))
    offered = False
    problems = []
    for label, method, path, headers in probes:
        try:
            response = api.request(method, path, headers={"Origin": PROBE_ORIGIN, **headers}, timeout=PROBE_TIMEOUT)
        except requests.RequestException as exc:
            raise Undecided(f"{method} {path} failed: {type(exc).__name__}: {exc}") from None
        origin = response.headers.get("Access-Control-Allow-Origin")
        credentials = (response.headers.get("Access-Control-Allow-Credentials") or "").strip().lower() == "true"
        evidence.append(
            observed(response, label, origin_sent=PROBE_ORIGIN, allow_origin=origin, allow_credentials=credentials)
        )
        offered = offered or origin is not None
        if credentials and origin is not None and origin.strip() in ("*", PROBE_ORIGIN, "null"):
            shown = "a wildcard" if origin.strip() == "*" else f"any origin (echoed {origin.strip()!r})"
            problems.append(f"{label}: allows {shown} with Access-Control-Allow-Credentials: true")
    assert not problems, "; ".join(problems)
    if not offered:
        not_applicable(
            f"no CORS headers in answer to a cross-origin request from {PROBE_ORIGIN}: the API offers no CORS"
        )


def test_clients_cannot_reach_each_others_records(api: ApiClient, seed: int, evidence: list[dict[str, Any]]) -> None:
    if not api.target.peer_headers:
        not_applicable(
            "no second client's credentials were given, so isolation between clients was not tested; give them with "
            "--peer-header 'Authorization: Bearer <another client's token>' (pytest: --conformance-peer-header)"
        )
    declared = open_declared("NET-14", api, seed, evidence)
    peer = as_peer(api)
    seen, views = [], []
    for collection in declared.collections:
        with declared.records(collection) as maker:
            created = maker.create()
            own = maker.read(created.id)
            evidence.append(observed(own, f"the first client reads its {collection.name} record", client="first"))
            if not 200 <= own.status_code < 300:
                raise Undecided(
                    f"the client that created {collection.name} record {created.id} could not read it back "
                    f"({own.status_code}), so what a second client is answered proves nothing"
                )
            planted = Planted.of(collection, created, marker(seed, declared.check_label, len(maker.made)))
            for view in peer_views(peer, declared.document, planted):
                evidence.append(view.evidence(planted))
                views.append(view)
                if view.saw:
                    request = view.response.request
                    seen.append(
                        f"{view.how}: {request.method} {request.path_url} answered {view.response.status_code} "
                        f"with {collection.name} record {created.id}"
                    )
    assert not seen, "a second client reaches records the first client created: " + listed(seen)
    if all(view.refused_credentials for view in views):
        raise Undecided(
            "every request with the --peer-header credentials was answered 401: the API does not accept them, so "
            "they cannot show that a signed-in client is kept from another's records"
        )


def test_unauthorized_carries_a_challenge(
    sampled: list[tuple[str, requests.Response]], evidence: list[dict[str, Any]]
) -> None:
    unauthorized = [(label, response) for label, response in sampled if response.status_code == 401]
    if not unauthorized:
        answers = "; ".join(f"{label}: {response.status_code}" for label, response in sampled)
        not_applicable(f"none of the sampled requests was answered 401, so no challenge was due ({answers})")
    missing = []
    for label, response in unauthorized:
        challenge = response.headers.get("WWW-Authenticate")
        evidence.append(observed(response, label, www_authenticate=challenge))
        if not AUTH_CHALLENGE.match(challenge or ""):
            missing.append(f"{label}, {response.request.path_url}: {challenge or 'no header'}")
    assert not missing, "401 responses without a WWW-Authenticate challenge: " + listed(missing)


# What each check decides (a table, not decorators, so that mutation testing reaches the checks: kit/decides.py).
DECIDES = {
    test_https_only: Decides("NET-02"),
    test_tls_versions: Decides("NET-03"),
    test_certificate_valid_for_host: Decides("NET-04"),
    test_hsts: Decides("NET-05"),
    test_standard_auth_schemes: Decides("NET-06", from_document=True),
    test_health_endpoint: Decides("NET-07"),
    test_errors_reveal_no_internals: Decides("NET-08"),
    test_nosniff: Decides("NET-09"),
    test_malformed_input_is_no_server_error: Decides(MALFORMED_INPUT_REQUIREMENT),
    test_rate_limiting: Decides("NET-11"),
    test_api_is_versioned: Decides("NET-12", from_document=True),
    test_cors_never_any_origin_with_credentials: Decides("NET-13"),
    test_clients_cannot_reach_each_others_records: Decides("NET-14"),
    test_unauthorized_carries_a_challenge: Decides("NET-15"),
}
