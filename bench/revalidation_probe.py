"""`python -m bench.revalidation_probe marketplace …`: the `conformance` command line, timed from inside.

The benchmark starts the marketplace's commands through this module so that every process that runs a
product records where its time goes: process start, the task (`revalidate_product`), `execute` inside it,
the engine (`pytest.main`) inside that, report writing, the conclusion (waiting for the publishing lock,
the listing's rebuild) and the SQL statements sent. One JSON line per product goes to $BENCH_PROBE_FILE.

The local pool's children (forked from its forkserver) import this module again (as `__mp_main__`), so the
timers are in place there too; Celery's prefork children inherit them from the worker's main process.
"""

import json
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROBE_FILE = "BENCH_PROBE_FILE"
IMPORTED = time.time()  # before this module's imports: the conformance and SQLAlchemy imports count as start-up

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from conformance.cli.main import main as conformance  # noqa: E402
from conformance.marketplace.register import consequences  # noqa: E402
from conformance.marketplace.register.publishing import Marketplace  # noqa: E402
from conformance.revalidation import job  # noqa: E402
from conformance.run import execution  # noqa: E402
from conformance.run import session as run_session  # noqa: E402

WRITES = ("INSERT", "UPDATE", "DELETE")
task: dict[str, Any] = {}  # the product this process is running now: its spans and statement counts


def process_started() -> float:
    """This process's start (epoch seconds), from /proc: the interpreter's own start-up counts too.

    /proc gives the start in clock ticks since boot; the boot's own time comes from CLOCK_BOOTTIME, not from
    /proc/stat's `btime`, which is whole seconds (its truncation moved every start up to a second earlier).
    """
    ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    since_start = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    return time.time() - since_start


def spanned(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, adding its wall time to the current task's span `name` (spans may repeat: retries)."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            task.setdefault(name, 0.0)
            task[name] += time.perf_counter() - began

    return timed


def begin() -> None:
    task.clear()
    task.update(task_start=time.time(), statements={}, rows_written=0, sql_bytes=0)


def finish(key: str, **extra: Any) -> None:
    """Write the product's line: everything recorded since `begin`."""
    line = {"key": key, "pid": os.getpid(), "process_started": process_started(), "imported": IMPORTED, "ready": READY}
    usage = resource.getrusage(resource.RUSAGE_SELF)  # this process's own CPU: a forked child starts at zero
    line["process_cpu"] = usage.ru_utime + usage.ru_stime
    line |= {**task, "task_end": time.time(), **extra}
    task.clear()
    with open(os.environ[PROBE_FILE], "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")  # one short append per product: whole lines, whatever the writers


def the_task(function: Callable[..., Any]) -> Callable[..., Any]:
    """`revalidate_product` as the local pool's task: one line per product."""

    def timed(database: str, marketplace: Any, key: str, *args: Any, **kwargs: Any) -> Any:
        begin()
        try:
            return function(database, marketplace, key, *args, **kwargs)
        finally:
            finish(key)

    return timed


def on_celery() -> None:
    """A Celery worker: the task is Celery's (lease included), `revalidate_product` a span inside it."""
    from celery import signals

    from conformance.revalidation import queue

    queue.revalidate_product = spanned("revalidate_product", queue.revalidate_product)

    @signals.task_prerun.connect(weak=False)
    def started(**_: Any) -> None:
        begin()

    @signals.task_postrun.connect(weak=False)
    def ended(kwargs: dict[str, Any], state: str, **_: Any) -> None:
        finish(kwargs["request"]["key"], state=state)  # RETRY: its origin was busy, nothing was run


def count_statement(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
    if "statements" not in task:
        return
    verb = statement.lstrip().split(None, 1)[0].upper()
    task["statements"][verb] = task["statements"].get(verb, 0) + 1
    task["sql_bytes"] += len(statement.encode()) + len(repr(parameters).encode())
    if verb in WRITES and cursor.rowcount > 0:
        task["rows_written"] += cursor.rowcount


def timed_lock(original: Callable[[Marketplace], Any]) -> Callable[[Marketplace], Any]:
    @contextmanager
    def locked(self: Marketplace) -> Iterator[None]:
        began = time.perf_counter()
        with original(self):
            task["lock_wait"] = task.get("lock_wait", 0.0) + time.perf_counter() - began
            yield

    return locked


def install() -> None:
    """Put the timers in place in this process (the task itself only where tasks are run: see below)."""
    job.execute = spanned("execute", job.execute)
    execution.pytest.main = spanned("engine", pytest.main)  # type: ignore[attr-defined]
    run_session.write_reports = spanned("write_reports", run_session.write_reports)
    job.conclude = spanned("conclude", job.conclude)
    consequences.rebuild_listing = spanned("rebuild_listing", consequences.rebuild_listing)
    Marketplace.locked = timed_lock(Marketplace.locked)  # type: ignore[method-assign]
    sa.event.listen(sa.engine.Engine, "after_cursor_execute", count_statement)


def wrap_task() -> None:
    """Replace revalidate_product where it is looked up by name. Not in the pool's parent: it pickles the
    function by name, and pickle refuses a name that no longer leads to the object it was given."""
    job.revalidate_product = the_task(job.revalidate_product)


install()
if __name__ == "__mp_main__":  # a local pool worker
    wrap_task()
if __name__ == "__main__" and "worker" in sys.argv[1:]:
    on_celery()
READY = time.time()

if __name__ == "__main__":
    conformance(prog_name="conformance")
