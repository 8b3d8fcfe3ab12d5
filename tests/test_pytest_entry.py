"""A supplier's own CI can run the same suite with plain pytest and gets the same verdicts."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from council_supplier import RunningSupplier, serve

from tests.conftest import EXAMPLES, SEED, run_cli, supplier_args


def run_plain_pytest(supplier: RunningSupplier, out: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "conformance.suite",
            "-p",
            "no:cacheprovider",
            "--conformance-spec",
            supplier.spec_url,
            "--conformance-header",
            f"Authorization: Bearer {supplier.token}",
            "--conformance-ca-bundle",
            supplier.ca_bundle,
            "--conformance-max-rps",
            "0",
            "--conformance-seed",
            str(SEED),
            "--conformance-max-examples",
            EXAMPLES,
            "--conformance-out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


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
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 4
    assert "needs --conformance-spec" in proc.stderr
