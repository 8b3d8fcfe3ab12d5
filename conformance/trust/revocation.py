"""The signed revocation list: which certificates the marketplace has withdrawn, why and when.

It is a DSSE envelope of its own payload type over a small JSON document, signed with a marketplace
key. A list is only believed when a trusted key signed it; `revoke` re-signs the whole list with the
key that signed it before, so an entry can be added but never silently dropped by someone else.
A revocation applies at every `--at`: it withdraws the certificate, it does not date its faults.
"""

import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conformance.errors import UsageError
from conformance.http import read_past_cap
from conformance.schemas_loader import validate
from conformance.timestamps import format_time
from conformance.trust.certificate import Reason, Verification, canonical
from conformance.trust.signing import BadSignature, EnvelopeError, UnknownKey, key_id, sign_envelope, verify_envelope

PAYLOAD_TYPE = "application/vnd.conformance.revocations+json"
LIST_TYPE = "https://conformance.example/revocations/v1"
MAX_LIST_BYTES = 10 * 1024 * 1024
MAX_REASON = 500
CERTIFICATE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class RevocationListError(UsageError):
    """The revocation list is unreadable, malformed or not signed by a trusted key: it is refused (exit 2)."""


@dataclass(frozen=True)
class Revocation:
    certificate_id: str
    reason: str
    revoked_at: str


@dataclass(frozen=True)
class RevocationList:
    """A verified list; `signer` is the trusted key id that signed it."""

    revocations: tuple[Revocation, ...]
    signer: str

    def find(self, certificate_id: str) -> Revocation | None:
        return next((r for r in self.revocations if r.certificate_id == certificate_id), None)


def parse_list(data: bytes, trusted: dict[str, Ed25519PublicKey], source: str) -> RevocationList:
    """Verify and read a revocation list envelope; raise RevocationListError unless a trusted key signed it."""
    if len(data) > MAX_LIST_BYTES:
        raise RevocationListError(f"the revocation list {source} is larger than {MAX_LIST_BYTES} bytes")
    try:
        payload, signer = verify_envelope(json.loads(data.decode("utf-8")), trusted, PAYLOAD_TYPE)
        document = json.loads(payload.decode("utf-8"))
        validate(document, "revocations")
    except UnknownKey as exc:
        raise RevocationListError(f"refusing the revocation list {source}: {exc}") from None
    except BadSignature as exc:
        raise RevocationListError(f"refusing the revocation list {source}: {exc}") from None
    except (ValueError, UnicodeDecodeError, RecursionError, EnvelopeError) as exc:
        raise RevocationListError(f"the revocation list {source} is malformed: {exc}") from None
    except jsonschema.ValidationError as exc:
        raise RevocationListError(f"the revocation list {source} breaks its schema: {exc.message}") from None
    if document["issuer_key_id"] != signer:
        named = document["issuer_key_id"]
        raise RevocationListError(f"refusing the revocation list {source}: signed by key {signer} but names {named}")
    entries = tuple(Revocation(e["certificate_id"], e["reason"], e["revoked_at"]) for e in document["revocations"])
    return RevocationList(entries, signer)


def load_list(path: Path, trusted: dict[str, Ed25519PublicKey]) -> RevocationList:
    return parse_list(read_list_bytes(path), trusted, str(path))


def read_list_bytes(path: Path) -> bytes:
    try:
        return read_past_cap(path, MAX_LIST_BYTES)
    except OSError as exc:
        raise RevocationListError(f"cannot read the revocation list {path}: {exc.strerror or exc}") from None


def sign_list(revocations: tuple[Revocation, ...], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    document = {
        "_type": LIST_TYPE,
        "issuer_key_id": key_id(private_key.public_key()),
        "revocations": [
            {"certificate_id": r.certificate_id, "reason": r.reason, "revoked_at": r.revoked_at} for r in revocations
        ],
    }
    validate(document, "revocations")
    return sign_envelope(canonical(document), private_key, PAYLOAD_TYPE)


def clean_reason(reason: str) -> str:
    """One printable line: the reason is shown to buyers and printed on terminals."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in reason).split())
    if not text or len(text) > MAX_REASON:
        raise UsageError(f"--reason must be 1 to {MAX_REASON} printable characters")
    return text


def append(
    path: Path, certificate_id: str, reason: str, private_key: Ed25519PrivateKey, at: datetime | None = None
) -> tuple[RevocationList, bool]:
    """Add a revocation and re-sign the list; (the list, whether it changed). An existing list must be ours."""
    if not CERTIFICATE_ID.match(certificate_id):
        raise UsageError(f"{certificate_id!r} is not a certificate id (a lower-case UUID, as `verify` prints it)")
    reason = clean_reason(reason)
    own_id = key_id(private_key.public_key())
    current = RevocationList((), own_id)
    if path.exists():
        try:
            current = load_list(path, {own_id: private_key.public_key()})
        except RevocationListError as exc:
            raise RevocationListError(f"{exc} (a list is only extended with the key that signed it)") from None
    if current.find(certificate_id) is not None:
        return current, False
    entry = Revocation(certificate_id, reason, format_time(at or datetime.now(UTC)))
    updated = RevocationList((*current.revocations, entry), own_id)
    write_atomically(path, json.dumps(sign_list(updated.revocations, private_key), indent=2) + "\n")
    return updated, True


def write_atomically(path: Path, text: str) -> None:
    """A reader never sees half a list, and a failed write leaves the old list in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def apply(result: Verification, lists: list[RevocationList]) -> Verification:
    """A certificate that is otherwise genuine (valid, expired or not yet valid) and on a list is revoked."""
    if result.statement is None:
        return result
    certificate_id = result.statement["predicate"]["certificate_id"]
    for revocations in lists:
        found = revocations.find(certificate_id)
        if found is not None:
            return Verification(Reason.REVOKED, revoked_message(found), result.statement)
    return result


def revoked_message(entry: Revocation) -> str:
    return f"revoked: certificate {entry.certificate_id} was revoked on {entry.revoked_at}: {entry.reason}"
