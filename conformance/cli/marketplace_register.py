"""`conformance marketplace`: the register of listed products, their re-validation and its consequences."""

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from conformance.catalogue import select_profiles
from conformance.cli.shared import fail_usage, parse_at, printable, signing_key_option
from conformance.errors import UsageError
from conformance.marketplace.register.consequences import CONFORMANT, FAILING, SUSPENDED
from conformance.marketplace.register.credentials import parse_reference
from conformance.marketplace.register.products import KEY, Product, Register
from conformance.marketplace.register.publishing import Marketplace, forget, publish_listing
from conformance.marketplace.register.store import default_url
from conformance.marketplace.status_site import build_status
from conformance.revalidation.job import Revalidated, RunPolicy
from conformance.revalidation.pool import revalidate_here
from conformance.run.options import DEFAULT_MAX_EXAMPLES
from conformance.timestamps import format_time
from conformance.trust.signing import load_private_key
from conformance.verdicts import ExitCode

MAX_LABEL = 500


def register_of(ctx: click.Context) -> Register:
    """The register the group's options name, opened (and migrated) or refused with exit code 2."""
    try:
        return Register(ctx.obj["database"])
    except UsageError as exc:
        fail_usage(str(exc))


@click.group()
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("marketplace"),
    show_default=True,
    envvar="CONFORMANCE_MARKETPLACE",
    help="The marketplace's folder: reports, certificates, revocation list, listing (and the default register).",
)
@click.option(
    "--database",
    envvar="CONFORMANCE_REGISTER",
    help="The register's database URL (default: sqlite file HOME/register.db; or postgresql+psycopg://…).",
)
@click.pass_context
def marketplace(ctx: click.Context, home: Path, database: str | None) -> None:
    """Keep every listed product honest: a register, scheduled re-validation and its consequences."""
    if database is None:
        home.mkdir(parents=True, exist_ok=True)
    ctx.obj = {"home": home, "database": database or default_url(home)}


def label(value: str, option: str) -> str:
    value = " ".join(value.split())
    if not value or len(value) > MAX_LABEL or not value.isprintable():
        fail_usage(f"{option} must be 1 to {MAX_LABEL} printable characters")
    return value


@marketplace.command("add")
@click.argument("key")
@click.option("--supplier", required=True, help="Supplier name (printed on its certificates).")
@click.option("--product", required=True, help="Product name.")
@click.option("--product-version", required=True, help="Product version.")
@click.option("--contact", required=True, help="Who the supplier wants told when the product fails (e.g. an email).")
@click.option("--spec", help="URL of the product's OpenAPI document.")
@click.option("--image", help="Or: the product's container image (its spec is read from the running container).")
@click.option("--base-url", help="Base URL of the API (default: the document's servers).")
@click.option("--ca-bundle", type=click.Path(dir_okay=False), help="Private CA (PEM) the product's TLS is signed by.")
@click.option("--profile", "profiles", multiple=True, help="Profile id it is listed for (repeatable; default all).")
@click.option(
    "--interval-days", type=click.IntRange(1, 366), default=1, show_default=True, help="Re-validate every N days."
)
@click.option(
    "--header-ref",
    multiple=True,
    help="A credential header by reference: 'Authorization=env:VARIABLE' or 'Authorization=file:/path' (repeatable).",
)
@click.option("--peer-header-ref", multiple=True, help="A second client's credential header, by reference likewise.")
@click.pass_context
def add(ctx: click.Context, key: str, **options: Any) -> None:
    """Record product KEY (lower-case letters, digits, '.', '_', '-'); it is due at once."""
    if not KEY.match(key):
        fail_usage(f"{key!r} is not a product key: 1 to 80 lower-case letters, digits, '.', '_' or '-'")
    if bool(options["spec"]) == bool(options["image"]):
        fail_usage("give the product's --spec URL or its container --image (one of them)")
    try:
        select_profiles(options["profiles"])
        references = [parse_reference("header", x) for x in options["header_ref"]]
        references += [parse_reference("peer-header", x) for x in options["peer_header_ref"]]
    except UsageError as exc:
        fail_usage(str(exc))
    product = Product(
        key=key,
        supplier=label(options["supplier"], "--supplier"),
        product=label(options["product"], "--product"),
        version=label(options["product_version"], "--product-version"),
        contact=label(options["contact"], "--contact"),
        spec=options["spec"],
        image=options["image"],
        base_url=options["base_url"],
        ca_bundle=str(Path(options["ca_bundle"]).absolute()) if options["ca_bundle"] else None,
        profiles=tuple(options["profiles"]),
        credentials=tuple(references),
        interval_days=options["interval_days"],
    )
    try:
        register_of(ctx).add(product, datetime.now(UTC))
    except UsageError as exc:
        fail_usage(str(exc))
    click.echo(f"added {key}: {printable(product.supplier)} {printable(product.product)} {printable(product.version)}")


@marketplace.command("list")
@click.pass_context
def list_products(ctx: click.Context) -> None:
    """One line per product: key, supplier, product, version, status."""
    try:
        products = register_of(ctx).products()
    except UsageError as exc:
        fail_usage(str(exc))
    header = ("PRODUCT", "SUPPLIER", "NAME", "VERSION", "STATUS")
    echo_table([header, *((p.key, p.supplier, p.product, p.version, p.status) for p in products)])


@marketplace.command("show")
@click.argument("key")
@click.pass_context
def show(ctx: click.Context, key: str) -> None:
    """A product's entry, credential references (never values), runs, transitions and certificates."""
    register = register_of(ctx)
    try:
        product = register.product(key)
        history = register.history(key)
    except UsageError as exc:
        fail_usage(str(exc))
    target = f"spec {product.spec}" if product.spec else f"image {product.image}"
    lines = [
        f"{product.key}: {product.supplier} {product.product} {product.version}",
        f"  contact: {product.contact}",
        f"  target: {target}" + (f" (base URL {product.base_url})" if product.base_url else ""),
        f"  profiles: {', '.join(product.profiles) or 'all'}; every {product.interval_days} days",
        *(f"  {ref.kind}: {ref.header} from {ref.reference}" for ref in product.credentials),
        f"  status: {product.status} since {product.status_since}: {product.status_cause}",
        f"  next due: {product.next_due}",
    ]
    lines += [
        f"  run {r['id']} at {r['at']}: {r['outcome']} ({r['attempts']} attempts) {r['problem']}".rstrip()
        for r in history["runs"]
    ]
    lines += [f"  {t['at']} {t['from_status']} -> {t['to_status']}: {t['cause']}" for t in history["transitions"]]
    lines += [
        f"  certificate {c['certificate_id']} issued {c['issued_at']}"
        + (f", revoked {c['revoked_at']}" if c["revoked_at"] else f", expires {c['expires_at']}")
        for c in history["certificates"]
    ]
    for line in lines:
        click.echo(printable(line))


@marketplace.command("remove")
@click.argument("key")
@click.pass_context
def remove(ctx: click.Context, key: str) -> None:
    """Forget product KEY and its history; the next re-validation's listing leaves it out.

    Its certificates stay valid until they expire: `conformance revoke` withdraws one.
    """
    try:
        register_of(ctx).remove(key)
    except UsageError as exc:
        fail_usage(str(exc))
    forget(ctx.obj["home"], key)
    click.echo(f"removed {key}")


@marketplace.command("settings")
@click.option("--grace-days", type=click.IntRange(0, 365), help="Days a failing product stays listed.")
@click.pass_context
def settings(ctx: click.Context, grace_days: int | None) -> None:
    """Show (or set) the register's grace period before a failing product is suspended."""
    register = register_of(ctx)
    try:
        if grace_days is not None:
            register.set_grace(grace_days)
        click.echo(f"grace period: {register.grace().days} days")
    except UsageError as exc:
        fail_usage(str(exc))


@marketplace.command("site")
@click.pass_context
def site(ctx: click.Context) -> None:
    """Write the status site HOME/status/: the status table, each product's verdicts over time and its reports.

    Exit code 2, nothing written, for an empty register (most likely the wrong --home or --database).
    """
    home = ctx.obj["home"]
    if not home.is_dir():
        fail_usage(f"no marketplace home {home}: the status site links the reports kept there")
    try:
        out = build_status(register_of(ctx), home)
    except UsageError as exc:
        fail_usage(str(exc))
    click.echo(f"status site written: {out / 'index.html'}")


def echo_table(table: list[tuple[str, ...]]) -> None:
    """Columns padded to their widest cell; supplier-given text made printable first."""
    cells = [[printable(cell) for cell in row] for row in table]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    for row in cells:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


MARKETPLACE_KEY = signing_key_option("certificates, the revocation list and the catalogue")


def run_policy_options(command: Any) -> Any:
    """The options of each product's run, shared by `revalidate` and `beat`."""
    options = [
        MARKETPLACE_KEY,
        click.option(
            "--max-examples",
            type=click.IntRange(min=1),
            default=DEFAULT_MAX_EXAMPLES,
            show_default=True,
            help="Generated examples per operation and phase, as for `run`.",
        ),
        click.option("--max-time", type=click.FloatRange(min=1), help="Seconds for each product's run."),
        click.option(
            "--attempts",
            type=click.IntRange(1, 10),
            default=3,
            show_default=True,
            help="Tries on harness-side failures.",
        ),
        click.option(
            "--retry-backoff",
            type=click.FloatRange(min=0),
            default=30.0,
            show_default=True,
            help="Seconds before the second try; doubled before each later one.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def policy_of(options: dict[str, Any]) -> RunPolicy:
    return RunPolicy(
        max_examples=options["max_examples"],
        max_time=options["max_time"],
        attempts=options["attempts"],
        backoff=options["retry_backoff"],
    )


BROKER_HELP = "Redis URL of the Celery broker (redis://host:port/db)."


@marketplace.command("revalidate")
@click.argument("keys", nargs=-1)
@click.option("--due", is_flag=True, help="Every product whose re-validation is due (the daily job).")
@click.option("--all", "every", is_flag=True, help="Every product.")
@run_policy_options
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Products run at once.")
@click.option("--at", "at", help="Now, for due dates, grace periods and signatures (ISO 8601; default now).")
@click.option(
    "--broker",
    envvar="CONFORMANCE_BROKER",
    help=BROKER_HELP + " Enqueue one task per product for `marketplace worker`s instead of running here.",
)
@click.option("--no-wait", is_flag=True, help="With --broker: only enqueue, do not wait for the results.")
@click.pass_context
def revalidate(ctx: click.Context, keys: tuple[str, ...], due: bool, every: bool, **options: Any) -> None:
    """Re-validate products with the same engine as `run`, and apply what follows (listed, failing, suspended).

    Runs here with a pool of --workers, or with --broker on the Celery workers, printing each result as it
    arrives either way; then rebuilds the listing once (new certificates wait for it; a revocation does not).
    Exit code 0 when every run was conformant, 1 otherwise (not conformant, incomplete, or not run after its
    retries), 2 for unusable input (unknown product, unusable register, key, broker or listing folder).
    """
    if sum((due, every, bool(keys))) != 1:
        fail_usage("give --due, --all or product keys (one of them)")
    if options["no_wait"] and not options["broker"]:
        fail_usage("--no-wait needs --broker (without it the products run here)")
    moment = parse_at(options["at"])
    register = register_of(ctx)
    try:
        load_private_key(options["key_path"])  # refused before any product is run
        products = register.due(moment) if due else register.products(keys)
    except UsageError as exc:
        fail_usage(str(exc))
    policy = policy_of(options)
    home = Marketplace(ctx.obj["home"].absolute(), options["key_path"].absolute())
    if options["broker"]:
        results = on_the_queue(options["broker"], register.url, home, products, format_time(moment), policy)
        if options["no_wait"]:
            click.echo(f"{len(products)} products enqueued")
            return
    else:
        done = revalidate_here(register.url, home, products, format_time(moment), policy, options["workers"])
        results = ((product.key, result) for product, result in done)
    all_conformant = True
    for key, done in results:
        all_conformant &= echo_result(key, done)
    click.echo(f"{len(products)} products re-validated")
    if not publish(register, home, moment):
        sys.exit(ExitCode.UNUSABLE)
    sys.exit(ExitCode.CONFORMANT if all_conformant else ExitCode.NOT_CONFORMANT)


def publish(register: Register, home: Marketplace, at: datetime) -> bool:
    """The listing once per batch (new certificates in; expired and removed products out), then the admin's view.

    A listing that cannot be written is reported (exit 2: the marketplace's folder is unusable); the status
    site's failure is reported and changes nothing.
    """
    try:
        publish_listing(home, at)
        click.echo(f"listing written: {home.listing / 'index.html'}")
    except UsageError as exc:
        click.echo(printable(f"listing not written: {exc}"), err=True)
        return False
    try:
        click.echo(f"status site written: {build_status(register, home.home) / 'index.html'}")
    except UsageError as exc:
        click.echo(printable(f"status site not written: {exc}"), err=True)
    return True


@marketplace.command("publish")
@MARKETPLACE_KEY
@click.option("--at", "at", help="Now, for which certificates have expired (ISO 8601; default now).")
@click.pass_context
def publish_command(ctx: click.Context, key_path: Path, at: str | None) -> None:
    """Rebuild the listing and the status site from the register's current certificates.

    `revalidate` does this at the end of every batch; after `revalidate --broker ... --no-wait`, run it (or let
    `marketplace beat` do it) once the workers are done.
    """
    try:
        load_private_key(key_path)
    except UsageError as exc:
        fail_usage(str(exc))
    home = Marketplace(ctx.obj["home"].absolute(), key_path.absolute())
    if not publish(register_of(ctx), home, parse_at(at)):
        sys.exit(ExitCode.UNUSABLE)


def celery_queue() -> ModuleType:
    """The Celery app's module, loaded only when a broker is named; exit 2 naming the extra when Celery is absent.

    Celery is an extra (`cluster`): the harness image and a supplier's CI never need it.
    """
    try:
        from conformance.revalidation import queue
    except ImportError as exc:
        fail_usage(
            f"the Celery mode needs the cluster extra ({exc.name or exc} is not installed): "
            "pip install 'procurement-conformance[cluster]'"
        )
    return queue


def on_the_queue(
    broker: str, database: str, home: Marketplace, products: list[Product], at: str, policy: RunPolicy
) -> Iterator[tuple[str, Revalidated | BaseException]]:
    """Enqueue one task per product (exit 2 when the broker is unusable, before any is sent); their arrivals."""
    queue = celery_queue()

    try:
        queue.connect(broker)
        jobs = queue.enqueue(products, database, home, at, policy)
    except UsageError as exc:
        fail_usage(str(exc))
    except queue.OperationalError as exc:
        fail_usage(f"the broker failed while enqueuing (some products may be enqueued): {exc}")
    return queue.arrivals(jobs)


def echo_result(key: str, done: Revalidated | BaseException) -> bool:
    """One product's line, the same wherever it ran; True when it was conformant."""
    if isinstance(done, BaseException):
        click.echo(printable(f"{key}: not concluded: {done}"))
        return False
    change = f"-> {done.status}" if done.changed else f"stays {done.status}"
    problem = f" ({done.problem})" if done.problem else ""
    click.echo(printable(f"{key}: {done.outcome}{problem} {change}; {done.report}"))
    return done.outcome == CONFORMANT


@marketplace.command("worker")
@click.option("--broker", required=True, envvar="CONFORMANCE_BROKER", help=BROKER_HELP)
@click.option(
    "--concurrency", type=click.IntRange(1, 64), default=1, show_default=True, help="Products run at once here."
)
@click.option(
    "--lease-seconds",
    type=click.FloatRange(min=2),
    default=60.0,
    show_default=True,
    help="A supplier origin's lease, renewed while its run lasts: how soon a dead worker's origin frees itself.",
)
@click.option(
    "--redelivery-after",
    type=click.FloatRange(min=5),
    default=6 * 3600.0,
    show_default=True,
    help="Seconds after which a run nobody acknowledged (its worker died) is delivered again; keep it above "
    "the longest run's time limit.",
)
@click.pass_context
def worker(ctx: click.Context, broker: str, concurrency: int, lease_seconds: float, redelivery_after: float) -> None:
    """Run products from the queue on this machine (Celery's own worker), against the group's register and home.

    The register database and the marketplace folder must be the ones `revalidate --broker` uses (shared by
    every machine, at the same paths), and the products' credential references must resolve here.
    """
    queue = celery_queue()
    register_of(ctx).engine.dispose()  # migrated, or refused with exit code 2, before Celery starts
    try:
        queue.start_worker(broker, queue.Serving(ctx.obj["database"], lease_seconds), concurrency, redelivery_after)
    except UsageError as exc:
        fail_usage(str(exc))


@marketplace.command("beat")
@click.option("--broker", required=True, envvar="CONFORMANCE_BROKER", help=BROKER_HELP)
@run_policy_options
@click.option("--hour", type=click.IntRange(0, 23), default=2, show_default=True, help="Hour of the daily run (UTC).")
@click.option("--minute", type=click.IntRange(0, 59), default=15, show_default=True, help="Its minute.")
@click.pass_context
def beat(ctx: click.Context, broker: str, hour: int, minute: int, **options: Any) -> None:
    """Celery beat: every day at hour:minute (UTC) a worker enqueues `revalidate --due` (one beat per cluster)."""
    queue = celery_queue()

    try:
        load_private_key(options["key_path"])
        home = Marketplace(ctx.obj["home"].absolute(), options["key_path"].absolute())
        queue.start_beat(broker, home, policy_of(options), hour, minute)
    except UsageError as exc:
        fail_usage(str(exc))


@marketplace.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """A table of every product: status, last run, its verdict and when it is next due; then who to tell."""
    register = register_of(ctx)
    try:
        products = register.products()
        last = register.last_runs()
    except UsageError as exc:
        fail_usage(str(exc))
    header = ("PRODUCT", "STATUS", "LAST RUN", "VERDICT", "NEXT DUE")
    table = [header]
    for p in products:
        run = last.get(p.key)
        table.append((p.key, p.status, run["at"] if run else "never", run["outcome"] if run else "-", p.next_due))
    echo_table(table)
    for p in products:
        if p.status in (FAILING, SUSPENDED):
            click.echo(printable(f"{p.key} {p.status} since {p.status_since}: {p.status_cause}"))
