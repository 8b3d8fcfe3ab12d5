"""The marketplace register end to end: real reference suppliers on loopback, the real command line, the register
on SQLite and on a real PostgreSQL server (`.ci/postgres-setup`; its DSN in CONFORMANCE_TEST_POSTGRES)."""

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from conformance.cli.main import main
from conformance.demo.server import RunningSupplier, start
from conformance.marketplace.register import tables
from conformance.marketplace.register.consequences import (
    CONFORMANT,
    ERROR,
    FAILING,
    NOT_CONFORMANT,
    SUSPENDED,
    Decision,
    RunResult,
    conclude,
    decide,
)
from conformance.marketplace.register.products import Product, Register
from conformance.marketplace.register.publishing import Marketplace, publish_listing
from conformance.revalidation.pool import one_per_origin
from conformance.timestamps import format_time
from conformance.trust.revocation import load_list
from conformance.trust.signing import key_id, load_public_key
from tests.conftest import unavailable

PROFILE = "open-standard-export"
DEFECT = "invalid-document"  # fails EXP-01 from the document alone: a certain failure whatever is generated
TOKEN_VARIABLE = "ACME_ORDERS_TOKEN"
PEER_VARIABLE = "ACME_ORDERS_PEER"
SECRET_MARKS = ("reference-token", "reference-peer-token")  # the demo supplier's credentials


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty register database: an SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'register.db'}"
        return
    yield from postgresql_database()


def postgresql_database() -> Iterator[str]:
    """A new, empty database on the PostgreSQL server, dropped afterwards."""
    dsn = os.environ.get("CONFORMANCE_TEST_POSTGRES")
    if not dsn:
        unavailable(
            "no PostgreSQL server: CONFORMANCE_TEST_POSTGRES is unset", "run .ci/postgres-setup, export its DSN"
        )
    name = f"register_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(dsn, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as db:
            db.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        unavailable(
            f"the PostgreSQL server at CONFORMANCE_TEST_POSTGRES does not answer: {exc.orig}", "run .ci/postgres-setup"
        )
    yield sa.make_url(dsn).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as db:
        db.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    keys = tmp_path_factory.mktemp("keys")
    subprocess.run([sys.executable, "-m", "conformance", "keys", "generate", "--out", str(keys)], check=True)
    return keys / "signing.private.pem"


def marketplace(home: Path, database: str, *args: str) -> Result:
    """A `conformance marketplace` command that runs nothing, in-process (a child process each costs seconds)."""
    return CliRunner().invoke(main, ["marketplace", "--home", str(home), "--database", database, *args])


def revalidating(home: Path, database: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`marketplace revalidate` in a child process, as the daily job runs it (a pool of forked workers)."""
    command = [sys.executable, "-m", "conformance", "marketplace", "--home", str(home), "--database", database, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, **env})


def add_product(home: Path, database: str, supplier: RunningSupplier, key: str = "acme-orders") -> None:
    added = marketplace(
        home, database, "add", key,
        "--supplier", "Acme", "--product", "Orders", "--product-version", "2.1", "--contact", "ops@acme.example",
        "--spec", supplier.spec_url, "--ca-bundle", str(supplier.ca_bundle), "--profile", PROFILE,
        "--header-ref", f"Authorization=env:{TOKEN_VARIABLE}",
        "--peer-header-ref", f"Authorization=env:{PEER_VARIABLE}",
    )  # fmt: skip
    assert added.exit_code == 0, added.output


def revalidate(home: Path, database: str, key: Path, at: datetime, *selection: str) -> subprocess.CompletedProcess:
    credentials = {TOKEN_VARIABLE: "Bearer reference-token", PEER_VARIABLE: "Bearer reference-peer-token"}
    return revalidating(
        home, database, "revalidate", *selection, "--key", str(key), "--at", format_time(at),
        "--max-examples", "2", "--attempts", "2", "--retry-backoff", "0",
        env=credentials,
    )  # fmt: skip


def listed_ids(home: Path) -> set[str]:
    catalogue = json.loads((home / "listing" / "catalogue.json").read_text("utf-8"))
    return {entry["certificate_id"] for entry in catalogue["products"]}


def dump(database: str) -> str:
    """Every row of every table of the register, as text."""
    engine = sa.create_engine(database)
    with engine.connect() as db:
        text = "\n".join(str(row) for table in tables.metadata.sorted_tables for row in db.execute(sa.select(table)))
    engine.dispose()
    return text


def rows(database: str, table: sa.Table) -> list[dict]:
    engine = sa.create_engine(database)
    with engine.connect() as db:
        found = [dict(row._mapping) for row in db.execute(sa.select(table))]
    engine.dispose()
    return found


def test_a_product_that_turns_defective_is_failing_then_suspended_and_comes_back_when_fixed(
    database: str, signing_key: Path, tmp_path: Path
) -> None:
    home = tmp_path / "marketplace"
    output = []
    supplier = start("conformant")
    port = supplier.server.server_address[1]
    try:
        add_product(home, database, supplier)
        now = datetime.now(UTC) + timedelta(seconds=1)
        first = revalidate(home, database, signing_key, now, "--due")
        output.append(first.stdout + first.stderr)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "acme-orders: conformant -> listed" in first.stdout
        (certificate,) = rows(database, tables.certificates)
        assert listed_ids(home) == {certificate["certificate_id"]}
        council = CliRunner().invoke(
            main,
            ["verify", str(home / "certificates" / "acme-orders" / "certificate.dsse.json"),
             "--key", str(signing_key.with_name("signing.public.pem")), "--listing", str(home / "listing"),
             "--at", format_time(now)],
        )  # fmt: skip
        assert council.exit_code == 0 and council.stdout.startswith("VALID AND LISTED"), council.stdout  # signed
        not_due = revalidate(home, database, signing_key, now + timedelta(hours=1), "--due")
        assert "0 products re-validated" in not_due.stdout  # re-validated daily: not due again within the day

        supplier.stop()
        supplier = start(DEFECT, port=port)  # the supplier ships a defective version at the same address
        failing = revalidate(home, database, signing_key, now + timedelta(days=1), "--due")
        output.append(failing.stdout + failing.stderr)
        assert failing.returncode == 1
        assert "acme-orders: not-conformant -> failing" in failing.stdout
        status = marketplace(home, database, "status")
        output.append(status.stdout)
        assert "failing" in status.stdout and "ops@acme.example" in status.stdout and "report.html" in status.stdout
        assert listed_ids(home) == {certificate["certificate_id"]}  # still listed during the grace period

        suspended = revalidate(home, database, signing_key, now + timedelta(days=16), "acme-orders")
        output.append(suspended.stdout + suspended.stderr)
        assert "acme-orders: not-conformant -> suspended" in suspended.stdout
        assert listed_ids(home) == set()
        failing_run = rows(database, tables.runs)[-1]
        public = load_public_key(signing_key.with_name("signing.public.pem"))
        revoked = load_list(home / "revocations.dsse.json", {key_id(public): public})
        entry = revoked.find(certificate["certificate_id"])
        assert entry is not None and failing_run["report_sha256"] in entry.reason
        first_certificate = Path(rows(database, tables.runs)[0]["report_dir"]) / "certificate.dsse.json"
        verified = CliRunner().invoke(
            main,
            ["verify", str(first_certificate), "--key", str(signing_key.with_name("signing.public.pem")),
             "--revocations", str(home / "revocations.dsse.json"), "--at", format_time(now + timedelta(days=16))],
        )  # fmt: skip
        assert verified.exit_code == 9 and failing_run["report_sha256"] in verified.stdout  # revoked, and why
        assert failing_run["outcome"] == "not-conformant" and json.loads(failing_run["record"])["verdict"] == (
            "not-conformant"
        )

        supplier.stop()
        supplier = start("conformant", port=port)  # fixed
        fixed = revalidate(home, database, signing_key, now + timedelta(days=17), "--all")
        output.append(fixed.stdout + fixed.stderr)
        assert "acme-orders: conformant -> listed" in fixed.stdout
        fresh = {c["certificate_id"] for c in rows(database, tables.certificates)} - {certificate["certificate_id"]}
        assert len(fresh) == 1 and listed_ids(home) == fresh
    finally:
        supplier.stop()
    moves = [(t["from_status"], t["to_status"]) for t in rows(database, tables.transitions)]
    assert moves == [("new", "listed"), ("listed", "failing"), ("failing", "suspended"), ("suspended", "listed")]
    assert all(t["at"] and t["cause"] for t in rows(database, tables.transitions))
    shown = marketplace(home, database, "show", "acme-orders").stdout
    output.append(shown)
    assert f"env:{TOKEN_VARIABLE}" in shown
    # No credential anywhere: the database, the stored records, the reports, the listing, what was printed.
    stored = dump(database)
    if database.startswith("sqlite"):
        stored += Path(sa.make_url(database).database).read_bytes().decode("latin-1")
    published = "".join(p.read_bytes().decode("latin-1") for p in home.rglob("*") if p.is_file())
    for mark in SECRET_MARKS:
        for where, text in (("database", stored), ("files", published), ("output", "\n".join(output))):
            assert mark not in text, f"a credential appears in the {where}"

    assert marketplace(home, database, "remove", "acme-orders").exit_code == 0
    assert not (home / "certificates" / "acme-orders").exists()  # the next listing leaves it out
    assert rows(database, tables.products) == [] and rows(database, tables.runs) == []


def test_the_grace_period_ends_exactly_when_it_says_and_an_error_changes_nothing() -> None:
    since = datetime(2027, 1, 1, tzinfo=UTC)
    failing = Product(
        "p", "S", "P", "1", "ops@s.example", "https://s.example/o.json", None, None, None, (), (), 1,
        status=FAILING, status_since=format_time(since), status_cause="not conformant",
    )  # fmt: skip
    run = RunResult("p", NOT_CONFORMANT, 1, "/reports/p/1", '{"verdict": "not-conformant"}')
    grace = timedelta(days=14)
    assert decide(failing, run, True, since + grace - timedelta(seconds=1), grace).status == FAILING
    suspended = decide(failing, run, True, since + grace, grace)
    assert suspended.status == SUSPENDED and run.report_sha256 in (suspended.revoke_reason or "")
    error = RunResult("p", ERROR, 3, problem="unreachable")
    assert decide(failing, error, True, since + 2 * grace, grace) == Decision(FAILING, "not conformant")
    assert decide(failing, RunResult("p", CONFORMANT, 1, "/r"), True, since, grace).certify is False


def test_a_literal_secret_is_refused_and_never_stored(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'register.db'}"
    secret = "Bearer s3cr3t-0123456789abcdef"
    assert marketplace(tmp_path, database, "list").exit_code == 0
    refused = marketplace(
        tmp_path, database, "add", "acme", "--supplier", "Acme", "--product", "Orders", "--product-version", "1",
        "--contact", "ops@acme.example", "--spec", "https://127.0.0.1:9/openapi.json",
        "--header-ref", f"Authorization={secret}",
    )  # fmt: skip
    assert refused.exit_code == 2
    assert "not a reference" in refused.stderr and "env:VARIABLE" in refused.stderr
    assert "s3cr3t" not in refused.stdout + refused.stderr
    assert "s3cr3t" not in dump(database)


def test_a_harness_side_failure_is_retried_then_recorded_without_a_verdict(signing_key: Path, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'register.db'}"
    supplier = start("conformant")
    add_product(tmp_path, database, supplier)
    supplier.stop()  # nothing answers at its address any more
    result = revalidate(tmp_path, database, signing_key, datetime.now(UTC), "acme-orders")
    assert result.returncode == 1
    assert "acme-orders: error" in result.stdout and "stays new" in result.stdout
    (run,) = rows(database, tables.runs)
    assert run["outcome"] == "error" and run["attempts"] == 2 and run["record"] is None
    assert rows(database, tables.transitions) == []
    (product,) = rows(database, tables.products)
    assert product["status"] == "new"  # no verdict, so no consequence; and it stays due
    assert marketplace(tmp_path, database, "status").stdout.count("error") == 1


def test_bad_input_is_refused_with_exit_code_2_and_nothing_written(signing_key: Path, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'register.db'}"
    unknown = revalidate(tmp_path, database, signing_key, datetime.now(UTC), "no-such-product")
    assert unknown.returncode == 2 and "no product 'no-such-product'" in unknown.stderr
    assert marketplace(tmp_path, database, "show", "no-such-product").exit_code == 2
    assert marketplace(tmp_path, database, "remove", "no-such-product").exit_code == 2
    assert not (tmp_path / "reports").exists()

    unreachable = "postgresql+psycopg://conformance@127.0.0.1:9/register"
    refused = revalidate(tmp_path / "elsewhere", unreachable, signing_key, datetime.now(UTC), "--all")
    assert refused.returncode == 2 and "cannot use the register" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "elsewhere").exists()
    missing_folder = marketplace(tmp_path, f"sqlite:///{tmp_path / 'no' / 'register.db'}", "list")
    assert missing_folder.exit_code == 2 and "no folder" in missing_folder.stderr


def test_a_register_from_a_newer_version_is_refused(database: str, tmp_path: Path) -> None:
    assert marketplace(tmp_path, database, "list").exit_code == 0  # an empty database is migrated to head
    engine = sa.create_engine(database)
    with engine.begin() as db:
        db.execute(sa.text("UPDATE alembic_version SET version_num = 'r9999'"))
    engine.dispose()
    refused = marketplace(tmp_path, database, "list")
    assert refused.exit_code == 2
    assert "written by a newer version" in refused.stderr and "r9999" in refused.stderr


def test_the_pool_runs_one_product_at_a_time_per_origin() -> None:
    """Four workers, five products on two origins: never two runs on one origin, and both busy at once."""
    hosts = ["https://a.example/openapi.json"] * 3 + ["https://b.example/openapi.json"] * 2
    products = [Product(f"p{i}", "S", "P", "1", "c", spec, None, None, None, (), (), 1) for i, spec in enumerate(hosts)]
    lock = threading.Lock()
    in_flight: dict[str, int] = {}
    peaks: list[int] = []
    most_per_origin = 0

    def run(product: Product) -> str:
        nonlocal most_per_origin
        with lock:
            in_flight[product.origin] = in_flight.get(product.origin, 0) + 1
            most_per_origin = max(most_per_origin, in_flight[product.origin])
            peaks.append(sum(in_flight.values()))
        time.sleep(0.05)
        with lock:
            in_flight[product.origin] -= 1
        return product.key

    with ThreadPoolExecutor(max_workers=4) as pool:

        def submit(product: Product) -> Future:
            return pool.submit(run, product)

        finished = sorted(future.result() for future in one_per_origin(products, 4, submit))
    assert finished == ["p0", "p1", "p2", "p3", "p4"]
    assert most_per_origin == 1
    assert max(peaks) == 2


def test_new_certificates_wait_for_the_batch_listing_and_a_revocation_is_published_at_once(
    database: str, signing_key: Path, tmp_path: Path
) -> None:
    """A rebuild per conclusion grows with the square of the listing (bench.revalidation): a certificate issued
    by a run is listed when the batch publishes, a suspension's revocation leaves the listing immediately."""
    home = tmp_path / "marketplace"
    supplier = start("conformant")
    try:
        add_product(home, database, supplier)
        now = datetime.now(UTC) + timedelta(seconds=1)
        first = revalidate(home, database, signing_key, now, "acme-orders")
        assert first.returncode == 0, first.stdout + first.stderr
        assert "listing written:" in first.stdout  # the batch publishes once at its end
    finally:
        supplier.stop()
    (acme,) = rows(database, tables.certificates)
    assert listed_ids(home) == {acme["certificate_id"]}
    marketplace_home = Marketplace(home, signing_key)
    assert not publish_listing(marketplace_home, now, only_if_stale=True)  # nothing awaits the listing

    # A second product's first conformant run (the first run's report stands in for its own): certified, not yet listed.
    added = marketplace(
        home, database, "add", "bolt-ledger",
        "--supplier", "Bolt", "--product", "Ledger", "--product-version", "1", "--contact", "ops@bolt.example",
        "--spec", supplier.spec_url, "--profile", PROFILE,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    (run,) = rows(database, tables.runs)
    register = Register(database)
    conclude(register, marketplace_home, RunResult("bolt-ledger", CONFORMANT, 1, run["report_dir"], run["record"]), now)
    bolt = next(c for c in rows(database, tables.certificates) if c["product_key"] == "bolt-ledger")
    assert listed_ids(home) == {acme["certificate_id"]}
    assert publish_listing(marketplace_home, now, only_if_stale=True)
    assert listed_ids(home) == {acme["certificate_id"], bolt["certificate_id"]}
    assert not publish_listing(marketplace_home, now, only_if_stale=True)

    # acme fails, then stays failing past the grace period: suspended, and out of the listing at that moment.
    failed = RunResult("acme-orders", NOT_CONFORMANT, 1, run["report_dir"], run["record"])
    conclude(register, marketplace_home, failed, now + timedelta(days=1))
    assert listed_ids(home) == {acme["certificate_id"], bolt["certificate_id"]}  # failing: still listed
    conclude(register, marketplace_home, failed, now + timedelta(days=16))
    assert register.product("acme-orders").status == SUSPENDED
    assert listed_ids(home) == {bolt["certificate_id"]}
    register.engine.dispose()
