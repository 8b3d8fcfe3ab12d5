"""Probes for the network-integration checks: TLS versions, the certificate, and plain HTTP.

Every probe connects only to the target's own host (and, for plain HTTP, its HTTP port), sends no
credentials, and gives up after a few seconds.
"""

import enum
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

    def plain_http_url(self, path: str) -> str:
        """The same resource over plain HTTP: port 80 when HTTPS is on 443, else the same port."""
        port = 80 if self.port == 443 else self.port
        shown = "" if port == 80 else f":{port}"
        return f"http://{self.netloc_host}{shown}{path}"


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


@dataclass(frozen=True)
class PlainHttpCheck:
    ok: bool
    detail: str
    evidence: dict[str, Any]


def probe_plain_http(url: str, timeout: float = PROBE_TIMEOUT) -> PlainHttpCheck:
    """GET the resource over plain HTTP, without credentials: refused or redirected to HTTPS is fine."""
    evidence: dict[str, Any] = {"probe": f"GET {url} (plain HTTP, no credentials)"}
    try:
        response = requests.get(
            url, allow_redirects=False, timeout=timeout, headers={"User-Agent": PROBE_USER_AGENT}, stream=True
        )
        response.close()
    except requests.RequestException as exc:
        evidence["result"] = f"refused: {type(exc).__name__}"
        return PlainHttpCheck(True, "plain HTTP is refused", evidence)
    location = response.headers.get("Location", "")
    evidence.update({"status": response.status_code, "location": location})
    if 300 <= response.status_code < 400:
        if location.lower().startswith("https://"):
            return PlainHttpCheck(True, "plain HTTP is redirected to HTTPS", evidence)
        return PlainHttpCheck(False, f"{url} redirects to {location or 'nowhere'}, not to HTTPS", evidence)
    if response.status_code < 300:
        return PlainHttpCheck(False, f"{url} answers {response.status_code} over plain HTTP", evidence)
    return PlainHttpCheck(True, f"plain HTTP is refused with {response.status_code}", evidence)
