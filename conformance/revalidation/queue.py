"""Re-validation on a Celery cluster: one task per product, Redis as broker and result store.

Every machine that shares the register database and the marketplace folder (at the same paths) can run
`conformance marketplace worker --broker redis://…`; `marketplace revalidate --broker …` enqueues and waits.

- Late acknowledgement, rejected when its worker process is lost, prefetch of one: a worker that dies mid-run
  leaves its message unacknowledged, and Redis delivers it again (`redelivery_after` seconds after delivery).
- A job id per request (the task id): the register keeps one run per job, so a redelivered job whose first
  delivery had concluded records nothing twice.
- A lease per supplier origin in the register: a task whose origin is busy is retried later (not a failure).
- A time limit per run, soft then hard, from the run policy. The soft limit stops the run as Ctrl-C does; a
  stopped run is recorded as an error, never a verdict. The hard limit ends the worker process.
- JSON only, and no secret in a message: a worker uses its own register URL (the message names the register,
  password masked, to refuse a mix-up), and reads the products' credentials from its own environment or files.
"""

import logging
import os
import random
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from celery import Celery
from celery.result import AsyncResult
from celery.schedules import crontab
from kombu.exceptions import OperationalError
from kombu.utils.url import maybe_sanitize_url

from conformance.errors import UsageError
from conformance.marketplace.register.leases import renewed, take
from conformance.marketplace.register.products import Product, Register
from conformance.marketplace.register.publishing import Marketplace, publish_listing
from conformance.marketplace.register.store import shown_url
from conformance.revalidation.job import Revalidated, RunPolicy, revalidate_product
from conformance.timestamps import format_time

DEFAULT_RUN_SECONDS = 3600.0  # a run's budget when the policy sets no --max-time
RUN_MARGIN = 120.0  # start-up, document intake and reports around the engine's own max-time
KILL_AFTER = 60.0  # between the soft limit (the run is stopped) and the hard one (the process is killed)
CONNECT_TIMEOUT = 5.0
POLL_SECONDS = 0.5  # the least time between two polls of the result store
POLLED_PER_SECOND = 100  # outstanding results asked for each second, at most: polls space out as the queue grows
TASK, DUE_TASK, PUBLISH_TASK = "conformance.revalidate", "conformance.revalidate_due", "conformance.publish"
PUBLISH_MINUTES = 10  # how long, at most, a new certificate waits for the listing under beat

app = Celery("conformance", set_as_current=False)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    worker_max_tasks_per_child=1,  # each run in a fresh process, as the local pool does
    worker_hijack_root_logger=False,
    task_track_started=True,
    broker_connection_retry_on_startup=True,
    broker_connection_timeout=CONNECT_TIMEOUT,
    timezone="UTC",
)


class BrokerError(UsageError):
    """The broker cannot be used: not a Redis URL, or unreachable (exit 2)."""


class WrongRegister(Exception):
    """A task meant for another register than this worker's: refused, never run against the wrong database."""


@dataclass(frozen=True)
class Serving:
    """What a worker serves: its register (full URL, password included: never sent in a message) and leases."""

    database: str
    lease_seconds: float


SERVING: list[Serving] = []  # set once in the worker's main process; its forked pool processes inherit it


def connect(broker: str, redelivery_after: float = 6 * 3600) -> Celery:
    """The app on this broker (and result store), checked reachable; BrokerError when it is not.

    Once per process: Celery keeps the result store of the first broker the app was used with.
    """
    if not broker.startswith(("redis://", "rediss://")):
        raise BrokerError(f"the broker must be a Redis URL (redis://host:port/db), not {maybe_sanitize_url(broker)}")
    app.conf.update(
        broker_url=broker,
        result_backend=broker,
        broker_transport_options={
            "visibility_timeout": redelivery_after,
            "unacked_restore_interval": max(1, min(10, int(redelivery_after / 4))),
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": CONNECT_TIMEOUT,
        },
        result_backend_transport_options={"socket_connect_timeout": CONNECT_TIMEOUT},
    )
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=CONNECT_TIMEOUT)
    except (OperationalError, OSError) as exc:
        raise BrokerError(f"cannot reach the broker {maybe_sanitize_url(broker)}: {exc}") from None
    return app


def time_limits(policy: RunPolicy) -> tuple[float, float]:
    """(soft, hard) seconds for one product: every attempt's budget, the backoffs between them, and a margin."""
    each = (policy.max_time or DEFAULT_RUN_SECONDS) + RUN_MARGIN
    backoffs = sum(policy.backoff * 2**i for i in range(policy.attempts - 1))
    soft = each * policy.attempts + backoffs
    return soft, soft + KILL_AFTER


def enqueue(
    products: list[Product], database: str, marketplace: Marketplace, at: str, policy: RunPolicy
) -> dict[str, str]:
    """One task per product, each with a fresh job id; {job id: product key}."""
    soft, hard = time_limits(policy)
    jobs: dict[str, str] = {}
    for product in products:
        request = {
            "key": product.key,
            "at": at,
            "policy": asdict(policy),
            "register": shown_url(database),
            "home": str(marketplace.home),
            "signing_key": str(marketplace.key_path),
        }
        job = str(uuid4())
        app.send_task(TASK, kwargs={"request": request}, task_id=job, soft_time_limit=soft, time_limit=hard)
        jobs[job] = product.key
    return jobs


def poll_interval(outstanding: int) -> float:
    """Seconds until the next poll of `outstanding` results: each poll asks for every one of them, so polling
    every 0.5 s would ask Redis for 20,000 keys a second while 10,000 runs are queued (and grow with the
    square of a batch); at most POLLED_PER_SECOND keys a second keeps the waiting client's traffic linear."""
    return max(POLL_SECONDS, outstanding / POLLED_PER_SECOND)


def arrivals(jobs: dict[str, str]) -> Iterator[tuple[str, Revalidated | BaseException]]:
    """Each product's result as it arrives: one result store round trip per poll, polls spaced by their size."""
    waiting = set(jobs)
    while waiting:
        answered = app.backend.get_many(set(waiting), interval=poll_interval(len(waiting)), max_iterations=1)
        for job, meta in answered:
            waiting.discard(job)
            result = meta["result"]
            if meta["status"] == "SUCCESS":
                yield jobs[job], Revalidated(**result)
            else:
                yield jobs[job], result if isinstance(result, BaseException) else RuntimeError(str(result))
            AsyncResult(job, app=app).forget()


@app.task(bind=True, name=TASK, max_retries=None)
def revalidate_task(self: Any, request: dict[str, Any]) -> dict[str, Any]:
    """Run one product under its origin's lease; retried later, not run, while another run holds the origin."""
    serving = SERVING[0]
    if request["register"] != shown_url(serving.database):
        raise WrongRegister(f"this worker serves the register {shown_url(serving.database)}, not {request['register']}")
    register = Register(serving.database)
    try:
        origin = register.product(request["key"]).origin
        holder = f"{socket.gethostname()}:{os.getpid()}:{self.request.id}"
        if not take(register, origin, holder, serving.lease_seconds):
            raise self.retry(countdown=serving.lease_seconds / 4 + random.uniform(0, 1))
        marketplace = Marketplace(Path(request["home"]), Path(request["signing_key"]))
        policy = RunPolicy(**request["policy"])
        with renewed(register, origin, holder, serving.lease_seconds), soft_limit_stops_the_run():
            done = revalidate_product(
                serving.database, marketplace, request["key"], request["at"], policy, self.request.id
            )
    finally:
        register.engine.dispose()
    return asdict(done)


@contextmanager
def soft_limit_stops_the_run() -> Iterator[None]:
    """Celery's soft limit (SIGUSR1) as Ctrl-C: the run ends with its report written, marked stopped."""

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGUSR1, stop)
    try:
        yield
    except KeyboardInterrupt:
        raise TimeoutError("the run's time limit was reached before it concluded") from None
    finally:
        signal.signal(signal.SIGUSR1, previous)


@app.task(name=DUE_TASK)
def revalidate_due_task(home: str, signing_key: str, policy: dict[str, Any]) -> int:
    """Celery beat's daily job, on a worker: enqueue every product due now in this worker's register."""
    database = SERVING[0].database
    register = Register(database)
    try:
        moment = datetime.now(UTC)
        products = register.due(moment)
    finally:
        register.engine.dispose()
    enqueue(products, database, Marketplace(Path(home), Path(signing_key)), format_time(moment), RunPolicy(**policy))
    return len(products)


@app.task(name=PUBLISH_TASK)
def publish_task(home: str, signing_key: str) -> bool:
    """Celery beat's frequent job: rebuild the listing when certificates were issued since its last build.

    Workers defer new certificates to this (a rebuild per run would grow with the square of the listing);
    revocations are published by the run that makes them.
    """
    return publish_listing(Marketplace(Path(home), Path(signing_key)), datetime.now(UTC), only_if_stale=True)


def start_worker(broker: str, serving: Serving, concurrency: int, redelivery_after: float) -> None:
    """Celery's own worker, in this process (its pool's processes run the tasks); returns when it stops."""
    connect(broker, redelivery_after)
    SERVING[:] = [serving]
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the register's schema check, on every task
    name = f"conformance-{os.getpid()}@{socket.gethostname()}"
    app.worker_main(
        ["worker", "--concurrency", str(concurrency), "--loglevel", "INFO", "--hostname", name,
         "--without-gossip", "--without-mingle"]
    )  # fmt: skip


def start_beat(broker: str, marketplace: Marketplace, policy: RunPolicy, hour: int, minute: int) -> None:
    """Celery beat: `revalidate --due` every day at hour:minute UTC, and the listing republished every few minutes
    when certificates await it (its schedule state kept in the home)."""
    connect(broker)
    where = {"home": str(marketplace.home), "signing_key": str(marketplace.key_path)}
    app.conf.beat_schedule = {
        "publish-listing": {"task": PUBLISH_TASK, "schedule": crontab(minute=f"*/{PUBLISH_MINUTES}"), "kwargs": where},
        "revalidate-due-daily": {
            "task": DUE_TASK,
            "schedule": crontab(hour=hour, minute=minute),
            "kwargs": {**where, "policy": asdict(policy)},
        },
    }
    marketplace.home.mkdir(parents=True, exist_ok=True)
    app.Beat(schedule=str(marketplace.home / "celerybeat-schedule"), loglevel="INFO").run()
