"""results.json is the record, written and read back without losing or inventing anything."""

import dataclasses

from conformance.catalogue import Level, Requirement, Source
from conformance.record import (
    NEEDS_LIVE_API,
    NOT_FUZZED,
    SCHEMA_VERSION,
    ContainerInfo,
    Finding,
    FuzzingSummary,
    HarnessInfo,
    ImageInfo,
    Outcome,
    ProfileResult,
    RequirementResult,
    RunInfo,
    RunRecord,
    SharedCause,
    TargetInfo,
    TlsVerification,
    Verdict,
    as_json,
)
from conformance.verdicts import ExitCode, decided_musts, document_exit_code

SOURCE = Source("RFC 9110", "15", "https://www.rfc-editor.org/rfc/rfc9110")
PASSED = RequirementResult("EXP-10", Level.MUST, "UTF-8", SOURCE, Outcome.PASS, "", ({"request": "GET /v1"},))
FAILED = RequirementResult("EXP-11", Level.SHOULD, "dates", SOURCE, Outcome.FAIL, "naive", ())


def record(image: ImageInfo | None = None, container: ContainerInfo | None = None) -> RunRecord:
    finding = Finding("EXP-03", "not_a_server_error", "GET /cases", "Server error", "500", 500, 2, "curl ...")
    return RunRecord(
        run=RunInfo("2026-12-03T06:00:00Z", "2026-12-03T06:01:00Z", 7, 10, 1, True, "", False, 0.0, 0.0),
        harness=HarnessInfo("conformance", "0.1.0", "4.32.5"),
        target=TargetInfo("spec.json", None, None, "https://127.0.0.1/v1", TlsVerification.ON, "t", "1", image),
        profiles=(ProfileResult("export", "1.0", "Export", Verdict.INCOMPLETE, (PASSED, FAILED), ("EXP-11",)),),
        fuzzing=FuzzingSummary(True, 12, 3, 3, "completed", (finding,), ("one error",)),
        verdict=Verdict.INCOMPLETE,
        container=container,
    )


def test_a_record_round_trips_through_json() -> None:
    image = ImageInfo("img", "sha256:1", "sha256:2", "repo-digest", ("a@sha256:2",), note="built here")
    container = ContainerInfo("img", 8080, "running", "logs", False, "1 MB")
    for made in (record(), record(image, container)):
        assert RunRecord.from_json(made.to_json()) == made


def test_json_holds_values_not_enums_lists_not_tuples() -> None:
    data = record().to_json()
    assert data["verdict"] == "incomplete" and data["schema_version"] == SCHEMA_VERSION
    assert data["profiles"][0]["requirements"][0]["level"] == "MUST"
    assert data["profiles"][0]["requirements"][0]["evidence"] == [{"request": "GET /v1"}]
    assert data["profiles"][0]["advisories"] == ["EXP-11"]
    assert data["target"]["spec_sha256"] is None and data["target"]["tls_verification"] == "on"
    assert as_json({"k": (Outcome.PASS, [Verdict.CONFORMANT])}) == {"k": ["pass", ["conformant"]]}


def test_empty_optionals_are_left_out_and_others_kept() -> None:
    data = record().to_json()
    assert "container" not in data and "image" not in data["target"]
    image = ImageInfo("img", "id", "digest", "image-id")
    kept = record(image).to_json()
    assert kept["target"]["image"] == {
        "name": "img",
        "id": "id",
        "digest": "digest",
        "digest_source": "image-id",
        "repo_digests": [],
    }
    assert "note" not in kept["target"]["image"]


def test_unknown_keys_are_ignored_on_reading() -> None:
    data = record().to_json()
    data["future_field"] = 1
    data["run"]["also_new"] = "x"
    assert RunRecord.from_json(data) == record()


def test_record_helpers() -> None:
    made = record()
    assert made.requirements() == [PASSED, FAILED]
    assert made.target.tls_verified and not TargetInfo("s", "h", "f", "u", TlsVerification.OFF, "t", "1").tls_verified
    assert made.fuzzing.findings[0].key == ("EXP-03", "GET /cases", "not_a_server_error", "Server error")
    assert FuzzingSummary(False, 0, 0, 0, "not-run", (), ()) == NOT_FUZZED


def with_outcomes(*results: RequirementResult) -> RunRecord:
    made = record()
    profile = dataclasses.replace(made.profiles[0], requirements=results)
    return dataclasses.replace(made, profiles=(profile,))


def test_a_document_only_run_exits_by_what_the_document_decided() -> None:
    live = RequirementResult("NET-05", Level.MUST, "HSTS", SOURCE, Outcome.ERROR, f"{NEEDS_LIVE_API} (headers)", ())
    assert decided_musts(with_outcomes(PASSED, FAILED, live)) == [PASSED]
    assert document_exit_code(with_outcomes(PASSED, FAILED, live), False) == ExitCode.CONFORMANT
    assert document_exit_code(with_outcomes(PASSED, live), True) == ExitCode.INTERRUPTED
    for outcome in (Outcome.FAIL, Outcome.ERROR):
        must = dataclasses.replace(PASSED, outcome=outcome, reason="x")
        assert document_exit_code(with_outcomes(must, live), False) == ExitCode.NOT_CONFORMANT
    inapplicable = dataclasses.replace(PASSED, outcome=Outcome.NOT_APPLICABLE)
    assert document_exit_code(with_outcomes(inapplicable), False) == ExitCode.CONFORMANT


def test_a_result_names_its_shared_cause_and_the_record_finds_it() -> None:
    cause = SharedCause("no-declaration", "No declaration", "Add it.")
    requirement = Requirement("EXP-10", Level.MUST, "UTF-8", "why", "fix", SOURCE, (), "p")
    assert RequirementResult.of(requirement, Outcome.FAIL, "r", [], cause).cause == "no-declaration"
    assert RequirementResult.of(requirement, Outcome.FAIL, "r", []).cause == ""
    made = dataclasses.replace(record(), causes=(SharedCause("other", "t", "e"), cause))
    assert made.cause("no-declaration") is cause and made.cause("absent") is None
