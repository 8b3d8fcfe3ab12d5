"""JUnit XML: one testsuite per profile, one testcase per requirement, as CI systems read test results."""

import xml.etree.ElementTree as ET

from conformance.record import Outcome, RequirementResult, RunRecord


def junit_xml(record: RunRecord) -> bytes:
    """Not-applicable is skipped, error is error, fail is failure; what a document-only run leaves to the live
    API is skipped too (not run), so a supplier's CI reads errors only where the harness could not decide."""
    suites = ET.Element("testsuites", name="conformance")
    for profile in record.profiles:
        requirements = profile.requirements
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"{profile.id} {profile.version}",
            tests=str(len(requirements)),
            failures=str(sum(r.outcome == Outcome.FAIL for r in requirements)),
            errors=str(sum(r.outcome == Outcome.ERROR and not r.needs_live_api for r in requirements)),
            skipped=str(sum(r.outcome == Outcome.NOT_APPLICABLE or r.needs_live_api for r in requirements)),
        )
        for requirement in requirements:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=profile.id,
                name=f"{requirement.id} [{requirement.level}] {requirement.statement}",
            )
            detail = _evidence_text(requirement)
            if requirement.outcome == Outcome.FAIL:
                ET.SubElement(case, "failure", message=requirement.reason[:500]).text = detail
            elif requirement.outcome == Outcome.ERROR and not requirement.needs_live_api:
                ET.SubElement(case, "error", message=requirement.reason[:500]).text = detail
            elif requirement.outcome == Outcome.NOT_APPLICABLE or requirement.needs_live_api:
                ET.SubElement(case, "skipped", message=requirement.reason[:500])
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def _evidence_text(requirement: RequirementResult) -> str:
    lines = [requirement.reason]
    for item in requirement.evidence:
        if "curl" in item:
            lines.append(f"{item['operation']}: {item['title']}\n{item['message']}\nReproduce: {item['curl']}")
    return "\n\n".join(lines)
