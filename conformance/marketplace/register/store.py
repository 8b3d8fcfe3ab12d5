"""Opening a register: the database by URL, migrated to this version's schema, or refused with a reason.

An empty database is migrated to the newest revision on open. A database whose revision this version does
not know was written by a newer harness: it is refused (exit 2) rather than read with the wrong schema.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from conformance.errors import UsageError

MIGRATIONS = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT = 10  # seconds: an unreachable PostgreSQL server is reported, not waited on


class RegisterError(UsageError):
    """The register cannot be used: unreachable, not a register, or written by a newer version (exit 2)."""


def default_url(home: Path) -> str:
    """The register with nothing to set up: an SQLite file in the marketplace folder."""
    return f"sqlite:///{(home / 'register.db').absolute()}"


def shown_url(url: str) -> str:
    """The URL with any password masked, for messages."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(an unreadable database URL)"


def alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def create(url: str) -> sa.Engine:
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise RegisterError("the register's database URL is not a database URL (e.g. sqlite:///register.db)") from None
    arguments: dict[str, object] = {}
    if parsed.get_backend_name() == "postgresql":
        arguments["connect_timeout"] = CONNECT_TIMEOUT
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        folder = Path(parsed.database).parent
        if not folder.is_dir():
            raise RegisterError(f"cannot open the register {shown_url(url)}: no folder {folder}")
    try:
        return sa.create_engine(parsed, connect_args=arguments)
    except ImportError as exc:
        postgresql = parsed.get_backend_name() == "postgresql"
        hint = " (pip install 'procurement-conformance[postgresql]')" if postgresql else ""
        raise RegisterError(f"cannot open the register {shown_url(url)}: {exc}{hint}") from None
    except sa.exc.ArgumentError as exc:
        raise RegisterError(f"cannot open the register {shown_url(url)}: {exc}") from None


def migrate(engine: sa.Engine, url: str) -> None:
    """Bring the schema to this version's head in one transaction; refuse a revision from a newer version."""
    with engine.begin() as connection:
        config = alembic_config(connection)
        script = ScriptDirectory.from_config(config)
        current = set(MigrationContext.configure(connection).get_current_heads())
        known = {revision.revision for revision in script.walk_revisions()}
        unknown = current - known
        if unknown:
            raise RegisterError(
                f"the register {shown_url(url)} was written by a newer version of procurement-conformance "
                f"(schema revision {', '.join(sorted(unknown))}; this version knows up to "
                f"{script.get_current_head()}); "
                "upgrade the harness to use it"
            )
        if current != set(script.get_heads()):
            command.upgrade(config, "head")


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """A database that fails mid-way is one clear line (exit 2); the transaction it was in is rolled back."""
    try:
        yield
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise RegisterError(f"cannot use the register {shown_url(url)}: {reason}") from None
    except sa.exc.DatabaseError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise RegisterError(f"the register {shown_url(url)} is not usable: {reason}") from None


def open_register(url: str) -> sa.Engine:
    """An engine on a migrated register (RegisterError when it cannot be)."""
    engine = create(url)
    with database_errors(url):
        migrate(engine, url)
    return engine
