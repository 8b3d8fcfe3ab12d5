"""The benchmark script runs end to end on tiny sizes (no timing is asserted: speed is measured in bench/)."""

import json
import subprocess
import sys
from pathlib import Path


def test_benchmark_runs_end_to_end_in_quick_mode(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((tmp_path / "bench.json").read_text())
    assert {"overhead", "throughput", "scale", "certificates"} <= set(results)
    assert all(row["ratio"] > 0 and row["cpu_ratio"] > 0 for row in results["overhead"]["rounds"])
    assert [row["operations"] for row in results["scale"]] == [10, 100]
    assert "Listing build for 20 certificates" in (tmp_path / "bench.md").read_text()
