"""Ed25519 keys and DSSE envelopes: the only place a private key is read or a signature is made.

A key id is the sha256 of the public key's DER (SubjectPublicKeyInfo), so anyone holding the public
key can compute it. The envelope follows DSSE v1: the signature covers the pre-authentication
encoding (PAE) of the payload type and payload, never the JSON around them.
"""

import base64
import binascii
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conformance.errors import UsageError
from conformance.http import TooLarge, read_capped

PAYLOAD_TYPE = "application/vnd.in-toto+json"
MAX_KEY_FILE = 64 * 1024


class KeyFileError(UsageError):
    """A key file is missing, unreadable, not Ed25519, or (for a private key) readable by others."""


class EnvelopeError(Exception):
    """The envelope is not a DSSE envelope this harness can read (malformed)."""


class UnknownKey(Exception):
    """No signature in the envelope names a trusted key."""


class BadSignature(Exception):
    """A signature names a trusted key but does not verify."""


@dataclass(frozen=True)
class KeyFiles:
    private: Path
    public: Path
    key_id_file: Path
    key_id: str


def key_id(public_key: Ed25519PublicKey) -> str:
    """sha256 (hex) of the public key's DER encoding."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def generate_keys(out_dir: Path, name: str) -> KeyFiles:
    """Write NAME.private.pem (mode 0600), NAME.public.pem and NAME.keyid; never overwrite any of them."""
    if not name or "/" in name or os.sep in name or name.startswith("."):
        raise UsageError(f"--name must be a plain file name, not {name!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    files = KeyFiles(out_dir / f"{name}.private.pem", out_dir / f"{name}.public.pem", out_dir / f"{name}.keyid", "")
    for path in (files.private, files.public, files.key_id_file):
        if path.exists() or path.is_symlink():
            raise UsageError(f"refusing to overwrite {path}")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # O_EXCL: a file that appeared since the check above is still not overwritten; 0600 from the first byte.
    fd = os.open(files.private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(pem)
    public = private.public_key()
    files.public.write_bytes(
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    kid = key_id(public)
    files.key_id_file.write_text(kid + "\n", encoding="ascii")
    return KeyFiles(files.private, files.public, files.key_id_file, kid)


def _read_key_file(path: Path) -> bytes:
    try:
        return read_capped(path, MAX_KEY_FILE)
    except TooLarge:
        raise KeyFileError(f"{path} is too large to be a key file") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror or exc}") from None


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Refuse a private key that group or others can read: a leaked signing key forges certificates."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise KeyFileError(f"cannot read private key {path}: {exc.strerror or exc}") from None
    if os.name == "posix" and mode & 0o077:
        raise KeyFileError(
            f"private key {path} has permissions {stat.filemode(mode)} ({mode & 0o777:04o}); it must be readable "
            f"by its owner only: run `chmod 600 {path}`"
        )
    data = _read_key_file(path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        # The message never includes the file's content.
        raise KeyFileError(f"{path} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    data = _read_key_file(path)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise KeyFileError(f"{path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path} is not an Ed25519 public key")
    return key


def load_trust_dir(directory: Path) -> dict[str, Ed25519PublicKey]:
    """Every Ed25519 public key (*.pem) in a folder, by key id; other files (private keys too) are ignored."""
    if not directory.is_dir():
        raise KeyFileError(f"--trust {directory} is not a folder")
    keys: dict[str, Ed25519PublicKey] = {}
    for path in sorted(directory.glob("*.pem")):
        try:
            key = load_public_key(path)
        except KeyFileError:
            continue
        keys[key_id(key)] = key
    if not keys:
        raise KeyFileError(f"no Ed25519 public keys (*.pem) in {directory}")
    return keys


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def sign_envelope(payload: bytes, private_key: Ed25519PrivateKey, payload_type: str = PAYLOAD_TYPE) -> dict[str, Any]:
    signature = private_key.sign(pae(payload_type, payload))
    return {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [{"keyid": key_id(private_key.public_key()), "sig": base64.b64encode(signature).decode("ascii")}],
    }


def _b64(value: Any, what: str) -> bytes:
    """DSSE allows standard or URL-safe base64, with or without padding."""
    if not isinstance(value, str):
        raise EnvelopeError(f"{what} is not a base64 string")
    text = value.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError(f"{what} is not valid base64") from None


def verify_envelope(
    envelope: Any, trusted: dict[str, Ed25519PublicKey], expected_type: str = PAYLOAD_TYPE
) -> tuple[bytes, str]:
    """Return (payload, key id of the trusted key that signed it), or raise EnvelopeError/UnknownKey/BadSignature.

    A signature with no keyid is tried against every trusted key, as DSSE treats keyid as a hint. The payload
    type is part of what is signed, so a revocation list can never pass for a certificate or the other way round.
    """
    if not isinstance(envelope, dict):
        raise EnvelopeError("the envelope is not a JSON object")
    payload_type = envelope.get("payloadType")
    if payload_type != expected_type:
        raise EnvelopeError(f"payloadType is {payload_type!r}, expected {expected_type!r}")
    payload = _b64(envelope.get("payload"), "payload")
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise EnvelopeError("the envelope has no signatures")
    message = pae(payload_type, payload)
    tried = False
    for entry in signatures:
        if not isinstance(entry, dict):
            raise EnvelopeError("a signature entry is not a JSON object")
        sig = _b64(entry.get("sig"), "a signature")
        kid = entry.get("keyid", "")
        if not isinstance(kid, str):
            raise EnvelopeError("a signature's keyid is not a string")
        candidates = [(kid, trusted[kid])] if kid in trusted else [] if kid else list(trusted.items())
        for candidate_id, key in candidates:
            tried = True
            try:
                key.verify(sig, message)
            except InvalidSignature:
                continue
            return payload, candidate_id
    if not tried:
        named = ", ".join(str(e.get("keyid") or "(none)") for e in signatures if isinstance(e, dict))
        raise UnknownKey(f"signed by key {named}, which is not a trusted key")
    raise BadSignature("the signature does not match the signed content and the trusted key")
