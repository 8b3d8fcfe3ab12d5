"""The network checks' branches that the defect variants alone do not reach, in this process against real
loopback servers: rate limiting (NET-11) from a burst and from the fuzzing, and the other ways each check
ends (not applicable, undecided, the document-only path).

NET-11's burst goes to a loopback server that answers the health endpoint the same way every time: the demo
supplier's quota is 20 a second, which a loaded machine may not reach within the burst.
"""

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from conformance.causes import no_tls
from conformance.checks import network
from conformance.checks.kit.declared import open_declared
from conformance.checks.kit.outcomes import NeedsLiveApi, RequirementNotMet
from conformance.client import ApiClient
from conformance.demo import serve
from conformance.fuzzing.report import FuzzReport
from conformance.safety import Safety
from tests.in_process.conftest import SEED, Ended, client, edited, ended
from tests.static_server import Canned, running, serve_static

LIMITS = {"RateLimit-Policy": '"health";q=20;w=1', "RateLimit": '"health";r=0;t=1'}


@contextmanager
def answering(conformant: Any, routes: dict[str, Canned], change: Any = lambda document: None) -> Iterator[ApiClient]:
    """A client with the conformant supplier's document (edited by `change`), whose API is a loopback server
    answering `routes` (404, or 501 to a method other than GET, for anything else)."""
    with serve_static(routes) as base:
        target = edited(dataclasses.replace(client(conformant).target, base_url=f"{base}/v1"), change)
        # unpaced, as the demo is run: a burst paced at the default rate takes long enough to end early on a slow day
        yield ApiClient(target, Safety(max_rps=0))


def burst(conformant: Any, canned: Canned) -> tuple[Ended, float]:
    """NET-11 with nothing from the fuzzing, and how long it took (it waits after a 429)."""
    with answering(conformant, {"/v1/health": canned}) as api:
        started = time.monotonic()
        result = ended(network.test_rate_limiting, api=api, fuzz_report=FuzzReport())
        return result, time.monotonic() - started


def test_a_burst_answered_with_rate_limit_headers_passes(conformant: Any) -> None:
    result, _ = burst(conformant, Canned(200, "application/json", b"{}", LIMITS))
    assert (result.outcome, result.evidence) == (
        "pass",
        [{"fuzzing_429s": 0, "burst_requests": 30, "responses_advertising_limits": 30}],
    )


def test_retry_after_alone_advertises_no_limit(conformant: Any) -> None:
    result, _ = burst(conformant, Canned(200, "application/json", b"{}", {"Retry-After": "1"}))
    assert result.outcome == "not-applicable"
    assert result.evidence == [{"fuzzing_429s": 0, "burst_requests": 30, "responses_advertising_limits": 0}]


def test_a_429_that_says_when_to_retry_passes_and_is_waited_out(conformant: Any) -> None:
    result, took = burst(conformant, Canned(429, "application/problem+json", b"{}", {"Retry-After": "1"}))
    assert result.outcome == "pass", result.message
    assert result.evidence == [
        {"fuzzing_429s": 0, "burst_requests": 1, "responses_advertising_limits": 0},
        {
            "source": "burst of 1 health checks",
            "operation": "getHealth",
            "headers": {"retry-after": "1"},
            "usable": True,
        },
    ]
    assert took >= 1.0  # the check leaves the API as it found it


def test_a_bare_429_fails_and_names_where_it_came(conformant: Any) -> None:
    result, took = burst(conformant, Canned(429, "application/problem+json", b"{}"))
    assert (result.outcome, result.message) == (
        "fail",
        "1 429 response(s) without a valid Retry-After or RateLimit header, e.g. getHealth (burst of 1 health "
        "checks); say when to retry",
    )
    assert result.evidence[1] == {
        "source": "burst of 1 health checks",
        "operation": "getHealth",
        "headers": {},
        "usable": False,
    }
    assert took >= 1.0  # no Retry-After: a second


def test_a_long_retry_after_is_waited_out_for_two_seconds_at_most(conformant: Any) -> None:
    result, took = burst(conformant, Canned(429, "application/problem+json", b"{}", {"Retry-After": "120"}))
    assert result.outcome == "pass"
    assert 2.0 <= took < 60


def test_a_burst_that_cannot_be_sent_stops_at_what_was_answered(conformant: Any) -> None:
    gone = ApiClient(dataclasses.replace(client(conformant).target, base_url="http://127.0.0.1:9/v1"))
    result = ended(network.test_rate_limiting, api=gone, fuzz_report=FuzzReport(rate_limit_advertised=1))
    assert (result.outcome, result.evidence) == (
        "pass",
        [{"fuzzing_429s": 0, "burst_requests": 0, "responses_advertising_limits": 1}],
    )


def without_health(supplier: Any) -> Any:
    """A client for `supplier` whose document declares no health operation: no burst is sent."""
    api = client(supplier)
    document = dict(api.target.spec.document)
    del document["x-conformance"]
    return client(supplier, document)


def test_no_429_and_no_limits_anywhere_is_not_applicable(conformant: Any) -> None:
    result = ended(network.test_rate_limiting, api=without_health(conformant), fuzz_report=FuzzReport())
    assert (result.outcome, result.message) == (
        "not-applicable",
        "no rate limiting seen: no 429 while fuzzing or in a burst of 0 health checks, and no RateLimit headers",
    )
    assert result.evidence == [{"fuzzing_429s": 0, "burst_requests": 0, "responses_advertising_limits": 0}]


def test_what_the_fuzzing_saw_decides_rate_limiting_without_a_burst(conformant: Any) -> None:
    api = without_health(conformant)
    advertised = FuzzReport(rate_limit_advertised=3)
    assert ended(network.test_rate_limiting, api=api, fuzz_report=advertised).outcome == "pass"
    usable = {"source": "fuzzing", "operation": "listCases", "headers": {"retry-after": "2"}, "usable": True}
    bare = {"source": "fuzzing", "operation": "getCase", "headers": {}, "usable": False}
    seen = FuzzReport(throttled=[usable, bare], throttled_total=7)
    result = ended(network.test_rate_limiting, api=api, fuzz_report=seen)
    assert (result.outcome, result.message) == (
        "fail",
        "1 429 response(s) without a valid Retry-After or RateLimit header, e.g. getCase (fuzzing); say when to retry",
    )
    assert result.evidence == [
        {"fuzzing_429s": 7, "burst_requests": 0, "responses_advertising_limits": 0},
        usable,
        bare,
    ]
    assert seen.throttled == [usable, bare]  # the fuzzing's own record is left as it was


def schemes_judged(supplier: Any, schemes: dict[str, Any]) -> Ended:
    """NET-06 on the supplier's document with `schemes` as its security schemes."""
    target = edited(client(supplier).target, lambda d: d["components"].update(securitySchemes=schemes))
    return ended(network.test_standard_auth_schemes, target=target)


def test_standard_schemes_pass_with_each_scheme_in_the_evidence(conformant: Any) -> None:
    standard = {
        "bearer": {"type": "http", "scheme": "Bearer"},
        "basic": {"type": "http", "scheme": "basic"},
        "swagger2Basic": {"type": "basic"},
        "oauth": {"type": "oauth2", "flows": {}},
        "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://127.0.0.1/.well-known/openid-configuration"},
        "mtls": {"type": "mutualTLS"},
    }
    result = schemes_judged(conformant, standard)
    assert result.outcome == "pass", result.message
    assert result.evidence[0] == {"scheme": "bearer", "type": "http", "in": None, "http_scheme": "Bearer"}
    assert [item["type"] for item in result.evidence] == [
        "http",
        "http",
        "basic",
        "oauth2",
        "openIdConnect",
        "mutualTLS",
    ]


def test_each_non_standard_scheme_is_named_once_and_sorted(conformant: Any) -> None:
    schemes = {
        "queryKey": {"type": "apiKey", "in": "query", "name": "api_key"},
        "headerKey": {"type": "apiKey", "in": "header", "name": "X-Key"},
        "somewhereKey": {"type": "apiKey"},
        "digest": {"type": "http", "scheme": "digest"},
        "custom": {"type": "hmac"},
        "untyped": {},
    }
    result = schemes_judged(conformant, schemes)
    assert result.outcome == "fail"
    assert result.message == "; ".join(
        [
            "custom has type 'hmac', not a standard scheme",
            "digest uses HTTP scheme 'digest'; use bearer or basic",
            "headerKey is an API key in a header, not a standard scheme",
            "queryKey passes a credential in the query string ('api_key')",
            "somewhereKey is an API key in a ?, not a standard scheme",
            "untyped has type '', not a standard scheme",
        ]
    )
    assert result.evidence[1] == {"scheme": "headerKey", "type": "apiKey", "in": "header", "http_scheme": None}
    assert result.evidence[3] == {"scheme": "digest", "type": "http", "in": None, "http_scheme": "digest"}


def test_no_security_scheme_is_not_applicable_unless_a_password_travels_in_the_query(conformant: Any) -> None:
    result = schemes_judged(conformant, {})
    assert (result.outcome, result.message, result.evidence) == (
        "not-applicable",
        "the document declares no security scheme",
        [],
    )
    password = {"name": "password", "in": "query", "schema": {"type": "string", "format": "password"}}

    def password_in_query(document: dict[str, Any]) -> None:
        document["components"]["securitySchemes"] = {}
        document["paths"]["/health"]["get"]["parameters"] = [password]

    result = ended(network.test_standard_auth_schemes, target=edited(client(conformant).target, password_in_query))
    assert (result.outcome, result.message) == (
        "fail",
        "GET /health takes a password ('password', format: password) in the query string",
    )


# --- checks that read the sampled responses: given real responses from a loopback server ------------------------


def sampled_from(answers: dict[str, Canned]) -> list[tuple[str, requests.Response]]:
    """One real response a label: the label is the path asked for, each answered as `answers` says."""
    with serve_static({f"/{label}": canned for label, canned in answers.items()}) as base:
        return [(label, requests.get(f"{base}/{label}", timeout=5)) for label in answers]


def plain(status: int, **headers: str) -> Canned:
    return Canned(status, "text/plain", b"fine", {name.replace("_", "-"): value for name, value in headers.items()})


def test_hsts_needs_a_positive_max_age_on_every_sampled_response(conformant: Any) -> None:
    target = client(conformant).target
    sampled = sampled_from(
        {
            "good": plain(200, Strict_Transport_Security="max-age=60; includeSubDomains"),
            "zero": plain(404, Strict_Transport_Security="max-age=0"),
            "none": plain(401),
        }
    )
    result = ended(network.test_hsts, target=target, sampled=sampled)
    assert (result.outcome, result.message) == (
        "fail",
        "responses without Strict-Transport-Security max-age > 0: zero (404): max-age=0; none (401): no header",
    )
    assert result.evidence[0] == {
        "request": "GET /good",
        "status": 200,
        "label": "good",
        "strict_transport_security": "max-age=60; includeSubDomains",
    }
    assert [item["strict_transport_security"] for item in result.evidence[1:]] == ["max-age=0", None]
    assert ended(network.test_hsts, target=target, sampled=sampled[:1]).outcome == "pass"


def test_nosniff_is_read_whatever_its_case_and_spacing() -> None:
    sampled = sampled_from(
        {
            "spaced": plain(200, X_Content_Type_Options="NoSniff "),
            "other": plain(400, X_Content_Type_Options="sniff"),
            "none": plain(404),
        }
    )
    result = ended(network.test_nosniff, sampled=sampled)
    assert (result.outcome, result.message) == (
        "fail",
        "responses without X-Content-Type-Options: nosniff: other (400); none (404)",
    )
    assert result.evidence == [
        {"request": "GET /spaced", "status": 200, "label": "spaced", "x_content_type_options": "NoSniff "},
        {"request": "GET /other", "status": 400, "label": "other", "x_content_type_options": "sniff"},
        {"request": "GET /none", "status": 404, "label": "none", "x_content_type_options": None},
    ]
    assert ended(network.test_nosniff, sampled=sampled[:1]).outcome == "pass"


def test_a_401_needs_a_challenge_naming_a_scheme() -> None:
    sampled = sampled_from(
        {
            "ok": plain(200),
            "challenged": plain(401, WWW_Authenticate='Bearer realm="api"'),
            "bare": plain(401),
            "blank": plain(401, WWW_Authenticate=", realm"),
        }
    )
    result = ended(network.test_unauthorized_carries_a_challenge, sampled=sampled)
    assert (result.outcome, result.message) == (
        "fail",
        "401 responses without a WWW-Authenticate challenge: bare, /bare: no header; blank, /blank: , realm",
    )
    assert [item["label"] for item in result.evidence] == ["challenged", "bare", "blank"]
    assert result.evidence[0]["www_authenticate"] == 'Bearer realm="api"'
    assert ended(network.test_unauthorized_carries_a_challenge, sampled=sampled[:2]).outcome == "pass"


def test_no_401_among_the_samples_is_not_applicable_with_what_each_got() -> None:
    result = ended(
        network.test_unauthorized_carries_a_challenge, sampled=sampled_from({"a": plain(200), "b": plain(403)})
    )
    assert (result.outcome, result.message, result.evidence) == (
        "not-applicable",
        "none of the sampled requests was answered 401, so no challenge was due (a: 200; b: 403)",
        [],
    )


TRACEBACK = b'Traceback (most recent call last):\n  File "/usr/lib/python3/app.py", line 1\n'


def test_only_error_responses_are_searched_for_internals_and_the_fuzzings_count_too() -> None:
    sampled = sampled_from(
        {"fine": Canned(200, "text/plain", TRACEBACK), "broken": Canned(400, "text/plain", TRACEBACK)}
    )
    banner = f"Server: {sampled[1][1].headers['Server']}"  # the loopback server's own, with its Python version
    found = [
        banner,
        "a Python stack trace ('Traceback (most recent call last)')",
        "an internal file path ('/usr/lib/')",
    ]
    leaks = [{"operation": f"GET /p{n}", "status": 500, "leaks": ["a Python stack trace"]} for n in range(3)]
    report = FuzzReport(leaks=leaks, leaks_total=5)
    result = ended(network.test_errors_reveal_no_internals, sampled=sampled, fuzz_report=report)
    assert result.outcome == "fail"
    fuzzed = "fuzzing GET /p{} (500): a Python stack trace"
    shown = [*(f"broken (400): {leak}" for leak in found), fuzzed.format(0), fuzzed.format(1)]  # five at most
    assert result.message == "; ".join(shown) + " and more (2 further fuzzed responses)"
    assert result.evidence == [
        {"request": "GET /fine", "status": 200, "label": "fine", "leaks": []},
        {"request": "GET /broken", "status": 400, "label": "broken", "leaks": found},
        *leaks,
    ]
    one = FuzzReport(leaks=leaks[:1], leaks_total=1)
    clean = ended(network.test_errors_reveal_no_internals, sampled=sampled[:1], fuzz_report=one)
    assert clean.message == "fuzzing GET /p0 (500): a Python stack trace"
    one_more = FuzzReport(leaks=leaks[:1], leaks_total=2)
    clean = ended(network.test_errors_reveal_no_internals, sampled=sampled[:1], fuzz_report=one_more)
    assert clean.message == "fuzzing GET /p0 (500): a Python stack trace and more (1 further fuzzed responses)"
    assert (
        ended(network.test_errors_reveal_no_internals, sampled=sampled[:1], fuzz_report=FuzzReport()).outcome == "pass"
    )


# --- checks that probe the transport ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain_http() -> Iterator[Any]:
    """The conformant supplier served over plain HTTP only."""
    with serve("conformant", https=False) as supplier:
        yield supplier


def test_over_plain_http_the_tls_checks_fail_or_do_not_apply_and_say_why(plain_http: Any) -> None:
    api = client(plain_http)
    target = api.target
    https = ended(network.test_https_only, target=target, api=api)
    assert (https.outcome, https.message, https.evidence) == (
        "fail",
        f"the API is served over plain HTTP ({target.base_url}); serve it over HTTPS only",
        [{"base_url": target.base_url}],
    )
    versions = ended(network.test_tls_versions, target=target)
    assert (versions.outcome, versions.message) == ("fail", "the API is not served over TLS at all (see NET-02)")
    certificate = ended(network.test_certificate_valid_for_host, target=target)
    assert (certificate.outcome, certificate.message) == (
        "fail",
        "the API is not served over HTTPS, so it has no certificate (see NET-02)",
    )
    hsts = ended(network.test_hsts, target=target, sampled=[])
    assert (hsts.outcome, hsts.message) == (
        "not-applicable",
        "the API sends no HTTPS responses, so HSTS does not apply (see NET-02)",
    )


def test_over_plain_http_the_tls_checks_name_the_one_cause_they_share(plain_http: Any) -> None:
    api = client(plain_http)
    cause = no_tls(api.target.base_url)
    for check, given in [
        (network.test_https_only, {"target": api.target, "api": api}),
        (network.test_tls_versions, {"target": api.target}),
        (network.test_certificate_valid_for_host, {"target": api.target}),
    ]:
        with pytest.raises(RequirementNotMet) as failed:
            check(evidence=[], **given)
        assert failed.value.cause == cause, check.__name__
    with pytest.raises(pytest.skip.Exception) as skipped:
        network.test_hsts(target=api.target, sampled=[], evidence=[])
    assert skipped.value.cause == cause  # type: ignore[attr-defined]


def test_a_server_that_speaks_no_tls_on_an_https_url_accepts_neither_modern_version(plain_http: Any) -> None:
    target = dataclasses.replace(client(plain_http).target, base_url=plain_http.base.replace("http://", "https://"))
    result = ended(network.test_tls_versions, target=target)
    modern = [item["detail"] for item in result.evidence[:2]]
    assert (result.outcome, result.message) == (
        "fail",
        "the server accepts neither TLS 1.2 nor TLS 1.3: " + "; ".join(modern),
    )


def test_plain_http_answered_is_named_with_how_to_fix_it(supplier: Any) -> None:
    api = client(supplier("plain-http-too"))
    result = ended(network.test_https_only, target=api.target, api=api)
    answered = result.evidence[1]["detail"]
    assert (result.outcome, result.message) == ("fail", f"{answered}: refuse plain HTTP or redirect it to https://")


def test_plain_http_is_probed_on_the_health_path_or_the_base_path(conformant: Any) -> None:
    api = client(conformant)
    base = api.target.base_url.replace("https://", "http://")
    result = ended(network.test_https_only, target=api.target, api=api)
    assert result.outcome == "pass", result.message
    assert result.evidence == [
        {"base_url": api.target.base_url},
        {
            "probe": f"GET {base}/health (plain HTTP, no credentials)",
            "result": "dropped",
            "detail": f"{base.split('/')[2]} closed the connection without an HTTP answer",
        },
    ]
    no_health = ApiClient(edited(api.target, lambda d: d.pop("x-conformance")))
    result = ended(network.test_https_only, target=no_health.target, api=no_health)
    assert result.evidence[1]["probe"] == f"GET {base}/ (plain HTTP, no credentials)"


def test_nothing_listening_leaves_the_transport_undecided(conformant: Any) -> None:
    gone = dataclasses.replace(client(conformant).target, base_url="https://127.0.0.1:9/v1")
    versions = ended(network.test_tls_versions, target=gone)
    assert versions.outcome == "error"
    refused = "could not connect to 127.0.0.1:9: [Errno 111] Connection refused"
    assert (versions.message, len(versions.evidence)) == (f"{refused}; {refused}", 4)  # the two modern versions
    certificate = ended(network.test_certificate_valid_for_host, target=gone)
    assert (certificate.outcome, certificate.message) == ("error", certificate.evidence[0]["detail"])
    assert certificate.evidence[0]["verified"] is None and certificate.message.startswith("could not connect")


def test_the_modern_versions_are_accepted_and_the_old_refused(conformant: Any) -> None:
    result = ended(network.test_tls_versions, target=client(conformant).target)
    assert result.outcome == "pass", result.message
    assert [(item["probe"], item["result"]) for item in result.evidence] == [
        ("TLS handshake offering only TLS 1.2", "accepted"),
        ("TLS handshake offering only TLS 1.3", "accepted"),
        ("TLS handshake offering only TLS 1.0", "refused"),
        ("TLS handshake offering only TLS 1.1", "refused"),
    ]


def test_the_certificate_is_judged_against_the_ca_the_run_trusts(conformant: Any) -> None:
    target = client(conformant).target
    endpoint = {"host": "127.0.0.1", "port": int(target.base_url.split(":")[2].split("/")[0])}
    result = ended(network.test_certificate_valid_for_host, target=target)
    assert result.outcome == "pass", result.message
    assert result.evidence[0] | endpoint == result.evidence[0]
    assert result.evidence[0]["trusted"] == "the CA bundle given with --ca-bundle"
    assert (result.evidence[0]["verified"], result.evidence[0]["detail"]) == (
        True,
        "the certificate is valid for 127.0.0.1",
    )
    public = ended(network.test_certificate_valid_for_host, target=dataclasses.replace(target, verify=True))
    assert public.outcome == "fail" and public.message.endswith(" (trusting the public CA bundle)")
    assert public.evidence[0] | endpoint | {"trusted": "the public CA bundle", "verified": False} == public.evidence[0]


def test_a_certificate_refused_before_the_run_fails_without_a_new_look(conformant: Any) -> None:
    target = dataclasses.replace(client(conformant).target, certificate_refused="certificate for supplier.example")
    result = ended(network.test_certificate_valid_for_host, target=target)
    assert (result.outcome, result.message) == (
        "fail",
        "certificate for supplier.example (trusting the CA bundle given with --ca-bundle); nothing else was tested",
    )
    port = int(target.base_url.split(":")[2].split("/")[0])
    assert result.evidence == [
        {
            "host": "127.0.0.1",
            "port": port,
            "trusted": "the CA bundle given with --ca-bundle",
            "verified": False,
            "detail": "certificate for supplier.example",
        }
    ]


def test_no_certificate_is_judged_with_verification_off(conformant: Any) -> None:
    result = ended(
        network.test_certificate_valid_for_host, target=dataclasses.replace(client(conformant).target, verify=False)
    )
    assert (result.outcome, result.message, result.evidence) == (
        "error",
        "certificate verification is off (--insecure), so the certificate cannot be judged; run again without "
        "--insecure (with --ca-bundle FILE for a private CA)",
        [],
    )


def test_a_health_endpoint_that_cannot_be_reached_is_undecided(conformant: Any) -> None:
    gone = ApiClient(dataclasses.replace(client(conformant).target, base_url="http://127.0.0.1:9/v1"))
    evidence: list[dict[str, Any]] = []
    declared = open_declared("NET-07", gone, SEED, evidence)
    result = ended(network.test_health_endpoint, declared=declared, evidence=evidence)
    assert result.outcome == "error"
    assert result.message.startswith("GET /health failed: ConnectionError: ")
    assert result.evidence == []


def test_a_prompt_health_check_is_timed_in_the_evidence(conformant: Any) -> None:
    evidence: list[dict[str, Any]] = []
    declared = open_declared("NET-07", client(conformant), SEED, evidence)
    result = ended(network.test_health_endpoint, declared=declared, evidence=evidence)
    assert result.outcome == "pass", result.message
    (item,) = result.evidence
    assert item | {"request": "GET /v1/health", "status": 200, "label": "health"} == item
    assert 0 < item["seconds"] < network.HEALTH_DEADLINE


# --- NET-12: the version, from the document and from the responses ----------------------------------------------


def versioned(target: Any, live_api: bool, sampled: list[tuple[str, requests.Response]] | None = None) -> Ended:
    """NET-12 as the plugin runs it: the sampled responses are asked for only when there is a live API."""

    class Request:
        def getfixturevalue(self, name: str) -> Any:
            assert live_api and name == "sampled", "the sampled responses were asked for without a live API"
            return sampled or []

    return ended(network.test_api_is_versioned, target=target, live_api=live_api, request=Request())


def unversioned(supplier: Any, change: Any = lambda document: None) -> Any:
    """The supplier's target as if it served its API under /api, its document edited by `change`."""
    target = client(supplier).target
    return edited(dataclasses.replace(target, base_url=target.base_url.replace("/v1", "/api")), change)


def test_a_version_in_the_base_path_is_enough_even_without_the_live_api(conformant: Any) -> None:
    target = client(conformant).target
    result = versioned(target, live_api=False)
    assert (result.outcome, result.evidence) == (
        "pass",
        [{"info.version": "1.4.0", "base_url": target.base_url, "versioned_by": ["base path /v1"]}],
    )


def test_a_version_in_every_path_or_a_header_parameter_counts(conformant: Any) -> None:
    def in_every_path(document: dict[str, Any]) -> None:
        document["paths"] = {f"/v2{path}": item for path, item in document["paths"].items()}

    result = versioned(unversioned(conformant, in_every_path), live_api=False)
    assert (result.outcome, result.evidence[0]["versioned_by"]) == ("pass", ["every path"])

    header = {"name": "Api-Version", "in": "header", "schema": {"type": "string"}}

    def in_a_header(document: dict[str, Any]) -> None:
        document["paths"]["/v2/cases"] = {"get": document["paths"]["/health"]["get"]}  # not every path
        document["paths"]["/health"]["parameters"] = [header]
        document["paths"]["/cases"]["get"]["parameters"].append({**header, "in": "query"})
        document["paths"]["/cases"]["post"]["parameters"] = [header, "not a parameter"]
        document["paths"]["/cases"]["x-extension"] = {"parameters": [header]}

    result = versioned(unversioned(conformant, in_a_header), live_api=False)
    assert (result.outcome, result.evidence[0]["versioned_by"]) == (
        "pass",
        ["a version header parameter on GET /health", "a version header parameter on POST /cases"],
    )


def test_no_version_in_the_document_is_for_the_live_api_to_show(conformant: Any) -> None:
    target = unversioned(conformant)
    with pytest.raises(NeedsLiveApi) as raised:
        versioned(target, live_api=False)
    assert str(raised.value) == (
        "not tested: needs the live API (the document shows no version in its paths or a header parameter; a "
        "response header may)"
    )
    sampled = sampled_from({"plain": plain(200), "labelled": plain(200, Api_Version="2", X_Other="1")})
    result = versioned(target, live_api=True, sampled=sampled)
    assert (result.outcome, result.evidence[0]["versioned_by"]) == ("pass", ["response header Api-Version on labelled"])
    result = versioned(target, live_api=True, sampled=sampled[:1])
    assert (result.outcome, result.message) == (
        "fail",
        "info.version is '1.4.0' but the API carries no version in its path (such as /v1) or a header",
    )
    assert result.evidence == [{"info.version": "1.4.0", "base_url": target.base_url, "versioned_by": []}]


def test_no_info_version_fails_whatever_else_is_versioned(conformant: Any) -> None:
    for version in ({}, {"version": " "}):
        target = edited(client(conformant).target, lambda d, v=version: d.update(info=v))
        result = versioned(target, live_api=False)
        assert (result.outcome, result.message) == ("fail", "the document states no info.version")


def test_the_evidence_names_five_places_a_version_is_seen_at_most(conformant: Any) -> None:
    header = {"name": "X-Api-Version", "in": "header"}

    def everywhere(document: dict[str, Any]) -> None:
        document["paths"] = {f"/v1/p{n}": {"get": {"parameters": [header]}} for n in range(6)}

    result = versioned(edited(client(conformant).target, everywhere), live_api=False)
    assert result.evidence[0]["versioned_by"] == [
        "base path /v1",
        *(f"a version header parameter on GET /v1/p{n}" for n in range(4)),
    ]


# --- NET-13 and NET-14: what a cross-origin request and a second client get -------------------------------------


def cors(api: ApiClient) -> Ended:
    return ended(network.test_cors_never_any_origin_with_credentials, api=api)


def test_cors_probes_health_a_secured_read_and_its_preflight(conformant: Any) -> None:
    result = cors(client(conformant))
    assert result.outcome == "pass", result.message
    probe = {"origin_sent": network.PROBE_ORIGIN, "allow_origin": "*", "allow_credentials": False}
    assert result.evidence == [
        {"request": "GET /v1/health", "status": 200, "label": "health", **probe},
        {"request": "GET /v1/cases", "status": 200, "label": "listCases", **probe},
        {"request": "OPTIONS /v1/cases", "status": 405, "label": "preflight for listCases", **probe},
    ]


def test_an_origin_of_null_with_credentials_is_any_origin(conformant: Any) -> None:
    opened = {"Access-Control-Allow-Origin": " null ", "Access-Control-Allow-Credentials": " TRUE "}
    echoed = {"Access-Control-Allow-Origin": network.PROBE_ORIGIN, "Access-Control-Allow-Credentials": "true"}
    routes = {
        "/v1/health": Canned(200, "application/json", b"{}", opened),
        "/v1/cases": Canned(200, "application/json", b"[]", echoed),
    }
    with answering(conformant, routes) as api:
        result = cors(api)
    assert (result.outcome, result.message) == (
        "fail",
        "health: allows any origin (echoed 'null') with Access-Control-Allow-Credentials: true; listCases: allows "
        "any origin (echoed 'https://conformance-probe.invalid') with Access-Control-Allow-Credentials: true",
    )
    assert result.evidence[0]["allow_credentials"] is True and result.evidence[2]["allow_origin"] is None


def test_a_named_origin_with_credentials_or_any_origin_without_them_passes(conformant: Any) -> None:
    named = {"Access-Control-Allow-Origin": "https://council.example", "Access-Control-Allow-Credentials": "true"}
    anyone = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "false"}
    routes = {
        "/v1/health": Canned(200, "application/json", b"{}", named),
        "/v1/cases": Canned(200, "application/json", b"[]", anyone),
    }
    with answering(conformant, routes) as api:
        result = cors(api)
    assert result.outcome == "pass", result.message


def test_no_cors_headers_anywhere_is_not_applicable(conformant: Any) -> None:
    with answering(conformant, {}) as api:
        result = cors(api)
    assert (result.outcome, result.message) == (
        "not-applicable",
        "no CORS headers in answer to a cross-origin request from https://conformance-probe.invalid: the API offers "
        "no CORS",
    )
    assert [item["request"] for item in result.evidence] == ["GET /v1/health", "GET /v1/cases", "OPTIONS /v1/cases"]


def test_without_a_secured_read_cors_probes_the_first_read(conformant: Any) -> None:
    def unsecured(document: dict[str, Any]) -> None:
        document.pop("security", None)
        document.pop("x-conformance")
        read = {"responses": {"200": {"description": "ok"}}, "security": []}
        document["paths"] = {
            "/a/{id}": {"get": {**read, "operationId": "getA"}},
            "/b": {"get": {**read, "operationId": "listB"}},
        }

    with answering(conformant, {}, unsecured) as api:
        result = cors(api)
    # a read without a path parameter first, though its path sorts later
    assert [(item["label"], item["request"]) for item in result.evidence] == [("listB", "GET /v1/b")]


def test_cors_cannot_be_judged_when_a_probe_fails(conformant: Any) -> None:
    gone = ApiClient(dataclasses.replace(client(conformant).target, base_url="http://127.0.0.1:9/v1"))
    result = cors(gone)
    assert result.outcome == "error" and result.message.startswith("GET /health failed: ConnectionError: ")


def isolation(api: ApiClient) -> Ended:
    return ended(network.test_clients_cannot_reach_each_others_records, api=api, seed=SEED)


def test_isolation_without_a_second_client_is_not_applicable_and_says_how_to_give_one(conformant: Any) -> None:
    result = isolation(client(conformant, peer=False))
    assert result.outcome == "not-applicable"
    assert result.message == (
        "no second client's credentials were given, so isolation between clients was not tested; give them with "
        "--peer-header 'Authorization: Bearer <another client's token>' (pytest: --conformance-peer-header)"
    )
    assert result.evidence == []


def test_a_second_client_whose_credentials_are_refused_proves_nothing(conformant: Any) -> None:
    api = client(conformant)
    refused = ApiClient(dataclasses.replace(api.target, peer_headers={"Authorization": "Bearer not-a-token"}))
    result = isolation(refused)
    assert (result.outcome, result.message) == (
        "error",
        "every request with the --peer-header credentials was answered 401: the API does not accept them, so they "
        "cannot show that a signed-in client is kept from another's records",
    )


def test_isolation_on_the_conformant_supplier_shows_every_look_the_second_client_took(conformant: Any) -> None:
    result = isolation(client(conformant))
    assert result.outcome == "pass", result.message
    looks = [(item.get("client"), item["label"], item.get("saw_the_record")) for item in result.evidence]
    created = result.evidence[0]["id"]
    assert looks == [
        (None, "created a test record in cases", None),
        ("first", "the first client reads its cases record", None),
        ("peer", f"the second client looks for cases record {created} by id", False),
        ("peer", f"the second client looks for cases record {created} in its list", False),
        ("peer", f"the second client looks for cases record {created} in its export", False),
    ]


# --- a loopback API that answers slowly, or answers a CORS preflight only when it is one ------------------------


class SlowOrPreflighted(BaseHTTPRequestHandler):
    """Health answers after `delay` seconds; OPTIONS allows any origin with credentials, but only to a real
    preflight for a GET carrying authorization (as a server that answers preflights itself does)."""

    delay = 0.0
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Silent."""

    def answer(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Length": "0"}.items():
            self.send_header(name, value)
        self.end_headers()

    def do_GET(self) -> None:
        time.sleep(self.delay)
        self.answer(200, {"Content-Type": "application/json"})

    def do_OPTIONS(self) -> None:
        preflight = self.headers.get("Access-Control-Request-Method") == "GET" and "authorization" in (
            self.headers.get("Access-Control-Request-Headers") or ""
        ).lower().split(",")
        opened = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"}
        self.answer(204, opened if preflight else {})


@contextmanager
def slow_or_preflighted(conformant: Any, delay: float = 0.0) -> Iterator[ApiClient]:
    handler = type("Handler", (SlowOrPreflighted,), {"delay": delay})
    with running(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as base:
        yield ApiClient(dataclasses.replace(client(conformant).target, base_url=f"{base}/v1"), Safety(max_rps=0))


def test_a_preflight_is_sent_as_one_and_its_answer_judged(conformant: Any) -> None:
    with slow_or_preflighted(conformant) as api:
        result = cors(api)
    assert (result.outcome, result.message) == (
        "fail",
        "preflight for listCases: allows a wildcard with Access-Control-Allow-Credentials: true",
    )


def health_timed(conformant: Any, delay: float) -> Ended:
    with slow_or_preflighted(conformant, delay) as api:
        evidence: list[dict[str, Any]] = []
        declared = open_declared("NET-07", api, SEED, evidence)
        return ended(network.test_health_endpoint, declared=declared, evidence=evidence)


def test_a_health_check_slower_than_two_seconds_fails_with_its_time(conformant: Any) -> None:
    result = health_timed(conformant, 2.2)
    took = result.evidence[0]["seconds"]
    assert round(took, 3) == took and 2.2 <= took < network.PROBE_TIMEOUT
    assert (result.outcome, result.message) == ("fail", f"the health endpoint took {took:.2f} s (at most 2 s)")


def test_a_health_check_that_never_answers_fails_at_the_probe_timeout(conformant: Any) -> None:
    result = health_timed(conformant, network.PROBE_TIMEOUT + 1)
    assert (result.outcome, result.message, result.evidence) == (
        "fail",
        "GET /health did not answer within 5 s",
        [],
    )


def test_a_plain_http_probe_that_gets_no_answer_leaves_https_only_undecided(conformant: Any) -> None:
    with slow_or_preflighted(conformant, network.PROBE_TIMEOUT + 1) as api:
        target = dataclasses.replace(api.target, base_url=api.target.base_url.replace("http://", "https://"))
        result = ended(network.test_https_only, target=target, api=ApiClient(target))
    assert (result.outcome, result.message) == (
        "error",
        "could not tell whether plain HTTP is refused: " + result.evidence[1]["detail"],
    )
    assert result.evidence[1]["result"] == "timed out"


def test_an_error_body_is_searched_in_its_first_64_kib_only() -> None:
    trace = b"Traceback (most recent call last)"
    past_the_window = b"x" * (65536 + 1 - len(trace)) + trace  # its last character is the 65,537th
    sampled = sampled_from({"long": Canned(500, "text/plain", past_the_window)})
    result = ended(network.test_errors_reveal_no_internals, sampled=sampled, fuzz_report=FuzzReport())
    assert [leak for leak in result.evidence[0]["leaks"] if "stack trace" in leak] == []
