"""`python -m bench.revalidation [--products 200] [--modes celery,local] [--workers 1,2,4]`: re-validate many
short-lived products with 1, 2 and 4 workers; products per minute, scaling efficiency, where each run's time
goes, broker and database traffic, and a sizing for 10,000 products a night.

Each configuration gets fresh suppliers, a fresh register (SQLite file or a new PostgreSQL database on
CONFORMANCE_TEST_POSTGRES) and, for Celery, its own redis-server and workers. Writes DIR/revalidation.json and
DIR/revalidation.md (default bench/latest/, ignored by git). Slow: never in CI (a smoke test runs it tiny).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import revalidation_figures as figures
from bench import revalidation_stage as stage
from bench.revalidation_report import markdown
from bench.run import machine
from bench.timing import Timed, timed

RUN_TIMEOUT = 6 * 3600.0


def revalidate_command(home: Path, database: str, key: Path, args: argparse.Namespace) -> list[str]:
    return [
        *stage.PROBE, "marketplace", "--home", str(home), "--database", database,
        "revalidate", "--all", "--key", str(key), "--max-examples", str(args.max_examples),
        "--attempts", "2", "--retry-backoff", "1",
    ]  # fmt: skip


def broker_snapshot(port: int) -> dict[str, Any]:
    stats = stage.redis_info(port, "stats") or {}
    commandstats = stage.redis_info(port, "commandstats") or {}
    commands = {
        name.removeprefix("cmdstat_"): int(value.split(",")[0].removeprefix("calls="))
        for name, value in commandstats.items()
    }
    return {
        "commands": commands,
        "net_in": int(stats.get("total_net_input_bytes", 0)),
        "net_out": int(stats.get("total_net_output_bytes", 0)),
    }


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def configuration(mode: str, database_kind: str, workers: int, args: argparse.Namespace, key: Path) -> dict[str, Any]:
    """One measured re-validation of every product: fresh suppliers, register and (Celery) broker."""
    print(f"{mode}, {database_kind}, {workers} workers: {args.products} products ...", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="revalbench-") as scratch,
        stage.suppliers(args.servers) as servers,
        stage.register_database(database_kind, Path(scratch)) as database,
    ):
        home = Path(scratch) / "marketplace"
        probe = Path(scratch) / "probe.jsonl"
        expected = stage.fill(database, servers, args.products)
        environment = {**os.environ, **stage.credentials_environment(servers[0]), "BENCH_PROBE_FILE": str(probe)}
        row: dict[str, Any] = {"mode": mode, "database": database_kind, "workers": workers}
        row["load_before"] = [round(x, 2) for x in os.getloadavg()]
        cpu_before, suppliers_before = children_cpu(), own_cpu()
        command = revalidate_command(home, database, key, args)
        began = time.time()
        if mode == "local":
            run = timed([*command, "--workers", str(workers)], RUN_TIMEOUT, env=environment, cwd=stage.REPO)
        else:
            register = (home, database)
            run, began = on_celery(row, command, workers, register, environment, Path(scratch), args.idle_seconds)
        row["load_after"] = [round(x, 2) for x in os.getloadavg()]
        harness_cpu = children_cpu() - cpu_before
        row["suppliers_cpu_s"] = round(own_cpu() - suppliers_before, 1)
        row["wall_s"] = round(run.seconds, 1)
        row["exit_code"] = run.returncode
        row["stderr_tail"] = run.stderr[-1500:] if run.returncode not in (0, 1) else ""
        row["products_per_min"] = round(args.products / run.seconds * 60, 2)
        row |= figures.verdicts(run.stdout, expected)
        row |= {"began": began, "expected": expected, "probe_lines": figures.probe_lines(probe)}
        if mode == "local":  # its runs fork from a forkserver the command never waits for: count them from inside
            harness_cpu += sum(line["process_cpu"] for line in row["probe_lines"])
        row["harness_cpu_s"] = round(harness_cpu, 1)
        measured(row)
        row |= stored(database, args.products)
        row["reports_kb_per_product"] = round(folder_bytes(home / "reports") / args.products / 1024, 1)
        if row.get("broker"):
            row["broker"] = figures.broker_traffic(row["broker"]["before"], row["broker"]["after"], args.products)
    print(f"  {row['wall_s']} s, {row['products_per_min']} products/min, outcomes {row['outcomes']}", flush=True)
    return row


def measured(row: dict[str, Any]) -> None:
    """The figures computed from a configuration's probe lines (again, with --render)."""
    lines = row["probe_lines"]
    row["probe"] = figures.per_run(lines, row["workers"], row["wall_s"], row["began"])
    row["publishing"] = figures.publishing(lines, row["expected"])


def on_celery(
    row: dict[str, Any],
    command: list[str],
    workers: int,
    register: tuple[Path, str],
    environment: dict[str, str],
    scratch: Path,
    idle_seconds: float,
) -> tuple[Timed, float]:
    """Workers ready on a private broker; their idle traffic, then the run timed from enqueue to last result
    (and when it began, epoch seconds)."""
    home, database = register
    with stage.redis_server() as port:
        broker = f"redis://127.0.0.1:{port}/0"
        with stage.celery_workers(workers, home, database, broker, environment, scratch):
            quiet = broker_snapshot(port)
            time.sleep(idle_seconds)
            idle = figures.broker_traffic(quiet, broker_snapshot(port), 1)
            row["broker_idle"] = {
                "commands_per_worker_hour": round(idle["commands"] / workers / idle_seconds * 3600),
                "kb_per_worker_hour": round((idle["bytes_in"] + idle["bytes_out"]) / workers / idle_seconds * 3.6, 1),
            }
            before = broker_snapshot(port)
            began = time.time()
            run = timed([*command, "--broker", broker], RUN_TIMEOUT, env=environment, cwd=stage.REPO)
            row["broker"] = {"before": before, "after": broker_snapshot(port)}
    return run, began


def stored(database: str, products: int) -> dict[str, Any]:
    """What the register holds afterwards: runs per product (exactly one each) and the stored records' size."""
    engine = sa.create_engine(database)
    with engine.connect() as db:
        per_product = db.execute(sa.text("SELECT product_key, count(*) FROM runs GROUP BY product_key")).all()
        record_bytes = db.execute(sa.text("SELECT coalesce(sum(length(record)), 0) FROM runs")).scalar() or 0
    engine.dispose()
    return {
        "runs_recorded": sum(count for _, count in per_product),
        "products_not_run_once": products - sum(1 for _, count in per_product if count == 1),
        "stored_record_kb_per_product": round(record_bytes / products / 1024, 1),
    }


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) if folder.exists() else 0


def kept(path: Path, results: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The configurations measured earlier with the same sizes, then these (a configuration measured again
    replaces its earlier figures): a shared machine's benchmark can be taken a few configurations at a time."""
    sizes = ("products", "servers", "max_examples")
    earlier = json.loads(path.read_text()) if path.exists() else {}
    if any(earlier.get(size) != results[size] for size in sizes):
        raise SystemExit(f"--keep: {path} is missing or was taken with other sizes ({', '.join(sizes)})")

    def name(row: dict[str, Any]) -> tuple[str, str, int]:
        return row["mode"], row["database"], row["workers"]

    new = {name(row) for row in rows}
    return [row for row in earlier["configurations"] if name(row) not in new] + rows


def listed(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--servers", type=int, help="supplier origins the products share (default: products / 5)")
    parser.add_argument("--modes", default="celery,local", help="celery (workers on a Redis broker), local (pool)")
    parser.add_argument("--databases", default="postgresql", help="postgresql (CONFORMANCE_TEST_POSTGRES), sqlite")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--max-examples", type=int, default=2)
    parser.add_argument("--night-hours", type=float, default=8.0, help="the nightly window the sizing assumes")
    parser.add_argument("--sizing-products", type=int, default=10_000)
    parser.add_argument("--idle-seconds", type=float, default=5.0, help="Celery workers idle (broker traffic)")
    parser.add_argument("--keep", action="store_true", help="add to OUT/revalidation.json's figures")
    parser.add_argument("--render", action="store_true", help="only compute and write again from OUT's json")
    parser.add_argument("--out", type=Path, default=Path("bench/latest"))
    args = parser.parse_args()
    args.servers = args.servers or max(1, args.products // 5)
    modes, kinds, counts = listed(args.modes), listed(args.databases), [int(x) for x in listed(args.workers)]
    if not set(modes) <= {"celery", "local"} or not set(kinds) <= {"postgresql", "sqlite"}:
        parser.error("--modes takes celery and/or local, --databases postgresql and/or sqlite")
    results: dict[str, Any] = {
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "products": args.products,
        "servers": args.servers,
        "max_examples": args.max_examples,
        "defects": list(stage.DEFECTS),
        "defective_every": stage.DEFECTIVE_EVERY,
    }
    if args.render:
        earlier = json.loads((args.out / "revalidation.json").read_text())
        for row in earlier["configurations"]:
            measured(row)
        write(earlier, earlier["configurations"], args)
        return
    with tempfile.TemporaryDirectory(prefix="revalbench-keys-") as keys:
        subprocess.run([sys.executable, "-m", "conformance", "keys", "generate", "--out", keys], check=True)
        key = Path(keys) / "signing.private.pem"
        rows = [configuration(mode, kind, n, args, key) for mode in modes for kind in kinds for n in counts]
    if args.keep:
        rows = kept(args.out / "revalidation.json", results, rows)
    write(results, rows, args)


def write(results: dict[str, Any], rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    figures.scaling(rows)
    results["configurations"] = rows
    results["sizing"] = figures.sizing(rows, args.sizing_products, args.night_hours)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "revalidation.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "revalidation.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
