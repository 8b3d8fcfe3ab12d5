"""The marketplace listing, the signed revocation list and the council's check.

The reference supplier is certified once per module through the real CLI; every other certificate is
issued directly from that run record with `issue()` (no fuzzing), with its own product, dates and key.
"""

import base64
import copy
import functools
import hashlib
import json
import re
import shutil
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conformance.marketplace.listing import CATALOGUE_PAYLOAD_TYPE, sign_catalogue
from conformance.record import RunRecord
from conformance.schemas_loader import validate
from conformance.trust.certificate import VerifyExit, issue
from conformance.trust.revocation import append as append_revocation
from conformance.trust.signing import key_id, load_private_key, verify_envelope
from tests.static_server import running
from tests.test_certificates import Certified, Proc, certify_reference, cli
from tests.test_core_run import assert_self_contained

REVOKE_REASON = "Supplier withdrew the product after a data export defect"
HOSTILE_SUPPLIER = "<script>alert(1)</script> & Sons"


@dataclass
class Market:
    """A folder of certificates of every kind, the marketplace's keys and its revocation list."""

    root: Path
    certs: Path
    trust: Path
    public: Path
    private: Path
    revocations: Path
    at: str
    record: dict[str, Any]
    valid: dict[str, str] = field(default_factory=dict)  # label -> certificate id
    rejected: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (relative path, reason)
    profiles: dict[str, list[str]] = field(default_factory=dict)  # label -> profile ids

    @property
    def key(self) -> Ed25519PrivateKey:
        return load_private_key(self.private)

    def issue(
        self,
        folder: Path,
        product: str,
        *,
        supplier: str = "Acme Civic Software Ltd",
        version: str = "1.0",
        issued: datetime | None = None,
        days: int = 365,
        key: Ed25519PrivateKey | None = None,
        profiles: list[str] | None = None,
    ) -> dict[str, Any]:
        """A real certificate (certificate.html and certificate.dsse.json) from the module's run record."""
        record = copy.deepcopy(self.record)
        if profiles is not None:
            record["profiles"] = [p for p in record["profiles"] if p["id"] in profiles]
        folder.mkdir(parents=True, exist_ok=True)
        at = datetime.fromisoformat(self.at)
        return issue(
            RunRecord.from_json(record),
            key or self.key,
            folder,
            supplier=supplier,
            product=product,
            product_version=version,
            valid_days=days,
            issued=issued or at - timedelta(days=10),
        )


def midnight_today() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def make_market(root: Path, certified: Certified) -> Market:
    """Four valid certificates (one with hostile labels) and one of each way to be rejected."""
    trust = root / "trust"
    trust.mkdir(parents=True)
    shutil.copy(certified.public, trust / "marketplace.pem")
    at = midnight_today()
    market = Market(
        root,
        root / "certs",
        trust,
        certified.public,
        certified.private,
        root / "revocations.dsse.json",
        at.isoformat(),
        certified.results(),
    )
    ids = [p["id"] for p in market.record["profiles"]]
    assert len(ids) >= 2, "the reference supplier should be certified for at least two profiles"
    valid = {
        "caseworks": ("CaseWorks Noise", "Acme Civic Software Ltd", ids),
        "planit": ("PlanIt Portal", "Borough Digital Ltd", ids[:1]),
        "ledger": ("Open Ledger", "Fenland Co-operative", ids[1:]),
        "hostile": ('Widget "Pro" </td>', HOSTILE_SUPPLIER, ids[:1]),
    }
    for label, (product, supplier, profiles) in valid.items():
        statement = market.issue(market.certs / label, product, supplier=supplier, profiles=profiles)
        market.valid[label] = statement["predicate"]["certificate_id"]
        market.profiles[label] = profiles
    shutil.copy(certified.out / "report.html", market.certs / "caseworks" / "report.html")  # not a certificate

    market.issue(market.certs / "expired", "Old Timer", issued=at - timedelta(days=400), days=30)
    market.rejected["expired"] = ("expired/certificate.dsse.json", "expired")
    market.issue(market.certs / "future", "Tomorrow", issued=at + timedelta(days=5))
    market.rejected["future"] = ("future/certificate.dsse.json", "not yet valid")
    revoked = market.issue(market.certs / "revoked", "Withdrawn Suite")
    proc = cli(
        "revoke",
        revoked["predicate"]["certificate_id"],
        "--reason",
        REVOKE_REASON,
        "--key",
        market.private,
        "--revocations",
        market.revocations,
    )
    assert proc.code == 0, proc.stdout + proc.stderr
    market.rejected["revoked"] = ("revoked/certificate.dsse.json", "revoked")

    page = market.certs / "tampered-page"
    market.issue(page, "Edited Page")
    (page / "certificate.dsse.json").unlink()
    html = (page / "certificate.html").read_text("utf-8")
    (page / "certificate.html").write_text(html.replace("Edited Page 1.0</h1>", "Edited Page 9.0</h1>"), "utf-8")
    market.rejected["tampered-page"] = ("tampered-page/certificate.html", "visible page edited")

    signed = market.certs / "tampered-envelope"
    market.issue(signed, "Edited Envelope")
    (signed / "certificate.html").unlink()
    envelope = json.loads((signed / "certificate.dsse.json").read_text("utf-8"))
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["product"]["version"] = "9.0"
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    (signed / "certificate.dsse.json").write_text(json.dumps(envelope), "utf-8")
    market.rejected["tampered-envelope"] = ("tampered-envelope/certificate.dsse.json", "bad signature")

    market.issue(market.certs / "foreign", "Stranger Things", key=Ed25519PrivateKey.generate())
    market.rejected["foreign"] = ("foreign/certificate.dsse.json", "unknown key")
    (market.certs / "junk.dsse.json").write_text("not json", "utf-8")
    market.rejected["junk"] = ("junk.dsse.json", "malformed")
    return market


def build(market: Market, out: Path, *extra: str | Path) -> Proc:
    return cli(
        "listing",
        "build",
        market.certs,
        "--trust",
        market.trust,
        "--key",
        market.private,
        "--revocations",
        market.revocations,
        "--out",
        out,
        "--at",
        market.at,
        *extra,
    )


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Market:
    root = tmp_path_factory.mktemp("listing")
    certified = certify_reference(root / "certified")
    assert certified.proc.code == 0, certified.proc.stdout + certified.proc.stderr
    return make_market(root / "market", certified)


@pytest.fixture(scope="module")
def site(market: Market) -> Path:
    out = market.root / "published" / "site"
    proc = build(market, out, "--log", market.root / "build.log")
    assert proc.code == 0, proc.stdout + proc.stderr
    return out


def catalogue(site: Path) -> dict[str, Any]:
    return json.loads((site / "catalogue.json").read_text("utf-8"))


# --- listing build ----------------------------------------------------------------------------


def test_only_valid_certificates_are_listed_and_the_log_names_every_rejection(market: Market, site: Path) -> None:
    listed = {entry["certificate_id"] for entry in catalogue(site)["products"]}
    assert listed == set(market.valid.values())
    log = (market.root / "build.log").read_text("utf-8")
    rejected_files = 0
    for path, reason in market.rejected.values():
        # Both files of a certificate folder are checked, and each is named with its reason.
        folder = (market.certs / path).parent
        files = [path] if folder == market.certs else [f.relative_to(market.certs).as_posix() for f in folder.iterdir()]
        for name in files:
            assert re.search(rf"^rejected  {re.escape(name)}: {reason}:", log, re.M), (name, reason, log)
        rejected_files += len(files)
    assert len(re.findall("^rejected ", log, re.M)) == rejected_files
    assert REVOKE_REASON in log
    assert "duplicate caseworks/certificate.html: the same certificate as caseworks/certificate.dsse.json" in log
    assert "report.html" not in log
    assert log.strip().endswith(f"{len(market.valid)} listed, {rejected_files} rejected; site: {site}/index.html")
    for entry_id in market.valid.values():
        assert (site / "certificates" / entry_id / "certificate.html").is_file()


def test_two_builds_are_byte_identical(market: Market, site: Path) -> None:
    again = market.root / "again"
    assert build(market, again).code == 0
    assert tree(again) == tree(site)
    # "now" is not part of the output: a later --at that keeps the same certificates current changes nothing.
    later = market.root / "later"
    assert build(market, later, "--at", (datetime.fromisoformat(market.at) + timedelta(hours=20)).isoformat()).code == 0
    assert tree(later) == tree(site)
    # Rebuilding over an earlier listing replaces it whole.
    (again / "products" / "stale.html").write_text("stale", "utf-8")
    assert build(market, again).code == 0
    assert tree(again) == tree(site)


def test_catalogue_validates_against_its_published_schema(market: Market, site: Path) -> None:
    document = catalogue(site)
    published = json.loads((site / "catalogue.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(published)
    jsonschema.Draft202012Validator(published).validate(document)
    validate(document, "catalogue")
    revocations = (site / "revocations.dsse.json").read_bytes()
    assert revocations == market.revocations.read_bytes()
    assert document["revocation_list"] == {
        "path": "revocations.dsse.json",
        "sha256": hashlib.sha256(revocations).hexdigest(),
        "revoked": 1,
    }
    for entry in document["products"]:
        for path in (entry["page"], entry["certificate_html"], entry["certificate_envelope"]):
            assert (site / path).is_file()
        for profile in entry["profiles"]:
            svg = (site / profile["badge"]).read_text("utf-8")
            assert svg.startswith("<svg ") and f"{profile['id']} {profile['version']}" in svg
            assert "conformant" in svg and "href" not in svg


def test_pages_are_self_contained_and_every_link_resolves(market: Market, site: Path) -> None:
    pages = [site / "index.html", *sorted((site / "products").glob("*.html"))]
    assert len(pages) == 1 + len(market.valid)
    for page in pages:
        html = page.read_text("utf-8")
        assert_self_contained(html)
        assert html.count("<script") == (1 if page.name == "index.html" else 0)
        assert "<script>alert" not in html
        for href in re.findall(r'href="([^"]+)"', html):
            assert not re.match(r"[a-z]+:|/", href), f"{page.name} links {href}: not relative"
            assert (page.parent / href).is_file(), f"{page.name} links {href}, which is not a file"


def test_product_page_links_its_certificate_which_verifies(market: Market, site: Path) -> None:
    entry = next(e for e in catalogue(site)["products"] if e["certificate_id"] == market.valid["caseworks"])
    page = (site / entry["page"]).read_text("utf-8")
    assert f'href="../{entry["certificate_html"]}"' in page
    assert "CaseWorks Noise 1.0" in page and "Acme Civic Software Ltd" in page
    assert page.count("<svg ") == len(entry["profiles"])
    proc = cli("verify", site / entry["certificate_html"], "--key", market.public)
    assert proc.code == 0, proc.stdout


def test_hostile_labels_are_escaped(market: Market, site: Path) -> None:
    index = (site / "index.html").read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sons" in index
    assert "Widget &#34;Pro&#34; &lt;/td&gt;" in index
    entry = next(e for e in catalogue(site)["products"] if e["certificate_id"] == market.valid["hostile"])
    assert entry["supplier"] == HOSTILE_SUPPLIER
    assert re.fullmatch(r"products/[a-z0-9-]+\.html", entry["page"])


def test_unusable_input_exits_2(market: Market, tmp_path: Path) -> None:
    missing, key = tmp_path / "missing", market.private
    assert cli("listing", "build", missing, "--trust", market.trust, "--key", key, "--out", tmp_path / "o").code == 2
    not_a_listing = tmp_path / "documents"
    not_a_listing.mkdir()
    (not_a_listing / "thesis.txt").write_text("keep me", "utf-8")
    proc = build(market, not_a_listing)
    assert proc.code == 2 and "refusing to replace it" in proc.stderr
    assert (not_a_listing / "thesis.txt").read_text("utf-8") == "keep me"
    proc = cli(
        "listing", "build", market.certs, "--trust", market.trust, "--key", market.private, "--out", market.certs
    )
    assert proc.code == 2 and "would be deleted" in proc.stderr


def test_empty_folder_gives_an_empty_listing(market: Market, tmp_path: Path) -> None:
    (tmp_path / "none").mkdir()
    proc = cli(
        "listing",
        "build",
        tmp_path / "none",
        "--trust",
        market.trust,
        "--key",
        market.private,
        "--out",
        tmp_path / "site",
    )
    assert proc.code == 0, proc.stderr
    assert catalogue(tmp_path / "site")["products"] == []
    assert "No certificates are listed." in (tmp_path / "site" / "index.html").read_text("utf-8")


# --- revocation -------------------------------------------------------------------------------


def test_verify_reports_a_revoked_certificate_with_its_reason(market: Market) -> None:
    revoked = market.certs / "revoked" / "certificate.html"
    proc = cli("verify", revoked, "--key", market.public, "--revocations", market.revocations)
    assert proc.code == VerifyExit.REVOKED, proc.stdout + proc.stderr
    assert proc.stdout.startswith("INVALID: revoked: certificate ") and REVOKE_REASON in proc.stdout
    assert cli("verify", revoked, "--key", market.public).code == 0  # without the list it is still genuine
    valid = market.certs / "caseworks" / "certificate.html"
    assert cli("verify", valid, "--key", market.public, "--revocations", market.revocations).code == 0


def test_revocation_list_signed_by_an_untrusted_key_is_refused(market: Market, tmp_path: Path) -> None:
    forged = tmp_path / "forged.dsse.json"
    append_revocation(forged, market.valid["caseworks"], "forged", Ed25519PrivateKey.generate())
    valid = market.certs / "caseworks" / "certificate.html"
    proc = cli("verify", valid, "--key", market.public, "--revocations", forged)
    assert proc.code == 2 and "refusing the revocation list" in proc.stderr and "not a trusted key" in proc.stderr
    proc = cli(
        "listing", "build", market.certs, "--trust", market.trust, "--key", market.private,
        "--revocations", forged, "--out", tmp_path / "site",
    )  # fmt: skip
    assert proc.code == 2 and "refusing the revocation list" in proc.stderr
    assert not (tmp_path / "site").exists()


def test_edited_revocation_list_is_refused(market: Market, tmp_path: Path) -> None:
    envelope = json.loads(market.revocations.read_text("utf-8"))
    document = json.loads(base64.b64decode(envelope["payload"]))
    document["revocations"] = []
    envelope["payload"] = base64.b64encode(json.dumps(document).encode()).decode()
    edited = tmp_path / "edited.dsse.json"
    edited.write_text(json.dumps(envelope), "utf-8")
    proc = cli("verify", market.certs / "revoked" / "certificate.html", "--key", market.public, "--revocations", edited)
    assert proc.code == 2 and "refusing the revocation list" in proc.stderr


def test_revoke_extends_only_its_own_list_and_checks_the_id(market: Market, tmp_path: Path) -> None:
    listing = tmp_path / "list.dsse.json"
    shutil.copy(market.revocations, listing)
    stranger = tmp_path / "stranger.pem"
    stranger.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    stranger.chmod(0o600)
    proc = cli("revoke", market.valid["planit"], "--reason", "x", "--key", stranger, "--revocations", listing)
    assert proc.code == 2 and "only extended with the key that signed it" in proc.stderr
    assert listing.read_bytes() == market.revocations.read_bytes()
    proc = cli("revoke", "not-an-id", "--reason", "x", "--key", market.private, "--revocations", listing)
    assert proc.code == 2 and "is not a certificate id" in proc.stderr
    proc = cli(
        "revoke",
        market.valid["planit"],
        "--reason",
        "Line one\nline two",
        "--key",
        market.private,
        "--revocations",
        listing,
    )
    assert proc.code == 0 and "2 revoked" in proc.stdout
    again = cli(
        "revoke", market.valid["planit"], "--reason", "other", "--key", market.private, "--revocations", listing
    )
    assert again.code == 0 and "already revoked" in again.stdout and "Line one line two" in again.stdout


# --- the council's check ----------------------------------------------------------------------


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Silent."""


@contextmanager
def serve_folder(folder: Path, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """A static web server on loopback for `folder` (https when given a TLS context); yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    with running(server, "https" if tls else "http") as base:
        yield base


@pytest.fixture(scope="module", params=["http", "folder"])
def location(request: pytest.FixtureRequest, site: Path) -> Iterator[str]:
    if request.param == "folder":
        yield str(site)
        return
    with serve_folder(site.parent) as base:
        yield f"{base}/{site.name}"


def council(market: Market, certificate: Path, location: str) -> Proc:
    return cli("verify", certificate, "--key", market.public, "--listing", location)


def test_council_listed_and_valid(market: Market, location: str) -> None:
    proc = council(market, market.certs / "caseworks" / "certificate.html", location)
    assert proc.code == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"VALID AND LISTED: {market.certs / 'caseworks' / 'certificate.html'}"
    for question in ("genuine", "current", "not revoked", "listed"):
        assert any(re.match(rf"  {question}: +yes: ", line) for line in lines), (question, proc.stdout)
    assert "not among the 1 revoked" in proc.stdout


def test_council_revoked(market: Market, location: str) -> None:
    proc = council(market, market.certs / "revoked" / "certificate.dsse.json", location)
    assert proc.code == VerifyExit.REVOKED, proc.stdout + proc.stderr
    assert proc.stdout.startswith("INVALID: revoked: ") and REVOKE_REASON in proc.stdout
    assert re.search(r"^  not revoked: +NO: ", proc.stdout, re.M)
    assert re.search(r"^  listed: +NO: ", proc.stdout, re.M)


def test_council_not_listed(market: Market, location: str, tmp_path: Path) -> None:
    market.issue(tmp_path / "new", "Brand New Product")
    proc = council(market, tmp_path / "new" / "certificate.html", location)
    assert proc.code == VerifyExit.NOT_LISTED, proc.stdout + proc.stderr
    assert proc.stdout.startswith("INVALID: not listed: ")
    assert re.search(r"^  genuine: +yes: ", proc.stdout, re.M)


def test_council_forged_certificate_is_not_genuine(market: Market, location: str) -> None:
    proc = council(market, market.certs / "tampered-page" / "certificate.html", location)
    assert proc.code == VerifyExit.PAGE_EDITED
    assert re.search(r"^  listed: +not checked: ", proc.stdout, re.M)


def test_council_accepts_the_index_or_catalogue_address(market: Market, site: Path) -> None:
    certificate = market.certs / "planit" / "certificate.html"
    with serve_folder(site.parent) as base:
        for location in (
            f"{base}/{site.name}/",
            f"{base}/{site.name}/index.html",
            f"{base}/{site.name}/catalogue.json",
        ):
            assert council(market, certificate, location).code == 0, location
        missing = council(market, certificate, f"{base}/nowhere/")
        assert missing.code == 2 and "HTTP 404" in missing.stderr


def test_council_fetches_an_https_listing_signed_by_a_private_ca(market: Market, site: Path, tmp_path: Path) -> None:
    authority = trustme.CA()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(tls)
    ca_pem = tmp_path / "council-ca.pem"
    authority.cert_pem.write_to_path(str(ca_pem))
    certificate = market.certs / "planit" / "certificate.html"
    with serve_folder(site.parent, tls) as base:
        listing = f"{base}/{site.name}/"
        untrusted = council(market, certificate, listing)
        assert untrusted.code == 2 and "certificate verify failed" in untrusted.stderr, untrusted.stderr
        trusted = cli("verify", certificate, "--key", market.public, "--listing", listing, "--ca-bundle", ca_pem)
        assert trusted.code == 0, trusted.stdout + trusted.stderr
        assert trusted.stdout.startswith("VALID AND LISTED: ")
    alone = cli("verify", certificate, "--key", market.public, "--ca-bundle", ca_pem)
    assert alone.code == 2 and "give --listing too" in alone.stderr


def test_council_refuses_a_listing_with_an_untrusted_revocation_list(
    market: Market, site: Path, tmp_path: Path
) -> None:
    copy_site = tmp_path / "site"
    shutil.copytree(site, copy_site)
    forged = copy_site / "revocations.dsse.json"
    forged.unlink()
    append_revocation(forged, market.valid["ledger"], "forged", Ed25519PrivateKey.generate())
    certificate = market.certs / "caseworks" / "certificate.html"
    proc = council(market, certificate, str(copy_site))
    assert proc.code == 2 and "inconsistent" in proc.stderr
    document = catalogue(copy_site)
    document["revocation_list"]["sha256"] = hashlib.sha256(forged.read_bytes()).hexdigest()
    # Even a catalogue the marketplace key signs cannot make the council believe a foreign revocation list.
    write_signed_catalogue(copy_site, json.dumps(document).encode(), market.key)
    proc = council(market, certificate, str(copy_site))
    assert proc.code == 2 and "refusing the revocation list" in proc.stderr and "not a trusted key" in proc.stderr


# --- the signed catalogue ---------------------------------------------------------------------


def write_signed_catalogue(site: Path, data: bytes, key: Ed25519PrivateKey) -> None:
    """Replace a site's catalogue.json with `data`, signed by `key` as `listing build` signs it."""
    (site / "catalogue.json").write_bytes(data)
    (site / "catalogue.dsse.json").write_bytes(sign_catalogue(data, key))


def test_build_signs_exactly_the_published_catalogue(market: Market, site: Path) -> None:
    envelope = json.loads((site / "catalogue.dsse.json").read_text("utf-8"))
    public = market.key.public_key()
    payload, signer = verify_envelope(envelope, {key_id(public): public}, CATALOGUE_PAYLOAD_TYPE)
    assert payload == (site / "catalogue.json").read_bytes()
    assert signer in catalogue(site)["trusted_key_ids"]
    assert 'href="catalogue.dsse.json"' in (site / "index.html").read_text("utf-8")


def test_build_refuses_a_signing_key_its_trusted_keys_do_not_hold(market: Market, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.private.pem"
    stranger.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    stranger.chmod(0o600)
    proc = build(market, tmp_path / "site", "--key", stranger)
    assert proc.code == 2 and "is not among the trusted keys" in proc.stderr, proc.stderr
    assert not (tmp_path / "site").exists()


def mirror_variants(site: Path, root: Path, market: Market) -> dict[str, Path]:
    """Copies of the listing as a mirror might serve them: intact, and each way its catalogue can be untrustworthy."""
    variants = {name: root / name for name in ("intact", "edited", "foreign", "unsigned", "forged-signature")}
    for folder in variants.values():
        shutil.copytree(site, folder)
    document = catalogue(site)
    document["products"] = [e for e in document["products"] if e["certificate_id"] != market.valid["planit"]]
    edited = json.dumps(document, indent=2).encode()
    (variants["edited"] / "catalogue.json").write_bytes(edited)
    write_signed_catalogue(variants["foreign"], edited, Ed25519PrivateKey.generate())
    (variants["unsigned"] / "catalogue.dsse.json").unlink()
    envelope = json.loads((site / "catalogue.dsse.json").read_text("utf-8"))
    envelope["payload"] = base64.b64encode(edited).decode()  # the marketplace's signature over other bytes
    (variants["forged-signature"] / "catalogue.dsse.json").write_text(json.dumps(envelope), "utf-8")
    (variants["forged-signature"] / "catalogue.json").write_bytes(edited)
    return variants


def test_council_checks_the_catalogue_signature_of_an_https_mirror(market: Market, site: Path, tmp_path: Path) -> None:
    authority = trustme.CA()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(tls)
    ca_pem = tmp_path / "council-ca.pem"
    authority.cert_pem.write_to_path(str(ca_pem))
    mirror = tmp_path / "mirror"
    mirror_variants(site, mirror, market)
    certificate = market.certs / "planit" / "certificate.html"
    refusals = {
        "edited": "was changed after signing",
        "foreign": "which is not a trusted key",
        "unsigned": "has no signed catalogue",
        "forged-signature": "the signature does not match",
    }
    with serve_folder(mirror, tls) as base:

        def council_over_https(name: str) -> Proc:
            listing = f"{base}/{name}/"
            return cli("verify", certificate, "--key", market.public, "--listing", listing, "--ca-bundle", ca_pem)

        intact = council_over_https("intact")
        assert intact.code == 0 and intact.stdout.startswith("VALID AND LISTED: "), intact.stdout + intact.stderr
        for name, message in refusals.items():
            proc = council_over_https(name)
            assert proc.code == VerifyExit.LISTING_UNSIGNED, (name, proc.stdout, proc.stderr)
            assert proc.stdout.startswith("LISTING REFUSED: ") and message in proc.stdout, (name, proc.stdout)
            assert "VALID" not in proc.stdout


def test_council_refuses_an_edited_catalogue_in_a_folder(market: Market, site: Path, tmp_path: Path) -> None:
    variants = mirror_variants(site, tmp_path, market)
    certificate = market.certs / "caseworks" / "certificate.html"
    assert council(market, certificate, str(variants["intact"])).code == 0
    proc = council(market, certificate, str(variants["edited"] / "catalogue.json"))
    assert proc.code == VerifyExit.LISTING_UNSIGNED and "was changed after signing" in proc.stdout
    # A key the council trusts, but that the catalogue itself does not name, cannot vouch for it either.
    other = Ed25519PrivateKey.generate()
    other_public = tmp_path / "other.public.pem"
    other_public.write_bytes(
        other.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    resigned = variants["intact"]
    write_signed_catalogue(resigned, (resigned / "catalogue.json").read_bytes(), other)
    proc = cli("verify", certificate, "--key", market.public, "--key", other_public, "--listing", resigned)
    assert proc.code == VerifyExit.LISTING_UNSIGNED and "which it does not name as trusted" in proc.stdout
