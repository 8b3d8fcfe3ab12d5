"""JUnit XML: one testsuite per profile, one testcase per requirement, as CI systems read test results.

The file keeps to the JUnit XSD Jenkins and GitLab read (tests/data/jenkins-junit.xsd): a failure's message is
its one-line cause and its body the evidence as a text table; not-applicable is <skipped> with its reason as
text (that schema allows no attributes on it); what limits the run (read-only, incomplete, --insecure) is in
each suite's <properties>, where CI shows it beside the results.
"""

import xml.etree.ElementTree as ET

from conformance.record import Outcome, RunRecord
from conformance.render.evidence import evidence_text
from conformance.render.outline import Item, outline

MESSAGE_LIMIT = 300


def junit_xml(record: RunRecord) -> bytes:
    """Not-applicable is skipped, error is error, fail is failure; what a document-only run leaves to the live
    API is skipped too (not run), so a supplier's CI reads errors only where the harness could not decide."""
    view = outline(record)
    properties = _run_properties(record)
    suites = ET.Element("testsuites", name="conformance")
    for counted in view.profiles:
        profile = counted.profile
        requirements = profile.requirements
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"{profile.id} {profile.version}",
            tests=str(len(requirements)),
            failures=str(counted.counts[Outcome.FAIL]),
            errors=str(sum(r.outcome == Outcome.ERROR and not r.needs_live_api for r in requirements)),
            skipped=str(sum(r.outcome == Outcome.NOT_APPLICABLE or r.needs_live_api for r in requirements)),
        )
        listed = ET.SubElement(suite, "properties")
        for name, value in [*properties, ("verdict", profile.verdict.value)]:
            ET.SubElement(listed, "property", name=name, value=value)
        for result in requirements:
            item = Item(result, profile, record.cause(result.cause) if result.cause else None)
            case = ET.SubElement(
                suite,
                "testcase",
                classname=profile.id,
                name=f"{result.id} [{result.level}] {result.statement}",
            )
            if result.outcome == Outcome.FAIL:
                ET.SubElement(case, "failure", message=one_line(item), type=result.level.value).text = _body(item)
            elif result.outcome == Outcome.ERROR and not result.needs_live_api:
                ET.SubElement(case, "error", message=one_line(item), type="not-decided").text = _body(item)
            elif result.outcome == Outcome.NOT_APPLICABLE:
                ET.SubElement(case, "skipped").text = f"not-applicable: {one_line(item)}"
            elif result.needs_live_api:
                ET.SubElement(case, "skipped").text = one_line(item)
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def _run_properties(record: RunRecord) -> list[tuple[str, str]]:
    """What every suite says about the run as a whole: its limits first, then how to reproduce it."""
    run = record.run
    properties = [
        ("read-only", "true" if run.read_only else "false"),
        ("complete", "true" if run.complete else "false"),
    ]
    if not run.complete:
        properties.append(("incomplete", run.incomplete_reason or "the run did not finish"))
    properties += [
        ("tls-verification", record.target.tls_verification.value),
        ("overall-verdict", record.verdict.value),
        ("target", record.target.base_url),
        ("spec-sha256", record.target.spec_sha256 or "none: the document could not be read"),
        ("seed", str(run.seed)),
        ("harness", f"{record.harness.name} {record.harness.version}"),
    ]
    return properties


def one_line(item: Item) -> str:
    """The cause in one line: the first line of the reason, and the shared cause it comes from."""
    lines = item.result.reason.strip().splitlines()
    line = lines[0] if lines else item.result.outcome.value
    if item.cause is not None:
        line = f"{line} (shared cause: {item.cause.title})"
    return line if len(line) <= MESSAGE_LIMIT else line[: MESSAGE_LIMIT - 1] + "…"


def _body(item: Item) -> str:
    """The reason in full, the evidence as a text table, the shared cause's snippet, and how to fix it."""
    parts = [item.result.reason]
    evidence = evidence_text(item.evidence)
    if evidence:
        parts.append(evidence)
    if item.cause is not None:
        snippet = f"\n{item.cause.snippet}" if item.cause.snippet else ""
        parts.append(f"Shared cause: {item.cause.title}\n{item.cause.explanation}{snippet}")
    if item.result.fix and item.result.outcome == Outcome.FAIL:
        parts.append(f"How to fix it: {item.result.fix}")
    parts.append(f"Source: {item.result.source.document}, {item.result.source.clause} ({item.result.source.url})")
    return "\n\n".join(parts)
