"""`conformance check-document`: what OpenAPI documents decide on their own, one document or several side by side.

A council comparing vendors before purchase, or a supplier in a pre-commit hook, may hold only the document.
Each document gets the run `conformance run` makes, in document-only mode: only the checks that decide from the
document run, nothing is sent to any API, and the rest is *not tested: needs the live API*. With several
documents, each report goes in its own folder and a table compares them (terminal and comparison.html).
"""

import dataclasses
import re
import sys
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import click

from conformance.catalogue import select_profiles
from conformance.cli.shared import fail_usage, options_named, printable, watched
from conformance.errors import UsageError
from conformance.record import Outcome, RunRecord
from conformance.render.comparison import Checked, terminal_lines, write_comparison
from conformance.run.execution import execute
from conformance.run.settings import RunSettings
from conformance.verdicts import ExitCode

DOCUMENT_OPTIONS = ("header", "profile", "out", "ca-bundle", "allow-ref-host", "max-document-size")
# When several documents end differently, the command's code is the gravest of theirs.
GRAVITY = (ExitCode.CONFORMANT, ExitCode.NOT_CONFORMANT, ExitCode.UNUSABLE, ExitCode.INTERRUPTED)


@click.command("check-document")
@click.argument("specs", nargs=-1, required=True, metavar="SPEC [SPEC...]")
@options_named(*DOCUMENT_OPTIONS)
def check_document(specs: tuple[str, ...], **options: Any) -> None:
    """Check OpenAPI documents (files or URLs) without their APIs: the requirements a document alone decides.

    Writes report.html, results.json (run.mode "document-only") and junit.xml, in --out for one document,
    and for several in one folder each beside comparison.html, a table of every document against every
    requirement. Requirements that need the live API are "not tested", never passes; such a run is never
    certified.

    \b
    Exit codes:
      0   every MUST requirement the documents decide passed or does not apply
      1   one failed, or could not be decided
      2   unusable arguments, or a document that cannot be read or is not OpenAPI
      130 interrupted
    """
    settings = dataclasses.replace(RunSettings.from_options(options), document_only=True)
    try:
        select_profiles(settings.profiles)
    except UsageError as exc:
        fail_usage(str(exc))
    base = settings.out_dir(datetime.now(UTC))
    folders = [base] if len(specs) == 1 else [base / folder_name(i, spec) for i, spec in enumerate(specs, 1)]
    rows: list[Checked] = []
    codes: list[ExitCode] = []
    for spec, folder in zip(specs, folders, strict=True):
        row, code = check_one(dataclasses.replace(settings, spec=spec, out=str(folder)), folder.relative_to(base))
        rows.append(row)
        codes.append(code)
        print_document(row, folder)
        if code == ExitCode.INTERRUPTED:
            break
    if len(specs) > 1:
        click.echo("")
        for line in terminal_lines(rows):
            click.echo(printable(line))
        click.echo(f"comparison: {write_comparison(rows, base)}")
    sys.exit(max(codes, key=GRAVITY.index))


def check_one(settings: RunSettings, folder: Path) -> tuple[Checked, ExitCode]:
    """One document's run; a document that cannot be used is a row that says why (exit code 2)."""
    try:
        with watched() as progress:
            session = execute(settings, progress)
    except UsageError as exc:
        return Checked(settings.spec, refused=str(exc)), ExitCode.UNUSABLE
    except KeyboardInterrupt:  # before the run started: nothing was written for this document
        return Checked(settings.spec, refused="interrupted before the check started"), ExitCode.INTERRUPTED
    report = (folder / "report.html").as_posix()
    return Checked(settings.spec, session.record, report=report), session.exit_code()


def folder_name(index: int, spec: str) -> str:
    """`02-acme-openapi`: numbered in the order given (two vendors may both call theirs openapi.json)."""
    stem = PurePosixPath(urlsplit(spec).path if "://" in spec else Path(spec).as_posix()).stem
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:40] or "document"
    return f"{index:02d}-{slug}"


def print_document(row: Checked, folder: Path) -> None:
    """What the document decided: a tally, every decided requirement that did not pass (those failing for one
    reason, such as a missing declaration, on one line), and its report."""
    record = row.record
    if record is None:
        click.echo(printable(f"{row.source}: {row.summary}"))
        return
    target = record.target
    click.echo(printable(f"{row.source}: {target.api_title} {target.api_version}: {row.summary} ({tally(record)})"))
    alike: dict[tuple[str, str], list[str]] = {}
    for result in record.requirements():
        if result.outcome != Outcome.PASS and not result.needs_live_api:
            first_line = result.reason.partition("\n")[0][:160]
            alike.setdefault((result.outcome, first_line), []).append(f"{result.id} {result.level}")
    for (outcome, reason), which in alike.items():
        click.echo(printable(f"  {', '.join(which)} {outcome}: {reason}"))
    click.echo(f"  report: {folder / 'report.html'}")


def tally(record: RunRecord) -> str:
    results = {r.id: r for r in record.requirements()}.values()
    untested = sum(r.needs_live_api for r in results)
    counts: dict[str, int] = {}
    for result in results:
        if not result.needs_live_api:
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
    decided = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    return f"{decided}; {untested} not tested: need the live API"
