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
from typing import Any

from conformance.checks import network
from conformance.client import ApiClient
from conformance.fuzzing.report import FuzzReport
from conformance.safety import Safety
from tests.in_process.conftest import Ended, client, edited, ended
from tests.static_server import Canned, serve_static

LIMITS = {"RateLimit-Policy": '"health";q=20;w=1', "RateLimit": '"health";r=0;t=1'}


@contextmanager
def health_answering(conformant: Any, canned: Canned) -> Iterator[ApiClient]:
    """A client with the conformant supplier's document, whose API answers its health endpoint with `canned`."""
    with serve_static({"/v1/health": canned}) as base:
        # unpaced, as the demo is run: a burst paced at the default rate takes long enough to end early on a slow day
        yield ApiClient(dataclasses.replace(client(conformant).target, base_url=f"{base}/v1"), Safety(max_rps=0))


def burst(conformant: Any, canned: Canned) -> tuple[Ended, float]:
    """NET-11 with nothing from the fuzzing, and how long it took (it waits after a 429)."""
    with health_answering(conformant, canned) as api:
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
