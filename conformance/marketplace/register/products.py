"""The register's products and their history: adding, reading and removing, each in one transaction."""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from conformance.errors import UsageError
from conformance.marketplace.register import tables
from conformance.marketplace.register.credentials import CredentialRef
from conformance.marketplace.register.store import database_errors, open_register
from conformance.timestamps import format_time, parse_time

KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
DEFAULT_GRACE_DAYS = 14
NEW = "new"  # added, never re-validated: not listed
DEFAULT_PORTS = {"https": 443, "http": 80}


class UnknownProduct(UsageError):
    """No product with that key in the register (exit 2)."""


@dataclass(frozen=True)
class Product:
    key: str
    supplier: str
    product: str
    version: str
    contact: str
    spec: str | None
    image: str | None
    base_url: str | None
    ca_bundle: str | None
    profiles: tuple[str, ...]
    credentials: tuple[CredentialRef, ...]
    interval_days: int
    status: str = NEW
    status_since: str = ""
    status_cause: str = ""
    next_due: str = ""
    added_at: str = ""

    @property
    def origin(self) -> str:
        """What one run at a time may load: the supplier's origin, scheme://host:port in lower case (a container
        is its own). The origin, not the bare host name: services on one host's other ports are other services."""
        if self.image and not self.spec:
            return f"image:{self.image}"
        url = self.base_url or self.spec or ""
        parts = urlsplit(url)
        if not parts.hostname:
            return url.lower()
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 0)
        return f"{parts.scheme.lower()}://{host.lower()}:{port}"

    def row(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in (c.name for c in tables.products.c)}
        values["profiles"] = list(self.profiles)
        values["credentials"] = [ref.to_json() for ref in self.credentials]
        return values

    @classmethod
    def from_row(cls, row: Any) -> "Product":
        values = dict(row._mapping)
        values["profiles"] = tuple(values["profiles"])
        values["credentials"] = tuple(CredentialRef.from_json(x) for x in values["credentials"])
        return cls(**values)


@dataclass
class Register:
    """One register database; every method is one transaction, errors are RegisterError (exit 2)."""

    url: str
    engine: sa.Engine = field(init=False)

    def __post_init__(self) -> None:
        self.engine = open_register(self.url)

    def add(self, product: Product, at: datetime) -> Product:
        stamp = format_time(at)
        added = Product(
            **{
                **product.__dict__,
                "status": NEW,
                "status_since": stamp,
                "status_cause": "added to the register",
                "next_due": stamp,
                "added_at": stamp,
            }
        )
        with database_errors(self.url), self.engine.begin() as db:
            if db.execute(sa.select(tables.products.c.key).where(tables.products.c.key == product.key)).first():
                raise UsageError(f"the register already has a product {product.key!r}; remove it first")
            db.execute(sa.insert(tables.products).values(**added.row()))
        return added

    def products(self, keys: tuple[str, ...] = ()) -> list[Product]:
        """The named products in the order given (UnknownProduct for a missing one), or all of them by key."""
        with database_errors(self.url), self.engine.connect() as db:
            rows = db.execute(sa.select(tables.products).order_by(tables.products.c.key)).all()
        found = {row.key: Product.from_row(row) for row in rows}
        missing = [key for key in keys if key not in found]
        if missing:
            raise UnknownProduct(f"no product {', '.join(repr(k) for k in missing)} in the register")
        return [found[key] for key in dict.fromkeys(keys)] if keys else list(found.values())

    def product(self, key: str) -> Product:
        return self.products((key,))[0]

    def due(self, at: datetime) -> list[Product]:
        return [p for p in self.products() if parse_time(p.next_due) <= at]

    def remove(self, key: str) -> None:
        self.product(key)
        with database_errors(self.url), self.engine.begin() as db:
            for table in (tables.certificates, tables.transitions, tables.runs):
                db.execute(sa.delete(table).where(table.c.product_key == key))
            db.execute(sa.delete(tables.products).where(tables.products.c.key == key))

    def grace(self) -> timedelta:
        with database_errors(self.url), self.engine.connect() as db:
            value = db.execute(
                sa.select(tables.settings.c.value).where(tables.settings.c.name == "grace_days")
            ).scalar()
        return timedelta(days=int(value) if value is not None else DEFAULT_GRACE_DAYS)

    def set_grace(self, days: int) -> None:
        with database_errors(self.url), self.engine.begin() as db:
            db.execute(sa.delete(tables.settings).where(tables.settings.c.name == "grace_days"))
            db.execute(sa.insert(tables.settings).values(name="grace_days", value=str(days)))

    def history(self, key: str) -> dict[str, list[dict[str, Any]]]:
        """A product's runs (without their records), transitions and certificates, oldest first."""
        self.product(key)
        return self.histories(key).get(key, {"runs": [], "transitions": [], "certificates": []})

    def histories(self, key: str | None = None) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Every product's history (or only `key`'s) by product key, as `history` gives it: three queries in all,
        however many products."""
        parts = {
            "runs": (tables.runs, [c for c in tables.runs.c if c.name != "record"], tables.runs.c.id),
            "transitions": (tables.transitions, list(tables.transitions.c), tables.transitions.c.id),
            "certificates": (tables.certificates, list(tables.certificates.c), tables.certificates.c.issued_at),
        }
        found: dict[str, dict[str, list[dict[str, Any]]]] = {}
        with database_errors(self.url), self.engine.connect() as db:
            for part, (table, columns, order) in parts.items():
                query = sa.select(*columns)
                if key is not None:
                    query = query.where(table.c.product_key == key)
                for row in rows(db, query, order):
                    found.setdefault(row["product_key"], {name: [] for name in parts})[part].append(row)
        return found

    def concluded(self, job: str) -> dict[str, Any] | None:
        """The run queued job `job` already recorded (without its record) and the transition it made, if any:
        a redelivered job that finds one records nothing twice."""
        columns = [c for c in tables.runs.c if c.name != "record"]
        with database_errors(self.url), self.engine.connect() as db:
            run = db.execute(sa.select(*columns).where(tables.runs.c.job_id == job)).first()
            if run is None:
                return None
            moved = db.execute(sa.select(tables.transitions.c.to_status).where(tables.transitions.c.run_id == run.id))
            return {**run._mapping, "moved_to": moved.scalar()}

    def last_runs(self) -> dict[str, dict[str, Any]]:
        """Each product's latest run (without its record)."""
        latest = sa.select(sa.func.max(tables.runs.c.id)).group_by(tables.runs.c.product_key)
        columns = [c for c in tables.runs.c if c.name != "record"]
        with database_errors(self.url), self.engine.connect() as db:
            found = db.execute(sa.select(*columns).where(tables.runs.c.id.in_(latest))).all()
        return {row.product_key: dict(row._mapping) for row in found}


def rows(db: sa.Connection, query: sa.Select, order: sa.ColumnElement) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in db.execute(query.order_by(order)).all()]
