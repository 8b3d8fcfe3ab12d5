"""The re-validation benchmark's stage: reference suppliers on loopback ports, a fresh register full of
products, a private `redis-server`, and Celery workers started through the timing probe.

Products are spread round-robin over the suppliers (keys sort in that order), so consecutive products name
different origins and N workers can run at once under the one-run-per-origin rule.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from conformance.demo.server import RunningSupplier, start
from conformance.marketplace.register.credentials import parse_reference
from conformance.marketplace.register.products import Product, Register

# Defects every run finds whatever is generated (a MUST each: the verdict is not conformant).
DEFECTS = ("invalid-document", "wrong-content-type", "leaky-errors", "no-auth-challenge")
DEFECTIVE_EVERY = 5  # one supplier in five serves a defect
TOKEN, PEER = "BENCH_SUPPLIER_TOKEN", "BENCH_SUPPLIER_PEER"
REDIS = "/usr/bin/redis-server"
PROBE = [sys.executable, "-m", "bench.revalidation_probe"]
REPO = Path(__file__).resolve().parent.parent


def variant_of(server: int) -> str:
    """Server s's variant: conformant, except every DEFECTIVE_EVERY-th, which cycles through DEFECTS."""
    if server % DEFECTIVE_EVERY != DEFECTIVE_EVERY - 1:
        return "conformant"
    return DEFECTS[(server // DEFECTIVE_EVERY) % len(DEFECTS)]


@contextlib.contextmanager
def suppliers(count: int) -> Iterator[list[RunningSupplier]]:
    """`count` fresh reference suppliers (empty stores), each on its own loopback port, in this process."""
    running = [start(variant_of(index)) for index in range(count)]
    try:
        yield running
    finally:
        for supplier in running:
            supplier.stop()


def credentials_environment(supplier: RunningSupplier) -> dict[str, str]:
    """What the products' credential references resolve to (every reference supplier shares its tokens)."""
    return {TOKEN: f"Bearer {supplier.token}", PEER: f"Bearer {supplier.peer_token}"}


def fill(database: str, servers: list[RunningSupplier], products: int) -> dict[str, str]:
    """Add `products` products, round-robin over the servers; {key: the variant it serves}."""
    register = Register(database)
    references = (parse_reference("header", f"Authorization=env:{TOKEN}"),)
    references += (parse_reference("peer-header", f"Authorization=env:{PEER}"),)
    width = len(str(products - 1))
    expected = {}
    now = datetime.now(UTC)
    for index in range(products):
        server = servers[index % len(servers)]
        key = f"p{index:0{width}d}"
        register.add(
            Product(
                key=key,
                supplier=f"Supplier {index % len(servers)}",
                product="Case management",
                version="1.0",
                contact="ops@supplier.example",
                spec=server.spec_url,
                image=None,
                base_url=None,
                ca_bundle=server.ca_bundle,
                profiles=(),
                credentials=references,
                interval_days=1,
            ),
            now,
        )
        expected[key] = server.app.variant
    register.engine.dispose()
    return expected


@contextlib.contextmanager
def register_database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh, empty register: an SQLite file in `folder`, or a new database on CONFORMANCE_TEST_POSTGRES."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'register.db'}"
        return
    dsn = os.environ.get("CONFORMANCE_TEST_POSTGRES")
    if not dsn:
        raise SystemExit("--databases postgresql needs CONFORMANCE_TEST_POSTGRES (a server to create databases on)")
    name = f"revalbench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(dsn, isolation_level="AUTOCOMMIT")
    with admin.connect() as db:
        db.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(dsn).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as db:
            db.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def redis_server() -> Iterator[int]:
    """A private, memory-only redis-server on a free loopback port; yields the port."""
    port = free_port()
    command = [REDIS, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while redis_info(port, "server") is None:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"redis-server did not start on port {port}")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def redis_info(port: int, section: str) -> dict[str, str] | None:
    """One INFO section as a dict (None when the server does not answer)."""
    proc = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), "INFO", section], capture_output=True, text=True
    )
    if proc.returncode != 0 or not proc.stdout.startswith("#"):
        return None
    pairs = (line.split(":", 1) for line in proc.stdout.splitlines() if ":" in line)
    return {name: value.strip() for name, value in pairs}


@contextlib.contextmanager
def celery_workers(
    count: int, home: Path, database: str, broker: str, environment: dict[str, str], logs: Path
) -> Iterator[list[subprocess.Popen]]:
    """`count` Celery workers (one process each, concurrency 1, like `count` one-slot machines), ready."""
    command = [*PROBE, "marketplace", "--home", str(home), "--database", database, "worker", "--broker", broker]
    workers = []
    try:
        for index in range(count):
            log = open(logs / f"worker-{index}.log", "w")  # noqa: SIM115 (the process writes it until stopped)
            workers.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment, cwd=REPO))
        wait_until_ready(workers, [logs / f"worker-{index}.log" for index in range(count)])
        yield workers
    finally:
        for worker in workers:
            worker.terminate()  # Celery's warm shutdown: every task here has already finished
        for worker in workers:
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def wait_until_ready(workers: list[subprocess.Popen], logs: list[Path], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not all(" ready." in log.read_text(errors="replace") for log in logs):
        failed = [log for worker, log in zip(workers, logs, strict=True) if worker.poll() is not None]
        if failed or time.monotonic() > deadline:
            tail = (failed or logs)[0].read_text(errors="replace")[-2000:]
            raise SystemExit(f"a Celery worker did not get ready:\n{tail}")
        time.sleep(0.5)
