"""Render the run record into results.json, junit.xml and a self-contained report.html."""

import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from conformance.results import write_json


@cache
def templates() -> jinja2.Environment:
    """Autoescaping everywhere: every string in a record may come from a hostile supplier."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("conformance", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def write_reports(record: dict[str, Any], out_dir: Path) -> None:
    """Write all three reports; results.json is validated against its schema first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(record, out_dir / "results.json")
    (out_dir / "junit.xml").write_bytes(junit_xml(record))
    (out_dir / "report.html").write_text(report_html(record), encoding="utf-8")


def junit_xml(record: dict[str, Any]) -> bytes:
    """One testsuite per profile, one testcase per requirement; n/a is skipped, error is error."""
    suites = ET.Element("testsuites", name="conformance")
    for profile in record["profiles"]:
        reqs = profile["requirements"]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"{profile['id']} {profile['version']}",
            tests=str(len(reqs)),
            failures=str(sum(r["outcome"] == "fail" for r in reqs)),
            errors=str(sum(r["outcome"] == "error" for r in reqs)),
            skipped=str(sum(r["outcome"] == "not-applicable" for r in reqs)),
        )
        for req in reqs:
            case = ET.SubElement(
                suite, "testcase", classname=profile["id"], name=f"{req['id']} [{req['level']}] {req['statement']}"
            )
            detail = _evidence_text(req)
            if req["outcome"] == "fail":
                ET.SubElement(case, "failure", message=req["reason"][:500]).text = detail
            elif req["outcome"] == "error":
                ET.SubElement(case, "error", message=req["reason"][:500]).text = detail
            elif req["outcome"] == "not-applicable":
                ET.SubElement(case, "skipped", message=req["reason"][:500])
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def _evidence_text(req: dict[str, Any]) -> str:
    lines = [req["reason"]]
    for item in req["evidence"]:
        if "curl" in item:
            lines.append(f"{item['operation']}: {item['title']}\n{item['message']}\nReproduce: {item['curl']}")
    return "\n\n".join(lines)


def report_html(record: dict[str, Any]) -> str:
    return templates().get_template("report.html.j2").render(record=record)
