"""End to end: the CLI against the reference supplier, conformant and with each known defect."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from conformance.catalogue import Level, all_requirements
from conformance.demo import VARIANTS, serve
from conformance.fuzzing.findings import CHECK_REQUIREMENTS
from conformance.schemas_loader import load_schema
from tests.conftest import SEED, CliRun, run_cli, supplier_args
from tests.test_report_outputs import JUNIT_XSD


@pytest.fixture(scope="module")
def conformant_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    with serve("conformant") as supplier:
        return run_cli(supplier_args(supplier), tmp_path_factory.mktemp("conformant"))


def test_conformant_supplier_passes_every_requirement(conformant_run: CliRun) -> None:
    assert conformant_run.code == 0, conformant_run.stderr + conformant_run.stdout
    assert set(conformant_run.outcomes().values()) == {"pass"}
    assert conformant_run.results["verdict"] == "conformant"
    assert conformant_run.results["fuzzing"]["cases"] > 50
    assert f"seed: {SEED}" in conformant_run.stdout
    assert "report.html" in conformant_run.stdout


def test_progress_names_phase_operation_and_counts(conformant_run: CliRun) -> None:
    assert re.search(
        r"fuzzing \[coverage\] GET /cases: \d+ cases \(total \d+ cases, \d+ findings so far; \d+ of \d+ done",
        conformant_run.stderr,
    )


def test_results_json_validates_against_its_schema(conformant_run: CliRun) -> None:
    jsonschema.validate(conformant_run.results, load_schema("results"))
    assert conformant_run.results["run"]["seed"] == SEED
    assert re.fullmatch(r"[0-9a-f]{64}", conformant_run.results["target"]["spec_sha256"])


def test_junit_xml_has_one_testcase_per_requirement(conformant_run: CliRun) -> None:
    root = ET.parse(conformant_run.out / "junit.xml").getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == len(conformant_run.outcomes())
    for suite in root.findall("testsuite"):
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure")) == 0


def test_conformant_outputs_say_so_first_with_nothing_to_fix(conformant_run: CliRun) -> None:
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(conformant_run.out / "junit.xml"))
    lines = conformant_run.stdout.strip().splitlines()
    assert lines[0] == "overall: conformant" and lines[-1] == f"report: {conformant_run.out / 'report.html'}"
    assert not any(line.startswith(("failures", "not decided", "shared cause")) for line in lines)
    html = (conformant_run.out / "report.html").read_text("utf-8")
    assert "<p>No requirement failed.</p>" in html and 'class="banner' not in html and "<article" not in html


def test_report_html_is_self_contained(conformant_run: CliRun) -> None:
    html = (conformant_run.out / "report.html").read_text("utf-8")
    assert_self_contained(html)
    for rid in conformant_run.outcomes():
        assert f'id="{rid}"' in html


def assert_self_contained(html: str) -> None:
    """Nothing that a browser would load from elsewhere: no src, no stylesheet links, no CSS urls."""
    assert not re.search(r"\ssrc\s*=", html, re.I)
    assert not re.search(r"<link\b", html, re.I)
    assert not re.search(r"url\(|@import", html, re.I)


# A variant that cannot be reached with harness_args() says why (matrix_exclusion) and is covered by its own test.
DEFECTS = [name for name, v in VARIANTS.items() if name != "conformant" and not v.matrix_exclusion]


@pytest.mark.parametrize("variant", DEFECTS)
def test_each_defect_fails_exactly_its_requirement(variant: str, tmp_path: Path) -> None:
    with serve(variant) as supplier:
        result = run_cli(supplier_args(supplier), tmp_path)
    violates = set(VARIANTS[variant].violates)
    # SHOULD failures are advisories: the profile stays conformant and the exit code is 0
    breaks_a_must = any(all_requirements()[rid].level == Level.MUST for rid in violates)
    assert result.code == (1 if breaks_a_must else 0), result.stderr
    assert result.failed() == violates
    others = {r["id"]: r for p in result.results["profiles"] for r in p["requirements"] if r["id"] not in violates}
    if VARIANTS[variant].nothing_else_testable:  # e.g. a certificate that does not verify: nothing else is sent
        assert {r["outcome"] for r in others.values()} == {"error"}
        assert all(r["reason"].startswith("not tested: ") for r in others.values())
        assert result.results["run"]["complete"] is False
    else:
        assert {r["outcome"] for r in others.values()} == {"pass"}
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert len(junit.findall(".//testcase/failure")) == len(VARIANTS[variant].violates)
    html = (tmp_path / "report.html").read_text("utf-8")
    if violates & set(CHECK_REQUIREMENTS.values()):  # decided by fuzzing: each finding comes with a reproduction
        findings = result.results["fuzzing"]["findings"]
        assert findings and all(re.search(r"^curl ", f["curl"], re.MULTILINE) for f in findings)
        assert "How to reproduce" in html
    assert_self_contained(html)


def test_same_seed_gives_same_findings(tmp_path: Path) -> None:
    runs = []
    for attempt in range(2):
        with serve("schema-violation") as supplier:
            runs.append(run_cli(supplier_args(supplier), tmp_path / str(attempt)))
    assert runs[0].finding_keys() and runs[0].finding_keys() == runs[1].finding_keys()


def test_credentials_are_redacted_from_reproductions(tmp_path: Path) -> None:
    with serve("ignored-auth") as supplier:
        result = run_cli(supplier_args(supplier), tmp_path)
    for name in ("results.json", "junit.xml", "report.html"):
        assert supplier.token not in (tmp_path / name).read_text("utf-8")
    assert supplier.token not in result.stdout + result.stderr
