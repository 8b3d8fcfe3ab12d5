"""Shared fixtures: reference suppliers on loopback and a way to run the real CLI."""

import dataclasses
import functools
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
from filelock import FileLock

from conformance.catalogue import all_requirements
from conformance.demo import RunningSupplier, serve

SEED = 20261125
EXAMPLES = "10"
_OWN_PEAK = Path(__file__).with_name("own_peak.py")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str, how: str) -> NoReturn:
    """Skip on a laptop; fail in CI, where every test must run (`how`: what sets the missing part up)."""
    if IN_CI:
        pytest.fail(f"{reason} (CI is set: this test must run; {how})")
    pytest.skip(f"{reason}; {how}")


def pytest_configure(config: pytest.Config) -> None:
    """Let Ctrl-C reach the commands the tests interrupt, however the test session was started.

    A session started in the background by a script (`pytest &`) inherits SIGINT ignored, and so would every
    child it starts: the interrupt tests' SIGINT would never arrive. A handled signal is reset for a child.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@dataclass
class CliRun:
    """A finished `conformance` process and the outputs it wrote."""

    code: int
    stdout: str
    stderr: str
    out: Path
    peak_mb: float

    @property
    def results(self) -> dict[str, Any]:
        return json.loads((self.out / "results.json").read_text("utf-8"))

    def outcomes(self) -> dict[str, str]:
        return {r["id"]: r["outcome"] for p in self.results["profiles"] for r in p["requirements"]}

    def failed(self) -> set[str]:
        return {rid for rid, outcome in self.outcomes().items() if outcome == "fail"}

    def finding_keys(self) -> set[tuple[str, str, str, str]]:
        return {(f["requirement"], f["operation"], f["check"], f["title"]) for f in self.results["fuzzing"]["findings"]}


def run_cli(args: list[str], out: Path, timeout: float = 300, cwd: Path | None = None) -> CliRun:
    """Run the real command line in a child process, as a user would, and read that command's own peak memory.

    The command runs under `own_peak.py`: started straight from pytest, its peak would include pytest's own size.
    """
    with tempfile.TemporaryDirectory() as scratch:
        peak_file, stdout, stderr = (Path(scratch) / name for name in ("peak_mb", "stdout", "stderr"))
        command = [sys.executable, "-m", "conformance", *args, "--out", str(out)]
        with stdout.open("wb") as stdout_file, stderr.open("wb") as stderr_file:
            proc = subprocess.Popen(
                [sys.executable, str(_OWN_PEAK), str(peak_file), *command],
                stdout=stdout_file,
                stderr=stderr_file,
                start_new_session=True,
                cwd=cwd,
            )
            try:
                proc.wait(timeout)
            except BaseException:  # timed out, or Ctrl-C: the command is in a session of its own, so stop it too
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise
        peak_mb = float(peak_file.read_text("utf-8"))
        return CliRun(proc.returncode, _text(stdout.read_bytes()), _text(stderr.read_bytes()), out, peak_mb)


def _text(output: bytes) -> str:
    """A child's output as `subprocess.run(text=True)` would give it."""
    return output.decode(errors="replace").replace("\r\n", "\n")


def as_pytest_options(run_args: list[str]) -> list[str]:
    """`conformance run` arguments as the plugin's options: every `--NAME` is `--conformance-NAME`."""
    return [f"--conformance-{arg[2:]}" if arg.startswith("--") else arg for arg in run_args]


def run_plain_pytest(supplier: Any, out: Path, cwd: Path, *extra: str) -> subprocess.CompletedProcess:
    """The checks through plain pytest, as a supplier's own CI runs them (`extra`: e.g. a `-k` selection).

    `supplier` is any running supplier with harness_args() (the reference one, or one from fixtures/).
    """
    options = [*supplier.harness_args(), "--seed", str(SEED), "--max-examples", EXAMPLES, "--out", str(out)]
    command = [sys.executable, "-m", "pytest", "--pyargs", "conformance.checks", "-p", "no:cacheprovider"]
    return subprocess.run(
        [*command, *as_pytest_options(options), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def supplier_args(supplier: Any, *extra: str, examples: str = EXAMPLES) -> list[str]:
    """`run` arguments for any running supplier with harness_args(): fixed seed, `examples` per operation."""
    return [
        "run",
        *supplier.harness_args(),
        "--seed",
        str(SEED),
        "--max-examples",
        examples,
        *extra,
    ]


def assert_conformant_with_evidence(result: CliRun, not_applicable: dict[str, str]) -> None:
    """A complete conformant run of every requirement: no finding, every pass with its evidence, and only the
    requirements in `not_applicable` left undecided, each with a reason starting as given."""
    assert result.code == 0, result.stdout + result.stderr[-2000:]
    assert result.results["verdict"] == "conformant" and result.results["run"]["complete"] is True
    assert result.results["fuzzing"]["findings"] == []
    requirements = {r["id"]: r for p in result.results["profiles"] for r in p["requirements"]}
    assert set(requirements) == set(all_requirements())
    not_passed = {rid: r["reason"] for rid, r in requirements.items() if r["outcome"] != "pass"}
    assert set(not_passed) == set(not_applicable), not_passed
    for rid, start in not_applicable.items():
        assert requirements[rid]["outcome"] == "not-applicable" and requirements[rid]["reason"].startswith(start)
    assert all(r["evidence"] for r in requirements.values() if r["outcome"] == "pass")


def file_spec_args(supplier: RunningSupplier, path: Path, *extra: str) -> list[str]:
    """`run` arguments for a document on disk, tested against `supplier` (the base URL is given, not read)."""
    reach = supplier.harness_args()
    spec_at = reach.index("--spec")
    del reach[spec_at : spec_at + 2]
    return ["run", "--spec", str(path), "--base-url", supplier.base + "/v1", *reach, *extra]


def run_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], CliRun]) -> CliRun:
    """The run `make` writes into a folder, made once for the whole test session and read by every worker.

    pytest-xdist gives each worker its own session fixtures; a run that costs many seconds and is read by several
    test files is made by whichever worker asks first, under a file lock, and the others read its record.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, record = shared / f"once-{name}", shared / f"once-{name}.json"
    with FileLock(shared / f"once-{name}.lock"):
        if not record.is_file():
            folder.mkdir(exist_ok=True)  # a worker whose run broke off left it behind
            made = make(folder)
            record.write_text(json.dumps({**dataclasses.asdict(made), "out": str(made.out)}), "utf-8")
    fields = json.loads(record.read_text("utf-8"))
    return CliRun(**{**fields, "out": Path(fields["out"])})


@pytest.fixture(scope="session")
def planning_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], CliRun]:
    """A full run (every profile) of a variant of the second supplier, made once per test session and shared
    by every module that reads it: each run costs seconds, and many tests ask about the same runs."""
    from planning_supplier import serve as serve_planning

    def make(variant: str, folder: Path) -> CliRun:
        with serve_planning(variant) as supplier:
            return run_cli(supplier_args(supplier), folder)

    return lambda variant: run_once(tmp_path_factory, f"planning-{variant}", functools.partial(make, variant))


@pytest.fixture
def conformant() -> Iterator[RunningSupplier]:
    with serve("conformant") as supplier:
        yield supplier


DEFECT_VARIANT = "server-error"  # fails EXP-03 with a 500 whose body the report shows
DEFECT_PROFILE = "open-standard-export"


@pytest.fixture(scope="session")
def defect_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """The reference supplier's server-error variant, once per session (the report tests and the browser read it)."""

    def make(folder: Path) -> CliRun:
        with serve(DEFECT_VARIANT) as supplier:
            args = ["run", *supplier.harness_args(), "--seed", str(SEED), "--max-examples", "5"]
            return run_cli([*args, "--profile", DEFECT_PROFILE], folder)

    return run_once(tmp_path_factory, "defect-run", make)


@pytest.fixture(scope="session")
def undeclared_read_only_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """Every profile, --read-only, against a copy of the reference document without its `x-conformance`
    declaration: two shared causes (no declaration, read-only), each deciding many requirements."""
    import requests

    def make(folder: Path) -> CliRun:
        with serve("conformant") as supplier:
            document = requests.get(supplier.spec_url, verify=supplier.ca_bundle or True, timeout=10).json()
            del document["x-conformance"]
            path = folder / "openapi.json"
            path.write_text(json.dumps(document), encoding="utf-8")
            args = file_spec_args(supplier, path, "--read-only", "--seed", str(SEED), "--max-examples", "5")
            return run_cli(args, folder / "out")

    return run_once(tmp_path_factory, "undeclared-run", make)
