"""The benchmark script runs end to end on tiny sizes (no timing is asserted: speed is measured in bench/)."""

import json
import subprocess
import sys
from pathlib import Path

from bench.revalidation_stage import REDIS
from tests.conftest import unavailable


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


def test_revalidation_benchmark_runs_end_to_end_on_one_product(tmp_path: Path) -> None:
    """Both modes, one product: the Celery workers and the local pool run it, and the probe times it."""
    if not Path(REDIS).exists():
        unavailable(f"no {REDIS}", "apt-get install redis-server")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.revalidation", "--products", "1", "--modes", "celery,local",
         "--databases", "sqlite", "--workers", "1", "--idle-seconds", "1", "--max-examples", "1",
         "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((tmp_path / "revalidation.json").read_text())
    for row in results["configurations"]:
        assert row["outcomes"] == {"conformant": 1} and not row["wrong"], row
        assert row["runs_recorded"] == 1 and row["probe"]["runs"] == 1
        assert 0 < row["probe"]["spans"]["engine"]["median"] < row["probe"]["spans"]["task"]["median"]
    assert [row["mode"] for row in results["configurations"]] == ["celery", "local"]
    local_run_cpu = results["configurations"][1]["probe_lines"][0]["process_cpu"]
    # the run's CPU (in a forkserver's child, which the command never waits for) plus the command's own start-up
    assert local_run_cpu > 0 and results["configurations"][1]["harness_cpu_s"] > local_run_cpu + 0.3
    assert results["configurations"][0]["broker"]["commands_per_product"] > 0
    assert "Sizing: 10,000 products" in (tmp_path / "revalidation.md").read_text()
