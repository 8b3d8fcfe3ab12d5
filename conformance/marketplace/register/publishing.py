"""The marketplace's published files, kept beside the register: the current certificate of each product, the
signed revocation list and the listing, rebuilt with the same code as `certify`, `revoke` and `listing build`.
"""

import fcntl
import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conformance.marketplace.listing import REVOCATIONS_NAME, catalogue, collect
from conformance.marketplace.site import check_replaceable, render_site, write_site
from conformance.record import RunRecord
from conformance.trust import revocation
from conformance.trust.certificate import ENVELOPE_NAME, issue
from conformance.trust.signing import key_id, load_private_key

VALID_DAYS = 365
CERTIFICATES = "certificates"  # HOME/certificates/KEY/: each product's current certificate, what the listing lists
LISTING = "listing"  # HOME/listing/: the published site
STALE_MARKER = ".listing-stale"  # HOME/.listing-stale: certificates issued since the listing was last built


@dataclass(frozen=True)
class Marketplace:
    """Where a marketplace keeps its files, and the key it signs certificates, revocations and the catalogue with.

    Plain paths only: a worker on another machine (a Celery task) is handed the same value.
    """

    home: Path
    key_path: Path

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def certificates(self) -> Path:
        return self.home / CERTIFICATES

    @property
    def revocations(self) -> Path:
        return self.home / REVOCATIONS_NAME

    @property
    def listing(self) -> Path:
        return self.home / LISTING

    @property
    def stale_marker(self) -> Path:
        return self.home / STALE_MARKER

    def key(self) -> Ed25519PrivateKey:
        return load_private_key(self.key_path)

    def locked(self) -> AbstractContextManager[None]:
        return publishing_lock(self.home)


@contextmanager
def publishing_lock(home: Path) -> Iterator[None]:
    """One writer of the published files at a time (the revocation list is read, extended and re-signed; the
    listing and the status site are swapped in)."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".publishing.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def certify(
    marketplace: Marketplace, record: RunRecord, run_dir: Path, labels: tuple[str, str, str], key: str, at: datetime
) -> dict[str, Any]:
    """Sign a certificate for a conformant run (beside its report) and make it the product's current one."""
    supplier, product, version = labels
    statement = issue(
        record,
        marketplace.key(),
        run_dir,
        supplier=supplier,
        product=product,
        product_version=version,
        valid_days=VALID_DAYS,
        issued=at,
    )
    current = marketplace.certificates / key
    current.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run_dir / ENVELOPE_NAME, current / ENVELOPE_NAME)
    return statement


def forget(home: Path, key: str) -> None:
    """A removed product's current certificate leaves the folder the listing is built from."""
    shutil.rmtree(home / CERTIFICATES / key, ignore_errors=True)


def revoke(marketplace: Marketplace, certificate_id: str, reason: str, at: datetime) -> None:
    revocation.append(marketplace.revocations, certificate_id, reason, marketplace.key(), at)


def mark_listing_stale(marketplace: Marketplace) -> None:
    """A certificate was issued since the last build: the next `publish_listing` writes it in.

    A rebuild reads and renders every listed product, so rebuilding after each run would make a batch of n
    products cost n full rebuilds (bench.revalidation measured 2.2 s each at 200 products, 20% of a run);
    new certificates wait for the batch's end instead. A revocation is never deferred (conclude rebuilds then).
    """
    marketplace.stale_marker.touch()


def publish_listing(marketplace: Marketplace, at: datetime, only_if_stale: bool = False) -> bool:
    """Rebuild the listing under the publishing lock (always, or only when a certificate awaits it); whether it did."""
    with marketplace.locked():
        if only_if_stale and not marketplace.stale_marker.exists():
            return False
        rebuild_listing(marketplace, at)
    return True


def rebuild_listing(marketplace: Marketplace, at: datetime) -> list[str]:
    """Write the listing of every current, unrevoked certificate, its catalogue signed with the marketplace key
    (as `listing build` would); its log lines. The caller holds the publishing lock."""
    private = marketplace.key()
    public = private.public_key()
    trusted = {key_id(public): public}
    raw = revocation.read_list_bytes(marketplace.revocations) if marketplace.revocations.exists() else None
    lists = [] if raw is None else [revocation.parse_list(raw, trusted, str(marketplace.revocations))]
    marketplace.certificates.mkdir(parents=True, exist_ok=True)
    check_replaceable(marketplace.listing, [marketplace.certificates])
    collected = collect(marketplace.certificates, trusted, lists, at)
    document = catalogue(collected.listed, list(trusted), raw, sum(len(x.revocations) for x in lists))
    write_site(marketplace.listing, render_site(document, collected.listed, raw, private))
    marketplace.stale_marker.unlink(missing_ok=True)
    return collected.log
