"""Figures from one re-validation configuration, and the sizing that follows from all of them.

Per run, from the probe's lines: start-up (process start to task start), the task, `execute` inside it and
the engine (`pytest.main`) inside that. The harness's own overhead is the task's time outside the engine.
"""

import json
import math
import statistics
from pathlib import Path
from typing import Any

OUTCOME = {"conformant": "conformant"}  # every other variant serves a MUST defect: not conformant
TARGET_OVERHEAD = 0.10


def expected_outcome(variant: str) -> str:
    return OUTCOME.get(variant, "not-conformant")


def parse_output(stdout: str) -> dict[str, tuple[str, str]]:
    """{key: (outcome, problem)} from `revalidate`'s lines ("KEY: OUTCOME (problem) -> status; report")."""
    results = {}
    for line in stdout.splitlines():
        key, sep, rest = line.partition(": ")
        if not sep or " " in key:
            continue
        if rest.startswith("not concluded: "):
            results[key] = ("not concluded", rest.removeprefix("not concluded: "))
            continue
        outcome, _, after = rest.partition(" ")
        problem = after[1 : after.find(")")] if after.startswith("(") else ""
        results[key] = (outcome, problem)
    return results


def verdicts(stdout: str, expected: dict[str, str]) -> dict[str, Any]:
    """Outcome counts, every product whose outcome is not its variant's, and the distinct problems."""
    results = parse_output(stdout)
    counts: dict[str, int] = {}
    for outcome, _ in results.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    outcome_of = {key: results.get(key, ("missing", ""))[0] for key in expected}
    wrong = sorted(key for key, variant in expected.items() if outcome_of[key] != expected_outcome(variant))
    return {
        "outcomes": counts,
        "missing": sorted(set(expected) - set(results)),
        "wrong": [f"{key} ({expected[key]}): {outcome_of[key]}" for key in wrong],
        "problems": sorted({problem[:200] for _, problem in results.values() if problem}),
    }


def probe_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"median": 0.0, "p90": 0.0, "mean": 0.0}
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 3),
        "p90": round(ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)], 3),
        "mean": round(statistics.fmean(ordered), 3),
    }


def per_run(lines: list[dict[str, Any]], workers: int, wall: float, began: float) -> dict[str, Any]:
    """Where each run's time goes, and how much of the workers' time was spent in runs at all.

    Start-up counts from the process's start, or from `began` (the run's command started) for a Celery
    worker's process that was already waiting: a warm worker's wait for the first task is no cost."""
    runs = [line for line in lines if "execute" in line and line.get("state", "SUCCESS") != "RETRY"]
    spans: dict[str, list[float]] = {name: [] for name in PARTS}
    for line in runs:
        task = line["task_end"] - line["task_start"]
        spans["startup"].append(line["task_start"] - max(line["process_started"], began))
        spans["task"].append(task)
        spans["outside_execute"].append(task - line["execute"])
        spans["execute_outside_engine"].append(line["execute"] - line["engine"])
        spans["outside_engine"].append(task - line["engine"])
        for name in ("engine", "write_reports", "conclude", "lock_wait", "rebuild_listing"):
            spans[name].append(line.get(name, 0.0))
        if "revalidate_product" in line:
            spans["lease_and_queue"].append(task - line["revalidate_product"])
    total_task = sum(spans["task"]) or 1.0
    statements: dict[str, int] = {}
    for line in runs:
        for verb, count in line["statements"].items():
            statements[verb] = statements.get(verb, 0) + count
    count = len(runs) or 1
    return {
        "runs": len(runs),
        "lease_retries": sum(1 for line in lines if line.get("state") == "RETRY"),
        "spans": {name: summary(values) for name, values in spans.items() if values},
        "share_outside_engine": round(sum(spans["outside_engine"]) / total_task, 4),
        "share_outside_execute": round(sum(spans["outside_execute"]) / total_task, 4),
        "share_startup": round(sum(spans["startup"]) / (sum(spans["startup"]) + total_task), 4),
        "share_startup_and_outside_engine": round(
            (sum(spans["startup"]) + sum(spans["outside_engine"])) / (sum(spans["startup"]) + total_task), 4
        ),
        "utilisation": round(sum(spans["task"]) / (workers * wall), 4) if wall else 0.0,
        "statements_per_product": {verb: round(n / count, 2) for verb, n in sorted(statements.items())},
        "rows_written_per_product": round(sum(line["rows_written"] for line in runs) / count, 2),
        "sql_kb_per_product": round(sum(line["sql_bytes"] for line in runs) / count / 1024, 1),
    }


PARTS = (
    "startup",
    "task",
    "lease_and_queue",
    "outside_execute",
    "execute_outside_engine",
    "outside_engine",
    "engine",
    "write_reports",
    "conclude",
    "lock_wait",
    "rebuild_listing",
)


def publishing(lines: list[dict[str, Any]], expected: dict[str, str]) -> dict[str, Any] | None:
    """How the listing's rebuild (in every conclusion, under the publishing lock) grows with what is listed:
    a straight line through (conformant products concluded before, rebuild seconds)."""
    runs = sorted((line for line in lines if "rebuild_listing" in line), key=lambda line: line["task_end"])
    if len(runs) < 3:
        return None
    listed, xs = 0, []
    for line in runs:
        xs.append(listed)
        listed += expected_outcome(expected.get(line["key"], "")) == "conformant"
    if len(set(xs)) < 2:
        return None
    fit = statistics.linear_regression(xs, [line["rebuild_listing"] for line in runs])
    share = sum(expected_outcome(variant) == "conformant" for variant in expected.values()) / len(expected)
    return {"intercept_s": round(fit.intercept, 4), "per_listed_ms": round(fit.slope * 1000, 3), "listed_share": share}


def broker_traffic(before: dict[str, Any], after: dict[str, Any], products: int) -> dict[str, Any]:
    """Redis commands and bytes between two INFO snapshots, in all and per product."""
    commands = {
        name: after["commands"].get(name, 0) - before["commands"].get(name, 0)
        for name in after["commands"]
        if after["commands"].get(name, 0) - before["commands"].get(name, 0) > 0
    }
    received = after["net_in"] - before["net_in"]
    sent = after["net_out"] - before["net_out"]
    return {
        "commands": sum(commands.values()),
        "by_command": dict(sorted(commands.items(), key=lambda item: -item[1])),
        "bytes_in": received,
        "bytes_out": sent,
        "commands_per_product": round(sum(commands.values()) / products, 1),
        "kb_per_product": round((received + sent) / products / 1024, 1),
    }


def scaling(configurations: list[dict[str, Any]]) -> None:
    """Add each configuration's efficiency against the one-worker run of the same mode and database."""
    for row in configurations:
        single = next(
            (
                other
                for other in configurations
                if (other["mode"], other["database"], other["workers"]) == (row["mode"], row["database"], 1)
            ),
            None,
        )
        row["efficiency"] = (
            round(row["products_per_min"] / (row["workers"] * single["products_per_min"]), 3) if single else None
        )


def sizing(configurations: list[dict[str, Any]], products: int, night_hours: float) -> dict[str, Any] | None:
    """10,000 products a night, from the best measured configuration (Celery and PostgreSQL first)."""
    ranked = sorted(
        (row for row in configurations if row["products_per_min"]),
        key=lambda row: (row["mode"] != "celery", row["database"] != "postgresql", -row["products_per_min"]),
    )
    if not ranked:
        return None
    best = ranked[0]
    night_minutes = night_hours * 60
    per_machine = best["products_per_min"] * night_minutes
    machines = math.ceil(products / per_machine)
    run_seconds = best["probe"]["spans"].get("task", {}).get("median", 0.0)
    broker = best.get("broker") or {}
    idle = best.get("broker_idle") or {}
    db = best["probe"]
    return {
        "products": products,
        "night_hours": night_hours,
        "from": f"{best['mode']}, {best['database']}, {best['workers']} workers",
        "products_per_min": best["products_per_min"],
        "per_machine_per_night": round(per_machine),
        "machines": machines,
        "workers": machines * best["workers"],
        "run_seconds": run_seconds,
        "max_products_per_origin": math.floor(night_hours * 3600 / run_seconds) if run_seconds else None,
        "broker_messages": round(broker["commands_per_product"] * products) if broker else None,
        "broker_mb": round(broker["kb_per_product"] * products / 1024, 1) if broker else None,
        "broker_idle_commands_per_worker_hour": idle.get("commands_per_worker_hour"),
        "statements": round(sum(db["statements_per_product"].values()) * products),
        "rows_written": round(db["rows_written_per_product"] * products),
        "sql_mb": round(db["sql_kb_per_product"] * products / 1024, 1),
        "stored_record_mb": round(best["stored_record_kb_per_product"] * products / 1024, 1),
        "reports_gb": round(best["reports_kb_per_product"] * products / 1024**2, 2),
        "publishing_hours": serial_publishing_hours(best.get("publishing"), products),
    }


def serial_publishing_hours(fit: dict[str, Any] | None, products: int) -> float | None:
    """Hours of listing rebuilds a night, one after another under the publishing lock, as the listing fills:
    the sum over k of (intercept + slope x listed share x k)."""
    if not fit:
        return None
    slope = max(0.0, fit["per_listed_ms"] / 1000) * fit["listed_share"]
    return round((products * fit["intercept_s"] + slope * products * (products - 1) / 2) / 3600, 1)
