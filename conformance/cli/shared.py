"""What the commands share: options made from the run's option table, running with progress, the summary,
and how a command says it cannot go on. Commands import this module, never each other or the group.
"""

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from conformance.cli.live import terminal_display
from conformance.container import DEFAULT_READY_TIMEOUT, DEFAULT_SPEC_PATH, ContainerRequest
from conformance.errors import UsageError
from conformance.progress import Progress
from conformance.render.summary import summary_lines
from conformance.run.execution import execute
from conformance.run.options import ALL_OPTIONS, RUN_OPTIONS, TARGET_OPTIONS, Option
from conformance.run.session import RunSession
from conformance.run.settings import RunSettings
from conformance.verdicts import ExitCode

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def click_option(option: Option) -> Decorator:
    """`--NAME` for one entry of the option table, with its bounds and kind of path."""
    flag = f"--{option.name}"
    if option.kind is bool:
        return click.option(flag, option.field, is_flag=True, help=option.help)
    kind: Any = option.kind
    if option.kind is int and (option.minimum is not None or option.maximum is not None):
        kind = click.IntRange(min=option.minimum, max=option.maximum)
    elif option.kind is float and (option.minimum is not None or option.maximum is not None):
        kind = click.FloatRange(min=option.minimum, max=option.maximum)
    elif option.path == "file":
        kind = click.Path(dir_okay=False)
    elif option.path == "folder":
        kind = click.Path(file_okay=False)
    return click.option(
        flag,
        option.field,
        type=kind,
        multiple=option.multiple,
        default=option.default,
        show_default=option.default is not None,
        help=option.help,
    )


def signing_key_option(signs: str) -> Decorator:
    """`--KEY`: the marketplace's private key, the same option on every command that signs (`signs`: what)."""
    return click.option(
        "--key",
        "key_path",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help=f"The marketplace's Ed25519 private key (PEM, mode 0600) that signs {signs}.",
    )


def with_options(options: tuple[Option, ...] | list[Decorator]) -> Decorator:
    """Apply options so that --help lists them in table order."""
    decorators = [click_option(o) if isinstance(o, Option) else o for o in options]

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


IMAGE_FIELDS = ("image", "port", "env", "spec_path", "image_scheme", "ready_timeout")
image_options = with_options(
    [
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
)


def target_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """What is tested (--spec, --base-url, --header, then the --image options): shared by `run` and `certify`."""
    return with_options(TARGET_OPTIONS)(image_options(func))


run_options = with_options(RUN_OPTIONS)


def options_named(*names: str) -> Decorator:
    """Some of the run's options, for a command that takes only those (in the table's order)."""
    chosen = tuple(option for option in ALL_OPTIONS if option.name in names)
    assert len(chosen) == len(names), f"no such run options: {set(names) - {o.name for o in chosen}}"
    return with_options(chosen)


def run_settings(options: dict[str, Any]) -> RunSettings:
    """RunSettings from a command's options; the --image options become one ContainerRequest."""
    given = {key: options.pop(key, None) for key in IMAGE_FIELDS}
    if given["image"] is None:
        if given["port"] is not None or given["env"]:
            raise click.UsageError("--port and --env only apply with --image")
        if not options.get("spec"):
            raise click.UsageError("give --spec (the supplier's OpenAPI document) or --image (its container image)")
        return RunSettings.from_options(options)
    container = ContainerRequest(
        image=given["image"],
        port=given["port"],
        env=tuple(given["env"] or ()),
        spec_path=given["spec_path"] or DEFAULT_SPEC_PATH,
        scheme=given["image_scheme"] or "https",
        ready_timeout=given["ready_timeout"] or DEFAULT_READY_TIMEOUT,
    )
    return RunSettings.from_options(options, container=container)


def watched() -> Progress:
    """The progress of a run someone watches on stderr (use it as a context manager: it runs the heartbeat)."""
    return Progress(terminal_display())


def run_or_exit(settings: RunSettings) -> RunSession:
    """Run the checks; unusable input or an interruption before the run started ends the command."""
    try:
        with watched() as progress:
            return execute(settings, progress)
    except UsageError as exc:
        fail_usage(str(exc))
    except KeyboardInterrupt:  # before the run started (a container is removed on the way out)
        click.echo("interrupted before the run started; nothing was written", err=True)
        sys.exit(ExitCode.INTERRUPTED)


def print_summary(session: RunSession) -> None:
    """The summary the report opens with (conformance.render.summary), ending with the report's path."""
    assert session.record is not None
    for line in summary_lines(session.record, session.out_dir / "report.html"):
        click.echo(printable(line))


def printable(text: str) -> str:
    """Supplier-given fields are data: control characters must not reach the terminal."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def fail_usage(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(ExitCode.UNUSABLE)


def parse_at(value: str | None) -> datetime:
    """ISO 8601 date or time for --at; without an offset it is UTC."""
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time", param_hint="--at") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
