"""The terminal summary: what the report says first, in a few lines, read from the record alone.

Its first line is the overall verdict with every limit of the run (read-only, --insecure, incomplete); then
per profile the verdict and counts; each shared cause once, with its snippet whole; the failures (MUST before
SHOULD) and what could not be decided, one line each; the seed; and, last, where the report is.
"""

from pathlib import Path

from conformance.record import RunRecord
from conformance.render.outline import Item, outline

REASON_WIDTH = 160
INDENT = "    "


def summary_lines(record: RunRecord, report: Path) -> list[str]:
    view = outline(record)
    lines = [f"overall: {record.verdict.value}" + "".join(f" [{limit.headline}]" for limit in view.limits)]
    lines += [f"  {limit.headline}: {limit.detail}" for limit in view.limits]
    for counted in view.profiles:
        profile = counted.profile
        lines.append(f"{profile.id} {profile.version}: {profile.verdict.value.upper()} ({counted.tally})")
    for group in view.causes:
        lines.append(f"shared cause of {len(group.items)} requirement(s) ({', '.join(group.ids)}): {group.cause.title}")
        lines.append(f"  {group.cause.explanation}")
        lines += [INDENT + line for line in group.cause.snippet.splitlines()]
    if view.failures:
        lines.append(f"failures ({len(view.failures)}), MUST first:")
        lines += _lines(view.failures)
    if view.undecided:
        lines.append(f"not decided ({len(view.undecided)}):")
        lines += _lines(view.undecided)
    lines.append(f"seed: {record.run.seed}  (rerun with --seed {record.run.seed} to reproduce)")
    lines.append(f"report: {report}")
    return lines


def _lines(items: list[Item]) -> list[str]:
    """One line per requirement; those decided by a shared cause together on one line that names it."""
    lines: list[str] = []
    by_cause: dict[str, list[Item]] = {}
    for item in items:
        if item.cause is None:
            lines.append(_line(item))
        else:
            by_cause.setdefault(item.cause.id, []).append(item)
    for cause_id, shared in by_cause.items():
        ids = ", ".join(f"{i.result.id} {i.result.level}" for i in shared)
        lines.append(f"  {ids} {shared[0].result.outcome.value}: shared cause {cause_id} (above)")
    return lines


def _line(item: Item) -> str:
    result = item.result
    reason = (result.reason.strip().splitlines() or [""])[0]
    if len(reason) > REASON_WIDTH:
        reason = reason[: REASON_WIDTH - 1] + "…"
    return f"  {result.id} {result.level} {result.outcome.value}: {reason}"
