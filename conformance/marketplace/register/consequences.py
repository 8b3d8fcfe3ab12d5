"""What a re-validation leads to, recorded with its time and cause.

    conformant                 -> listed (a fresh certificate when the product has no live one)
    not conformant, incomplete -> failing (the contact is named with the report)
    failing past the grace     -> suspended: every live certificate revoked (reason and the report's digest),
                                  the listing rebuilt without it
    a harness-side error       -> recorded, nothing else changes, and the product stays due

The decision is a pure function (`decide`); `conclude` stores the run, applies the decision and publishes.
It reads only the stored record, so whichever process ran the product can conclude it.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from conformance.marketplace.register import tables
from conformance.marketplace.register.products import NEW, Product, Register
from conformance.marketplace.register.publishing import Marketplace, certify, rebuild_listing, revoke
from conformance.marketplace.register.store import database_errors
from conformance.record import RunRecord
from conformance.timestamps import format_time, parse_time

LISTED, FAILING, SUSPENDED = "listed", "failing", "suspended"
CONFORMANT, NOT_CONFORMANT, INCOMPLETE, ERROR = "conformant", "not-conformant", "incomplete", "error"


@dataclass(frozen=True)
class RunResult:
    """One product's re-validation as the worker hands it back: plain values, nothing secret."""

    key: str
    outcome: str  # CONFORMANT, NOT_CONFORMANT, INCOMPLETE or ERROR (the harness could not run it)
    attempts: int
    report_dir: str | None = None
    results_json: str | None = None  # the redacted results.json, stored whole in the register
    problem: str = ""  # why ERROR or INCOMPLETE

    @property
    def report_sha256(self) -> str | None:
        return None if self.results_json is None else hashlib.sha256(self.results_json.encode("utf-8")).hexdigest()

    @property
    def report(self) -> str:
        return str(Path(self.report_dir) / "report.html") if self.report_dir else "(no report)"


@dataclass(frozen=True)
class Decision:
    status: str
    cause: str
    certify: bool = False
    revoke_reason: str | None = None  # revoke every live certificate with this reason

    def changes(self, product: Product) -> bool:
        return self.status != product.status


def decide(product: Product, result: RunResult, has_live_certificate: bool, at: datetime, grace: timedelta) -> Decision:
    """The product's next status and why, from its status and this run."""
    stamp = format_time(at)
    if result.outcome == CONFORMANT:
        return Decision(LISTED, f"conformant on {stamp}: {result.report}", certify=not has_live_certificate)
    if result.outcome == ERROR:
        return Decision(product.status, product.status_cause)
    verdict = "not conformant" if result.outcome == NOT_CONFORMANT else f"incomplete ({result.problem})"
    if product.status in (NEW, LISTED):
        return Decision(FAILING, f"{verdict} on {stamp}: {result.report}; contact {product.contact}")
    if product.status == FAILING and at >= parse_time(product.status_since) + grace:
        reason = (
            f"suspended: not conformant since {product.status_since}, past the {grace.days}-day grace period; "
            f"report sha256 {result.report_sha256}"
        )
        return Decision(SUSPENDED, f"{reason}; {result.report}; contact {product.contact}", revoke_reason=reason)
    return Decision(
        product.status, product.status_cause if product.status == FAILING else f"{verdict}: {result.report}"
    )


class AlreadyConcluded(Exception):
    """Queued job `job` already has its run in the register (a redelivery): nothing is recorded twice."""


def conclude(
    register: Register, marketplace: Marketplace, result: RunResult, at: datetime, job: str | None = None
) -> Decision:
    """Store the run and apply what follows from it, in one transaction and under the publishing lock.

    `job`: the queued job that made the run; the register keeps one run per job (AlreadyConcluded otherwise),
    checked by the run's insert, before any file is published.
    """
    stamp = format_time(at)
    with marketplace.locked():
        product = register.product(result.key)
        grace = register.grace()
        with database_errors(register.url), register.engine.begin() as db:
            run = sa.insert(tables.runs).values(
                product_key=product.key,
                at=stamp,
                outcome=result.outcome,
                attempts=result.attempts,
                report_dir=result.report_dir,
                report_sha256=result.report_sha256,
                record=result.results_json,
                problem=result.problem,
                job_id=job,
            )
            try:
                run_id = db.execute(run).inserted_primary_key[0]
            except sa.exc.IntegrityError:
                if job is None:
                    raise
                raise AlreadyConcluded(job) from None
            live = live_certificates(db, product.key, stamp)
            # Renewed a run early: a listed product's certificate must not lapse before the next run renews it.
            lasting = live_certificates(db, product.key, format_time(at + timedelta(days=product.interval_days + 1)))
            decision = decide(product, result, bool(lasting), at, grace)
            if decision.certify and result.results_json is not None and result.report_dir is not None:
                record = RunRecord.from_json(json.loads(result.results_json))
                labels = (product.supplier, product.product, product.version)
                statement = certify(marketplace, record, Path(result.report_dir), labels, product.key, at)
                predicate = statement["predicate"]
                db.execute(
                    sa.insert(tables.certificates).values(
                        certificate_id=predicate["certificate_id"],
                        product_key=product.key,
                        run_id=run_id,
                        issued_at=predicate["issued_at"],
                        expires_at=predicate["expires_at"],
                    )
                )
            if decision.revoke_reason is not None:
                for certificate_id in live:
                    revoke(marketplace, certificate_id, decision.revoke_reason, at)
                    db.execute(
                        sa.update(tables.certificates)
                        .where(tables.certificates.c.certificate_id == certificate_id)
                        .values(revoked_at=stamp, revocation_reason=decision.revoke_reason)
                    )
            if decision.changes(product):
                db.execute(
                    sa.insert(tables.transitions).values(
                        product_key=product.key,
                        at=stamp,
                        from_status=product.status,
                        to_status=decision.status,
                        cause=decision.cause,
                        run_id=run_id,
                    )
                )
            update = {"status": decision.status, "status_cause": decision.cause}
            if decision.changes(product):
                update["status_since"] = stamp
            if result.outcome != ERROR:  # an error leaves the product due: the next `--due` tries again
                update["next_due"] = format_time(at + timedelta(days=product.interval_days))
            db.execute(sa.update(tables.products).where(tables.products.c.key == product.key).values(**update))
            rebuild_listing(marketplace, at)  # also drops what expired or was removed since the last build
    return decision


def live_certificates(db: sa.Connection, key: str, stamp: str) -> list[str]:
    """The product's certificates that are neither revoked nor expired at `stamp`."""
    c = tables.certificates.c
    query = sa.select(c.certificate_id).where(c.product_key == key, c.revoked_at.is_(None), c.expires_at > stamp)
    return list(db.execute(query).scalars())
