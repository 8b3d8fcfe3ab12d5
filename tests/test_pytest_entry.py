"""A supplier's own CI can run the same suite with plain pytest and gets the same verdicts."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.demo import serve
from tests.conftest import SEED, run_cli, run_plain_pytest, supplier_args


@pytest.mark.parametrize("variant", ["conformant", "server-error"])
def test_plain_pytest_and_cli_agree(variant: str, tmp_path: Path) -> None:
    with serve(variant) as supplier:
        plain = run_plain_pytest(supplier, tmp_path / "plain", tmp_path)
    with serve(variant) as supplier:
        cli = run_cli(supplier_args(supplier), tmp_path / "cli")
    assert plain.returncode == cli.code, plain.stdout + plain.stderr
    plain_record = json.loads((tmp_path / "plain" / "results.json").read_text("utf-8"))
    plain_outcomes = {r["id"]: r["outcome"] for p in plain_record["profiles"] for r in p["requirements"]}
    assert plain_outcomes == cli.outcomes()
    plain_findings = {
        (f["requirement"], f["operation"], f["check"], f["title"]) for f in plain_record["fuzzing"]["findings"]
    }
    assert plain_findings == cli.finding_keys()
    assert f"seed: {SEED}" in plain.stdout


def test_suite_without_spec_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.checks", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 4
    assert "need --conformance-spec" in proc.stderr
