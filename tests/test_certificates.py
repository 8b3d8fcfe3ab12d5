"""Signed certificates: keys, certify, verify, and every way a certificate can be wrong.

The reference supplier is certified once per module through the real CLI; each tamper case edits a
copy of that certificate and checks `conformance verify` names its own reason and exit code.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey

from conformance.catalogue import load_profiles
from conformance.demo import serve
from conformance.record import RunRecord
from conformance.schemas_loader import validate
from conformance.trust.certificate import (
    CERTIFICATE_VIEWS,
    CURRENT_VIEW,
    ENVELOPE_ELEMENT,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    NotCertifiable,
    Reason,
    VerifyExit,
    canonical,
    embed_json,
    issue,
    parse_time,
    verify_certificate,
)
from conformance.trust.signing import key_id, load_private_key, load_public_key, pae, sign_envelope
from tests.conftest import SEED
from tests.test_core_run import assert_self_contained

PRODUCT = "CaseWorks Noise"
PRODUCT_VERSION = "2.1.0"
SUPPLIER = "Acme Civic Software Ltd"


@dataclass
class Proc:
    code: int
    stdout: str
    stderr: str


@dataclass
class Certified:
    """A key pair and the output folder of one `conformance certify` run."""

    keys: Path
    out: Path
    proc: Proc
    token: str

    @property
    def private(self) -> Path:
        return self.keys / "signing.private.pem"

    @property
    def public(self) -> Path:
        return self.keys / "signing.public.pem"

    @property
    def html(self) -> Path:
        return self.out / "certificate.html"

    @property
    def envelope_path(self) -> Path:
        return self.out / "certificate.dsse.json"

    def envelope(self) -> dict[str, Any]:
        return json.loads(self.envelope_path.read_text("utf-8"))

    def statement(self) -> dict[str, Any]:
        return json.loads(base64.b64decode(self.envelope()["payload"]))

    def results(self) -> dict[str, Any]:
        return json.loads((self.out / "results.json").read_text("utf-8"))


def cli(*args: str | Path, timeout: float = 300) -> Proc:
    """The real command line in a child process."""
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", *map(str, args)], capture_output=True, text=True, timeout=timeout
    )
    return Proc(proc.returncode, proc.stdout, proc.stderr)


def certify_args(target: list[str], key: Path, out: Path) -> list[str | Path]:
    return [
        "certify",
        *target,
        "--seed",
        str(SEED),
        "--max-examples",
        "5",
        "--out",
        out,
        "--key",
        key,
        "--supplier",
        SUPPLIER,
        "--product",
        PRODUCT,
        "--product-version",
        PRODUCT_VERSION,
    ]


def certify_reference(root: Path, variant: str = "conformant") -> Certified:
    """Generate a key pair and certify a reference supplier variant with it."""
    keys = root / "keys"
    generated = cli("keys", "generate", "--out", keys)
    assert generated.code == 0, generated.stderr
    with serve(variant) as supplier:
        proc = cli(*certify_args(supplier.harness_args(), keys / "signing.private.pem", root / "out"))
        return Certified(keys, root / "out", proc, supplier.token)


@pytest.fixture(scope="module")
def certified(tmp_path_factory: pytest.TempPathFactory) -> Certified:
    return certify_reference(tmp_path_factory.mktemp("certified"))


@pytest.fixture(scope="module")
def other_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Ed25519PrivateKey, Path]:
    private = Ed25519PrivateKey.generate()
    path = tmp_path_factory.mktemp("other") / "other.public.pem"
    path.write_bytes(
        private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private, path


def verify(target: Path, *args: str | Path) -> Proc:
    return cli("verify", target, *args)


def assert_invalid(proc: Proc, code: VerifyExit, reason: str) -> None:
    assert proc.code == code, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"INVALID: {reason}:"), proc.stdout


# --- keys -----------------------------------------------------------------------------------


def test_keys_generate_writes_0600_private_key_and_key_id(certified: Certified) -> None:
    assert os.stat(certified.private).st_mode & 0o777 == 0o600
    key_id_text = (certified.keys / "signing.keyid").read_text("ascii").strip()
    assert key_id_text == key_id(load_public_key(certified.public))
    assert certified.statement()["predicate"]["issuer_key_id"] == key_id_text


def test_keys_generate_refuses_to_overwrite(certified: Certified) -> None:
    before = certified.private.read_bytes()
    proc = cli("keys", "generate", "--out", certified.keys)
    assert proc.code == 2 and "refusing to overwrite" in proc.stderr
    assert certified.private.read_bytes() == before


def test_key_file_with_loose_permissions_is_refused(certified: Certified, tmp_path: Path) -> None:
    loose = tmp_path / "loose.pem"
    shutil.copy(certified.private, loose)
    loose.chmod(0o644)
    # The key is checked before the run, so an unreachable spec is never fetched.
    proc = cli(*certify_args(["--spec", "http://127.0.0.1:9/openapi.json"], loose, tmp_path / "out"), timeout=60)
    assert proc.code == 2
    assert f"private key {loose} has permissions -rw-r--r-- (0644)" in proc.stderr
    assert "chmod 600" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_insecure_runs_are_refused_before_running(certified: Certified, tmp_path: Path) -> None:
    args = certify_args(["--spec", "https://127.0.0.1:9/openapi.json", "--insecure"], certified.private, tmp_path)
    proc = cli(*args, timeout=60)
    assert proc.code == 2 and "--insecure runs are never certified" in proc.stderr


def test_private_key_never_appears_in_any_output(certified: Certified) -> None:
    pem = certified.private.read_text("ascii")
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    raw = serialization.load_pem_private_key(pem.encode(), None).private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    secrets = [body, body[-44:], raw.hex(), base64.b64encode(raw).decode()]
    outputs = [certified.proc.stdout, certified.proc.stderr]
    outputs += [path.read_text("utf-8") for path in certified.out.iterdir()]
    outputs.append(verify(certified.html, "--key", certified.public).stdout)
    for output in outputs:
        for secret in secrets:
            assert secret not in output
    assert certified.token not in certified.html.read_text("utf-8")


# --- certify and the round trip ---------------------------------------------------------------


def test_certify_writes_the_certificate_beside_the_report(certified: Certified) -> None:
    assert certified.proc.code == 0, certified.proc.stdout + certified.proc.stderr
    assert (certified.out / "report.html").exists() and certified.html.exists() and certified.envelope_path.exists()
    assert f"certificate: {certified.html}" in certified.proc.stdout


def test_round_trip_verifies_html_and_bare_envelope(certified: Certified) -> None:
    for target in (certified.html, certified.envelope_path):
        proc = verify(target, "--key", certified.public)
        assert proc.code == 0, proc.stdout + proc.stderr
        assert proc.stdout.startswith(f"VALID: {target}")
        assert f"{PRODUCT} {PRODUCT_VERSION} by {SUPPLIER}" in proc.stdout
        version = load_profiles()["open-standard-export"].version
        assert f"open-standard-export {version}: CONFORMANT" in proc.stdout


def test_verify_with_a_folder_of_trusted_keys(certified: Certified, other_key: tuple[Any, Path]) -> None:
    trust = certified.out.parent / "trust"
    trust.mkdir(exist_ok=True)
    shutil.copy(other_key[1], trust / "other.pem")
    shutil.copy(certified.public, trust / "marketplace.pem")
    assert verify(certified.html, "--trust", trust).code == 0


def test_statement_is_an_in_toto_statement_with_the_project_predicate(certified: Certified) -> None:
    statement = certified.statement()
    results = certified.results()
    assert set(statement) == {"_type", "subject", "predicateType", "predicate"}
    assert statement["_type"] == STATEMENT_TYPE and statement["predicateType"] == PREDICATE_TYPE
    assert statement["subject"] == [
        {"name": results["target"]["spec"], "digest": {"sha256": results["target"]["spec_sha256"]}}
    ]
    predicate = statement["predicate"]
    validate(predicate, "certificate-predicate")
    assert predicate["product"] == {"name": PRODUCT, "version": PRODUCT_VERSION}
    assert predicate["supplier"] == SUPPLIER
    assert predicate["run"]["seed"] == SEED
    assert predicate["fuzzing"]["cases"] == results["fuzzing"]["cases"] > 0
    assert predicate["target"]["base_url"] == results["target"]["base_url"]
    expected = {(r["id"], r["level"], r["outcome"]) for p in results["profiles"] for r in p["requirements"]}
    signed = {(r["id"], r["level"], r["outcome"]) for p in predicate["profiles"] for r in p["requirements"]}
    assert signed == expected
    assert [(p["id"], p["version"], p["verdict"]) for p in predicate["profiles"]] == [
        (p["id"], p["version"], p["verdict"]) for p in results["profiles"]
    ]
    validity = parse_time(predicate["expires_at"]) - parse_time(predicate["issued_at"])
    assert validity == timedelta(days=365)


def test_payload_is_the_canonical_serialisation(certified: Certified) -> None:
    payload = base64.b64decode(certified.envelope()["payload"])
    statement = json.loads(payload)
    assert payload == json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_envelope_verifies_with_securesystemslib(certified: Certified) -> None:
    """An independent DSSE implementation accepts the envelope and rejects it under another key."""
    public = load_public_key(certified.public)
    key = SSlibKey.from_crypto(public, keyid=key_id(public), scheme="ed25519")
    envelope = Envelope.from_dict(certified.envelope())
    assert list(envelope.verify([key], 1)) == [key_id(public)]
    assert envelope.payload_type == "application/vnd.in-toto+json"
    assert json.loads(envelope.payload)["predicateType"] == PREDICATE_TYPE
    stranger = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(Exception, match="threshold"):
        envelope.verify([SSlibKey.from_crypto(stranger, keyid=key_id(public), scheme="ed25519")], 1)


def test_dsse_pae_matches_the_specification() -> None:
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_certificate_html_is_self_contained_and_shows_the_facts(certified: Certified) -> None:
    html = certified.html.read_text("utf-8")
    assert_self_contained(html)
    predicate = certified.statement()["predicate"]
    for text in (
        PRODUCT,
        SUPPLIER,
        predicate["issuer_key_id"],
        predicate["target"]["spec_sha256"],
        predicate["certificate_id"],
        predicate["expires_at"],
        "conformance verify certificate.html",
    ):
        assert text in html
    for profile in predicate["profiles"]:
        assert f'data-profile="{profile["id"]}"' in html
        for req in profile["requirements"]:
            assert f'id="{req["id"]}"' in html
    assert html.count("<script") == 1 and '<script type="application/json"' in html


# --- tampering: each case has its own reason and exit code -----------------------------------


def edited_copy(certified: Certified, tmp_path: Path, old: str, new: str) -> Path:
    html = certified.html.read_text("utf-8")
    assert old in html
    copy = tmp_path / "certificate.html"
    copy.write_text(html.replace(old, new, 1), encoding="utf-8")
    return copy


def write_envelope(envelope: dict[str, Any], tmp_path: Path) -> Path:
    path = tmp_path / "certificate.dsse.json"
    path.write_text(json.dumps(envelope), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('<td class="outcome">pass</td></tr>', '<td class="outcome">pass (with distinction)</td></tr>'),
        ('<span class="verdict">conformant</span>', '<span class="verdict">conformant, all versions</span>'),
        (f"{PRODUCT} {PRODUCT_VERSION}</h1>", f"{PRODUCT} 3.0.0</h1>"),
        ("</main>", '<p style="display:none">hidden</p></main>'),
    ],
)
def test_visible_edit_is_detected(certified: Certified, tmp_path: Path, old: str, new: str) -> None:
    copy = edited_copy(certified, tmp_path, old, new)
    assert_invalid(verify(copy, "--key", certified.public), VerifyExit.PAGE_EDITED, "visible page edited")


# Certificates signed with a released view are re-rendered with it by every later verifier, for years.
RELEASED_VIEWS = {1: "5f72fa0fe34f46f74e3e5e167deb0377accbfedcd63840a986fe24fa604b0843"}


def test_released_certificate_views_never_change() -> None:
    assert set(RELEASED_VIEWS) <= set(CERTIFICATE_VIEWS)
    for view, digest in RELEASED_VIEWS.items():
        template = files("conformance").joinpath("templates", CERTIFICATE_VIEWS[view]).read_bytes()
        assert hashlib.sha256(template).hexdigest() == digest, (
            f"{CERTIFICATE_VIEWS[view]} is released: certificates signed with it must keep verifying. "
            "Put the change in a new view (CERTIFICATE_VIEWS) instead."
        )


def test_certificates_name_the_current_view(certified: Certified) -> None:
    assert certified.statement()["predicate"]["view"] == CURRENT_VIEW


def test_a_page_in_an_unknown_view_is_refused_with_the_way_out(certified: Certified, tmp_path: Path) -> None:
    statement = certified.statement()
    statement["predicate"]["view"] = CURRENT_VIEW + 1  # as a newer harness would sign it
    envelope = sign_envelope(canonical(statement), load_private_key(certified.private))
    html = certified.html.read_text("utf-8")
    embedded = ENVELOPE_ELEMENT.search(html)
    assert embedded is not None
    page = tmp_path / "certificate.html"
    page.write_text(html.replace(embedded.group("json"), embed_json(envelope)), encoding="utf-8")
    proc = verify(page, "--key", certified.public)
    assert_invalid(proc, VerifyExit.MALFORMED, "malformed")
    assert f"certificate view {CURRENT_VIEW + 1}" in proc.stdout and "certificate.dsse.json" in proc.stdout
    assert verify(write_envelope(envelope, tmp_path), "--key", certified.public).code == 0


def test_line_endings_are_not_an_edit(certified: Certified, tmp_path: Path) -> None:
    copy = tmp_path / "certificate.html"
    copy.write_bytes(certified.html.read_bytes().replace(b"\n", b"\r\n"))
    assert verify(copy, "--key", certified.public).code == 0


def test_changed_payload_byte_is_a_bad_signature(certified: Certified, tmp_path: Path) -> None:
    envelope = certified.envelope()
    payload = envelope["payload"]
    envelope["payload"] = payload[:60] + ("A" if payload[60] != "A" else "B") + payload[61:]
    assert_invalid(
        verify(write_envelope(envelope, tmp_path), "--key", certified.public), VerifyExit.BAD_SIGNATURE, "bad signature"
    )


def test_changed_payload_in_the_html_is_a_bad_signature(certified: Certified, tmp_path: Path) -> None:
    statement = certified.statement()
    statement["predicate"]["product"]["version"] = "3.0.0"
    forged = base64.b64encode(json.dumps(statement).encode()).decode()
    copy = edited_copy(certified, tmp_path, certified.envelope()["payload"], forged)
    assert_invalid(verify(copy, "--key", certified.public), VerifyExit.BAD_SIGNATURE, "bad signature")


def test_signature_by_another_key_is_a_bad_signature(
    certified: Certified, other_key: tuple[Ed25519PrivateKey, Path], tmp_path: Path
) -> None:
    envelope = certified.envelope()
    payload = base64.b64decode(envelope["payload"])
    forged = other_key[0].sign(pae(envelope["payloadType"], payload))
    envelope["signatures"][0]["sig"] = base64.b64encode(forged).decode()
    assert_invalid(
        verify(write_envelope(envelope, tmp_path), "--key", certified.public), VerifyExit.BAD_SIGNATURE, "bad signature"
    )


def test_resigned_by_another_key_is_an_unknown_key(
    certified: Certified, other_key: tuple[Ed25519PrivateKey, Path], tmp_path: Path
) -> None:
    envelope = certified.envelope()
    payload = base64.b64decode(envelope["payload"])
    envelope["signatures"] = [
        {
            "keyid": key_id(other_key[0].public_key()),
            "sig": base64.b64encode(other_key[0].sign(pae(envelope["payloadType"], payload))).decode(),
        }
    ]
    assert_invalid(
        verify(write_envelope(envelope, tmp_path), "--key", certified.public), VerifyExit.UNKNOWN_KEY, "unknown key"
    )


def test_wrong_public_key_is_an_unknown_key(certified: Certified, other_key: tuple[Any, Path]) -> None:
    assert_invalid(verify(certified.html, "--key", other_key[1]), VerifyExit.UNKNOWN_KEY, "unknown key")


def test_expired_certificate(certified: Certified) -> None:
    expires = parse_time(certified.statement()["predicate"]["expires_at"])
    at = (expires + timedelta(seconds=1)).isoformat()
    assert_invalid(verify(certified.html, "--key", certified.public, "--at", at), VerifyExit.EXPIRED, "expired")
    just_before = (expires - timedelta(seconds=1)).isoformat()
    assert verify(certified.html, "--key", certified.public, "--at", just_before).code == 0


def test_not_yet_valid_certificate(certified: Certified) -> None:
    assert_invalid(
        verify(certified.envelope_path, "--key", certified.public, "--at", "2000-01-01"),
        VerifyExit.NOT_YET_VALID,
        "not yet valid",
    )


@pytest.mark.parametrize(
    "content",
    [
        b"<html><body>no envelope</body></html>",
        b'{"payloadType": "application/vnd.in-toto+json"',
        b"\xff\xfe",
        b'{"payloadType": "text/plain", "payload": "", "signatures": []}',
    ],
)
def test_malformed_input(certified: Certified, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "certificate.html"
    path.write_bytes(content)
    assert_invalid(verify(path, "--key", certified.public), VerifyExit.MALFORMED, "malformed")


def test_verify_needs_a_key_and_an_existing_file(certified: Certified, tmp_path: Path) -> None:
    assert verify(certified.html).code == 2
    assert verify(tmp_path / "missing.html", "--key", certified.public).code == 2
    assert verify(certified.html, "--key", certified.public, "--at", "next tuesday").code == 2


# --- what never becomes a certificate --------------------------------------------------------


def test_non_conformant_supplier_gets_no_certificate(tmp_path: Path) -> None:
    failed = certify_reference(tmp_path, "server-error")
    assert failed.proc.code == 1, failed.proc.stdout + failed.proc.stderr
    assert "no certificate issued" in failed.proc.stdout
    assert "EXP-03 MUST fail" in failed.proc.stdout
    assert (failed.out / "report.html").exists()
    assert not failed.html.exists() and not failed.envelope_path.exists()


def test_incomplete_or_insecure_runs_are_not_certifiable(certified: Certified, tmp_path: Path) -> None:
    record = certified.results()
    key = Ed25519PrivateKey.generate()
    options = {"supplier": SUPPLIER, "product": PRODUCT, "product_version": PRODUCT_VERSION, "valid_days": 30}
    incomplete = json.loads(json.dumps(record))
    incomplete["run"]["complete"] = False
    incomplete["run"]["incomplete_reason"] = "fuzzing stopped early: time limit"
    with pytest.raises(NotCertifiable, match="incomplete"):
        issue(RunRecord.from_json(incomplete), key, tmp_path, **options)
    insecure = json.loads(json.dumps(record))
    insecure["target"]["tls_verification"] = "off (--insecure)"
    with pytest.raises(NotCertifiable, match="--insecure"):
        issue(RunRecord.from_json(insecure), key, tmp_path, **options)
    assert not list(tmp_path.iterdir())


def test_hostile_labels_cannot_break_out_of_the_page(certified: Certified, tmp_path: Path) -> None:
    """Supplier-controlled text is escaped in the view and cannot end the embedded JSON early."""
    key = Ed25519PrivateKey.generate()
    hostile = "</script><script>alert(1)</script><!--"
    issued = datetime(2026, 1, 1, tzinfo=UTC)
    issue(
        RunRecord.from_json(certified.results()),
        key,
        tmp_path,
        supplier=hostile,
        product="P & Q",
        product_version="1",
        valid_days=10,
        issued=issued,
    )
    html = (tmp_path / "certificate.html").read_text("utf-8")
    assert html.count("<script") == 1 and html.count("</script>") == 1 and "<!--" not in html
    result = verify_certificate(html.encode(), {key_id(key.public_key()): key.public_key()}, issued)
    assert result.reason is Reason.VALID, result.message
    assert result.statement is not None and result.statement["predicate"]["supplier"] == hostile
