"""`conformance check-document`: the requirements an OpenAPI document alone decides, for one or several documents.

Real parts: the real command line in a child process, documents on disk and served by a loopback HTTP server,
a loopback listener that proves nothing is sent to the API, real certificate signing refusing the record.
"""

import dataclasses
import inspect
import json
import socketserver
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conformance.checks import contract, document, export, network, portability
from conformance.demo.openapi import build_document
from conformance.record import NEEDS_LIVE_API, Outcome, RunMode, RunRecord, Verdict
from conformance.trust.certificate import ENVELOPE_NAME, HTML_NAME, NotCertifiable, issue
from conformance.verdicts import ExitCode, document_exit_code
from tests.conftest import CliRun, run_cli
from tests.static_server import Canned, serve_static
from tests.test_browser_render import browser  # noqa: F401 (the headless Chromium fixture)
from tests.test_core_run import assert_self_contained

# The requirements the document alone decides (checks whose table entry says from_document).
DOCUMENT_DECIDED = {"EXP-01", "EXP-02", "EXP-15", "NET-06", "NET-12", "PORT-01"}


class CountingListener(socketserver.ThreadingTCPServer):
    """A loopback port that counts every connection made to it, and answers none."""

    daemon_threads = True

    def __init__(self) -> None:
        self.connections = 0
        super().__init__(("127.0.0.1", 0), socketserver.BaseRequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1
        self.shutdown_request(request)


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    server = CountingListener()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def defective_document() -> dict[str, Any]:
    """The reference document with typical defects: an API key in the query string (NET-06), no contact
    (EXP-02), no supplier declaration, and an unversioned server (NET-12 is then the live API's to decide)."""
    document = build_document()
    document["components"]["securitySchemes"] = {"apiKey": {"type": "apiKey", "in": "query", "name": "api_key"}}
    document["security"] = [{"apiKey": []}]
    del document["info"]["contact"]
    del document["x-conformance"]
    document["servers"] = [{"url": "http://127.0.0.1:9/"}]  # loopback (the discard port), were anything sent
    return document


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def check(out: Path, *specs: str | Path) -> CliRun:
    return run_cli(["check-document", *map(str, specs)], out, timeout=120)


def requirements(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for p in results["profiles"] for r in p["requirements"]}


def test_the_checks_that_decide_from_the_document_take_nothing_that_reaches_the_api() -> None:
    """What check-document runs: these checks, each given only the document (through `target` or `declared`)."""
    marked = {
        decides.requirement: set(inspect.signature(check).parameters)
        for module in (document, contract, export, network, portability)
        for check, decides in module.DECIDES.items()
        if decides.from_document
    }
    assert set(marked) == DOCUMENT_DECIDED
    for requirement, fixtures in marked.items():
        # `request` only for NET-12, which asks for sampled responses when `live_api` says there is an API
        assert fixtures <= {"target", "declared", "evidence", "live_api", "request"}, requirement


def test_a_conformant_document_passes_what_it_decides_and_nothing_is_sent(
    tmp_path: Path, listener: CountingListener
) -> None:
    document = build_document()
    document["servers"] = [{"url": f"http://127.0.0.1:{listener.server_address[1]}/v1"}]
    result = check(tmp_path / "out", write(tmp_path / "vendor.json", document))
    assert result.code == ExitCode.CONFORMANT, result.stdout + result.stderr
    assert listener.connections == 0  # not a TLS check, not a probe, not a fuzzed request
    results = result.results
    assert results["schema_version"] == "1.4" and results["run"]["mode"] == "document-only"
    assert results["verdict"] == "incomplete" and not results["run"]["complete"]
    found = requirements(results)
    for rid, requirement in found.items():
        if rid in DOCUMENT_DECIDED:
            assert requirement["outcome"] == "pass" and requirement["evidence"], rid
        else:  # never a pass: listed as not tested, with that reason
            assert requirement["outcome"] == "error" and requirement["reason"].startswith(NEEDS_LIVE_API), rid
    assert "passes every MUST it decides (6 pass; 31 not tested" in result.stdout
    junit = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    assert sum(int(s.get("errors", "0")) for s in junit) == 0
    assert sum(int(s.get("skipped", "0")) for s in junit) == len(found) - len(DOCUMENT_DECIDED)
    report = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert "only the OpenAPI document was checked" in report and NEEDS_LIVE_API in report


def test_a_defective_document_fails_what_it_breaks_and_exits_1(tmp_path: Path) -> None:
    result = check(tmp_path / "out", write(tmp_path / "vendor.json", defective_document()))
    assert result.code == ExitCode.NOT_CONFORMANT, result.stdout + result.stderr
    found = requirements(result.results)
    assert "query string ('api_key')" in found["NET-06"]["reason"] and found["NET-06"]["outcome"] == "fail"
    assert found["EXP-02"]["outcome"] == "fail" and "info.contact" in found["EXP-02"]["reason"]
    assert found["EXP-01"]["outcome"] == "pass" and found["EXP-01"]["evidence"]
    assert found["NET-12"]["outcome"] == "error" and found["NET-12"]["reason"].startswith(NEEDS_LIVE_API)
    assert "NET-06 MUST fail" in result.stdout and "EXP-02 MUST fail" in result.stdout
    junit = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    failed = {case.get("name", "").split()[0] for case in junit.iter("testcase") if case.find("failure") is not None}
    assert {"NET-06", "EXP-02"} <= failed and "NET-12" not in failed


class ComparisonTable(HTMLParser):
    """The comparison page's table: column headers, and per row the document and its cells by requirement."""

    def __init__(self) -> None:
        super().__init__()
        self.columns: list[str] = []
        self.groups: list[str] = []
        self._scope: str | None = None
        self.rows: dict[str, dict[str, str]] = {}
        self.links: dict[str, str] = {}
        self._row: str | None = None
        self._cell: str | None = None
        self._in_head = False
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "thead":
            self._in_head = True
        elif tag == "tr" and found.get("data-document"):
            self._row = str(found["data-document"])
            self.rows[self._row] = {}
        elif tag == "td" and self._row and found.get("data-requirement"):
            self._cell, self._text = str(found["data-requirement"]), ""
        elif tag == "th" and self._in_head:
            self._text, self._scope = "", found.get("scope")
        elif tag == "a" and self._row:
            self.links[self._row] = str(found["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._in_head = False
        elif tag == "th" and self._in_head:
            {"col": self.columns, "colgroup": self.groups}.get(self._scope or "", []).append(self._text.strip())
        elif tag == "td" and self._cell and self._row:
            self.rows[self._row][self._cell] = self._text.strip()
            self._cell = None

    def handle_data(self, data: str) -> None:
        self._text += data


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[CliRun, str, Path, Path]:
    """Four vendors' documents at once: a conformant file, a defective file, the conformant one by URL, and a
    file that is not OpenAPI at all."""
    root = tmp_path_factory.mktemp("compared")
    good = write(root / "good.json", build_document())
    bad = write(root / "bad.yaml", defective_document())  # JSON is YAML: the name need not say JSON
    write(root / "brochure.json", {"title": "Our product"})
    served = {"/openapi.json": Canned(200, "application/json", json.dumps(build_document()).encode())}
    with serve_static(served) as base:
        url = f"{base}/openapi.json"
        return check(root / "out", good, bad, url, root / "brochure.json"), url, good, bad


def test_several_documents_are_compared_in_the_terminal_and_on_one_page(
    compared: tuple[CliRun, str, Path, Path],
) -> None:
    result, url, good, bad = compared
    # The gravest code of the four: the brochure is unusable (2), and the others are still checked and compared.
    assert result.code == ExitCode.UNUSABLE, result.stdout + result.stderr
    out = result.out
    for folder in ("01-good", "02-bad", "03-openapi"):
        assert {p.name for p in (out / folder).iterdir()} == {"report.html", "results.json", "junit.xml"}
    assert not (out / "04-brochure").exists()
    page = (out / "comparison.html").read_text("utf-8")
    assert_self_contained(page)
    table = ComparisonTable()
    table.feed(page)
    assert table.columns[:2] == ["Document", "Result"] and len(table.columns) == 2 + 37
    assert table.groups == ["Data portability", "Network integration", "Open-standard export"]
    brochure = str(good.parent / "brochure.json")
    assert list(table.rows) == [str(good), str(bad), url, brochure]
    assert table.rows[brochure] == {}  # no cells: one note that it could not be used
    assert "brochure.json is not an OpenAPI document" in page
    assert table.links == {
        str(good): "01-good/report.html",
        str(bad): "02-bad/report.html",
        url: "03-openapi/report.html",
    }
    for source in (str(good), url):
        assert {rid for rid, word in table.rows[source].items() if word == "pass"} == DOCUMENT_DECIDED
        assert set(table.rows[source].values()) == {"pass", "not tested"}
    defective = table.rows[str(bad)]
    assert defective["NET-06"] == defective["EXP-02"] == "fail"
    assert defective["EXP-10"] == "fail"  # the missing declaration fails what opens it, whatever the API does
    assert defective["NET-12"] == "not tested"  # no version in the document: the API's headers may carry one
    assert defective["EXP-01"] == "pass" and defective["EXP-03"] == "not tested"
    # The terminal: the same rows, with the columns some document decided.
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("document "))
    names = header.split()
    assert set(names) >= DOCUMENT_DECIDED and "EXP-03" not in names
    # Each row starts with its document (the end of a long path or URL); then one cell per shown column.
    rows = {line.split()[0].rsplit("/", 1)[-1]: line.split()[1:] for line in lines[lines.index(header) + 1 :][:4]}
    good_row = dict(zip(names[1:], rows["good.json"], strict=True))
    bad_row = dict(zip(names[1:], rows["bad.yaml"], strict=True))
    assert good_row["NET-06"] == "pass" and bad_row["NET-06"] == "FAIL" and bad_row["NET-12"] == "--"
    assert rows["openapi.json"] == rows["good.json"]
    assert rows["brochure.json"][:2] == ["unusable:", str(good.parent / "brochure.json")]
    assert f"comparison: {out / 'comparison.html'}" in result.stdout


def test_the_comparison_page_renders_offline_in_chromium(
    compared: tuple[CliRun, str, Path, Path],
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    page_url = (compared[0].out / "comparison.html").resolve().as_uri()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    fetched: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda request: fetched.append(request.url) if request.url != page_url else None)
    page.goto(page_url, wait_until="load")
    assert page.locator("tr[data-document] td[data-requirement]").count() == 3 * 37
    colour = "el => getComputedStyle(el).backgroundColor"
    failed = page.locator('tr[data-document$="bad.yaml"] td[data-requirement="NET-06"]')
    passed = page.locator('tr[data-document$="good.json"] td[data-requirement="NET-06"]')
    assert failed.inner_text() == "fail" and passed.inner_text() == "pass"
    assert failed.evaluate(colour) != passed.evaluate(colour)
    assert "apiKey passes a credential in the query string" in (failed.get_attribute("title") or "")
    png = tmp_path / "comparison.png"
    page.screenshot(path=str(png), full_page=True)
    assert errors == [] and fetched == []  # self-contained: nothing loaded but the page itself
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 10_000
    page.locator('a[href="02-bad/report.html"]').click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/02-bad/report.html") and "Conformance report" in page.inner_text("h1")
    page.close()


def test_a_document_only_record_is_never_certified(compared: tuple[CliRun, str, Path, Path], tmp_path: Path) -> None:
    record = RunRecord.from_json(json.loads((compared[0].out / "01-good" / "results.json").read_text("utf-8")))
    assert record.run.mode == RunMode.DOCUMENT_ONLY
    # Even were it complete and every profile conformant, the mode alone refuses it.
    dressed_up = dataclasses.replace(
        record,
        run=dataclasses.replace(record.run, complete=True, incomplete_reason=""),
        profiles=tuple(dataclasses.replace(p, verdict=Verdict.CONFORMANT) for p in record.profiles),
        verdict=Verdict.CONFORMANT,
    )
    for candidate in (record, dressed_up):
        with pytest.raises(NotCertifiable) as refused:
            issue(
                candidate,
                Ed25519PrivateKey.generate(),
                tmp_path,
                supplier="S",
                product="P",
                product_version="1",
                valid_days=30,
            )
        assert any("only the OpenAPI document was checked" in failure for failure in refused.value.failures)
    assert not (tmp_path / HTML_NAME).exists() and not (tmp_path / ENVELOPE_NAME).exists()


def test_exit_code_counts_only_the_musts_the_document_decides(compared: tuple[CliRun, str, Path, Path]) -> None:
    record = RunRecord.from_json(json.loads((compared[0].out / "01-good" / "results.json").read_text("utf-8")))
    assert document_exit_code(record, interrupted=False) == ExitCode.CONFORMANT

    def with_outcome(rid: str, outcome: Outcome) -> RunRecord:
        profiles = tuple(
            dataclasses.replace(
                p,
                requirements=tuple(
                    dataclasses.replace(r, outcome=outcome, reason="x") if r.id == rid else r for r in p.requirements
                ),
            )
            for p in record.profiles
        )
        return dataclasses.replace(record, profiles=profiles)

    assert document_exit_code(with_outcome("EXP-15", Outcome.FAIL), False) == ExitCode.CONFORMANT  # a SHOULD
    assert document_exit_code(with_outcome("EXP-02", Outcome.FAIL), False) == ExitCode.NOT_CONFORMANT
    assert document_exit_code(with_outcome("EXP-02", Outcome.ERROR), False) == ExitCode.NOT_CONFORMANT
    assert document_exit_code(record, interrupted=True) == ExitCode.INTERRUPTED


def test_a_conftest_in_the_working_folder_does_not_join_the_suite(tmp_path: Path) -> None:
    """The suite is ours alone: pytest loads `test*/conftest.py` from the folder a command runs in (a supplier's
    project; this repository, whose tests' conftest needs the test extras the main job does without)."""
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "conftest.py").write_text('raise RuntimeError("the working folder\'s conftest ran")\n')
    spec = write(tmp_path / "vendor.json", build_document())
    result = run_cli(["check-document", str(spec)], tmp_path / "out", cwd=project)
    assert result.code == ExitCode.CONFORMANT, result.stdout + result.stderr
    assert "conftest ran" not in result.stdout + result.stderr


def test_an_unusable_document_exits_2(tmp_path: Path) -> None:
    spec = write(tmp_path / "vendor.json", {"title": "not an API description"})
    result = check(tmp_path / "out", spec)
    assert result.code == ExitCode.UNUSABLE, result.stdout + result.stderr
    assert f"{spec}: unusable: {spec} is not an OpenAPI document" in result.stdout
    assert not (tmp_path / "out").exists()


def test_unreadable_documents_exit_2_each_with_its_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.1.0\ninfo: [unclosed\n", encoding="utf-8")
    absent = tmp_path / "absent.json"
    result = check(tmp_path / "out", broken, absent)
    assert result.code == ExitCode.UNUSABLE, result.stdout + result.stderr
    assert f"{broken}: unusable:" in result.stdout and f"{absent}: unusable:" in result.stdout
    page = (tmp_path / "out" / "comparison.html").read_text("utf-8")
    assert page.count("not checked: the document could not be used") == 2
