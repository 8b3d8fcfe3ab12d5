"""The council's check: is this certificate genuine, current, not revoked, and listed by the marketplace?

The listing (a URL or a folder) supplies catalogue.json, its signature (catalogue.dsse.json) and the signed
revocation list. Every answer rests on signatures by keys the council trusts: "listed" too, since the catalogue
is only read once a trusted key's signature over exactly its bytes verifies, so a mirror can serve the listing.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import jsonschema
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from conformance.errors import UsageError
from conformance.http import TooLarge, get_following_same_origin, innermost_reason, read_capped, read_response_capped
from conformance.marketplace.listing import (
    CATALOGUE_NAME,
    CATALOGUE_PAYLOAD_TYPE,
    SIGNED_CATALOGUE_NAME,
    statement_digest,
)
from conformance.schemas_loader import validate
from conformance.timestamps import format_time
from conformance.trust import revocation
from conformance.trust.certificate import Reason, Verification
from conformance.trust.signing import BadSignature, EnvelopeError, UnknownKey, verify_envelope

MAX_CATALOGUE_BYTES = 20 * 1024 * 1024
MAX_SIGNED_CATALOGUE_BYTES = MAX_CATALOGUE_BYTES * 2  # base64 (4/3) and the envelope around it
GENUINE_FAILURES = {Reason.MALFORMED, Reason.UNKNOWN_KEY, Reason.BAD_SIGNATURE, Reason.PAGE_EDITED}


class ListingError(UsageError):
    """The listing cannot be read or is inconsistent: no answer about "listed" can be given (exit 2)."""


class CatalogueRefused(Exception):
    """The catalogue's signature is missing, invalid or by an untrusted key, or catalogue.json was edited after
    signing: nothing in the listing is believed (verify exits with its own code, not 2)."""


@dataclass(frozen=True)
class Listing:
    source: str
    catalogue: dict[str, Any]
    revocations: revocation.RevocationList | None

    def entry_for(self, statement: dict[str, Any]) -> dict[str, Any] | None:
        """The catalogue entry for exactly this signed statement (same id and same content)."""
        certificate_id = statement["predicate"]["certificate_id"]
        digest = statement_digest(statement)
        for entry in self.catalogue["products"]:
            if entry["certificate_id"] == certificate_id and entry["statement_sha256"] == digest:
                return entry
        return None


def _read_url(url: str, cap: int, verify: bool | str) -> bytes:
    try:
        with get_following_same_origin(url, {}, verify) as response:
            if response.status_code >= 400:
                raise ListingError(f"fetching {url} failed: HTTP {response.status_code} {response.reason}")
            try:
                return read_response_capped(response, cap)
            except TooLarge:
                raise ListingError(f"{url} is larger than {cap} bytes") from None
    except ListingError:
        raise
    except UsageError as exc:  # a redirect to another host
        raise ListingError(str(exc)) from None
    except requests.RequestException as exc:
        raise ListingError(f"cannot fetch {url}: {innermost_reason(exc)}") from None


def _read_file(path: Path, cap: int) -> bytes:
    try:
        return read_capped(path, cap)
    except TooLarge as exc:
        raise ListingError(str(exc)) from None
    except OSError as exc:
        raise ListingError(f"cannot read {path}: {exc.strerror or exc}") from None


def reader(location: str, verify: bool | str) -> tuple[str, Any]:
    """(shown source, read(name, cap)) for a listing URL or folder; a catalogue.json or index.html means its folder.

    `verify` is what an https listing's certificate is checked against (requests' meaning).
    """
    scheme = urlsplit(location).scheme.lower()
    if scheme in ("http", "https"):
        base = location if location.endswith("/") else location + "/"
        if location.endswith((f"/{CATALOGUE_NAME}", "/index.html")):
            base = location.rsplit("/", 1)[0] + "/"
        return base, lambda name, cap: _read_url(urljoin(base, name), cap, verify)
    if scheme not in ("", "file"):
        raise ListingError(f"--listing {location!r}: only http, https and folders are supported")
    folder = Path(location[len("file://") :] if scheme == "file" else location)
    if folder.is_file() and folder.name in (CATALOGUE_NAME, "index.html"):
        folder = folder.parent
    if not folder.is_dir():
        raise ListingError(f"--listing {location} is neither a URL nor a folder")
    return str(folder), lambda name, cap: _read_file(folder / name, cap)


def signed_catalogue(read: Any, source: str, trusted: dict[str, Ed25519PublicKey]) -> tuple[bytes, str]:
    """(catalogue.json's bytes, the trusted key id that signed them), or raise CatalogueRefused.

    The signed payload must be catalogue.json byte for byte: a catalogue edited after signing is refused even
    when its envelope is intact, so the file a browser or script reads is the one the marketplace signed.
    catalogue.json is read first, so a listing that cannot be reached at all stays a usage error (exit 2).
    """
    published = read(CATALOGUE_NAME, MAX_CATALOGUE_BYTES)
    try:
        signed = read(SIGNED_CATALOGUE_NAME, MAX_SIGNED_CATALOGUE_BYTES)
    except ListingError as exc:
        raise CatalogueRefused(f"the listing at {source} has no signed catalogue: {exc}") from None
    try:
        payload, signer = verify_envelope(json.loads(signed.decode("utf-8")), trusted, CATALOGUE_PAYLOAD_TYPE)
    except (UnknownKey, BadSignature) as exc:
        raise CatalogueRefused(f"the listing's {CATALOGUE_NAME} at {source} is refused: {exc}") from None
    except (ValueError, UnicodeDecodeError, RecursionError, EnvelopeError) as exc:
        raise CatalogueRefused(f"the listing's {SIGNED_CATALOGUE_NAME} at {source} is malformed: {exc}") from None
    if published != payload:
        raise CatalogueRefused(
            f"the listing's {CATALOGUE_NAME} at {source} was changed after signing: it is not the catalogue "
            f"{SIGNED_CATALOGUE_NAME} signs"
        )
    return payload, signer


def open_listing(location: str, trusted: dict[str, Ed25519PublicKey], verify: bool | str) -> Listing:
    """Check catalogue.json's signature by a trusted key, then read it and, when it names one, its signed
    revocation list."""
    source, read = reader(location, verify)
    data, signer = signed_catalogue(read, source, trusted)
    try:
        catalogue = json.loads(data.decode("utf-8"))
        validate(catalogue, "catalogue")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ListingError(f"the listing's {CATALOGUE_NAME} at {source} is not JSON: {exc}") from None
    except jsonschema.ValidationError as exc:
        raise ListingError(f"the listing's {CATALOGUE_NAME} at {source} breaks its schema: {exc.message}") from None
    if signer not in catalogue["trusted_key_ids"]:
        raise CatalogueRefused(
            f"the listing's {CATALOGUE_NAME} at {source} is signed by key {signer}, which it does not name as trusted"
        )
    published = catalogue["revocation_list"]
    revocations = None
    if published is not None:
        data = read(published["path"], revocation.MAX_LIST_BYTES)
        if hashlib.sha256(data).hexdigest() != published["sha256"]:
            raise ListingError(
                f"the listing at {source} is inconsistent: its revocation list is not the one {CATALOGUE_NAME} names"
            )
        revocations = revocation.parse_list(data, trusted, f"{source} ({published['path']})")
    return Listing(source, catalogue, revocations)


@dataclass(frozen=True)
class Answer:
    question: str
    ok: bool | None  # None: not checked, because the certificate is not genuine
    detail: str

    def line(self) -> str:
        word = "not checked" if self.ok is None else "yes" if self.ok else "NO"
        return f"{self.question + ':':<13}{word}: {self.detail}"


@dataclass(frozen=True)
class CouncilCheck:
    verdict: Verification
    answers: list[Answer]


def check(
    result: Verification,
    lists: list[revocation.RevocationList],
    listing: Listing,
    at: datetime,
) -> CouncilCheck:
    """The four answers and the verdict: not genuine, then revoked, then expired/not yet valid, then not listed."""
    statement = result.statement
    if statement is None or result.reason in GENUINE_FAILURES:
        skipped = "the certificate is not genuine"
        return CouncilCheck(
            result,
            [
                Answer("genuine", False, result.message),
                *(Answer(q, None, skipped) for q in ("current", "not revoked", "listed")),
            ],
        )
    p = statement["predicate"]
    answers = [Answer("genuine", True, f"signed by the trusted key {p['issuer_key_id']}, and unaltered")]
    current = result.reason is Reason.VALID
    window = f"valid from {p['issued_at']} to {p['expires_at']}, checked as of {format_time(at)}"
    answers.append(Answer("current", current, window if current else result.message))
    revoked = revocation.apply(result, lists)
    if revoked.reason is Reason.REVOKED:
        answers.append(Answer("not revoked", False, revoked.message))
    elif listing.revocations is None:
        answers.append(
            Answer(
                "not revoked",
                True,
                "the listing publishes no revocation list"
                + ("; not on the one given with --revocations" if lists else ""),
            )
        )
    else:
        count = len(listing.revocations.revocations)
        answers.append(Answer("not revoked", True, f"not among the {count} revoked on the marketplace's signed list"))
    entry = listing.entry_for(statement)
    if entry is not None:
        answers.append(Answer("listed", True, f"on {listing.source} ({entry['page']})"))
    else:
        answers.append(Answer("listed", False, f"certificate {p['certificate_id']} is not in {listing.source}"))
    if revoked.reason is Reason.REVOKED:
        return CouncilCheck(revoked, answers)
    if not current:
        return CouncilCheck(result, answers)
    if entry is None:
        message = f"not listed: certificate {p['certificate_id']} is not in the listing at {listing.source}"
        return CouncilCheck(Verification(Reason.NOT_LISTED, message, statement), answers)
    return CouncilCheck(result, answers)
