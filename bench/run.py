"""`python -m bench.run [--quick] [--out DIR]`: measure the harness's speed, cost and scale.

Writes DIR/bench.json and DIR/bench.md (default bench/latest/, ignored by git). Ratios are taken within
one run, alternating the tools, because these machines are small and noisy.
"""

import argparse
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import large_document, sections
from bench.report import markdown


def machine() -> dict[str, Any]:
    memory_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return {
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "memory_gb": round(memory_kb / 2**20, 1),
        "platform": platform.platform(),
        "processor": platform.machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script runs end to end")
    parser.add_argument("--out", type=Path, default=Path("bench/latest"))
    parser.add_argument("--document", type=Path, help="a large document to run whole (default: synthetic)")
    args = parser.parse_args()
    quick = args.quick
    results: dict[str, Any] = {
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "quick": quick,
    }
    print("overhead against st run ...", flush=True)
    results["overhead"] = sections.overhead(rounds=2 if quick else 10, examples=3 if quick else 25, seed=7)
    print("throughput ...", flush=True)
    results["throughput"] = sections.throughput(examples=3 if quick else 25, seed=7)
    print("scale ...", flush=True)
    results["scale"] = sections.scale([10, 100] if quick else [10, 100, 1000, 5000], run_limit=100 if quick else 5000)
    print("certificates ...", flush=True)
    results["certificates"] = sections.certificates(count=20 if quick else 1000)
    if not quick:  # minutes: left out of the smoke run
        print("a large document, whole run against st run ...", flush=True)
        results["large_document"] = large_document.measure(args.document, large_document.LARGE_SYNTHETIC)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "bench.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
