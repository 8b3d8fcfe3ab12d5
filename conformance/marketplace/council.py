"""The council's check: is this certificate genuine, current, not revoked, and listed by the marketplace?

The listing (a URL or a folder) supplies catalogue.json and the signed revocation list. The answers about
genuineness and revocation rest on signatures by keys the council trusts; "listed" rests on the listing
itself, so it is only as trustworthy as the address it was fetched from (use https).
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
from conformance.marketplace.listing import CATALOGUE_NAME, statement_digest
from conformance.schemas_loader import validate
from conformance.timestamps import format_time
from conformance.trust import revocation
from conformance.trust.certificate import Reason, Verification

MAX_CATALOGUE_BYTES = 20 * 1024 * 1024
GENUINE_FAILURES = {Reason.MALFORMED, Reason.UNKNOWN_KEY, Reason.BAD_SIGNATURE, Reason.PAGE_EDITED}


class ListingError(UsageError):
    """The listing cannot be read or is inconsistent: no answer about "listed" can be given (exit 2)."""


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


def open_listing(location: str, trusted: dict[str, Ed25519PublicKey], verify: bool | str) -> Listing:
    """Fetch and check catalogue.json and, when the catalogue names one, its signed revocation list."""
    source, read = reader(location, verify)
    try:
        catalogue = json.loads(read(CATALOGUE_NAME, MAX_CATALOGUE_BYTES).decode("utf-8"))
        validate(catalogue, "catalogue")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ListingError(f"the listing's {CATALOGUE_NAME} at {source} is not JSON: {exc}") from None
    except jsonschema.ValidationError as exc:
        raise ListingError(f"the listing's {CATALOGUE_NAME} at {source} breaks its schema: {exc.message}") from None
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
