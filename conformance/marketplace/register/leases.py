"""One run at a time per supplier origin, whatever the number of machines: a lease row per origin in the register.

Taken atomically (a stale row is deleted and a new one inserted in one transaction; the primary key refuses a
second holder), renewed by its holder while the run lasts, released after it. A holder that dies stops renewing,
so its lease frees itself when it expires. Times are the machines' own UTC clocks (keep them in sync).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from conformance.errors import UsageError
from conformance.marketplace.register import tables
from conformance.marketplace.register.products import Register
from conformance.marketplace.register.store import database_errors
from conformance.timestamps import format_time

LEASES = tables.leases.c


def expiry(seconds: float) -> str:
    return format_time(datetime.now(UTC) + timedelta(seconds=seconds))


def take(register: Register, origin: str, holder: str, seconds: float) -> bool:
    """True when `holder` now holds the origin's lease for `seconds`; False when another live holder has it."""
    now = format_time(datetime.now(UTC))
    with database_errors(register.url):
        try:
            with register.engine.begin() as db:
                db.execute(sa.delete(tables.leases).where(LEASES.origin == origin, LEASES.expires_at <= now))
                db.execute(sa.insert(tables.leases).values(origin=origin, holder=holder, expires_at=expiry(seconds)))
        except sa.exc.IntegrityError:
            return False
    return True


def renew(register: Register, origin: str, holder: str, seconds: float) -> bool:
    """Push the lease's expiry on; False when it is no longer this holder's."""
    with database_errors(register.url), register.engine.begin() as db:
        query = sa.update(tables.leases).where(LEASES.origin == origin, LEASES.holder == holder)
        return db.execute(query.values(expires_at=expiry(seconds))).rowcount == 1


def release(register: Register, origin: str, holder: str) -> None:
    with database_errors(register.url), register.engine.begin() as db:
        db.execute(sa.delete(tables.leases).where(LEASES.origin == origin, LEASES.holder == holder))


def holder_of(register: Register, origin: str) -> str | None:
    with database_errors(register.url), register.engine.connect() as db:
        return db.execute(sa.select(LEASES.holder).where(LEASES.origin == origin)).scalar()


@contextmanager
def renewed(register: Register, origin: str, holder: str, seconds: float) -> Iterator[None]:
    """Keep a taken lease alive (renewed every third of its time) until the block ends, then release it."""
    stop = threading.Event()

    def keep() -> None:
        while not stop.wait(seconds / 3):
            with suppress(UsageError):  # a database hiccup: the next beat tries again, the lease outlives one miss
                renew(register, origin, holder, seconds)

    beat = threading.Thread(target=keep, name=f"lease {origin}", daemon=True)
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join()
        with suppress(UsageError):  # the run is concluded; a lease not released expires on its own
            release(register, origin, holder)
