"""Re-validation on a Celery cluster with real parts: a real redis-server, `conformance marketplace worker`
processes, reference suppliers on loopback ports, the register on PostgreSQL (and SQLite for the register's own
parts: leases and job ids). A worker killed mid-run loses no product's run and none is recorded twice."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from alembic import command as alembic
from click.testing import CliRunner

from conformance import revalidation
from conformance.cli.main import main
from conformance.demo.server import RunningSupplier, start
from conformance.marketplace.register import leases, tables
from conformance.marketplace.register.consequences import ERROR, AlreadyConcluded, RunResult, conclude
from conformance.marketplace.register.products import Product, Register
from conformance.marketplace.register.publishing import Marketplace
from conformance.marketplace.register.store import alembic_config
from conformance.revalidation import queue
from conformance.revalidation.job import RunPolicy, revalidate_product
from conformance.timestamps import format_time
from tests import test_marketplace_register as register_tests
from tests.conftest import unavailable

database = register_tests.database  # the register on SQLite and on PostgreSQL, from an empty database
signing_key = register_tests.signing_key
REDIS = "/usr/bin/redis-server"
CREDENTIALS = {
    register_tests.TOKEN_VARIABLE: "Bearer reference-token",
    register_tests.PEER_VARIABLE: "Bearer reference-peer-token",
}
VARIANTS = ["conformant"] * 9 + [register_tests.DEFECT] * 3
SHARED = (0, 1)  # two products of one supplier (one origin), enqueued first: both workers reach for it at once
EXPECTED = {"conformant": ("conformant", "listed"), register_tests.DEFECT: ("not-conformant", "failing")}
LEASE_SECONDS = 4  # a killed worker's origin frees itself this soon
REDELIVERY_AFTER = 20  # and its unacknowledged run is delivered again this soon


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[str]:
    """A throwaway redis-server on a free loopback port, nothing saved to disk."""
    if not Path(REDIS).exists() and not shutil.which("redis-server"):
        unavailable("no redis-server", "apt-get install redis-server (.ci/run does)")
    port = free_port()
    command = [REDIS if Path(REDIS).exists() else "redis-server", "--bind", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--save", "", "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline and server.poll() is None, "redis-server did not start"
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)


@pytest.fixture
def postgresql() -> Iterator[str]:
    """The cluster's register is the shared kind: a fresh database on the PostgreSQL server."""
    yield from register_tests.postgresql_database()


def conformance(*args: str, log: Path | None = None, **options: object) -> subprocess.Popen:
    """A `conformance` child process in its own process group (so a kill takes its pool's processes too)."""
    out = open(log, "w") if log else subprocess.PIPE  # noqa: SIM115 - the child owns it
    return subprocess.Popen(
        [sys.executable, "-m", "conformance", *args],
        stdout=out,
        stderr=subprocess.STDOUT if log else subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, **CREDENTIALS},
        **options,  # type: ignore[call-overload]
    )


def start_worker(home: Path, database: str, broker: str, log: Path) -> subprocess.Popen:
    return conformance(
        "marketplace", "--home", str(home), "--database", database, "worker", "--broker", broker,
        "--concurrency", "1", "--lease-seconds", str(LEASE_SECONDS), "--redelivery-after", str(REDELIVERY_AFTER),
        log=log,
    )  # fmt: skip


def held_by(database: str, group: int) -> tuple[str, str] | None:
    """(origin, job id) of the lease a process of `group` holds (holder: host:pid:job), if any."""
    engine = sa.create_engine(database)
    with engine.connect() as db:
        found = db.execute(sa.select(tables.leases)).all()
    engine.dispose()
    for lease in found:
        _, pid, job = lease.holder.split(":")
        try:
            if os.getpgid(int(pid)) == group:
                return lease.origin, job
        except ProcessLookupError:
            continue
    return None


def test_a_worker_killed_mid_run_loses_no_run_and_records_none_twice(
    postgresql: str, broker: str, signing_key: Path, tmp_path: Path
) -> None:
    database, home = postgresql, tmp_path / "marketplace"
    suppliers: list[RunningSupplier] = []
    workers: list[subprocess.Popen] = []
    try:
        for index, variant in enumerate(VARIANTS):
            if index != SHARED[1]:
                suppliers.append(start(variant))
            register_tests.add_product(home, database, suppliers[-1], key=f"p{index:02d}")
        workers = [start_worker(home, database, broker, tmp_path / f"worker{n}.log") for n in range(2)]
        revalidating = conformance(
            "marketplace", "--home", str(home), "--database", database, "revalidate", "--all",
            "--broker", broker, "--key", str(signing_key), "--max-examples", "1", "--attempts", "2",
            "--retry-backoff", "0",
        )  # fmt: skip

        victim = workers[0]
        deadline = time.monotonic() + 120
        while (held := held_by(database, victim.pid)) is None:  # provably mid-run: it holds an origin's lease
            assert time.monotonic() < deadline and revalidating.poll() is None, "the first worker never ran"
            time.sleep(0.1)
        killed_job = held[1]
        time.sleep(1)  # well into the run
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        workers.append(start_worker(home, database, broker, tmp_path / "worker2.log"))  # the replacement

        stdout, stderr = revalidating.communicate(timeout=300)
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(30)
        for supplier in suppliers:
            supplier.stop()

    assert revalidating.returncode == 1, stdout + stderr  # three products are not conformant
    runs = register_tests.rows(database, tables.runs)
    products = {p["key"]: p for p in register_tests.rows(database, tables.products)}
    assert sorted(r["product_key"] for r in runs) == sorted(products), "a run was lost or recorded twice"
    for index, variant in enumerate(VARIANTS):
        key = f"p{index:02d}"
        (run,) = [r for r in runs if r["product_key"] == key]
        outcome, status = EXPECTED[variant]
        assert (run["outcome"], products[key]["status"]) == (outcome, status), key
        assert run["job_id"] and f"{key}: {outcome} -> {status}; {run['report_dir']}/report.html" in stdout
    (killed,) = [r["product_key"] for r in runs if r["job_id"] == killed_job]  # delivered again, and concluded
    assert stdout.count(f"{killed}: ") == 1 and "12 products re-validated" in stdout
    first, second = sorted(
        (json.loads(r["record"])["run"] for r in runs if r["product_key"] in ("p00", "p01")),
        key=lambda run: run["started_at"],
    )
    assert second["started_at"] >= first["finished_at"]  # one origin, one run at a time
    assert register_tests.rows(database, tables.leases) == []  # every lease released, the dead one's taken over
    logs = "".join(log.read_text("utf-8") for log in tmp_path.glob("worker*.log"))
    assert "ready." in logs and "Retry in" in logs  # the shared origin's second product waited its turn
    stored = register_tests.dump(database)
    for mark in register_tests.SECRET_MARKS:
        for where, text in (("database", stored), ("worker logs", logs), ("output", stdout + stderr)):
            assert mark not in text, f"a credential appears in the {where}"


def test_an_unreachable_broker_is_refused_with_exit_code_2_and_nothing_written(
    signing_key: Path, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'register.db'}"
    supplier = start("conformant")
    try:
        register_tests.add_product(tmp_path, database, supplier)
    finally:
        supplier.stop()
    closed = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    for command in (
        ["revalidate", "--all", "--broker", closed, "--key", str(signing_key)],
        ["worker", "--broker", closed],
    ):
        refused = CliRunner().invoke(main, ["marketplace", "--home", str(tmp_path), "--database", database, *command])
        assert refused.exit_code == 2 and "cannot reach the broker redis://:**@127.0.0.1" in refused.stderr
        assert "hunter2" not in refused.output and "Traceback" not in refused.output
    assert register_tests.rows(database, tables.runs) == [] and not (tmp_path / "reports").exists()
    (product,) = register_tests.rows(database, tables.products)
    assert product["status"] == "new"
    not_redis = CliRunner().invoke(main, ["marketplace", "--home", str(tmp_path), "--database", database,
                                          "revalidate", "--all", "--broker", "amqp://127.0.0.1//",
                                          "--key", str(signing_key)])  # fmt: skip
    assert not_redis.exit_code == 2 and "must be a Redis URL" in not_redis.stderr


def test_a_lease_has_one_holder_at_a_time_and_frees_itself_when_it_expires(database: str, tmp_path: Path) -> None:
    register = Register(database)
    origin = "https://127.0.0.1:8443"
    winners: list[str] = []

    def contend(name: str) -> None:
        contender = Register(database)
        if leases.take(contender, origin, name, 60):
            winners.append(name)
        contender.engine.dispose()

    racers = [threading.Thread(target=contend, args=(f"worker-{n}",)) for n in range(6)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert len(winners) == 1 and leases.holder_of(register, origin) == winners[0]
    assert not leases.renew(register, origin, "someone-else", 60)
    leases.release(register, origin, "someone-else")  # not theirs: nothing happens
    assert leases.holder_of(register, origin) == winners[0]
    assert leases.take(register, "https://127.0.0.1:9443", "other", 60)  # another origin is free

    leases.release(register, origin, winners[0])
    assert leases.take(register, origin, "short", 0)  # expires at once, as a dead holder's lease does
    assert leases.take(register, origin, "next", 60) and leases.holder_of(register, origin) == "next"
    with leases.renewed(register, origin, "next", 60):
        assert not leases.take(register, origin, "late", 60)
    assert leases.holder_of(register, origin) is None  # released after the run
    register.engine.dispose()


def test_a_redelivered_job_that_had_concluded_records_nothing_twice(
    database: str, signing_key: Path, tmp_path: Path
) -> None:
    supplier = start("conformant")
    register_tests.add_product(tmp_path, database, supplier)
    supplier.stop()  # had it run again, it would record a second (error) run
    register = Register(database)
    marketplace = Marketplace(tmp_path, signing_key)
    at = datetime.now(UTC)
    first = RunResult("acme-orders", ERROR, 2, problem="unreachable")
    conclude(register, marketplace, first, at, job="job-1")
    with pytest.raises(AlreadyConcluded):
        conclude(register, marketplace, first, at, job="job-1")
    again = revalidate_product(database, marketplace, "acme-orders", format_time(at), RunPolicy(1), job="job-1")
    assert (again.outcome, again.attempts, again.changed, again.problem) == (ERROR, 2, False, "unreachable")
    assert not (tmp_path / "reports").exists()  # not run again
    (run,) = register_tests.rows(database, tables.runs)
    assert run["job_id"] == "job-1"
    conclude(register, marketplace, first, at)  # local runs carry no job id: any number of them
    conclude(register, marketplace, first, at)
    assert len(register_tests.rows(database, tables.runs)) == 3
    register.engine.dispose()


def test_one_run_at_a_time_is_per_origin_scheme_host_and_port() -> None:
    def product(spec: str | None, image: str | None = None, base_url: str | None = None) -> Product:
        return Product("p", "S", "P", "1", "c", spec, image, base_url, None, (), (), 1)

    assert product("https://Supplier.Example/openapi.json").origin == "https://supplier.example:443"
    assert product("HTTP://127.0.0.1:8080/v1/openapi.json").origin == "http://127.0.0.1:8080"
    assert product("https://127.0.0.1:8443/o.json").origin != product("https://127.0.0.1:8444/o.json").origin
    assert product("https://[::1]:8443/o.json").origin == "https://[::1]:8443"
    assert product("https://a.example/o.json", base_url="https://api.example/v2").origin == "https://api.example:443"
    assert product(None, image="acme/orders:2").origin == "image:acme/orders:2"


def test_no_wait_only_enqueues(broker: str, signing_key: Path, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'register.db'}"
    supplier = start("conformant")
    try:
        register_tests.add_product(tmp_path, database, supplier)
    finally:
        supplier.stop()
    group = ["marketplace", "--home", str(tmp_path), "--database", database, "revalidate", "--all"]
    enqueued = CliRunner().invoke(main, [*group, "--broker", broker, "--no-wait", "--key", str(signing_key)])
    assert enqueued.exit_code == 0 and enqueued.stdout == "1 products enqueued\n", enqueued.output
    assert redis.Redis.from_url(broker).llen("celery") == 1  # one task, for a worker to take
    assert register_tests.rows(database, tables.runs) == []
    local = CliRunner().invoke(main, [*group, "--no-wait", "--key", str(signing_key)])
    assert local.exit_code == 2 and "--no-wait needs --broker" in local.stderr


WAIT_ON_400 = """
import json, sys, threading, time
from dataclasses import asdict
import redis
from conformance.revalidation import queue
from conformance.revalidation.job import Revalidated

queue.connect(sys.argv[1])
server = redis.Redis.from_url(sys.argv[1])
jobs = {f"job-{n}": f"product-{n}" for n in range(400)}
by_the_store = []

def looked_up():
    stats = server.info("stats")
    return stats["keyspace_hits"] + stats["keyspace_misses"]

def finish_all_later():  # as workers do, between the client's polls (its first two: 0 s and 4 s)
    time.sleep(2)
    before_storing = looked_up()
    for job, key in jobs.items():
        done = Revalidated(key, "conformant", 1, "listed", False, f"reports/{key}", "")
        queue.app.backend.store_result(job, asdict(done), "SUCCESS")
    by_the_store.append(looked_up() - before_storing)  # storing reads each key once too

before = looked_up()
finisher = threading.Thread(target=finish_all_later)
started = time.monotonic()
finisher.start()
arrived = [(key, result.key, result.report) for key, result in queue.arrivals(jobs)]
elapsed = time.monotonic() - started
finisher.join()
print(json.dumps({"arrived": arrived, "elapsed": elapsed, "asked": looked_up() - before - by_the_store[0]}))
"""


def test_a_client_waiting_on_many_runs_asks_the_result_store_for_a_hundred_results_a_second_at_most(
    broker: str,
) -> None:
    """Each poll asks for every outstanding result: polled every 0.5 s, 10,000 queued runs would cost Redis
    20,000 keys a second all night. Every result must still arrive, once, with what the worker reported.
    (In a child process: Celery keeps the result store of the first broker a process connected to.)"""
    child = subprocess.run([sys.executable, "-c", WAIT_ON_400, broker], capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr[-2000:]
    waited = json.loads(child.stdout)
    assert sorted(key for key, _, _ in waited["arrived"]) == sorted(f"product-{n}" for n in range(400))
    assert all(key == reported and report == f"reports/{key}" for key, reported, report in waited["arrived"])
    # its first poll asks for all 400, then at most 100 a second
    assert waited["asked"] <= 400 + 100 * waited["elapsed"], waited["asked"]
    assert queue.poll_interval(3) == queue.POLL_SECONDS  # a small batch: no slower


STOPPED_MID_RUN = """
import json, os, signal, sys
from dataclasses import asdict
from pathlib import Path
import pytest
from conformance.marketplace.register.publishing import Marketplace
from conformance.revalidation import job
from conformance.revalidation.queue import soft_limit_stops_the_run
database, home, key, at = sys.argv[1:]
real_main = pytest.main

class SoftLimitMidSuite:
    def pytest_runtest_call(self, item):  # Celery's soft limit (SIGUSR1) arrives while a check runs
        os.kill(os.getpid(), signal.SIGUSR1)

def main_then_soft_limit(args, plugins):
    return real_main(args, plugins=[*plugins, SoftLimitMidSuite()])

pytest.main = main_then_soft_limit
marketplace = Marketplace(Path(home), Path(key))
with soft_limit_stops_the_run():
    done = job.revalidate_product(database, marketplace, "acme-orders", at, job.RunPolicy(1, attempts=1))
print(json.dumps(asdict(done)))
"""


def test_a_run_stopped_at_its_soft_time_limit_is_an_error_never_a_verdict(signing_key: Path, tmp_path: Path) -> None:
    database, at = f"sqlite:///{tmp_path / 'register.db'}", datetime.now(UTC)
    supplier = start("conformant")
    try:
        register_tests.add_product(tmp_path, database, supplier)
        stopped = subprocess.run(
            [sys.executable, "-c", STOPPED_MID_RUN, database, str(tmp_path), str(signing_key), format_time(at)],
            capture_output=True, text=True, timeout=120, env={**os.environ, **CREDENTIALS},
        )  # fmt: skip
    finally:
        supplier.stop()
    assert stopped.returncode == 0, stopped.stderr
    done = json.loads(stopped.stdout.strip().splitlines()[-1])
    assert (done["outcome"], done["status"], done["changed"]) == (ERROR, "new", False), done
    assert done["problem"] == "the run was stopped before it finished"
    (run,) = register_tests.rows(database, tables.runs)
    assert run["outcome"] == ERROR and run["record"] is None
    assert register_tests.rows(database, tables.certificates) == []  # a conformant supplier, yet no verdict


def test_a_register_of_the_first_schema_is_upgraded_keeping_its_runs(database: str, tmp_path: Path) -> None:
    engine = sa.create_engine(database)
    with engine.begin() as connection:
        alembic.upgrade(alembic_config(connection), "r0001")  # a register made before queued runs existed
        connection.execute(sa.text(
            "INSERT INTO products VALUES ('p', 'S', 'P', '1', 'c', 'https://127.0.0.1:9/o.json', NULL, NULL, NULL,"
            " '[]', '[]', 1, 'new', '2027-01-01T00:00:00Z', 'added', '2027-01-01T00:00:00Z', '2027-01-01T00:00:00Z')"
        ))  # fmt: skip
        connection.execute(
            sa.text("INSERT INTO runs VALUES (1, 'p', '2027-01-02T00:00:00Z', 'error', 1, NULL, NULL, NULL, '')")
        )
    engine.dispose()
    register = Register(database)  # opened: migrated to head
    (run,) = register_tests.rows(database, tables.runs)
    assert run["id"] == 1 and run["job_id"] is None and register.concluded("any") is None
    assert leases.take(register, "https://127.0.0.1:9", "worker", 60)
    register.engine.dispose()


def test_without_the_cluster_extra_the_celery_commands_name_it(
    signing_key: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Celery is an extra: where it is not installed, the queue's commands say how to get it (exit 2)."""
    monkeypatch.setitem(sys.modules, "celery", None)  # `import celery` raises ImportError, as when absent
    monkeypatch.delitem(sys.modules, "conformance.revalidation.queue", raising=False)
    monkeypatch.delattr(revalidation, "queue", raising=False)  # an earlier test's import, kept on the package
    database = f"sqlite:///{tmp_path / 'register.db'}"
    broker = f"redis://127.0.0.1:{free_port()}/0"
    for command in (
        ["revalidate", "--all", "--broker", broker, "--key", str(signing_key)],
        ["worker", "--broker", broker],
        ["beat", "--broker", broker, "--key", str(signing_key)],
    ):
        refused = CliRunner().invoke(main, ["marketplace", "--home", str(tmp_path), "--database", database, *command])
        assert refused.exit_code == 2, refused.output
        assert "pip install 'procurement-conformance[cluster]'" in refused.stderr, refused.output
        assert "Traceback" not in refused.output
