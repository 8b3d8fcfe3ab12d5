"""`conformance marketplace site`: the admin's status pages, checked in a real headless Chromium from disk.

The register is built by real re-validation runs (a conformant and a defective reference supplier on loopback,
through the real `revalidate` command), then given a longer history through the register's own API
(`conclude`, as a worker hands a run back) so that every kind of mark and link shows: replayed conformant
and failing runs with their reports, an incomplete run, a harness-side error with no report, a report deleted
since, and one kept outside the marketplace home.
"""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner, Result

from conformance.cli.main import main
from conformance.demo.server import start
from conformance.marketplace.badges import CONFORMANT_COLOUR, OTHER_COLOUR
from conformance.marketplace.register.consequences import (
    CONFORMANT,
    ERROR,
    INCOMPLETE,
    NOT_CONFORMANT,
    RunResult,
    conclude,
)
from conformance.marketplace.register.products import Product, Register
from conformance.marketplace.register.publishing import Marketplace
from conformance.marketplace.status_chart import LINE
from conformance.marketplace.status_site import INDEX_RUNS, PAGE_RUNS, ProductStatus, RunView, render_status
from conformance.timestamps import format_time, human_time
from tests.test_browser_render import (  # browser: the shared Chromium fixture
    DESKTOP_WIDTH_PX,
    PHONE_WIDTH_PX,
    browser,  # noqa: F401
)
from tests.test_marketplace_register import database  # noqa: F401  (SQLite and the real PostgreSQL server)

PROFILE = "open-standard-export"
DEFECT = "invalid-document"  # fails EXP-01 from the document alone
TOKEN_VARIABLE = "STATUS_SITE_TOKEN"
PEER_VARIABLE = "STATUS_SITE_PEER"
SECRETS = {TOKEN_VARIABLE: "Bearer reference-token", PEER_VARIABLE: "Bearer reference-peer-token"}
T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)


@dataclass
class Expected:
    """One run as the page must show it: its time, outcome and the report file its link must reach (or None)."""

    at: str
    outcome: str
    report: Path | None


@dataclass
class Market:
    home: Path
    database: str
    runs: dict[str, list[Expected]] = field(default_factory=dict)

    @property
    def status(self) -> Path:
        return self.home / "status"


def cli(home: Path, url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["marketplace", "--home", str(home), "--database", url, *args])


def add(home: Path, url: str, key: str, product: str, spec: str, ca_bundle: Path) -> None:
    added = cli(
        home, url, "add", key,
        "--supplier", "Acme <Ltd>", "--product", product, "--product-version", "2.1", "--contact", f"ops@{key}.example",
        "--spec", spec, "--ca-bundle", str(ca_bundle), "--profile", PROFILE,
        "--header-ref", f"Authorization=env:{TOKEN_VARIABLE}",
        "--peer-header-ref", f"Authorization=env:{PEER_VARIABLE}",
    )  # fmt: skip
    assert added.exit_code == 0, added.output


def replay(marketplace: Marketplace, register: Register, key: str, source: Path | None, outcome: str, at: datetime,
           folder: Path | None = None, problem: str = "") -> Expected:  # fmt: skip
    """Conclude a run of `key` whose report is a copy of a real run's folder `source` (None: no report)."""
    report_dir = None
    if source is not None:
        report_dir = folder or marketplace.reports / key / at.strftime("%Y%m%dT%H%M%SZ")
        shutil.copytree(source, report_dir)
    results = None if report_dir is None else (report_dir / "results.json").read_text("utf-8")
    result = RunResult(key, outcome, 1, None if report_dir is None else str(report_dir), results, problem)
    conclude(register, marketplace, result, at)
    return Expected(format_time(at), outcome, None if report_dir is None else report_dir / "report.html")


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Market:
    root = tmp_path_factory.mktemp("status-site")
    home, url = root / "marketplace", f"sqlite:///{root / 'register.db'}"
    keys = root / "keys"
    assert CliRunner().invoke(main, ["keys", "generate", "--out", str(keys)]).exit_code == 0
    key = keys / "signing.private.pem"
    good, bad = start("conformant"), start(DEFECT)
    try:
        add(home, url, "acme-orders", "Orders", good.spec_url, good.ca_bundle)
        # Named by another loopback name: the pool runs the two suppliers at once, as two hosts.
        add(home, url, "bolt-ledger", "Ledger", bad.spec_url.replace("127.0.0.1", "localhost"), bad.ca_bundle)
        command = [
            sys.executable, "-m", "conformance", "marketplace", "--home", str(home), "--database", url,
            "revalidate", "acme-orders", "bolt-ledger", "--key", str(key), "--at", format_time(T0),
            "--max-examples", "1", "--attempts", "1", "--retry-backoff", "0", "--workers", "2",
        ]  # fmt: skip
        ran = subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, **SECRETS})
    finally:
        good.stop()
        bad.stop()
    assert ran.returncode == 1, ran.stdout + ran.stderr  # one product is not conformant
    assert "acme-orders: conformant -> listed" in ran.stdout and "bolt-ledger: not-conformant -> failing" in ran.stdout
    assert "status site written:" in ran.stdout and (home / "status" / "products" / "bolt-ledger.html").is_file()
    never = cli(home, url, "add", "cobalt-cases", "--supplier", "Cobalt", "--product", "Cases", "--product-version",
                "1", "--contact", "c@cobalt.example", "--spec", "https://127.0.0.1:9/openapi.json")  # fmt: skip
    assert never.exit_code == 0, never.output

    register, marketplace = Register(url), Marketplace(home, key)
    (acme_first,) = (marketplace.reports / "acme-orders").iterdir()
    (bolt_first,) = (marketplace.reports / "bolt-ledger").iterdir()
    day = timedelta(days=1)
    acme = [Expected(format_time(T0), CONFORMANT, acme_first / "report.html")]
    acme.append(replay(marketplace, register, "acme-orders", acme_first, CONFORMANT, T0 + day))
    acme.append(replay(marketplace, register, "acme-orders", None, ERROR, T0 + 2 * day, problem="unreachable"))
    outside = replay(marketplace, register, "acme-orders", acme_first, CONFORMANT, T0 + 3 * day, root / "elsewhere")
    acme.append(Expected(outside.at, outside.outcome, None))  # outside the home: listed, not linked
    bolt = [Expected(format_time(T0), NOT_CONFORMANT, bolt_first / "report.html")]
    bolt.append(replay(marketplace, register, "bolt-ledger", bolt_first, INCOMPLETE, T0 + day, problem="max time"))
    bolt.append(replay(marketplace, register, "bolt-ledger", bolt_first, NOT_CONFORMANT, T0 + 15 * day))  # suspended
    gone = replay(marketplace, register, "bolt-ledger", bolt_first, NOT_CONFORMANT, T0 + 16 * day)
    assert gone.report is not None
    shutil.rmtree(gone.report.parent)  # a report deleted since: listed, not linked
    bolt.append(Expected(gone.at, gone.outcome, None))
    register.engine.dispose()

    built = cli(home, url, "site")
    assert built.exit_code == 0, built.output
    assert built.output == f"status site written: {home / 'status' / 'index.html'}\n"
    return Market(home, url, {"acme-orders": acme, "bolt-ledger": bolt, "cobalt-cases": []})


@dataclass
class Opened:
    page: Any
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__violations")


@pytest.fixture
def opened(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:  # noqa: F811
    """open(path, width): the page loaded from disk, recording console errors, CSP violations and any request
    beyond the page itself."""
    contexts = []

    def open_page(path: Path, width: int) -> Opened:
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        context.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective));"
        )
        page = context.new_page()
        opened = Opened(page)
        url = path.resolve().as_uri()
        page.on("console", lambda msg: opened.console_errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: opened.console_errors.append(str(exc)))
        page.on("request", lambda req: None if req.url == url else opened.requests.append(req.url))
        page.goto(url, wait_until="load")
        return opened

    yield open_page
    for context in contexts:
        context.close()


def assert_clean(opened: Opened, width: int) -> None:
    overflow = opened.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{overflow}px wider than a {width}px screen"
    assert opened.console_errors == [] and opened.violations() == [] and opened.requests == []


def chart_marks(page: Any, selector: str) -> list[dict[str, Any]]:
    return page.eval_on_selector_all(
        f"{selector} .run",
        """marks => marks.map(m => {
            const box = m.getBBox();
            return {at: m.dataset.at, outcome: m.dataset.outcome, fill: m.getAttribute('fill'),
                    title: m.querySelector('title').textContent, top: box.y, bottom: box.y + box.height,
                    left: box.x};
        })""",
    )


def assert_marks(marks: list[dict[str, Any]], expected: list[Expected]) -> None:
    """One mark per run, oldest first, each with its verdict's colour, side of the line and words."""
    assert [(m["at"], m["outcome"]) for m in marks] == [(e.at, e.outcome) for e in expected]
    assert [m["left"] for m in marks] == sorted(m["left"] for m in marks)
    for mark in marks:
        assert human_time(mark["at"]) in mark["title"]
        if mark["outcome"] == CONFORMANT:
            assert (
                mark["fill"] == CONFORMANT_COLOUR and mark["bottom"] <= LINE and mark["title"].endswith(": conformant")
            )
        elif mark["outcome"] == NOT_CONFORMANT:
            assert mark["fill"] == OTHER_COLOUR and mark["top"] >= LINE and mark["title"].endswith(": not conformant")
        elif mark["outcome"] == INCOMPLETE:
            assert mark["top"] >= LINE and mark["title"].endswith(": incomplete")
        else:
            assert mark["top"] < LINE < mark["bottom"] and "not run" in mark["title"]


@pytest.mark.parametrize("width", [PHONE_WIDTH_PX, DESKTOP_WIDTH_PX])
def test_the_status_table_shows_every_product_with_its_verdicts_over_time(
    opened: Any, market: Market, width: int
) -> None:
    index = opened(market.status / "index.html", width)
    page = index.page
    rows = page.eval_on_selector_all(
        "#status tbody tr",
        "rows => rows.map(r => [r.dataset.product, ...[...r.cells].slice(1, 5).map(c => c.innerText.trim())])",
    )
    acme, bolt = market.runs["acme-orders"][-1], market.runs["bolt-ledger"][-1]
    due = {"acme-orders": T0 + timedelta(days=4), "bolt-ledger": T0 + timedelta(days=17)}
    assert rows[:2] == [
        ["acme-orders", "listed", human_time(acme.at), "conformant", human_time(format_time(due["acme-orders"]))],
        [
            "bolt-ledger",
            "suspended",
            human_time(bolt.at),
            "not conformant",
            human_time(format_time(due["bolt-ledger"])),
        ],
    ]
    assert rows[2][:4] == ["cobalt-cases", "new", "never", "none yet"] and rows[2][4].endswith("UTC")
    assert "3 products in the register: 1 listed, 1 new, 1 suspended" in page.inner_text("#tally")
    for key, expected in market.runs.items():
        assert_marks(chart_marks(page, f"#history-{key}"), expected)
    chart = page.eval_on_selector("#history-acme-orders", "c => c.getBoundingClientRect().width")
    assert 0 < chart <= width
    assert_clean(index, width)
    page.click("text=Orders 2.1")
    page.wait_for_load_state("load")
    assert page.url.endswith("/status/products/acme-orders.html")
    table = json.loads((market.status / "status.json").read_text("utf-8"))["products"]
    assert [(p["key"], p["status"], p["verdict"]) for p in table] == [
        ("acme-orders", "listed", CONFORMANT),
        ("bolt-ledger", "suspended", NOT_CONFORMANT),
        ("cobalt-cases", "new", None),
    ]


@pytest.mark.parametrize("width", [PHONE_WIDTH_PX, DESKTOP_WIDTH_PX])
@pytest.mark.parametrize("key", ["acme-orders", "bolt-ledger"])
def test_a_product_page_charts_each_run_in_order_and_links_each_report_on_disk(
    opened: Any, market: Market, key: str, width: int
) -> None:
    product = opened(market.status / "products" / f"{key}.html", width)
    page, expected = product.page, market.runs[key]
    assert_marks(chart_marks(page, "#history"), expected)
    accessible = page.evaluate(
        """() => {
            const svg = document.getElementById('history');
            const ids = svg.getAttribute('aria-labelledby').split(' ');
            return {role: svg.getAttribute('role'), names: ids.map(id => document.getElementById(id).textContent)};
        }"""
    )
    assert accessible["role"] == "img"
    title, desc = accessible["names"]
    assert title.endswith(f"({key}) over time: {len(expected)} runs")
    assert desc.startswith(f"{len(expected)} runs, oldest first: ")
    described = desc.removeprefix(f"{len(expected)} runs, oldest first: ").removesuffix(".").split("; ")
    assert [line.split(": ", 1)[0] for line in described] == [human_time(e.at) for e in expected]

    runs = page.eval_on_selector_all(
        "#runs tbody tr",
        "rows => rows.map(r => ({at: r.dataset.at, text: r.innerText,"
        " link: r.querySelector('a.report') ? r.querySelector('a.report').href : null}))",
    )
    assert [r["at"] for r in runs] == [e.at for e in reversed(expected)]  # newest first
    for run, want in zip(runs, reversed(expected), strict=True):
        if want.report is None:
            assert run["link"] is None
            assert any(why in run["text"] for why in ("no longer on disk", "outside this marketplace home", "not made"))
            continue
        assert run["link"].startswith("file://")
        target = Path(unquote(urlsplit(run["link"]).path))
        assert target.is_file() and target.resolve() == want.report.resolve()
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    assert all(not h.startswith(("/", "file:", "http")) and h.endswith((".html", ".json")) for h in hrefs), hrefs
    assert_clean(product, width)

    page.click("a.report >> nth=0")  # the newest linked report opens from the file system
    page.wait_for_load_state("load")
    assert page.url.endswith("/report.html") and page.locator("body").inner_text()


def test_no_credential_value_reaches_the_status_site(opened: Any, market: Market) -> None:
    published = "".join(p.read_text("utf-8") for p in market.status.rglob("*") if p.is_file())
    for value in SECRETS.values():
        assert value.split()[-1] not in published
    page = opened(market.status / "products" / "acme-orders.html", DESKTOP_WIDTH_PX).page
    shown = page.inner_text("#credentials")
    assert f"env:{TOKEN_VARIABLE}" in shown and f"env:{PEER_VARIABLE}" in shown
    assert "Acme <Ltd>" in page.inner_text("body")  # supplier text escaped, shown as typed


def test_bad_input_is_refused_with_exit_2_and_nothing_written(market: Market, tmp_path: Path) -> None:
    # A mistyped --home with the default register: the group makes an empty register there, and nothing more.
    empty = CliRunner().invoke(main, ["marketplace", "--home", str(tmp_path / "new-home"), "site"])
    assert empty.exit_code == 2 and "holds no products: no status page written" in empty.output
    missing = cli(tmp_path / "no-such-home", market.database, "site")
    assert missing.exit_code == 2 and "no marketplace home" in missing.output
    assert not (tmp_path / "new-home" / "status").exists() and not (tmp_path / "no-such-home").exists()

    home = tmp_path / "home"
    shutil.copytree(market.home / "status", home / "status")
    rebuilt = cli(home, market.database, "site")  # an earlier status site is replaced whole
    assert rebuilt.exit_code == 0, rebuilt.output
    (home / "status" / "status.json").unlink()
    (home / "status" / "notes.txt").write_text("mine")
    foreign = cli(home, market.database, "site")
    assert foreign.exit_code == 2 and "holds no status.json: refusing to replace it" in foreign.output
    assert (home / "status" / "notes.txt").read_text() == "mine"


def test_every_product_history_is_read_in_one_pass_on_sqlite_and_postgresql(
    database: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    home = tmp_path / "marketplace"
    for key in ("one", "two", "three"):
        added = cli(home, database, "add", key, "--supplier", "S", "--product", key, "--product-version", "1",
                    "--contact", "c@example", "--spec", f"https://127.0.0.1:9/{key}.json")  # fmt: skip
        assert added.exit_code == 0, added.output
    keys = tmp_path / "keys"
    assert CliRunner().invoke(main, ["keys", "generate", "--out", str(keys)]).exit_code == 0
    register, marketplace = Register(database), Marketplace(home, keys / "signing.private.pem")
    for day, key in enumerate(("two", "one", "two")):
        conclude(register, marketplace, RunResult(key, ERROR, 3, problem="unreachable"), T0 + timedelta(days=day))
    histories = register.histories()
    assert sorted(histories) == ["one", "two"]
    for key in ("one", "two", "three"):
        assert histories.get(key, {"runs": [], "transitions": [], "certificates": []}) == register.history(key)
    assert [r["at"] for r in histories["two"]["runs"]] == [format_time(T0), format_time(T0 + timedelta(days=2))]
    register.engine.dispose()
    assert cli(home, database, "site").exit_code == 0
    table = json.loads((home / "status" / "status.json").read_text("utf-8"))["products"]
    assert [(p["key"], p["verdict"]) for p in table] == [("one", ERROR), ("three", None), ("two", ERROR)]


def test_a_long_history_charts_its_latest_runs_and_says_how_many_it_leaves_out(tmp_path: Path) -> None:
    product = Product(
        key="long-runner", supplier="S", product="Runner", version="1", contact="c@example", spec="https://x/o.json",
        image=None, base_url=None, ca_bundle=None, profiles=(), credentials=(), interval_days=1,
        status="listed", status_since=format_time(T0), status_cause="conformant", next_due=format_time(T0),
    )  # fmt: skip
    outcomes = [CONFORMANT, NOT_CONFORMANT, INCOMPLETE, ERROR]
    runs = tuple(
        RunView(format_time(T0 + timedelta(days=i)), outcomes[i % 4], 1, "", None, "not made") for i in range(100)
    )
    site = render_status([ProductStatus(product, runs, (), ())], listing_present=False)
    index, page = site["index.html"].decode(), site["products/long-runner.html"].decode()
    assert index.count('class="run ') == INDEX_RUNS and page.count('class="run ') == PAGE_RUNS
    assert "over time: the latest 90 of 100 runs" in page and "over time: the latest 30 of 100 runs" in index
    assert f'data-at="{format_time(T0 + timedelta(days=10))}"' in page  # the 11th run is the oldest shown
    assert f'data-at="{format_time(T0 + timedelta(days=9))}"' not in page.split('<table id="runs"')[0]
    assert page.count('<tr data-at="') == 100  # the table lists every run
    assert "../listing/index.html" not in index  # no link to a listing that is not there
