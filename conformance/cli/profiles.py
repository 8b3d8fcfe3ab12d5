"""`conformance profiles`: the requirement catalogue, as the harness ships it."""

import sys
from pathlib import Path

import click

from conformance.catalogue import Level, load_profiles
from conformance.profile_docs import DOCS_DIR, render_json, render_markdown, render_text, write_docs
from conformance.verdicts import ExitCode

RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}


@click.group("profiles")
def profiles() -> None:
    """List and show the conformance profiles and their requirements."""


@profiles.command("list")
def list_profiles() -> None:
    """One line per profile: id, version, requirement counts and title."""
    for profile in load_profiles().values():
        musts = sum(r.level == Level.MUST for r in profile.requirements)
        shoulds = len(profile.requirements) - musts
        requires = f"  (requires {', '.join(profile.requires)})" if profile.requires else ""
        counts = f"{musts:>2} MUST {shoulds:>2} SHOULD"
        click.echo(f"{profile.id:<22} {profile.version:<8} {counts}  {profile.title}{requires}")


@profiles.command("show")
@click.argument("profile_id")
@click.option(
    "--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text", show_default=True, help="Output format."
)
def show(profile_id: str, fmt: str) -> None:
    """Every requirement of one profile: statement, level, rationale, source, what it needs, its check."""
    catalogue = load_profiles()
    if profile_id not in catalogue:
        click.echo(f"error: unknown profile {profile_id!r}; known profiles: {', '.join(catalogue)}", err=True)
        sys.exit(ExitCode.UNUSABLE)
    click.echo(RENDERERS[fmt](catalogue[profile_id]), nl=False)


@profiles.command("docs")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=DOCS_DIR, show_default=True, help="Folder."
)
def docs(out: Path) -> None:
    """Regenerate the Markdown page of every profile (docs/profiles/<id>.md)."""
    for path in write_docs(out):
        click.echo(str(path))
