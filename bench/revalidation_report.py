"""Render the re-validation benchmark as markdown: throughput and scaling, where a run's time goes, traffic,
what went wrong if anything, and the sizing for a national marketplace's night."""

from typing import Any

from bench.revalidation_figures import TARGET_OVERHEAD

SPAN_LABELS = {
    "startup": "process start to task start (spawn/fork, imports, waiting for the task)",
    "task": "the task (a run, start to end)",
    "lease_and_queue": "of which the Celery task around `revalidate_product` (register, lease)",
    "outside_execute": "of which outside `execute` (register, folders, conclusion)",
    "execute_outside_engine": "of which inside `execute`, outside the engine (settings, document intake)",
    "outside_engine": "the task outside the engine (the two above)",
    "engine": "the engine (`pytest.main`: checks, fuzzing, reports)",
    "write_reports": "of which writing results.json, junit.xml, report.html",
    "conclude": "concluding in the register (store, certify, publish)",
    "lock_wait": "of which waiting for the publishing lock",
    "rebuild_listing": "of which rebuilding the listing",
}


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    rows = results["configurations"]
    lines = [
        f"Taken {results['taken_at']} on {m['cpu_count']} cores, {m['memory_gb']} GB, {m['processor']}, "
        f"Python {m['python']}: {results['products']} products over {results['servers']} reference suppliers "
        f"on loopback ports (one in {results['defective_every']} serves a MUST defect: "
        f"{', '.join(results['defects'])}), all profiles, --max-examples {results['max_examples']}.",
        "",
        "| mode | register | workers | wall (s) | products/min | efficiency | harness CPU (s) | suppliers CPU (s) "
        "| load before / after | outcomes | wrong verdicts | runs recorded |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        outcomes = ", ".join(f"{n} {name}" for name, n in sorted(row["outcomes"].items()))
        efficiency = row["efficiency"] if row["efficiency"] is not None else "-"
        lines.append(
            f"| {row['mode']} | {row['database']} | {row['workers']} | {row['wall_s']} | **{row['products_per_min']}** "
            f"| {efficiency} | {row['harness_cpu_s']} | {row['suppliers_cpu_s']} "
            f"| {row['load_before'][0]} / {row['load_after'][0]} | {outcomes} | {len(row['wrong'])} "
            f"| {row['runs_recorded']} ({row['products_not_run_once']} not exactly once) |"
        )
    lines += ["", "Efficiency: products/min with N workers / (N x products/min with 1)."]
    lines += problems(rows)
    lines += overhead(rows)
    lines += traffic(rows)
    if results["sizing"]:
        lines += sizing(results["sizing"])
    return "\n".join(lines) + "\n"


def problems(rows: list[dict[str, Any]]) -> list[str]:
    found = [row for row in rows if row["wrong"] or row["problems"] or row["missing"] or row["stderr_tail"]]
    lines = []
    for row in found:
        lines += [
            "",
            f"**Problems, {row['mode']}, {row['database']}, {row['workers']} workers** (exit {row['exit_code']}):",
        ]
        lines += [f"- wrong verdict: {item}" for item in row["wrong"][:20]]
        lines += [f"- no result for: {', '.join(row['missing'][:20])}"] if row["missing"] else []
        lines += [f"- `{problem}`" for problem in row["problems"][:10]]
        lines += [f"- stderr: `{row['stderr_tail'][-300:]}`"] if row["stderr_tail"] else []
    return lines


def overhead(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        f"**Where a run's time goes** (median / p90 seconds per run; the harness's own overhead is the task's "
        f"time outside the engine, target < {TARGET_OVERHEAD:.0%} of the task):",
        "",
        "| part | " + " | ".join(f"{r['mode']} {r['database']} {r['workers']}w" for r in rows) + " |",
        "|---|" + "---|" * len(rows),
    ]
    for name, label in SPAN_LABELS.items():
        cells = []
        for row in rows:
            span = row["probe"]["spans"].get(name)
            cells.append(f"{span['median']} / {span['p90']}" if span else "-")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for key, label in (
        ("share_outside_engine", "task outside the engine, share of the task"),
        ("share_outside_execute", "task outside `execute`, share of the task"),
        ("share_startup", "start-up, share of start-up + task"),
        ("share_startup_and_outside_engine", "start-up and the task outside the engine, share of start-up + task"),
        ("utilisation", "workers' time spent in tasks (sum of tasks / (N x wall))"),
    ):
        cells = []
        for row in rows:
            value = row["probe"][key]
            mark = "" if key.startswith("utilisation") or value < TARGET_OVERHEAD else " (over 10%)"
            cells.append(f"{value:.1%}{mark}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    for row in rows:
        if row.get("publishing"):
            fit = row["publishing"]
            lines.append(
                f"- {row['mode']}, {row['database']}, {row['workers']} workers: each conclusion rebuilds the listing "
                f"under the publishing lock in {fit['intercept_s']} s + {fit['per_listed_ms']} ms per product "
                "already listed (least squares over the runs in the order they concluded)."
            )
    return lines


def traffic(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "**Traffic per product** (SQL counted by the probe in the process that ran it; broker from Redis INFO "
        "over the whole run, the client's result polling and the workers' idle polling included):",
        "",
        "| mode | register | workers | SQL statements | rows written | SQL sent (KB) | stored record (KB) "
        "| reports on disk (KB) | broker commands | broker KB | lease retries |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        probe = row["probe"]
        statements = ", ".join(f"{n} {verb}" for verb, n in probe["statements_per_product"].items())
        broker = row.get("broker") or {}
        lines.append(
            f"| {row['mode']} | {row['database']} | {row['workers']} | {statements} "
            f"| {probe['rows_written_per_product']} | {probe['sql_kb_per_product']} "
            f"| {row['stored_record_kb_per_product']} | {row['reports_kb_per_product']} "
            f"| {broker.get('commands_per_product', '-')} | {broker.get('kb_per_product', '-')} "
            f"| {probe['lease_retries']} |"
        )
    for row in rows:
        if row.get("broker_idle"):
            idle = row["broker_idle"]
            top = ", ".join(f"{name} {n}" for name, n in list(row["broker"]["by_command"].items())[:6])
            lines.append(
                f"\nCelery, {row['database']}, {row['workers']} workers: idle, each worker costs "
                f"{idle['commands_per_worker_hour']} broker commands ({idle['kb_per_worker_hour']} KB) an hour; "
                f"during the run, the most frequent commands: {top}."
            )
    return lines


def sizing(s: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"**Sizing: {s['products']:,} products in a night of {s['night_hours']:g} hours**, from {s['from']} "
        f"({s['products_per_min']} products/min on this 2-core machine, runs of {s['run_seconds']} s median):",
        "",
        f"- machines like this one: **{s['machines']}** ({s['per_machine_per_night']:,} products each a night), "
        f"**{s['workers']} workers** in all;",
        f"- one run at a time per supplier origin: an origin can carry at most {s['max_products_per_origin']} "
        "products a night at this run length;",
    ]
    if s["broker_messages"] is not None:
        lines.append(
            f"- broker: about {s['broker_messages']:,} Redis commands and {s['broker_mb']} MB a night for the "
            f"products, plus {s['broker_idle_commands_per_worker_hour']} commands per idle worker-hour;"
        )
    lines += [
        f"- register: about {s['statements']:,} SQL statements, {s['rows_written']:,} rows written and "
        f"{s['sql_mb']} MB sent a night; the stored records add {s['stored_record_mb']} MB a night to the database;",
        f"- reports on the shared marketplace folder: {s['reports_gb']} GB a night.",
    ]
    if s.get("publishing_hours") is not None:
        verdict = "more than the night" if s["publishing_hours"] > s["night_hours"] else "within the night"
        lines.append(
            f"- publishing: rebuilding the listing in every conclusion, one at a time under the lock, as the "
            f"listing fills to {s['products']:,} products, takes **{s['publishing_hours']} hours** ({verdict}), "
            "whatever the number of workers."
        )
    lines += [
        "",
        "Runs of real products are longer (default --max-examples 25, the default request rate limit, real "
        "networks): machines and workers scale with the run's length; the traffic per product does not.",
    ]
    return lines
