"""The house plan holds: import layers (import-linter), the packaged files, and nothing of ours installed but
the `conformance` package itself."""

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    """The `lint-imports` contracts of pyproject.toml, on the `conformance` package found under `pythonpath`."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--no-cache",
        ],
        cwd=cwd,
        env={"PYTHONPATH": str(pythonpath), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_layers_hold() -> None:
    proc = lint_imports(ROOT, ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_an_upward_import_breaks_a_contract(tmp_path: Path) -> None:
    """The contracts can fail: the record importing the run is caught."""
    shutil.copytree(ROOT / "conformance", tmp_path / "conformance", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    record = tmp_path / "conformance" / "record.py"
    record.write_text(record.read_text("utf-8") + "\nfrom conformance.run import session  # noqa: E402\n", "utf-8")
    proc = lint_imports(tmp_path, tmp_path)
    assert proc.returncode != 0
    assert "BROKEN" in proc.stdout and "conformance.record -> conformance.run.session" in proc.stdout


def declared_packages() -> set[str]:
    return set(tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["packages"])


def test_every_package_is_listed_for_installation() -> None:
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "conformance").rglob("__init__.py")} | {
        "conformance.profiles"
    }  # profiles/ at the top is installed as conformance.profiles
    assert declared_packages() == found


def test_the_wheel_holds_the_package_and_its_profiles_only(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"conformance"}  # no fixtures (hostile_supplier, planning_supplier) as top-level packages
    profiles = sorted(name for name in names if name.startswith("conformance/profiles/") and name.endswith(".yaml"))
    assert profiles == sorted(f"conformance/profiles/{p.name}" for p in (ROOT / "profiles").glob("*.yaml"))
    assert "conformance/demo/server.py" in names and "conformance/schemas/results.schema.json" in names
