"""The marketplace listing: verify a folder of certificates and describe the valid ones as a catalogue.

Everything here is a pure function of the inputs (certificate files, trusted keys, revocation list)
and of which certificates are current at `at`. `at` itself is never written into the catalogue, so two
builds over the same inputs are byte-identical whenever the same certificates are current.
"""

import hashlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conformance.errors import UsageError
from conformance.http import read_past_cap
from conformance.schemas_loader import validate
from conformance.trust import revocation
from conformance.trust.certificate import MAX_CERTIFICATE_BYTES, Reason, canonical, read_certificate, verify_certificate
from conformance.trust.signing import sign_envelope

CATALOGUE_FORMAT = "https://conformance.example/listing/catalogue/v1"
CATALOGUE_NAME = "catalogue.json"
SIGNED_CATALOGUE_NAME = "catalogue.dsse.json"
CATALOGUE_PAYLOAD_TYPE = "application/vnd.conformance.catalogue+json"
SCHEMA_NAME = "catalogue.schema.json"
REVOCATIONS_NAME = "revocations.dsse.json"
MAX_SLUG = 80


@dataclass(frozen=True)
class Listed:
    """A certificate that passed every check; `source` is its path relative to CERT_DIR."""

    source: str
    statement: dict[str, Any]
    envelope: dict[str, Any]

    @property
    def certificate_id(self) -> str:
        return str(self.statement["predicate"]["certificate_id"])


@dataclass
class Collected:
    """What a build found: listed certificates and one log line per candidate file."""

    listed: list[Listed] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    rejected: int = 0


def is_candidate(name: str) -> bool:
    """The names `certify` writes (certificate.html, certificate.dsse.json) and any NAME.dsse.json or
    NAME.certificate.html; other files (report.html, results.json) are not certificates."""
    return name.endswith(".dsse.json") or name == "certificate.html" or name.endswith(".certificate.html")


def candidates(cert_dir: Path) -> list[Path]:
    """Every candidate file under cert_dir, sorted by relative path; symlinks are not followed."""
    found = []
    for root, dirs, files in os.walk(cert_dir, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(root) / name for name in files if is_candidate(name) and not name.startswith(".")]
    return sorted(found, key=lambda p: p.relative_to(cert_dir).as_posix())


def statement_digest(statement: dict[str, Any]) -> str:
    """sha256 of the canonical statement: what ties a catalogue entry to exactly one signed certificate."""
    return hashlib.sha256(canonical(statement)).hexdigest()


def collect(
    cert_dir: Path,
    trusted: dict[str, Ed25519PublicKey],
    revocations: list[revocation.RevocationList],
    at: datetime,
) -> Collected:
    """Verify every candidate; list each valid certificate once and log every file with its fate."""
    if not cert_dir.is_dir():
        raise UsageError(f"{cert_dir} is not a folder of certificates")
    collected = Collected()
    seen: dict[str, Listed] = {}
    for path in candidates(cert_dir):
        source = path.relative_to(cert_dir).as_posix()
        try:
            data = read_past_cap(path, MAX_CERTIFICATE_BYTES)
        except OSError as exc:
            collected.rejected += 1
            collected.log.append(f"rejected  {source}: unreadable: {exc.strerror or exc}")
            continue
        result = revocation.apply(verify_certificate(data, trusted, at), revocations)
        if result.reason is not Reason.VALID or result.statement is None:
            collected.rejected += 1
            collected.log.append(f"rejected  {source}: {result.message}")
            continue
        entry = Listed(source, result.statement, envelope_of(data))
        earlier = seen.get(entry.certificate_id)
        if earlier is not None:
            same = statement_digest(earlier.statement) == statement_digest(entry.statement)
            if same:
                collected.log.append(f"duplicate {source}: the same certificate as {earlier.source}, listed once")
            else:
                collected.rejected += 1
                collected.log.append(
                    f"rejected  {source}: certificate id {entry.certificate_id} is already listed from "
                    f"{earlier.source} with different content"
                )
            continue
        seen[entry.certificate_id] = entry
        collected.listed.append(entry)
        p = entry.statement["predicate"]
        collected.log.append(
            f"listed    {source}: {p['product']['name']} {p['product']['version']} by {p['supplier']} "
            f"({entry.certificate_id}, expires {p['expires_at']})"
        )
    return collected


def envelope_of(data: bytes) -> dict[str, Any]:
    """The verified envelope, reduced to the DSSE fields, for republishing."""
    envelope = read_certificate(data)[0]
    return {k: envelope[k] for k in ("payloadType", "payload", "signatures")}


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:MAX_SLUG].strip("-")
    return slug or "x"


def unique_names(wanted: list[tuple[str, str]]) -> dict[str, str]:
    """(key, base name) in priority order -> key: a file-safe name no other key has."""
    taken: set[str] = set()
    names: dict[str, str] = {}
    for key, base in wanted:
        name, counter = base, 1
        while name in taken:
            counter += 1
            name = f"{base}-{counter}"
        taken.add(name)
        names[key] = name
    return names


def sort_key(entry: Listed) -> tuple[str, ...]:
    p = entry.statement["predicate"]
    return (
        p["supplier"].casefold(),
        p["product"]["name"].casefold(),
        p["product"]["version"],
        p["issued_at"],
        entry.certificate_id,
    )


def product_slugs(listed: list[Listed]) -> dict[str, str]:
    """certificate id -> page name; of two listings with one name the newer keeps the plain name."""
    newest_first = sorted(listed, key=lambda e: e.certificate_id)
    newest_first.sort(key=lambda e: e.statement["predicate"]["issued_at"], reverse=True)
    return unique_names([(e.certificate_id, slugify(product_label(e.statement["predicate"]))) for e in newest_first])


def product_label(predicate: dict[str, Any]) -> str:
    return f"{predicate['supplier']} {predicate['product']['name']} {predicate['product']['version']}"


def harness_version() -> str:
    try:
        return version("procurement-conformance")
    except PackageNotFoundError:
        return "unknown"


def catalogue(
    listed: list[Listed], trusted_ids: list[str], revocations_bytes: bytes | None, revoked_count: int
) -> dict[str, Any]:
    """The machine-readable listing (schema: catalogue.schema.json), entries in a stable order."""
    slugs = product_slugs(listed)
    products = []
    for entry in sorted(listed, key=sort_key):
        p = entry.statement["predicate"]
        slug = slugs[entry.certificate_id]
        badges = unique_names([(x["id"], slugify(x["id"])) for x in p["profiles"]])
        products.append(
            {
                "certificate_id": entry.certificate_id,
                "statement_sha256": statement_digest(entry.statement),
                "supplier": p["supplier"],
                "product": {"name": p["product"]["name"], "version": p["product"]["version"]},
                "issued_at": p["issued_at"],
                "expires_at": p["expires_at"],
                "issuer_key_id": p["issuer_key_id"],
                "spec_sha256": p["target"]["spec_sha256"],
                "page": f"products/{slug}.html",
                "certificate_html": f"certificates/{entry.certificate_id}/certificate.html",
                "certificate_envelope": f"certificates/{entry.certificate_id}/certificate.dsse.json",
                "profiles": [
                    {
                        "id": x["id"],
                        "version": x["version"],
                        "title": x["title"],
                        "verdict": x["verdict"],
                        "advisories": list(x["advisories"]),
                        "badge": f"badges/{slug}/{badges[x['id']]}.svg",
                    }
                    for x in p["profiles"]
                ],
            }
        )
    document = {
        "$schema": SCHEMA_NAME,
        "format": CATALOGUE_FORMAT,
        "generator": {"name": "procurement-conformance", "version": harness_version()},
        "trusted_key_ids": sorted(trusted_ids),
        "revocation_list": None
        if revocations_bytes is None
        else {
            "path": REVOCATIONS_NAME,
            "sha256": hashlib.sha256(revocations_bytes).hexdigest(),
            "revoked": revoked_count,
        },
        "products": products,
    }
    validate(document, "catalogue")
    return document


def catalogue_bytes(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def sign_catalogue(data: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """catalogue.dsse.json: a DSSE envelope over the exact bytes of catalogue.json, in its own payload type.

    A mirror serves both files unchanged; a council checks the envelope offline and that catalogue.json is
    its payload. Ed25519 signatures are deterministic, so two builds over the same inputs stay identical.
    """
    envelope = sign_envelope(data, private_key, CATALOGUE_PAYLOAD_TYPE)
    return (json.dumps(envelope, indent=2) + "\n").encode("utf-8")
