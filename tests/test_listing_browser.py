"""A real headless Chromium uses the listing from disk: search, profile filter, links; offline and error-free."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.test_browser_render import browser  # noqa: F401  (the shared Chromium fixture)
from tests.test_certificates import certify_reference
from tests.test_listing import Market, build, make_market


@dataclass
class Session:
    page: Any
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Market:
    root = tmp_path_factory.mktemp("listing-browser")
    certified = certify_reference(root / "certified")
    assert certified.proc.code == 0, certified.proc.stdout + certified.proc.stderr
    return make_market(root / "market", certified)


@pytest.fixture(scope="module")
def site(market: Market) -> Path:
    out = market.root / "site"
    proc = build(market, out)
    assert proc.code == 0, proc.stdout + proc.stderr
    return out


@pytest.fixture
def session(browser: Any, site: Path) -> Iterator[Session]:  # noqa: F811
    """A page that records console errors and every request for anything outside the site folder."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    result = Session(page)
    inside = site.resolve().as_uri() + "/"
    page.on("console", lambda msg: result.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: result.console_errors.append(str(exc)))
    page.on("request", lambda req: None if req.url.startswith((inside, "data:")) else result.requests.append(req.url))
    yield result
    context.close()


def visible_products(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#products tbody tr",
        "rows => rows.filter(r => r.offsetParent !== null).map(r => r.querySelector('.product').textContent.trim())",
    )


def test_search_and_profile_filter_change_the_visible_rows(
    session: Session, market: Market, site: Path, tmp_path: Path
) -> None:
    page = session.page
    page.goto((site / "index.html").resolve().as_uri(), wait_until="load")
    everything = visible_products(page)
    assert sorted(everything) == sorted(
        ["CaseWorks Noise 1.0", "PlanIt Portal 1.0", "Open Ledger 1.0", 'Widget "Pro" </td> 1.0']
    )
    assert page.inner_text("#shown") == "4 of 4 products shown"
    assert page.locator(".lapsed-note:visible").count() == 0

    page.locator("#search").type("planit")
    assert visible_products(page) == ["PlanIt Portal 1.0"]
    page.locator("#search").fill("ACME")  # case-insensitive, and matches the supplier too
    assert visible_products(page) == ["CaseWorks Noise 1.0"]
    page.locator("#search").fill("")
    assert sorted(visible_products(page)) == sorted(everything)

    second = market.profiles["ledger"][0]
    page.select_option("#profile-filter", second)
    with_second = sorted(label for label, ids in market.profiles.items() if second in ids)
    assert with_second == ["caseworks", "ledger"]
    assert sorted(visible_products(page)) == ["CaseWorks Noise 1.0", "Open Ledger 1.0"]
    assert page.inner_text("#shown") == "2 of 4 products shown"
    page.locator("#search").type("fenland")
    assert visible_products(page) == ["Open Ledger 1.0"]
    page.screenshot(path=str(tmp_path / "listing.png"), full_page=True)
    page.select_option("#profile-filter", market.profiles["planit"][0])
    assert visible_products(page) == []
    assert page.locator("#no-match").is_visible()

    assert session.console_errors == []
    assert session.requests == []
    png = (tmp_path / "listing.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_product_page_and_certificate_open_from_disk(session: Session, site: Path) -> None:
    page = session.page
    page.goto((site / "index.html").resolve().as_uri(), wait_until="load")
    page.click("text=CaseWorks Noise 1.0")
    page.wait_for_load_state("load")
    assert page.inner_text("#product") == "CaseWorks Noise 1.0"
    assert page.locator("section.profile svg").count() >= 2
    page.click("#certificate-link")
    page.wait_for_load_state("load")
    assert page.url.endswith("/certificate.html")
    assert "CaseWorks Noise 1.0" in page.inner_text("#product")
    assert session.console_errors == []
    assert session.requests == []
