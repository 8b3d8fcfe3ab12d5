"""Render benchmark results as the markdown table the README quotes."""

from typing import Any


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"Taken {results['taken_at']} on {m['cpu_count']} cores, {m['memory_gb']} GB, {m['processor']}, "
        f"Python {m['python']}{' (quick mode)' if results['quick'] else ''}.",
        "",
        "**Overhead against `st run`** (fuzzing only, same supplier, seed and examples; alternated):",
        "",
        "| round | harness (s) | st run (s) | ratio | harness CPU (s) | st run CPU (s) | CPU ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for index, row in enumerate(results["overhead"]["rounds"], 1):
        lines.append(
            f"| {index} | {row['harness_s']} | {row['st_s']} | {row['ratio']} "
            f"| {row['harness_cpu_s']} | {row['st_cpu_s']} | {row['cpu_ratio']} |"
        )
    overhead = results["overhead"]
    lines += [
        f"| median | | | **{overhead['median_ratio']}** (target <= {overhead['target']}) "
        f"| | | {overhead['median_cpu_ratio']} |",
        "",
    ]
    lines += [
        "**Throughput** (a demo-sized run, all profiles):",
        "",
        "| workers | seconds | cases | requests | cases/s | requests/s |",
        "|---|---|---|---|---|---|",
    ]
    for row in results["throughput"]:
        lines.append(
            f"| {row['workers']} | {row['seconds']} | {row['cases']} | {row['requests']} | "
            f"{row['cases_per_s']} | {row['requests_per_s']} |"
        )
    lines += [
        "",
        "**Scale** (synthetic documents; load+validate+plan in a fresh process):",
        "",
        "| operations | load+validate (s) | plan (s) | peak memory (MB) | one example per operation (s) "
        "| its peak (MB) |",
        "|---|---|---|---|---|---|",
    ]
    for row in results["scale"]:
        fuzz = row["one_example_per_op_s"] if row["one_example_per_op_s"] is not None else "not run"
        lines.append(
            f"| {row['operations']} | {row['load_validate_s']} | {row['plan_s']} | {row['peak_mb']} | {fuzz} "
            f"| {row.get('fuzz_peak_mb', '')} |"
        )
    cert = results["certificates"]
    lines += [
        "",
        f"**Certificates**: sign {cert['sign_ms_each']} ms, verify {cert['verify_ms_each']} ms each "
        f"({cert['count']} certificates).",
    ]
    lines.append(f"Listing build for {cert['count']} certificates: {cert['listing_s']} s (target < 10 s).")
    if "large_document" in results:
        lines += large_document_lines(results["large_document"])
    return "\n".join(lines) + "\n"


def large_document_lines(row: dict[str, Any]) -> list[str]:
    """The whole harness run on one large document, against `st run` with and without --continue-on-failure."""
    stateful = row["stateful"] or {}
    return [
        "",
        f"**A large document** ({row['operations']} operations, loopback catch-all server, whole run, "
        f"rate limit {row['max_rps'] or 'none'}): harness {row['harness_s']} s, `st run` {row['st_s']} s "
        f"(ratio {row['ratio']}), `st run --continue-on-failure` {row['st_continue_s']} s "
        f"(ratio {row['ratio_to_st_continue']}); {row['harness_cases']} cases; stateful "
        f"{stateful.get('scenarios')} of at most {stateful.get('max_scenarios')} sequences.",
    ]
