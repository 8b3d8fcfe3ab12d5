"""Write a run's three outputs: results.json (validated against its schema), junit.xml and report.html."""

import json
from pathlib import Path

from conformance.record import RunRecord
from conformance.render.junit import junit_xml
from conformance.render.outline import outline
from conformance.render.templates import templates
from conformance.schemas_loader import validate


def write_reports(record: RunRecord, out_dir: Path) -> None:
    """The record becomes JSON here, once; a record that breaks its schema is a harness bug and is not written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    document = record.to_json()
    validate(document, "results")
    (out_dir / "results.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out_dir / "junit.xml").write_bytes(junit_xml(record))
    (out_dir / "report.html").write_text(report_html(record), encoding="utf-8")


def report_html(record: RunRecord) -> str:
    """The self-contained HTML report: a pure function of the record (check-document renders one too)."""
    return templates().get_template("report.html.j2").render(o=outline(record))
