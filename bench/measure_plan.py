"""Child process for the scale benchmark: load, validate and plan one synthetic document (and, with
--fuzz, run one example per operation against a generic server), print JSON.

Run in a fresh process so peak memory (ru_maxrss) belongs to this size alone.
"""

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from bench.synthetic import generic_server, synthetic_document
from conformance.fuzzing.engine import FuzzSettings, run_fuzzing
from conformance.fuzzing.planning import plan_run
from conformance.progress import Progress
from conformance.safety import Safety

# One example per operation: the per-operation phases, not the stateful sequences across operations.
PER_OPERATION_PHASES = ("examples", "coverage", "fuzzing")


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("operations", type=int)
    parser.add_argument("--fuzz", action="store_true")
    args = parser.parse_args()
    from conformance.spec import load_spec

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "openapi.json"
        path.write_text(json.dumps(synthetic_document(args.operations)))
        started = time.perf_counter()
        spec = load_spec(str(path))
        loaded = time.perf_counter()
        planned = plan_run(spec.document).fuzzer_operations
        finished = time.perf_counter()
        row = {
            "operations": args.operations,
            "planned": planned,
            "load_validate_s": round(loaded - started, 3),
            "plan_s": round(finished - loaded, 3),
            "total_s": round(finished - started, 3),
            "peak_mb": peak_mb(),
        }
        if args.fuzz:
            with generic_server() as base:
                settings = FuzzSettings(
                    base_url=base,
                    headers={},
                    seed=1,
                    max_examples=1,
                    safety=Safety(max_rps=0),
                    phases=PER_OPERATION_PHASES,
                )
                begun = time.perf_counter()
                report = run_fuzzing(spec.document, settings, Progress())
                row["one_example_per_op_s"] = round(time.perf_counter() - begun, 2)
                row["fuzz_cases"] = report.cases
                row["fuzz_peak_mb"] = peak_mb()
    print(json.dumps(row))


if __name__ == "__main__":
    main()
