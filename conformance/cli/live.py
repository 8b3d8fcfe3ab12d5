"""How a command shows a run's progress: a live bar on a terminal, plain lines in logs and CI.

Both are displays for conformance.progress.Progress; the lines they print are the same.
"""

import os
import sys
import time

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn
from rich.progress import Progress as Bar

from conformance.progress import Display, PlainLines, Position, duration


def terminal_display() -> Display:
    """A live bar when stderr is a terminal and CI is not set; plain lines otherwise (logs keep every line)."""
    in_ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    if sys.stderr.isatty() and not in_ci:
        return LiveBar()
    return PlainLines(lambda text: click.echo(text, err=True))


class LiveBar:
    """rich's progress bar on stderr: stage, phase and operation, done of total, cases, what is left, waits."""

    live = True

    def __init__(self, console: Console | None = None) -> None:
        self.bar = Bar(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}", markup=False),
            console=console or Console(stderr=True),
            transient=True,
        )
        self.task = self.bar.add_task("starting", total=None, status="")
        self.bar.start()

    def line(self, elapsed: float, text: str) -> None:
        self.bar.console.print(f"[{elapsed:6.1f}s] {text}", markup=False, highlight=False)

    def show(self, elapsed: float, position: Position, waiting: str) -> None:
        where = ", ".join(part for part in (position.stage, position.phase, position.operation) if part)
        status = [f"{duration(elapsed)} elapsed"]
        if position.cases:
            status.append(f"{position.cases} cases, {position.findings} findings")
        left = position.left_seconds(time.monotonic())
        status += [f"about {duration(left)} left"] if left is not None else []
        status += [waiting] if waiting else []
        self.bar.update(
            self.task,
            description=where,
            total=position.total or None,
            completed=min(position.done, position.total) if position.total else 0,
            status=" · ".join(status),
        )

    def close(self) -> None:
        self.bar.stop()
