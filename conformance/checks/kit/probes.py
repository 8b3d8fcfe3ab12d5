"""Probes for the network-integration checks: TLS versions, the certificate, and plain HTTP.

Every probe connects only to the target's own host (and, for plain HTTP, its HTTP port), sends no
credentials, and gives up after a few seconds.
"""

import enum
import http.client
import ipaddress
import socket
import ssl
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

PROBE_TIMEOUT = 5.0
PROBE_USER_AGENT = "procurement-conformance network probe"
PLAIN_HTTP_HEADERS = {"User-Agent": PROBE_USER_AGENT, "Connection": "close"}

TLS_LABELS = {
    ssl.TLSVersion.TLSv1: "TLS 1.0",
    ssl.TLSVersion.TLSv1_1: "TLS 1.1",
    ssl.TLSVersion.TLSv1_2: "TLS 1.2",
    ssl.TLSVersion.TLSv1_3: "TLS 1.3",
}
MODERN_TLS = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
LEGACY_TLS = (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1)
# OpenSSL reasons that mean this machine could not even offer the version: nothing was learned about the server.
LOCAL_TLS_REASONS = {"NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE", "NO_SUITABLE_SIGNATURE_ALGORITHM"}


@dataclass(frozen=True)
class Endpoint:
    """Where the API is served, split into what the probes need."""

    scheme: str
    host: str
    port: int
    path: str

    @classmethod
    def of(cls, base_url: str) -> "Endpoint":
        parts = urlsplit(base_url)
        scheme = parts.scheme.lower()
        port = parts.port or (443 if scheme == "https" else 80)
        return cls(scheme, parts.hostname or "", port, parts.path.rstrip("/"))

    @property
    def https(self) -> bool:
        return self.scheme == "https"

    @property
    def netloc_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    def plain_http_urls(self, path: str) -> list[str]:
        """Where a client would try the same resource over plain HTTP: the TLS port itself, and port 80 too
        when HTTPS is on its default port 443 (on the same host: probes never leave the target's host)."""
        ports = [80, self.port] if self.port == 443 else [self.port]
        return [f"http://{self.netloc_host}{'' if port == 80 else f':{port}'}{path}" for port in ports]


class Probe(enum.Enum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"  # no TCP connection, or no answer: says nothing about TLS
    NOT_OFFERED = "not offered"  # this machine's TLS library cannot offer the version


@dataclass(frozen=True)
class TlsProbe:
    version: str
    result: Probe
    detail: str

    def as_evidence(self) -> dict[str, Any]:
        return {
            "probe": f"TLS handshake offering only {self.version}",
            "result": self.result.value,
            "detail": self.detail,
        }


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def probe_tls_version(host: str, port: int, version: ssl.TLSVersion, timeout: float = PROBE_TIMEOUT) -> TlsProbe:
    """Offer exactly one TLS version and see whether the server completes the handshake.

    Certificates are not checked here (that is the certificate probe's job): only the protocol is.
    For TLS 1.0 and 1.1 the client drops OpenSSL's security level so that it can offer them at all.
    """
    label = TLS_LABELS[version]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        if version < ssl.TLSVersion.TLSv1_2:
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = version
            context.maximum_version = version
    except (ValueError, ssl.SSLError) as exc:
        return TlsProbe(label, Probe.NOT_OFFERED, f"this machine's OpenSSL cannot offer {label}: {exc}")
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        return TlsProbe(label, Probe.UNREACHABLE, f"could not connect to {host}:{port}: {exc}")
    try:
        with context.wrap_socket(sock, server_hostname=None if _is_ip(host) else host) as tls:
            return TlsProbe(label, Probe.ACCEPTED, f"handshake completed with {tls.version()} ({tls.cipher()[0]})")
    except ssl.SSLError as exc:
        if exc.reason in LOCAL_TLS_REASONS:
            return TlsProbe(label, Probe.NOT_OFFERED, f"this machine's OpenSSL cannot offer {label}: {exc.reason}")
        return TlsProbe(label, Probe.REFUSED, f"handshake refused: {exc.reason or exc}")
    except TimeoutError:
        return TlsProbe(label, Probe.UNREACHABLE, f"no handshake answer within {timeout:g} s")
    except OSError as exc:
        return TlsProbe(label, Probe.REFUSED, f"connection closed during the handshake: {exc}")
    finally:
        sock.close()


@dataclass(frozen=True)
class CertificateCheck:
    valid: bool | None  # None: could not decide
    detail: str
    certificate: dict[str, Any]


def _name(parts: Any) -> str:
    return ", ".join(f"{k}={v}" for rdn in parts or () for k, v in rdn)


def check_certificate(host: str, port: int, verify: bool | str, timeout: float = PROBE_TIMEOUT) -> CertificateCheck:
    """Handshake with full verification against what the run trusts (certifi's bundle, or --ca-bundle)."""
    cafile = verify if isinstance(verify, str) else requests.certs.where()
    context = ssl.create_default_context(cafile=cafile)
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        return CertificateCheck(None, f"could not connect to {host}:{port}: {exc}", {})
    try:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            cert = tls.getpeercert() or {}
            info = {
                "subject": _name(cert.get("subject")),
                "issuer": _name(cert.get("issuer")),
                "subject_alt_names": [f"{kind}:{value}" for kind, value in cert.get("subjectAltName", ())],
                "not_before": cert.get("notBefore"),
                "not_after": cert.get("notAfter"),
                "tls_version": tls.version(),
            }
            return CertificateCheck(True, f"the certificate is valid for {host}", info)
    except ssl.SSLCertVerificationError as exc:
        return CertificateCheck(False, f"the certificate does not verify for {host}: {exc.verify_message}", {})
    except ssl.SSLError as exc:
        return CertificateCheck(None, f"the TLS handshake failed before the certificate could be checked: {exc}", {})
    except OSError as exc:
        return CertificateCheck(None, f"the connection failed during the handshake: {exc}", {})
    finally:
        sock.close()


class PlainHttp(enum.Enum):
    """How a plain-HTTP request was answered; only a refusal (of any kind) or a redirect to HTTPS is safe."""

    REFUSED = "refused"  # nothing listens: the connection was refused
    RESET = "reset"  # a listener reset the connection
    DROPPED = "dropped"  # a listener closed the connection without an HTTP answer (a TLS-only port does)
    REDIRECTED = "redirected to HTTPS"
    ANSWERED = "answered"  # any other HTTP answer: the port speaks plain HTTP
    TIMED_OUT = "timed out"  # cannot tell a dropped packet from a slow server
    UNREACHABLE = "unreachable"  # no route to the host: says nothing about its HTTP port


# Refused, reset, dropped and redirected to HTTPS are safe; an answer is not; these two cannot tell.
PLAIN_HTTP_UNDECIDED = (PlainHttp.TIMED_OUT, PlainHttp.UNREACHABLE)


@dataclass(frozen=True)
class PlainHttpProbe:
    url: str
    result: PlainHttp
    detail: str
    status: int | None = None
    location: str | None = None

    def as_evidence(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "probe": f"GET {self.url} (plain HTTP, no credentials)",
            "result": self.result.value,
            "detail": self.detail,
        }
        if self.status is not None:
            item.update({"status": self.status, "location": self.location or ""})
        return item


def probe_plain_http(url: str, timeout: float = PROBE_TIMEOUT) -> PlainHttpProbe:
    """GET the resource over plain HTTP, without credentials, and say exactly how the server answered.

    http.client rather than requests: the difference between a refused, reset, closed and timed-out
    connection is the verdict here, and requests folds them all into ConnectionError.
    """
    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port or 80}"
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=timeout)
    path = parts.path or "/"
    try:
        connection.request("GET", path + (f"?{parts.query}" if parts.query else ""), headers=PLAIN_HTTP_HEADERS)
        response = connection.getresponse()
        status, location = response.status, response.getheader("Location", "")
    except ConnectionRefusedError:
        return PlainHttpProbe(url, PlainHttp.REFUSED, f"nothing accepts plain HTTP on {where}: connection refused")
    except http.client.RemoteDisconnected:
        return PlainHttpProbe(url, PlainHttp.DROPPED, f"{where} closed the connection without an HTTP answer")
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError) as exc:
        return PlainHttpProbe(url, PlainHttp.RESET, f"{where} reset the connection ({type(exc).__name__})")
    except http.client.HTTPException as exc:
        shown = f"{exc!r}"[:120]
        return PlainHttpProbe(url, PlainHttp.DROPPED, f"{where} answered with something other than HTTP: {shown}")
    except TimeoutError:
        return PlainHttpProbe(
            url,
            PlainHttp.TIMED_OUT,
            f"no answer from {where} within {timeout:g} s: a firewall dropping the request and a server that "
            "accepts plain HTTP slowly look the same",
        )
    except OSError as exc:
        return PlainHttpProbe(url, PlainHttp.UNREACHABLE, f"could not reach {where}: {exc}")
    finally:
        connection.close()
    if 300 <= status < 400 and location.lower().startswith("https://"):
        return PlainHttpProbe(url, PlainHttp.REDIRECTED, f"{url} redirects to {location}", status, location)
    if 300 <= status < 400:
        shown = location or "nowhere"
        return PlainHttpProbe(
            url, PlainHttp.ANSWERED, f"{url} answers {status} redirecting to {shown}, not to HTTPS", status, location
        )
    return PlainHttpProbe(url, PlainHttp.ANSWERED, f"{url} answers {status} over plain HTTP", status, location)
