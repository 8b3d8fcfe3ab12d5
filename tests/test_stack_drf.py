"""The council records API on Django REST framework with drf-spectacular (fixtures/stacks/drf_council), served
over TLS by a real WSGI server and run through the real command line: conformant on every profile with evidence
for every pass, and its seeded defect (DRF's default error bodies) failing EXP-14 alone."""

from pathlib import Path

from stacks.drf_council import DEFECTS
from stacks.serving import serve_wsgi

from tests.conftest import EXAMPLES, CliRun, assert_conformant_with_evidence, run_cli, supplier_args

# What this supplier leaves nothing to decide, and why: it offers no CORS.
NOT_APPLICABLE = {"NET-13": "no CORS headers"}


def run_drf(out: Path, *extra: str, examples: str = EXAMPLES, **env: str) -> CliRun:
    with serve_wsgi("stacks.drf_council", "/openapi.json", **env) as supplier:
        return run_cli(supplier_args(supplier, *extra, examples=examples), out)


def test_conformant_on_every_profile_with_evidence_for_every_pass(tmp_path: Path) -> None:
    assert_conformant_with_evidence(run_drf(tmp_path), NOT_APPLICABLE)


def test_drf_default_error_bodies_fail_problem_details_alone(tmp_path: Path) -> None:
    # EXP-14 is decided by the checks' own probes: one example per operation is fuzzing enough
    result = run_drf(
        tmp_path, "--profile", "open-standard-export", examples="1", DRF_COUNCIL_DEFECT="drf-default-errors"
    )
    assert result.failed() == set(DEFECTS["drf-default-errors"]), result.stdout[-3000:]
    exp14 = next(r for p in result.results["profiles"] for r in p["requirements"] if r["id"] == "EXP-14")
    assert "came as application/json, not application/problem+json" in exp14["reason"]
    assert result.code == 0  # EXP-14 is a SHOULD: an advisory, the profile stays conformant
