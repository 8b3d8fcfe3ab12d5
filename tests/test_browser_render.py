"""A real headless Chromium renders certificate.html and report.html: no console errors, no network.

Debian's `chromium` package (installed by `.ci/run`) is driven through Playwright's Python API.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import unavailable
from tests.test_certificates import PRODUCT, Certified, certify_reference

try:
    import playwright.sync_api as playwright_api
except ImportError:  # the test extras install it; without them the browser fixture says what is missing
    playwright_api = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
A4_WIDTH_PX = 794  # 210 mm at 96 dpi


@dataclass
class Rendered:
    text: str
    png: Path
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    profile_text: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def certified(tmp_path_factory: pytest.TempPathFactory) -> Certified:
    result = certify_reference(tmp_path_factory.mktemp("browser"))
    assert result.proc.code == 0, result.proc.stdout + result.proc.stderr
    return result


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if playwright_api is None:
        unavailable("Playwright is not installed", "pip install -e '.[test]'")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is not installed", "apt-get install chromium (.ci/run does)")
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def render(browser: Any, html: Path, png: Path, profile_ids: list[str]) -> Rendered:
    """Load the file, record console errors and every request that is not the file itself or data:."""
    url = html.resolve().as_uri()
    context = browser.new_context(viewport={"width": A4_WIDTH_PX, "height": 1123})
    page = context.new_page()
    result = Rendered(text="", png=png)
    page.on("console", lambda msg: result.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: result.console_errors.append(str(exc)))

    def on_request(request: Any) -> None:
        if request.url != url and not request.url.startswith("data:"):
            result.requests.append(request.url)

    page.on("request", on_request)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(png), full_page=True)
    result.text = page.inner_text("body")
    for profile_id in profile_ids:
        result.profile_text[profile_id] = page.inner_text(f'[data-profile="{profile_id}"]')
    page.emulate_media(media="print")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{html.name} is wider than an A4 page when printed ({overflow}px too wide)"
    context.close()
    return result


def assert_clean(rendered: Rendered) -> None:
    assert rendered.console_errors == []
    assert rendered.requests == []
    assert rendered.png.read_bytes().startswith(b"\x89PNG") and rendered.png.stat().st_size > 10_000


def test_certificate_renders_offline_with_product_and_verdicts(
    certified: Certified, browser: Any, tmp_path: Path
) -> None:
    predicate = certified.statement()["predicate"]
    ids = [p["id"] for p in predicate["profiles"]]
    rendered = render(browser, certified.html, tmp_path / "certificate.png", ids)
    assert_clean(rendered)
    assert PRODUCT in rendered.text
    assert predicate["issuer_key_id"] in rendered.text
    for profile in predicate["profiles"]:
        assert profile["title"] in rendered.profile_text[profile["id"]]
        assert re.search(rf"\b{profile['verdict']}\b", rendered.profile_text[profile["id"]], re.I)
    assert "{" not in rendered.text.split("How to verify")[0]  # the embedded envelope is not shown


def test_certificate_prints_on_a4(certified: Certified, browser: Any) -> None:
    page = browser.new_page()
    page.goto(certified.html.resolve().as_uri())
    pdf = page.pdf(format="A4", print_background=True)
    page.close()
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    # One table row per requirement (35 today): a few pages, never one sprawling page per row.
    assert 1 <= pages <= 5, f"the certificate prints on {pages} A4 pages"


def test_report_renders_offline_with_api_and_verdicts(certified: Certified, browser: Any, tmp_path: Path) -> None:
    results = certified.results()
    ids = [p["id"] for p in results["profiles"]]
    rendered = render(browser, certified.out / "report.html", tmp_path / "report.png", ids)
    assert_clean(rendered)
    assert results["target"]["api_title"] in rendered.text
    for profile in results["profiles"]:
        assert profile["verdict"] in rendered.profile_text[profile["id"]].lower()


PHONE_WIDTH_PX = 390
DESKTOP_WIDTH_PX = 1280


def layout(browser: Any, html: Path, width: int) -> dict[str, Any]:
    """How the report lays out at `width`: overflow, where each table-of-contents link points, section order."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(html.resolve().as_uri(), wait_until="load")
    facts = page.evaluate(
        """() => {
            const top = (el) => el ? el.getBoundingClientRect().top + window.scrollY : null;
            const links = [...document.querySelectorAll('nav.toc a[href^="#"]')].map(a => a.getAttribute('href'));
            const failures = [...document.querySelectorAll('#failures article.card')];
            return {
                overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
                links: links,
                unresolved: links.filter(h => !document.getElementById(decodeURIComponent(h.slice(1)))),
                failures: failures.map(a => a.id),
                lastFailure: failures.length ? top(failures[failures.length - 1]) : null,
                firstPass: top(document.querySelector('details.passed')),
                summary: top(document.getElementById('summary')),
            };
        }"""
    )
    context.close()
    return facts


@pytest.mark.parametrize("width", [PHONE_WIDTH_PX, DESKTOP_WIDTH_PX])
def test_report_fits_phone_and_desktop_with_working_contents(
    width: int, browser: Any, defect_run: Any, undeclared_read_only_run: Any, certified: Certified
) -> None:
    for html in (
        defect_run.out / "report.html",
        undeclared_read_only_run.out / "report.html",
        certified.out / "report.html",
    ):
        facts = layout(browser, html, width)
        assert facts["overflow"] <= 0, f"{html} is {facts['overflow']}px wider than a {width}px screen"
        assert facts["links"] and facts["unresolved"] == [], facts
        assert facts["summary"] < facts["firstPass"]
        if facts["failures"]:
            assert facts["lastFailure"] < facts["firstPass"], "a passing requirement shows before a failure"
            assert {f"#{rid}" for rid in facts["failures"]} <= set(facts["links"])


def test_defect_report_renders_offline_and_prints(browser: Any, defect_run: Any, tmp_path: Path) -> None:
    rendered = render(browser, defect_run.out / "report.html", tmp_path / "defect.png", ["open-standard-export"])
    assert_clean(rendered)
    assert "not-conformant" in rendered.profile_text["open-standard-export"]
    heading = rendered.text.index("Failures (1)\n")  # the section, not its line in the contents
    assert heading < rendered.text.index("EXP-03", heading) < rendered.text.index("\nProfiles\n", heading)
