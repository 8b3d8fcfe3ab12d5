"""Safe and robust against hostile, broken or live targets: no damage, no leaks, no lost results."""

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from hostile_supplier import serve_hostile

from conformance.demo import serve
from tests.conftest import CliRun, run_cli, supplier_args


def test_hostile_supplier_run_completes_names_each_problem_and_stays_on_loopback(tmp_path: Path) -> None:
    with serve_hostile() as hostile:
        started = time.monotonic()
        result = run_cli(
            [
                "run",
                "--spec",
                hostile.url("/openapi.json"),
                "--max-examples",
                "2",
                "--seed",
                "5",
                "--request-timeout",
                "1",
                "--max-time",
                "40",
                "--max-rps",
                "0",
                "--profile",
                "open-standard-export",
            ],
            tmp_path,
        )
        elapsed = time.monotonic() - started
        stolen = list(hostile.elsewhere.hits)
    assert result.code == 1, result.stderr[-2000:]  # its defects fail EXP-03..06 at least
    assert result.results["verdict"] != "conformant"
    assert elapsed < 40 + 20, "the run must stop within its time limit (plus start-up and reporting)"
    assert stolen == [], "nothing may be sent to the other host"
    for operation, sign in [
        ("GET /slow", "timed out"),
        ("GET /endless", "larger than"),
        ("GET /reset", "Connection"),
        ("GET /redirect", "Undocumented status code"),
        ("GET /invalid-json", "JSON deserialization error"),
        ("GET /wrong-type", "Undocumented Content-Type"),
    ]:
        assert any(operation in line and sign in line for line in _lines(result)), f"{operation}: {sign}"
    assert "GET /node" not in " ".join(result.results["fuzzing"]["errors"]), "recursive schemas are legitimate"
    assert result.peak_mb < 600, (
        f"peak memory {result.peak_mb:.0f} MB: response bodies must not be buffered past the cap"
    )


def _lines(result: CliRun) -> list[str]:
    """Every finding and error line in the run record."""
    record = result.results
    findings = [f"{f['operation']}: {f['title']}: {f['message']}" for f in record["fuzzing"]["findings"]]
    return findings + record["fuzzing"]["errors"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("/bomb.yaml", "alias bomb"),
        ("/remote-ref.json", "--allow-ref-host 127.0.0.2"),
        ("/file-ref.json", "may not read local files"),
    ],
)
def test_poisoned_documents_are_refused_cleanly(document: str, message: str, tmp_path: Path) -> None:
    with serve_hostile() as hostile:
        result = run_cli(["run", "--spec", hostile.url(document)], tmp_path)
        stolen = list(hostile.elsewhere.hits)
    assert result.code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert stolen == []


def test_read_only_sends_only_safe_methods_and_never_passes_write_checks(tmp_path: Path) -> None:
    with serve("conformant") as supplier:
        result = run_cli(supplier_args(supplier, "--read-only"), tmp_path)
        methods = set(supplier.app.methods_seen)
    assert methods and methods <= {"GET", "HEAD", "OPTIONS"}, methods
    assert result.results["run"]["read_only"] is True
    reasons = {r["id"]: (r["outcome"], r["reason"]) for p in result.results["profiles"] for r in p["requirements"]}
    read_only = {rid for rid, (outcome, reason) in reasons.items() if "read-only run" in reason}
    assert read_only, "checks that need writes must say so"
    assert all(reasons[rid][0] == "not-applicable" for rid in read_only)
    assert "EXP-09" in read_only, "the stateful links need writes"
    for profile in result.results["profiles"]:
        musts = {r["id"] for r in profile["requirements"] if r["level"] == "MUST"}
        if musts & read_only:
            assert profile["verdict"] == "incomplete", profile["id"]
    assert result.code == 1


def test_max_time_stops_cleanly_and_reports_what_was_not_tested(tmp_path: Path) -> None:
    with serve("conformant") as supplier:
        started = time.monotonic()
        result = run_cli([*supplier_args(supplier), "--max-examples", "2000", "--max-time", "6"], tmp_path)
        elapsed = time.monotonic() - started
    assert result.code == 1, result.stderr[-2000:]
    assert elapsed < 6 + 30
    assert result.results["run"]["complete"] is False
    assert "time limit" in result.results["run"]["incomplete_reason"]
    assert result.results["verdict"] == "incomplete"
    assert (tmp_path / "report.html").exists()


def test_max_rps_bounds_the_request_count(tmp_path: Path) -> None:
    """A count bound, not a timing assertion: at 5 requests per second for ~6 s the supplier sees few."""
    with serve("conformant") as supplier:
        args = [a for a in supplier_args(supplier) if a not in ("--max-rps", "0")]
        result = run_cli([*args, "--max-rps", "5", "--max-time", "6", "--max-examples", "50"], tmp_path)
        seen = supplier.app.requests_seen
    assert result.code == 1
    assert seen <= 5 * 12 + 20, seen


def test_a_unique_secret_never_appears_in_any_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = f"s3cr3t-{uuid.uuid4().hex}"
    from_env = f"env-{uuid.uuid4().hex}"
    monkeypatch.setenv("CONFORMANCE_HEADERS", f"X-Tenant-Secret: {from_env}\nAuthorization-Extra: Basic {from_env}")
    with serve("ignored-auth") as supplier:
        args = [
            *supplier_args(supplier),
            "--header",
            f"X-Council-Api-Key: {secret}",
            "--header",
            f"Cookie: session={secret}",
        ]
        result = run_cli(args, tmp_path)
    assert result.code == 1
    assert secret not in result.stdout + result.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"results.json", "report.html", "junit.xml"}
    for path in written:
        assert secret not in path.read_text("utf-8", errors="replace"), path.name
        assert from_env not in path.read_text("utf-8", errors="replace"), path.name
        assert supplier.token not in path.read_text("utf-8", errors="replace"), path.name
    record = (tmp_path / "results.json").read_text("utf-8")
    shown = "X-Council-Api-Key: $CONFORMANCE_HEADER_X_COUNCIL_API_KEY"
    assert shown in record, "a reproduction says where a credential goes, without it"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_writes_the_report_so_far_marked_incomplete(signum: int, tmp_path: Path) -> None:
    with serve("conformant") as supplier:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "conformance",
                *supplier_args(supplier),
                "--max-examples",
                "2000",
                "--out",
                str(tmp_path),
            ],
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while supplier.app.requests_seen < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr[-2000:]
    record = json.loads((tmp_path / "results.json").read_text("utf-8"))
    assert record["run"]["complete"] is False
    assert "interrupted" in record["run"]["incomplete_reason"]
    assert record["verdict"] != "conformant"
    assert "interrupted" in (tmp_path / "report.html").read_text("utf-8")
    assert "Traceback" not in stderr


def test_an_incomplete_run_never_produces_a_certificate(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert run_cli(["keys", "generate"], keys).code == 0
    with serve("conformant") as supplier:
        result = run_cli(
            [
                "certify",
                *supplier.harness_args(),
                "--key",
                str(keys / "signing.private.pem"),
                "--supplier",
                "Council",
                "--product",
                "Cases",
                "--product-version",
                "1",
                "--max-examples",
                "2000",
                "--max-time",
                "4",
            ],
            tmp_path / "out",
        )
    assert result.code == 1, result.stderr[-1500:]
    assert result.results["run"]["complete"] is False
    assert not (tmp_path / "out" / "certificate.html").exists()
    assert not (tmp_path / "out" / "certificate.dsse.json").exists()


def test_read_only_runs_are_never_certified(tmp_path: Path) -> None:
    result = run_cli(
        [
            "certify",
            "--spec",
            "https://127.0.0.1:9/openapi.json",
            "--read-only",
            "--key",
            "k.pem",
            "--supplier",
            "s",
            "--product",
            "p",
            "--product-version",
            "1",
        ],
        tmp_path,
    )
    assert result.code == 2
    assert "--read-only runs are never certified" in result.stderr
