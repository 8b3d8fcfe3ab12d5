"""The council records API on APIFlask (fixtures/stacks/apiflask_council), served over TLS by a real WSGI server
and run through the real command line: conformant on every profile with evidence for every pass, and its seeded
defect (naive timestamps) failing the requirements on dates alone."""

from pathlib import Path

from stacks.apiflask_council import DEFECTS
from stacks.serving import serve_wsgi

from tests.conftest import EXAMPLES, CliRun, assert_conformant_with_evidence, run_cli, supplier_args

# What this supplier leaves nothing to decide, and why: it has no rate limit and offers no CORS.
NOT_APPLICABLE = {"NET-11": "no rate limiting seen", "NET-13": "no CORS headers"}


def run_apiflask(out: Path, *extra: str, examples: str = EXAMPLES, **env: str) -> CliRun:
    with serve_wsgi("stacks.apiflask_council", "/openapi.json", **env) as supplier:
        return run_cli(supplier_args(supplier, *extra, examples=examples), out)


def test_conformant_on_every_profile_with_evidence_for_every_pass(tmp_path: Path) -> None:
    assert_conformant_with_evidence(run_apiflask(tmp_path), NOT_APPLICABLE)


def test_naive_timestamps_fail_the_date_requirements_alone(tmp_path: Path) -> None:
    """`datetime.utcnow()` written by marshmallow has no offset: not the RFC 3339 date-time the document
    declares (EXP-04) nor the RFC 3339 date an export must carry (EXP-11)."""
    result = run_apiflask(
        tmp_path, "--profile", "open-standard-export", examples="1", APIFLASK_COUNCIL_DEFECT="naive-datetimes"
    )
    assert result.failed() == set(DEFECTS["naive-datetimes"]), result.stdout[-3000:]
    exp11 = next(r for p in result.results["profiles"] for r in p["requirements"] if r["id"] == "EXP-11")
    assert "is not an RFC 3339 date-time with an offset" in exp11["reason"]
    assert result.code == 1
