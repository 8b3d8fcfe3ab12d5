"""The council records API on APIFlask (fixtures/stacks/apiflask_council), served over TLS by a real WSGI server
and run through the real command line: conformant on every profile with evidence for every pass, and its seeded
defect (naive timestamps) failing the requirements on dates alone."""

from pathlib import Path

from stacks.apiflask_council import DEFECTS
from stacks.serving import serve_wsgi

from conformance.catalogue import all_requirements
from tests.conftest import EXAMPLES, SEED, CliRun, run_cli

# What this supplier leaves nothing to decide, and why: it has no rate limit and offers no CORS.
NOT_APPLICABLE = {"NET-11": "no rate limiting seen", "NET-13": "no CORS headers"}


def run_apiflask(out: Path, *extra: str, examples: str = EXAMPLES, **env: str) -> CliRun:
    with serve_wsgi("stacks.apiflask_council", "/openapi.json", **env) as supplier:
        args = ["run", *supplier.harness_args(), "--seed", str(SEED), "--max-examples", examples, *extra]
        return run_cli(args, out)


def test_conformant_on_every_profile_with_evidence_for_every_pass(tmp_path: Path) -> None:
    result = run_apiflask(tmp_path)
    assert result.code == 0, result.stdout + result.stderr[-2000:]
    assert result.results["verdict"] == "conformant" and result.results["run"]["complete"] is True
    requirements = {r["id"]: r for p in result.results["profiles"] for r in p["requirements"]}
    assert set(requirements) == set(all_requirements())
    not_passed = {rid: r["reason"] for rid, r in requirements.items() if r["outcome"] != "pass"}
    assert set(not_passed) == set(NOT_APPLICABLE), not_passed
    for rid, start in NOT_APPLICABLE.items():
        assert requirements[rid]["outcome"] == "not-applicable" and requirements[rid]["reason"].startswith(start)
    assert all(r["evidence"] for r in requirements.values() if r["outcome"] == "pass")
    assert result.results["fuzzing"]["findings"] == []


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
