"""The admin's view of the register: a static status site beside the listing, in HOME/status/.

    index.html         the status table (product, status, last run, verdict, next due), each product's
                       recent verdicts as a small chart
    products/KEY.html  one product: its status and why, its verdicts over time, every run with a link to its
                       report, its transitions and certificates
    status.json        the table, for scripts (and the mark of a status folder: nothing else is replaced)

It follows the listing's conventions and uses its helpers: inline CSS only under the same CSP, relative links
that name files (a report is ../../reports/KEY/RUN/report.html from a product page), and the folder swapped in
as a whole. It is a pure function of the register and of which reports are on disk: no build time is written.
Credentials appear as their references (`Authorization from env:VARIABLE`): the register holds no value.
It names suppliers' contacts and links every report: it is for the marketplace's staff, not for publishing.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from conformance.errors import UsageError
from conformance.marketplace.register.products import Product, Register
from conformance.marketplace.register.publishing import LISTING, publishing_lock
from conformance.marketplace.register.store import shown_url
from conformance.marketplace.site import check_replaceable, write_site
from conformance.marketplace.status_chart import Mark, verdict_chart, verdict_words
from conformance.render.templates import templates
from conformance.timestamps import human_time

STATUS = "status"  # HOME/status/
MARKER = "status.json"
INDEX_RUNS, INDEX_ZOOM = 30, 1.0  # the index's chart shows the latest runs, small; the product page more, larger
PAGE_RUNS, PAGE_ZOOM = 90, 2.0


@dataclass(frozen=True)
class RunView:
    """One run as the page lists it; `report` is the report's path from the home, when it is on disk."""

    at: str
    outcome: str
    attempts: int
    problem: str
    report: str | None
    no_report: str  # why there is no link

    @property
    def mark(self) -> Mark:
        return Mark(self.at, self.outcome)


@dataclass(frozen=True)
class ProductStatus:
    product: Product
    runs: tuple[RunView, ...]  # oldest first
    transitions: tuple[dict[str, Any], ...]
    certificates: tuple[dict[str, Any], ...]

    @property
    def page(self) -> str:
        return f"products/{self.product.key}.html"

    @property
    def last(self) -> RunView | None:
        return self.runs[-1] if self.runs else None

    def row(self) -> dict[str, Any]:
        """The status table's row, as status.json holds it."""
        last = self.last
        return {
            "key": self.product.key,
            "supplier": self.product.supplier,
            "product": self.product.product,
            "version": self.product.version,
            "status": self.product.status,
            "status_since": self.product.status_since,
            "last_run": last.at if last else None,
            "verdict": last.outcome if last else None,
            "next_due": self.product.next_due,
            "page": self.page,
        }


def status_folder(home: Path) -> Path:
    return home / STATUS


def report_link(home: Path, report_dir: str | None) -> tuple[str | None, str]:
    """The report's path from the home (URL-quoted), or None and why: links only reach files that are there."""
    if not report_dir:
        return None, "no report: the run was not made"
    page = Path(report_dir) / "report.html"
    try:
        relative = page.resolve().relative_to(home.resolve())
    except ValueError:
        return None, f"kept outside this marketplace home: {page}"
    if not page.is_file():
        return None, "no longer on disk"
    return quote(relative.as_posix()), ""


def gather(register: Register, home: Path) -> list[ProductStatus]:
    """Every product with its history, and each run's report located in the home (four queries in all)."""
    products = register.products()
    histories = register.histories()
    empty: dict[str, list[dict[str, Any]]] = {"runs": [], "transitions": [], "certificates": []}
    found = []
    for product in products:
        history = histories.get(product.key, empty)
        runs = []
        for run in sorted(history["runs"], key=lambda r: (r["at"], r["id"])):
            report, why = report_link(home, run["report_dir"])
            runs.append(RunView(run["at"], run["outcome"], run["attempts"], run["problem"], report, why))
        found.append(ProductStatus(product, tuple(runs), tuple(history["transitions"]), tuple(history["certificates"])))
    return found


def chart(status: ProductStatus, limit: int, zoom: float, chart_id: str) -> Markup:
    shown = status.runs[-limit:]
    p = status.product
    everything = len(shown) == len(status.runs)
    count = f"{len(status.runs)} run{'' if len(status.runs) == 1 else 's'}"
    scope = count if everything else f"the latest {len(shown)} of {count}"
    title = f"Verdicts of {p.product} {p.version} ({p.key}) over time: {scope}"
    return Markup(verdict_chart([run.mark for run in shown], chart_id, title, zoom))


def tally(statuses: list[ProductStatus]) -> str:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status.product.status] = counts.get(status.product.status, 0) + 1
    return ", ".join(f"{count} {name}" for name, count in sorted(counts.items()))


def render_status(statuses: list[ProductStatus], listing_present: bool) -> dict[str, bytes]:
    """Every file of the status site, by relative path."""
    env = templates()
    helpers = {"when": human_time, "words": verdict_words}
    site: dict[str, bytes] = {
        MARKER: (json.dumps({"products": [s.row() for s in statuses]}, indent=2) + "\n").encode("utf-8"),
        "index.html": env.get_template("status_index.html.j2")
        .render(
            statuses=[(s, chart(s, INDEX_RUNS, INDEX_ZOOM, f"history-{s.product.key}")) for s in statuses],
            tally=tally(statuses),
            listing_present=listing_present,
            **helpers,
        )
        .encode("utf-8"),
    }
    for status in statuses:
        site[status.page] = (
            env.get_template("status_product.html.j2")
            .render(status=status, chart=chart(status, PAGE_RUNS, PAGE_ZOOM, "history"), **helpers)
            .encode("utf-8")
        )
    return site


def build_status(register: Register, home: Path) -> Path:
    """Write HOME/status/ as a whole; UsageError (nothing written) for an empty register or a folder that is not
    an earlier status site."""
    statuses = gather(register, home)
    if not statuses:
        raise UsageError(
            f"the register {shown_url(register.url)} holds no products: no status page written "
            "(is --home or --database right? `conformance marketplace add` records a product)"
        )
    out = status_folder(home)
    site = render_status(statuses, (home / LISTING / "index.html").is_file())
    with publishing_lock(home):  # two rebuilds at once (a revalidate and a `site`) take turns
        check_replaceable(out, [], MARKER, "the status folder")
        write_site(out, site)
    return out
