"""The `conformance` command line: run, demo, profiles.

Exit codes: 0 conformant, 1 not conformant (or incomplete), 2 unusable target or arguments.
"""

import sys
import time
from collections.abc import Callable
from typing import Any

import click

from conformance.container import DEFAULT_READY_TIMEOUT, DEFAULT_SPEC_PATH, ContainerRequest
from conformance.errors import UsageError
from conformance.execution import execute, exit_code
from conformance.outcomes import ExitCode
from conformance.plugin import DEFAULT_MAX_EXAMPLES, ConformanceSession, RunSettings
from conformance.safety import DEFAULT_MAX_RPS, DEFAULT_REQUEST_TIMEOUT


def run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by every command that runs the suite."""
    options = [
        click.option("--profile", "profiles", multiple=True, help="Profile id to run (repeatable; default: all)."),
        click.option(
            "--out", type=click.Path(file_okay=False), help="Output folder (default reports/<UTC timestamp>/)."
        ),
        click.option("--seed", type=int, help="Seed for reproducible fuzzing (default: random, printed at the end)."),
        click.option(
            "--max-examples",
            type=click.IntRange(min=1),
            default=DEFAULT_MAX_EXAMPLES,
            show_default=True,
            help="Generated examples per operation and phase.",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1, max=16),
            default=1,
            show_default=True,
            help="Concurrent fuzzing workers.",
        ),
        click.option("--ca-bundle", type=click.Path(dir_okay=False), help="Trust this private CA (PEM) for TLS."),
        click.option(
            "--allow-ref-host",
            "allow_ref_hosts",
            multiple=True,
            help="Also fetch external $refs from this host (default: only the spec's own origin).",
        ),
        click.option(
            "--read-only", is_flag=True, help="Send only GET, HEAD and OPTIONS: use this against live systems."
        ),
        click.option(
            "--max-rps",
            type=click.FloatRange(min=0),
            help=f"Requests per second, fuzzing and checks alike (0: no limit; default {DEFAULT_MAX_RPS:g}, "
            "and no limit for the demo's own supplier).",
        ),
        click.option("--max-time", type=click.FloatRange(min=1), help="Seconds for the whole run; stops cleanly."),
        click.option(
            "--request-timeout",
            type=click.FloatRange(min=0.1),
            default=DEFAULT_REQUEST_TIMEOUT,
            show_default=True,
            help="Seconds per request, including reading the whole body.",
        ),
        click.option("--insecure", is_flag=True, help="Skip TLS verification: marked on the report, never certifies."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def target_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """What is tested: shared by `run` and `certify`."""
    options = [
        click.option(
            "--spec", help="URL or file path of the supplier's OpenAPI document (with --image: the one it serves)."
        ),
        click.option("--base-url", help="Base URL of the API (default: the document's servers)."),
        click.option("--header", "headers", multiple=True, help="'Name: value' sent with every request (repeatable)."),
    ]
    func = image_options(func)  # listed after these in --help
    for option in reversed(options):
        func = option(func)
    return func


IMAGE_OPTIONS = ("port", "env", "spec_path", "image_scheme", "ready_timeout")


def image_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--image`: start a supplier's container image for the run (host networking) and test it."""
    options = [
        click.option("--image", help="Container image to start and test (local, else pulled); see --port, --env."),
        click.option(
            "--port", type=click.IntRange(1, 65535), help="With --image: the port it listens on (default: a free one)."
        ),
        click.option("--env", multiple=True, help="With --image: KEY=VALUE for the container (repeatable)."),
        click.option(
            "--spec-path", default=DEFAULT_SPEC_PATH, show_default=True, help="With --image: where it serves its spec."
        ),
        click.option(
            "--image-scheme",
            type=click.Choice(["https", "http"]),
            default="https",
            show_default=True,
            help="With --image: how to reach it.",
        ),
        click.option(
            "--ready-timeout",
            type=click.FloatRange(min=1),
            default=DEFAULT_READY_TIMEOUT,
            show_default=True,
            help="With --image: seconds to wait for its spec (or declared health endpoint) to answer.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def run_settings(
    spec: str | None, base_url: str | None, headers: tuple[str, ...], options: dict[str, Any]
) -> RunSettings:
    """RunSettings from a command's options; the --image options become one ContainerRequest."""
    image = options.pop("image", None)
    given = {key: options.pop(key) for key in IMAGE_OPTIONS if key in options}
    if image is None:
        if given.get("port") is not None or given.get("env"):
            raise click.UsageError("--port and --env only apply with --image")
        if not spec:
            raise click.UsageError("give --spec (the supplier's OpenAPI document) or --image (its container image)")
        return RunSettings(spec=spec, base_url=base_url, headers=headers, **options)
    container = ContainerRequest(
        image=image,
        port=given.get("port"),
        env=tuple(given.get("env") or ()),
        spec_path=given.get("spec_path") or DEFAULT_SPEC_PATH,
        scheme=given.get("image_scheme") or "https",
        ready_timeout=given.get("ready_timeout") or DEFAULT_READY_TIMEOUT,
    )
    return RunSettings(spec=spec or "", base_url=base_url, headers=headers, container=container, **options)


class Progress:
    """Progress lines on stderr, each stamped with the seconds since the run began."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def __call__(self, message: str) -> None:
        click.echo(f"[{time.monotonic() - self.start:6.1f}s] {message}", err=True)


def finish(settings: RunSettings) -> None:
    """Run, print the verdicts, and exit with the documented code."""
    try:
        session = execute(settings, Progress())
    except UsageError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(ExitCode.UNUSABLE)
    except KeyboardInterrupt:
        click.echo("interrupted before the run started; nothing was written", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    print_summary(session)
    sys.exit(exit_code(session))


def print_summary(session: ConformanceSession) -> None:
    record = session.record
    assert record is not None
    for profile in record["profiles"]:
        counts: dict[str, int] = {}
        for req in profile["requirements"]:
            counts[req["outcome"]] = counts.get(req["outcome"], 0) + 1
        tally = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        click.echo(f"{profile['id']} {profile['version']}: {profile['verdict'].upper()} ({tally})")
        for req in profile["requirements"]:
            if req["outcome"] != "pass":
                click.echo(f"  {req['id']} {req['level']} {req['outcome']}: {req['reason'][:160]}")
    click.echo(f"overall: {record['verdict']}")
    click.echo(f"seed: {record['run']['seed']}  (rerun with --seed {record['run']['seed']} to reproduce)")
    click.echo(f"report: {session.out_dir / 'report.html'}")


@click.group(invoke_without_command=True)
@click.version_option(package_name="procurement-conformance")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Procurement interoperability conformance harness.

    With no command, runs the demo against the bundled reference supplier.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(demo)


@main.command()
@target_options
@run_options
def run(spec: str | None, base_url: str | None, headers: tuple[str, ...], **options: Any) -> None:
    """Test a supplier's API (or its container image, with --image) against the conformance profiles."""
    finish(run_settings(spec, base_url, headers, options))


@main.command()
@run_options
def demo(**options: Any) -> None:
    """Start the bundled reference supplier on a free loopback port and test it."""
    from council_supplier import serve

    if options["max_rps"] is None:
        options["max_rps"] = 0  # our own supplier on loopback: no need to spare it
    with serve("conformant") as supplier:
        click.echo(f"reference supplier at {supplier.spec_url}", err=True)
        settings = RunSettings(spec=supplier.spec_url, headers=(f"Authorization: Bearer {supplier.token}",), **options)
        settings.ca_bundle = settings.ca_bundle or supplier.ca_bundle
        finish(settings)


from conformance.cli_certificates import certify, keys, verify  # noqa: E402  (they reuse the helpers above)

main.add_command(keys)
main.add_command(certify)
main.add_command(verify)

from conformance.cli_listing import listing, revoke  # noqa: E402

main.add_command(listing)
main.add_command(revoke)

from conformance.cli_profiles import profiles  # noqa: E402

main.add_command(profiles)
