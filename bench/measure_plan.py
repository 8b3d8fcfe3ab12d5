"""Child process for the scale benchmark: load, validate and plan one synthetic document, print JSON.

Run in its own process so peak memory (ru_maxrss) belongs to this size alone.
"""

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.synthetic import synthetic_document
from conformance.fuzzing import FuzzSettings, build_schema
from conformance.safety import Safety
from conformance.spec import load_spec


def main(operations: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "openapi.json"
        path.write_text(json.dumps(synthetic_document(operations)))
        started = time.perf_counter()
        spec = load_spec(str(path))
        loaded = time.perf_counter()
        settings = FuzzSettings(base_url="http://127.0.0.1:9", headers={}, seed=1, max_examples=1, safety=Safety())
        schema = build_schema(spec.document, settings)
        planned = sum(1 for result in schema.get_all_operations() if result.ok())
        finished = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "operations": operations,
                "planned": planned,
                "load_validate_s": round(loaded - started, 3),
                "plan_s": round(finished - loaded, 3),
                "total_s": round(finished - started, 3),
                "peak_mb": round(peak_mb, 1),
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
