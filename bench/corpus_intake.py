"""Child process of the corpus benchmark: take one document through intake and planning, print one JSON line.

Run in a fresh process so that its peak memory (ru_maxrss) belongs to this document alone, and so that
nothing (not even a crash of the interpreter) stops the other documents. Nothing is sent anywhere.
"""

import argparse
import json
import resource
import time
import traceback
from typing import Any

MAX_PROBLEMS_KEPT = 50


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def cpu_s() -> float:
    """CPU seconds so far: steadier than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def intake(path: str, max_mb: int) -> dict[str, Any]:
    """accepted (valid), invalid (loaded, every problem located for EXP-01), refused (exit 2) or crashed."""
    from conformance.errors import SpecError
    from conformance.fuzzing.planning import plan_run
    from conformance.spec import load_spec

    baseline = peak_mb()
    row: dict[str, Any] = {"baseline_mb": baseline}
    started, started_cpu = time.perf_counter(), cpu_s()
    try:
        spec = load_spec(path, max_mb=max_mb)
        loaded, loaded_cpu = time.perf_counter(), cpu_s()
        plan = plan_run(spec.document)
    except SpecError as exc:
        row.update(outcome="refused", reason=str(exc))
        return row
    except Exception:  # what the benchmark exists to find: every one is a bug to fix
        row.update(outcome="crashed", traceback=traceback.format_exc())
        return row
    finished, finished_cpu = time.perf_counter(), cpu_s()
    problems = [str(problem) for problem in spec.problems]
    row.update(
        outcome="invalid" if problems else "accepted",
        flavour=spec.flavour,
        problems=len(problems),
        unlocated=sum(1 for problem in spec.problems if problem.json_path == "$"),
        problem_list=problems[:MAX_PROBLEMS_KEPT],
        operations=len(plan.operations),
        fuzzer_operations=plan.fuzzer_operations,
        unloadable=plan.unloadable,
        load_validate_s=round(loaded - started, 3),
        plan_s=round(finished - loaded, 3),
        load_validate_cpu_s=round(loaded_cpu - started_cpu, 2),
        plan_cpu_s=round(finished_cpu - loaded_cpu, 2),
        peak_mb=peak_mb(),
        intake_mb=round(peak_mb() - baseline, 1),
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--max-document-size", type=int, required=True, help="megabytes, as the harness takes it")
    args = parser.parse_args()
    print(json.dumps(intake(args.path, args.max_document_size)))


if __name__ == "__main__":
    main()
