"""The network probes against real loopback listeners: each way a server can answer, named with its exact detail.

tests/test_network.py shows the probes deciding NET requirements end to end; these pin down what each probe
reports (the result, the sentence a reader sees, the evidence) so a change to any of them is noticed.
"""

import random
import socket
import ssl
from collections.abc import Callable, Iterator

import pytest

from conformance.checks.kit.probes import (
    PLAIN_HTTP_HEADERS,
    CertificateCheck,
    Endpoint,
    PlainHttp,
    PlainHttpProbe,
    Probe,
    TlsProbe,
    _is_ip,
    check_certificate,
    probe_plain_http,
    probe_tls_version,
)
from conformance.demo import RunningSupplier, serve, tls
from tests.listeners import http_answer, listening, reset, silent, tls_alert

TLS12, TLS13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3


def port_of(supplier: RunningSupplier) -> int:
    return supplier.server.server_address[1]


def closed_port() -> int:
    """A loopback port nothing listens on (it was just free)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        return server.getsockname()[1]


# --- where the API is ------------------------------------------------------------------------------


def test_an_endpoint_is_read_from_the_base_url() -> None:
    assert Endpoint.of("HTTPS://Api.Example/v1/") == Endpoint("https", "api.example", 443, "/v1")
    assert Endpoint.of("http://api.example") == Endpoint("http", "api.example", 80, "")
    assert Endpoint.of("https://[::1]:8443/a/b//") == Endpoint("https", "::1", 8443, "/a/b")
    assert Endpoint.of("https:///v1") == Endpoint("https", "", 443, "/v1")
    assert Endpoint.of("https://h/v1/AX/").path == "/v1/AX"
    assert Endpoint.of("https://h").https and not Endpoint.of("http://h").https
    assert Endpoint.of("https://[::1]:8443").netloc_host == "[::1]" and Endpoint.of("https://h").netloc_host == "h"


def test_plain_http_is_tried_where_a_client_would_try_it() -> None:
    assert Endpoint.of("https://h/v1").plain_http_urls("/v1/health") == ["http://h/v1/health", "http://h:443/v1/health"]
    assert Endpoint.of("https://h:8443/v1").plain_http_urls("/x") == ["http://h:8443/x"]
    assert Endpoint.of("http://h/v1").plain_http_urls("/x") == ["http://h/x"]
    assert Endpoint.of("http://h:81").plain_http_urls("/x") == ["http://h:81/x"]
    assert Endpoint.of("https://[::1]:444").plain_http_urls("/x") == ["http://[::1]:444/x"]


def test_ip_addresses_are_told_from_host_names() -> None:
    assert _is_ip("127.0.0.1") and _is_ip("::1")
    assert not _is_ip("localhost") and not _is_ip("")


# --- TLS versions ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def old_tls() -> Iterator[RunningSupplier]:
    """A supplier that still accepts TLS 1.0 and 1.1."""
    with serve("conformant", https=tls.server_context(minimum=ssl.TLSVersion.TLSv1)) as supplier:
        yield supplier


def test_each_version_the_conformant_supplier_accepts_and_refuses(conformant: RunningSupplier) -> None:
    port = port_of(conformant)
    probes = [probe_tls_version("127.0.0.1", port, v) for v in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1)]
    assert probes == [
        TlsProbe("TLS 1.0", Probe.REFUSED, "handshake refused: TLSV1_ALERT_PROTOCOL_VERSION"),
        TlsProbe("TLS 1.1", Probe.REFUSED, "handshake refused: TLSV1_ALERT_PROTOCOL_VERSION"),
    ]
    assert probe_tls_version("127.0.0.1", port, TLS12) == TlsProbe(
        "TLS 1.2", Probe.ACCEPTED, "handshake completed with TLSv1.2 (ECDHE-ECDSA-AES256-GCM-SHA384)"
    )
    accepted = probe_tls_version("127.0.0.1", port, TLS13)
    assert accepted == TlsProbe("TLS 1.3", Probe.ACCEPTED, "handshake completed with TLSv1.3 (TLS_AES_256_GCM_SHA384)")
    assert accepted.as_evidence() == {
        "probe": "TLS handshake offering only TLS 1.3",
        "result": "accepted",
        "detail": "handshake completed with TLSv1.3 (TLS_AES_256_GCM_SHA384)",
    }


def test_an_old_server_is_seen_accepting_tls_1_0_and_1_1(old_tls: RunningSupplier) -> None:
    port = port_of(old_tls)
    assert probe_tls_version("127.0.0.1", port, ssl.TLSVersion.TLSv1) == TlsProbe(
        "TLS 1.0", Probe.ACCEPTED, "handshake completed with TLSv1 (ECDHE-ECDSA-AES256-SHA)"
    )
    assert probe_tls_version("127.0.0.1", port, ssl.TLSVersion.TLSv1_1) == TlsProbe(
        "TLS 1.1", Probe.ACCEPTED, "handshake completed with TLSv1.1 (ECDHE-ECDSA-AES256-SHA)"
    )


def test_a_server_that_only_speaks_tls_1_3_refuses_1_2() -> None:
    with serve("conformant", https=tls.server_context(minimum=TLS13)) as supplier:
        refused = probe_tls_version("127.0.0.1", port_of(supplier), TLS12)
    assert refused == TlsProbe("TLS 1.2", Probe.REFUSED, "handshake refused: TLSV1_ALERT_PROTOCOL_VERSION")


def test_the_host_name_is_sent_for_a_name_and_not_for_an_address() -> None:
    """Server Name Indication carries a host name; an IP address is never sent as one (RFC 6066 section 3)."""
    named: list[str | None] = []
    context = tls.server_context()
    context.sni_callback = lambda sock, name, ctx: named.append(name)
    with serve("conformant", https=context) as supplier:
        for host in ("localhost", "127.0.0.1"):
            assert probe_tls_version(host, port_of(supplier), TLS13).result is Probe.ACCEPTED
    assert named == ["localhost", None]


def test_a_closed_port_is_unreachable_and_says_where() -> None:
    port = closed_port()
    assert probe_tls_version("127.0.0.1", port, TLS12) == TlsProbe(
        "TLS 1.2", Probe.UNREACHABLE, f"could not connect to 127.0.0.1:{port}: [Errno 111] Connection refused"
    )


@pytest.mark.parametrize(
    ("answer", "result", "detail"),
    [
        (silent, Probe.UNREACHABLE, "no handshake answer within 0.3 s"),
        (reset, Probe.REFUSED, "connection closed during the handshake: [Errno 104] Connection reset by peer"),
        (http_answer(400), Probe.REFUSED, "handshake refused: WRONG_VERSION_NUMBER"),
    ],
    ids=["silent", "reset", "plain-http"],
)
def test_a_listener_that_does_not_speak_tls(
    answer: Callable[[socket.socket], None], result: Probe, detail: str
) -> None:
    with listening(answer) as port:
        assert probe_tls_version("127.0.0.1", port, TLS12, timeout=0.3) == TlsProbe("TLS 1.2", result, detail)


# --- the certificate -------------------------------------------------------------------------------


def test_a_certificate_from_the_trusted_private_ca_is_valid_with_what_it_says(conformant: RunningSupplier) -> None:
    result = check_certificate("127.0.0.1", port_of(conformant), tls.ca_bundle())
    assert (result.valid, result.detail) == (True, "the certificate is valid for 127.0.0.1")
    info = dict(result.certificate)
    subject, issuer = info.pop("subject"), info.pop("issuer")
    assert subject.startswith("organizationName=trustme v") and ", organizationalUnitName=Testing cert #" in subject
    assert issuer.startswith("organizationName=Reference supplier test CA, organizationalUnitName=Testing CA #")
    assert info == {
        "subject_alt_names": ["IP Address:127.0.0.1", "DNS:localhost", "IP Address:0:0:0:0:0:0:0:1"],
        "not_before": "Jan  1 00:00:00 2000 GMT",
        "not_after": "Jan  1 00:00:00 3000 GMT",
        "tls_version": "TLSv1.3",
    }


def test_a_certificate_is_checked_against_the_name_the_client_used(conformant: RunningSupplier) -> None:
    assert check_certificate("localhost", port_of(conformant), tls.ca_bundle()).detail == (
        "the certificate is valid for localhost"
    )


def test_a_certificate_from_a_ca_the_run_does_not_trust_is_invalid(conformant: RunningSupplier) -> None:
    assert check_certificate("127.0.0.1", port_of(conformant), True) == CertificateCheck(
        False, "the certificate does not verify for 127.0.0.1: unable to get local issuer certificate", {}
    )


def test_a_certificate_for_another_host_is_invalid() -> None:
    with serve("conformant", https=tls.server_context(("elsewhere.example",))) as supplier:
        result = check_certificate("127.0.0.1", port_of(supplier), tls.ca_bundle())
    assert result == CertificateCheck(
        False,
        "the certificate does not verify for 127.0.0.1: IP address mismatch, certificate is not valid for '127.0.0.1'.",
        {},
    )


def test_a_certificate_that_cannot_be_reached_or_read_is_undecided() -> None:
    port = closed_port()
    assert check_certificate("127.0.0.1", port, tls.ca_bundle()) == CertificateCheck(
        None, f"could not connect to 127.0.0.1:{port}: [Errno 111] Connection refused", {}
    )
    with listening(http_answer(400)) as port:
        spoken = check_certificate("127.0.0.1", port, tls.ca_bundle(), timeout=1)
    assert spoken.valid is None and spoken.certificate == {}
    assert spoken.detail.startswith("the TLS handshake failed before the certificate could be checked: [SSL: WRONG")
    with listening(reset) as port:
        assert check_certificate("127.0.0.1", port, tls.ca_bundle(), timeout=1) == CertificateCheck(
            None, "the connection failed during the handshake: [Errno 104] Connection reset by peer", {}
        )
    with listening(silent) as port:
        quiet = check_certificate("127.0.0.1", port, tls.ca_bundle(), timeout=0.3)
    assert (quiet.valid, quiet.certificate) == (None, {})
    assert quiet.detail.startswith("the connection failed during the handshake: ")
    assert quiet.detail.endswith("The handshake operation timed out")


# --- plain HTTP ------------------------------------------------------------------------------------


def answering(status: int, headers: str, heard: list[bytes]) -> Callable[[socket.socket], None]:
    """An HTTP answer with `headers` (raw lines), keeping the request it was sent in `heard`."""

    def answer(connection: socket.socket) -> None:
        heard.append(connection.recv(4096))
        connection.sendall(f"HTTP/1.1 {status} X\r\n{headers}Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
        connection.close()

    return answer


def test_the_plain_http_request_is_a_bare_get_of_the_same_resource() -> None:
    heard: list[bytes] = []
    with listening(answering(200, "", heard)) as port:
        probe_plain_http(f"http://127.0.0.1:{port}/v1/health?since=x")
        probe_plain_http(f"http://127.0.0.1:{port}")
    first, second = (request.decode().split("\r\n") for request in heard)
    assert first[0] == "GET /v1/health?since=x HTTP/1.1" and second[0] == "GET / HTTP/1.1"
    assert f"User-Agent: {PLAIN_HTTP_HEADERS['User-Agent']}" in first and "Connection: close" in first
    assert not any(line.lower().startswith("authorization") for line in first)


@pytest.mark.parametrize(
    ("status", "location", "result", "detail"),
    [
        (301, "https://h/v1", PlainHttp.REDIRECTED, "{url} redirects to https://h/v1"),
        (300, "HTTPS://h/v1", PlainHttp.REDIRECTED, "{url} redirects to HTTPS://h/v1"),
        (399, "https://h/v1", PlainHttp.REDIRECTED, "{url} redirects to https://h/v1"),
        (302, "http://h/v1", PlainHttp.ANSWERED, "{url} answers 302 redirecting to http://h/v1, not to HTTPS"),
        (300, "http://h/v1", PlainHttp.ANSWERED, "{url} answers 300 redirecting to http://h/v1, not to HTTPS"),
        (307, "", PlainHttp.ANSWERED, "{url} answers 307 redirecting to nowhere, not to HTTPS"),
        (400, "https://h/v1", PlainHttp.ANSWERED, "{url} answers 400 over plain HTTP"),
        (299, "https://h/v1", PlainHttp.ANSWERED, "{url} answers 299 over plain HTTP"),
        (200, "", PlainHttp.ANSWERED, "{url} answers 200 over plain HTTP"),
    ],
)
def test_an_http_answer_is_safe_only_when_it_redirects_to_https(
    status: int, location: str, result: PlainHttp, detail: str
) -> None:
    heard: list[bytes] = []
    with listening(answering(status, f"Location: {location}\r\n" if location else "", heard)) as port:
        url = f"http://127.0.0.1:{port}/v1/health"
        probe = probe_plain_http(url)
    assert probe == PlainHttpProbe(url, result, detail.format(url=url), status, location)
    assert probe.as_evidence() == {
        "probe": f"GET {url} (plain HTTP, no credentials)",
        "result": result.value,
        "detail": detail.format(url=url),
        "status": status,
        "location": location,
    }


def dropped(connection: socket.socket) -> None:
    """Read the request and close without a word."""
    connection.recv(4096)
    connection.close()


def garbage(connection: socket.socket) -> None:
    """Answer with a long line that is not an HTTP status line."""
    connection.recv(4096)
    connection.sendall(b"x" * 200 + b"\r\n\r\n")
    connection.close()


@pytest.mark.parametrize(
    ("answer", "result", "detail"),
    [
        (reset, PlainHttp.RESET, "{where} reset the connection (ConnectionResetError)"),
        (dropped, PlainHttp.DROPPED, "{where} closed the connection without an HTTP answer"),
        (
            tls_alert,
            PlainHttp.DROPPED,
            "{where} answered with something other than HTTP: BadStatusLine('\\x15\\x03\\x01\\x00\\x02\\x02(')",
        ),
        (
            garbage,
            PlainHttp.DROPPED,
            "{where} answered with something other than HTTP: BadStatusLine('" + "x" * 105,
        ),
        (
            silent,
            PlainHttp.TIMED_OUT,
            "no answer from {where} within 0.3 s: a firewall dropping the request and a server that accepts plain "
            "HTTP slowly look the same",
        ),
    ],
    ids=["reset", "dropped", "tls-alert", "garbage", "silent"],
)
def test_a_listener_that_gives_no_http_answer(
    answer: Callable[[socket.socket], None], result: PlainHttp, detail: str
) -> None:
    with listening(answer) as port:
        url = f"http://127.0.0.1:{port}/v1/health"
        probe = probe_plain_http(url, timeout=0.3)
    assert probe == PlainHttpProbe(url, result, detail.format(where=f"127.0.0.1:{port}"))
    assert probe.as_evidence() == {
        "probe": f"GET {url} (plain HTTP, no credentials)",
        "result": result.value,
        "detail": probe.detail,
    }


def test_a_refused_connection_is_refused() -> None:
    port = closed_port()
    url = f"http://127.0.0.1:{port}/v1/health"
    assert probe_plain_http(url) == PlainHttpProbe(
        url, PlainHttp.REFUSED, f"nothing accepts plain HTTP on 127.0.0.1:{port}: connection refused"
    )


def test_a_url_without_a_port_is_probed_on_port_80() -> None:
    """On a loopback address of its own, so port 80 there is free whatever else runs on this machine."""
    host = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
    assert probe_plain_http(f"http://{host}/x").detail == f"nothing accepts plain HTTP on {host}:80: connection refused"
    with listening(http_answer(200), host, 80):
        assert probe_plain_http(f"http://{host}/x").result is PlainHttp.ANSWERED
