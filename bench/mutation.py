"""`python -m bench.mutation [--module M ...] [--max-children N]`: how many deliberate defects the tests notice.

Runs mutmut (the `mutation` extra) over the modules that decide a verdict: the checks and their kit, the
verdict rules, the plugin's reading of a check's outcome, the run record and the redactor. mutmut copies the
tree into mutants/ (ignored by git) and runs the fast in-process tests named in pyproject's [tool.mutmut]
against each mutant. Writes bench/latest/mutation.md: the kill rate per module and every survivor's diff.
Slow on two cores (tens of minutes for everything), so it is never part of CI; `--module` narrows it.
"""

import argparse
import fnmatch
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "bench" / "latest" / "mutation.md"

# The mutants measured, as mutmut names them (module, then the function: `x_name` or `xǁClassǁmethod`).
# Of the plugin only the translation of a pytest report into an outcome decides a verdict; its hooks and
# fixtures are wiring, exercised by the end-to-end tests.
MEASURED = {
    "conformance.checks": "conformance.checks.*",
    "conformance.verdicts": "conformance.verdicts.*",
    "conformance.plugin (outcome_of)": "conformance.plugin.x_outcome_of__mutmut_*",
    "conformance.record": "conformance.record.*",
    "conformance.redaction": "conformance.redaction.*",
}

# mutmut's exit codes: a mutant is noticed when its tests failed, timed out or it would not type-check.
NOTICED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}
NOTICED[37] = "type check"
UNNOTICED = {0: "survived", 5: "no tests", 33: "no tests"}


@dataclass
class Tally:
    noticed: int = 0
    survived: int = 0
    not_run: int = 0

    @property
    def rate(self) -> float:
        judged = self.noticed + self.survived
        return self.noticed / judged if judged else 0.0


def module_of(mutant: str) -> str:
    """`conformance.checks.export.x_utf8_problems__mutmut_3` -> `conformance.checks.export`."""
    return mutant.split(".x_")[0].split(".xǁ")[0]


def selected(patterns: list[str]) -> list[str]:
    return patterns or list(MEASURED.values())


def run_mutmut(patterns: list[str], max_children: int) -> int:
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children), *patterns]
    return subprocess.run(command, cwd=ROOT).returncode


def results(patterns: list[str]) -> dict[str, int | None]:
    """Every measured mutant's exit code (None: not run yet), read from mutmut's own records."""
    codes: dict[str, int | None] = {}
    for meta in (ROOT / "mutants").rglob("*.py.meta"):
        for name, code in json.loads(meta.read_text("utf-8"))["exit_code_by_key"].items():
            if any(fnmatch.fnmatchcase(name, p) for p in patterns):
                codes[name] = code
    return codes


def diff_of(mutant: str) -> str:
    """The mutant's change as +/- lines (mutmut's own diff, read in this process: a `mutmut show` per
    survivor costs seconds)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # reads pyproject's [tool.mutmut] from the cwd

    try:
        diff = get_diff_for_mutant(mutant)
    except Exception as exc:  # a mutant from an older tree: say so rather than lose the report
        return f"(no diff: {type(exc).__name__}: {exc})"
    return "\n".join(line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---")))


def report(codes: dict[str, int | None]) -> str:
    tallies: dict[str, Tally] = {}
    survivors: list[tuple[str, str]] = []
    for name in sorted(codes):
        tally = tallies.setdefault(module_of(name), Tally())
        code = codes[name]
        if code is None:
            tally.not_run += 1
        elif code in NOTICED:
            tally.noticed += 1
        else:
            tally.survived += 1
            survivors.append((name, UNNOTICED.get(code, f"exit {code}")))
    total = Tally(*(sum(getattr(t, f) for t in tallies.values()) for f in ("noticed", "survived", "not_run")))
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# Mutation testing ({when})",
        "",
        f"{total.noticed} of {total.noticed + total.survived} mutants killed ({total.rate:.1%}); "
        f"{total.not_run} not run yet.",
        "",
        "| module | killed | survived | not run | kill rate |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for module, t in sorted(tallies.items()):
        rate = f"{t.rate:.1%}" if t.noticed + t.survived else "not run"
        lines.append(f"| {module} | {t.noticed} | {t.survived} | {t.not_run} | {rate} |")
    lines += ["", "## Survivors", ""]
    for name, why in survivors:
        lines += [f"### {name} ({why})", "", "```diff", diff_of(name), "```", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--module",
        action="append",
        default=[],
        help="a module to mutate, e.g. conformance.redaction or conformance.checks.export (repeatable)",
    )
    parser.add_argument("--max-children", type=int, default=1, help="mutants tested at once (default 1)")
    parser.add_argument("--report-only", action="store_true", help="write the report from the last run")
    parser.add_argument(
        "--survivors", action="store_true", help="retest only the last run's survivors (after adding tests)"
    )
    args = parser.parse_args()
    patterns = selected([MEASURED.get(f"{m} (outcome_of)", f"{m}.*") for m in args.module])
    os.chdir(ROOT)
    if args.survivors:
        again = [name for name, code in results(patterns).items() if code is not None and code not in NOTICED]
        if again:
            run_mutmut(again, args.max_children)
    elif not args.report_only:
        run_mutmut(patterns, args.max_children)
    codes = results(patterns)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report(codes), "utf-8")
    counted = Counter(NOTICED.get(c, UNNOTICED.get(c, "not run")) for c in codes.values())  # type: ignore[arg-type]
    print(f"{REPORT.relative_to(ROOT)}: {dict(counted)}")


if __name__ == "__main__":
    main()
