"""Render the profile catalogue for people: plain text, Markdown (docs/profiles/<id>.md) and JSON.

The Markdown pages in docs/profiles/ are generated from the YAML profiles and kept in sync by a test;
regenerate them with `conformance profiles docs` (or `python -m conformance.profile_docs`).
"""

import json
import sys
import textwrap
from functools import cache
from pathlib import Path
from typing import Any

from conformance.catalogue import Level, Profile, Requirement, load_profiles

DOCS_DIR = Path("docs") / "profiles"


@cache
def checks_by_requirement() -> dict[str, str]:
    """Requirement id -> `module::function` of the check that decides it."""
    from conformance.checks.kit.decides import check_modules, table_of

    return {
        decides.requirement: f"conformance/checks/{module.__name__.rpartition('.')[2]}.py::{name}"
        for module in check_modules()
        for name, decides in table_of(module).items()
    }


def needs_text(requirement: Requirement) -> str:
    return ", ".join(requirement.needs) if requirement.needs else "nothing beyond the OpenAPI document"


def profile_as_dict(profile: Profile) -> dict[str, Any]:
    checks = checks_by_requirement()
    return {
        "id": profile.id,
        "version": profile.version,
        "title": profile.title,
        "summary": profile.summary,
        "requires": list(profile.requires),
        "requirements": [
            {
                "id": r.id,
                "level": r.level.value,
                "statement": r.statement,
                "rationale": r.rationale,
                "fix": r.fix,
                "source": {"document": r.source.document, "clause": r.source.clause, "url": r.source.url},
                "needs": list(r.needs),
                "check": checks.get(r.id, ""),
            }
            for r in profile.requirements
        ],
    }


def render_json(profile: Profile) -> str:
    return json.dumps(profile_as_dict(profile), indent=2, ensure_ascii=False) + "\n"


def _wrap(label: str, text: str, width: int = 100) -> list[str]:
    lead = f"    {label:<8}"
    return textwrap.wrap(text, width, initial_indent=lead, subsequent_indent=" " * len(lead)) or [lead.rstrip()]


def render_text(profile: Profile) -> str:
    musts = sum(r.level == Level.MUST for r in profile.requirements)
    lines = [
        f"{profile.id} {profile.version}: {profile.title}",
        *textwrap.wrap(profile.summary, 100),
        f"requires: {', '.join(profile.requires) or 'no other profile'}",
        f"{len(profile.requirements)} requirements ({musts} MUST, {len(profile.requirements) - musts} SHOULD)",
        "",
    ]
    checks = checks_by_requirement()
    for r in profile.requirements:
        lines.extend(textwrap.wrap(f"{r.id} {r.level.value}  {r.statement}", 100, subsequent_indent=" " * 4))
        lines.extend(_wrap("why:", r.rationale))
        lines.extend(_wrap("fix:", r.fix))
        lines.extend(_wrap("source:", f"{r.source.document}, {r.source.clause} <{r.source.url}>"))
        lines.extend(_wrap("needs:", needs_text(r)))
        lines.extend(_wrap("check:", checks.get(r.id, "none")))
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(profile: Profile) -> str:
    checks = checks_by_requirement()
    catalogue = load_profiles()
    requires = ", ".join(f"[{pid}]({pid}.md)" if pid in catalogue else f"`{pid}`" for pid in profile.requires)
    musts = sum(r.level == Level.MUST for r in profile.requirements)
    out = [
        f"# {profile.title} (`{profile.id}` {profile.version})",
        "",
        f"<!-- Generated from profiles/{profile.id}.yaml by `conformance profiles docs`; do not edit. -->",
        "",
        profile.summary,
        "",
        f"- Requires: {requires or 'no other profile'}",
        f"- Requirements: {len(profile.requirements)} ({musts} MUST, {len(profile.requirements) - musts} SHOULD)",
        "- Verdict: conformant when every applicable MUST passes; failed SHOULDs are listed as advisories.",
        "",
        "| ID | Level | Requirement |",
        "|---|---|---|",
    ]
    out.extend(f"| [{r.id}](#{r.id.lower()}) | {r.level.value} | {_cell(r.statement)} |" for r in profile.requirements)
    for r in profile.requirements:
        out.extend(
            [
                "",
                f"## {r.id}",
                "",
                f"**{r.level.value}**: {r.statement}",
                "",
                f"- Why: {r.rationale}",
                f"- How to fix a failure: {r.fix}",
                f"- Source: [{r.source.document}, {r.source.clause}]({r.source.url})",
                f"- Needs: {', '.join(f'`{n}`' for n in r.needs) if r.needs else needs_text(r)}",
                f"- Check: `{checks.get(r.id, 'none')}`",
            ]
        )
    return "\n".join(out) + "\n"


def write_docs(folder: Path = DOCS_DIR) -> list[Path]:
    """Write one Markdown page per profile; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for profile in load_profiles().values():
        path = folder / f"{profile.id}.md"
        path.write_text(render_markdown(profile), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_docs(Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS_DIR):
        print(written_path)
