"""What a supplier reads after a run: the HTML report, junit.xml and the terminal summary, from real runs.

Two runs of the reference supplier are shared with tests/test_browser_render.py (conftest, session scope): its
server-error variant (EXP-03 fails with a 500 whose body the report shows) and a --read-only run of its
document without the `x-conformance` declaration (two shared causes, each deciding many requirements).
"""

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from conformance.catalogue import Level, Source, all_requirements
from conformance.declaration import DECLARATION_EXAMPLE
from conformance.record import Outcome, RequirementResult, RunRecord
from conformance.render.evidence import evidence_view
from conformance.render.reports import report_html
from conformance.render.summary import summary_lines
from tests.conftest import DEFECT_PROFILE, CliRun

JUNIT_XSD = Path(__file__).parent / "data" / "jenkins-junit.xsd"
SNIPPET_LINE = "modified-field: updatedAt  # optional: the last-modified date-time property (default: found by name)"


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(JUNIT_XSD))


def report(run: CliRun) -> str:
    return (run.out / "report.html").read_text("utf-8")


def section(page: str, section_id: str) -> str:
    """The HTML of one top-level <section id=...> of the report."""
    start = page.index(f'<section id="{section_id}">')
    return page[start : page.index("</section>", start)]


def card_ids(page: str) -> list[str]:
    return re.findall(r'<article class="card [^"]*" id="([A-Z]+-\d\d)"', page)


# --- the defect variant ---------------------------------------------------------------------------


def test_defect_report_opens_with_verdict_counts_and_run_facts(defect_run: CliRun) -> None:
    assert defect_run.code == 1, defect_run.stdout + defect_run.stderr
    page = report(defect_run)
    results = defect_run.results
    summary = section(page, "summary")
    assert page.index('id="overall-verdict"') < page.index('<section id="summary">') < page.index('id="failures"')
    assert "not-conformant" in page[: page.index('<section id="summary">')]
    counts = {o: list(defect_run.outcomes().values()).count(o) for o in ("pass", "fail", "not-applicable", "error")}
    row = re.search(rf'data-profile="{DEFECT_PROFILE}">[^<]+</span>.*?</td>(.*?)</tr>', summary, re.S)
    assert row is not None
    assert [int(n) for n in re.findall(r'<td class="n"[^>]*>(\d+)</td>', row.group(1))] == list(counts.values())
    for fact in (results["target"]["base_url"], results["target"]["spec_sha256"], str(results["run"]["seed"])):
        assert fact in summary
    assert f"{results['harness']['name']} {results['harness']['version']}" in summary
    assert 'class="banner' not in page  # a full, verified, complete run has nothing limiting it


def test_defect_failure_says_statement_seen_fix_and_reproduction(defect_run: CliRun) -> None:
    page = report(defect_run)
    failures = section(page, "failures")
    assert card_ids(failures) == ["EXP-03"]
    card = html.unescape(failures[failures.index('id="EXP-03"') :])
    requirement = all_requirements()["EXP-03"]
    assert requirement.statement in card and requirement.source.document in card
    assert "How to fix it" in card and requirement.fix in card
    finding = defect_run.results["fuzzing"]["findings"][0]
    assert finding["status_code"] == 500 and "Page too large" in finding["response_body"]
    assert finding["response_body"] in card  # the server's own words, shown to the supplier
    assert finding["curl"] in card
    assert "$CONFORMANCE_HEADER_AUTHORIZATION" in finding["curl"]  # the credential stands as a variable
    assert "Authorization: Bearer" not in page  # credentials stay out of the report


def test_passing_requirements_follow_collapsed(defect_run: CliRun) -> None:
    page = report(defect_run)
    passed = re.findall(r'<li id="([A-Z]+-\d\d)"><details>', page)
    assert set(passed) == {rid for rid, o in defect_run.outcomes().items() if o == "pass"}
    assert page.index('<section id="failures">') < page.index('<details class="passed">')
    assert "<script" not in page and "http-equiv" not in page  # readable without JavaScript, nothing fetched
    assert "@media print" in page


def test_summary_counts_failures_and_ends_with_report_path(defect_run: CliRun) -> None:
    lines = defect_run.stdout.strip().splitlines()
    assert lines[0] == "overall: not-conformant"
    assert f"{DEFECT_PROFILE} " in lines[1] and "NOT-CONFORMANT (14 pass, 1 fail)" in lines[1]
    assert any(line.startswith("  EXP-03 MUST fail: ") for line in lines)
    assert lines[-1] == f"report: {defect_run.out / 'report.html'}"


def test_junit_failure_is_one_line_cause_over_an_evidence_table(defect_run: CliRun, junit_schema) -> None:
    junit_schema.validate(str(defect_run.out / "junit.xml"))
    root = ET.parse(defect_run.out / "junit.xml").getroot()
    (suite,) = root.findall("testsuite")
    assert len(suite.findall("testcase")) == len(defect_run.outcomes())
    (failure,) = suite.findall("testcase/failure")
    reason = next(r["reason"] for p in defect_run.results["profiles"] for r in p["requirements"] if r["id"] == "EXP-03")
    assert failure.get("message") == reason and "\n" not in failure.get("message")
    body = failure.text or ""
    assert re.search(r"^operation\s+cases$", body, re.M) and re.search(r"^GET /cases\s+\d+$", body, re.M)
    assert re.search(r"^Reproduce: curl .*-X GET", body, re.M)
    assert "Response body: " in body and "How to fix it: " in body
    properties = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert properties["read-only"] == "false" and properties["complete"] == "true" and "incomplete" not in properties


# --- one missing declaration, in a read-only run --------------------------------------------------


def test_read_only_and_shared_causes_lead_the_summary(undeclared_read_only_run: CliRun) -> None:
    run = undeclared_read_only_run
    lines = run.stdout.strip().splitlines()
    assert lines[0].startswith("overall: ") and "[READ-ONLY run]" in lines[0]
    assert lines[-1] == f"report: {run.out / 'report.html'}"
    # the declaration's example is printed once, whole, however many requirements it decides
    assert run.stdout.count("x-conformance:") == 1 and run.stdout.count(SNIPPET_LINE) == 1
    causes = {c["id"]: c for c in run.results["causes"]}
    assert set(causes) == {"no-declaration", "read-only"}
    decided = [r for p in run.results["profiles"] for r in p["requirements"] if r.get("cause") == "no-declaration"]
    assert len(decided) >= 10
    assert any(line.startswith("shared cause of ") and "no-declaration" not in line for line in lines)
    (pointer,) = [line for line in lines if "shared cause no-declaration" in line]
    assert all(f"{r['id']} {r['level']}" in pointer for r in decided)


def test_shared_cause_is_said_once_and_each_requirement_points_to_it(undeclared_read_only_run: CliRun) -> None:
    run = undeclared_read_only_run
    page = report(run)
    assert html.unescape(page).count(DECLARATION_EXAMPLE) == 1
    assert '<pre class="snippet"><code class="language-yaml">x-conformance:' in page
    cause = section(page, "causes")
    requirements = [r for p in run.results["profiles"] for r in p["requirements"]]
    decided = [r["id"] for r in requirements if r.get("cause") == "no-declaration"]
    for rid in decided:
        assert f'<a href="#{rid}">{rid}</a>' in cause
        card = page[page.index(f'id="{rid}"') :]
        assert card.index('href="#cause-no-declaration"') < card.index("</article>")
    assert "the document has no supplier declaration;" not in page  # the old reason that carried the example


def test_banner_and_junit_properties_name_the_read_only_run(undeclared_read_only_run: CliRun, junit_schema) -> None:
    run = undeclared_read_only_run
    page = report(run)
    assert 'data-limit="read-only"' in page[: page.index('<section id="summary">')]
    junit_schema.validate(str(run.out / "junit.xml"))
    root = ET.parse(run.out / "junit.xml").getroot()
    outcomes = run.outcomes()
    for suite in root.findall("testsuite"):
        properties = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
        assert properties["read-only"] == "true"
        assert properties["verdict"] in ("incomplete", "not-conformant")
        for case in suite.findall("testcase"):
            rid = case.get("name").split()[0]
            skipped = case.find("skipped")
            assert (skipped is not None) == (outcomes[rid] == "not-applicable")
            if skipped is not None:
                assert skipped.text.startswith("not-applicable: read-only run")


def test_failures_come_before_passes_must_before_should(undeclared_read_only_run: CliRun) -> None:
    page = report(undeclared_read_only_run)
    ids = card_ids(section(page, "failures"))
    levels = [all_requirements()[rid].level for rid in ids]
    assert ids and levels == sorted(levels, key=lambda level: level != Level.MUST)
    assert Level.SHOULD in levels and Level.MUST in levels
    toc = page[page.index('<nav class="toc"') : page.index("</nav>")]
    assert re.findall(r'href="#([A-Z]+-\d\d)"', toc)[: len(ids)] == ids


# --- evidence for people --------------------------------------------------------------------------


def test_repeated_observations_are_grouped_with_a_count() -> None:
    """The same header in 20 responses to 9 requests is one row with its count, not 20 rows."""
    banner = "a server banner ('X-Powered-By: pygeoapi 0.21.0')"
    evidence = [
        {"request": f"GET /v1/items/{n % 9}", "status": 500 if n % 2 else 404, "label": "error", "leaks": [banner]}
        for n in range(20)
    ]
    evidence.append({"request": "GET /v1/", "status": 200, "label": "landing page", "leaks": []})
    source = Source("OWASP", "API8:2023", "https://owasp.org/")
    result = RequirementResult("NET-08", Level.MUST, "no banners", source, Outcome.FAIL, "leaks", tuple(evidence))
    observations = evidence_view(result).observations
    assert [(o.count, len(o.requests)) for o in observations] == [(20, 9), (1, 1)]
    assert observations[0].summary == "leaks: a server banner ('X-Powered-By: pygeoapi 0.21.0')"
    assert observations[0].statuses == "404, 500"
    assert observations[1].summary == "leaks: none"


def test_every_requirement_has_a_fix_written_once_in_its_profile() -> None:
    fixes = {rid: r.fix for rid, r in all_requirements().items()}
    assert all(len(fix) >= 20 for fix in fixes.values()), fixes
    assert len(set(fixes.values())) == len(fixes)  # specific to each requirement, not one boilerplate line


def test_every_limit_of_a_run_is_a_banner_and_leads_the_summary(defect_run: CliRun) -> None:
    """--insecure, an incomplete run and --max-time reached, as the record of a real run would say them."""
    data = defect_run.results
    data["run"].update(complete=False, max_time=30, incomplete_reason="the run reached its time limit (--max-time 30)")
    data["fuzzing"]["stop_reason"] = "max_time"
    data["target"]["tls_verification"] = "off (--insecure)"
    record = RunRecord.from_json(data)
    page = report_html(record)
    banners = re.findall(r'data-limit="([a-z-]+)"', page[: page.index('<section id="summary">')])
    assert banners == ["incomplete", "max-time", "insecure"]
    assert "the run reached its time limit (--max-time 30)" in page
    first = summary_lines(record, Path("report.html"))[0]
    assert first.startswith("overall: ") and all(
        words in first for words in ("[INCOMPLETE run]", "[--max-time 30 s reached]", "[INSECURE run (--insecure)]")
    )
