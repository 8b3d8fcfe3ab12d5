"""The fuzzer and the requirements it decides: every open request format, scopes with evidence, undeclared
methods, --max-time as a ceiling, and the defects of both reference suppliers."""

import copy
import csv
import io
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from planning_supplier import VARIANTS as PLANNING_VARIANTS

from conformance.catalogue import all_requirements
from conformance.checks.kit.fuzzed import assert_no_findings
from conformance.checks.kit.outcomes import Undecided
from conformance.demo import serve
from conformance.fuzzing.engine import FuzzSettings, run_fuzzing
from conformance.fuzzing.report import FuzzReport
from conformance.fuzzing.scope import OperationCoverage, plan_operations
from conformance.progress import Progress
from conformance.record import Outcome, RequirementResult, Verdict
from conformance.safety import Safety
from conformance.verdicts import profile_verdict
from tests.conftest import CliRun, run_cli, supplier_args
from tests.tiny_api import serve_api

FUZZ_DECIDED = ("EXP-03", "EXP-04", "EXP-05", "EXP-06", "EXP-07", "EXP-08", "EXP-09", "NET-10")


def reasons(result: CliRun) -> dict[str, str]:
    return {r["id"]: r["reason"] for p in result.results["profiles"] for r in p["requirements"]}


def evidence(result: CliRun, requirement: str) -> list[dict[str, Any]]:
    return next(r["evidence"] for p in result.results["profiles"] for r in p["requirements"] if r["id"] == requirement)


def scope_of(result: CliRun, requirement: str) -> dict[str, Any]:
    """The coverage item a fuzz-decided requirement's evidence opens with."""
    first = evidence(result, requirement)[0]
    assert "scope" in first, first
    return first


def document(paths: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"openapi": "3.0.3", "info": {"title": "tiny", "version": "1"}, "paths": paths, **extra}


OK_RESPONSE = {
    "200": {
        "description": "ok",
        "content": {"application/json": {"schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}},
    }
}


def post_taking(media_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    body = {"required": True, "content": {media_type: {"schema": schema}}}
    return {"post": {"requestBody": body, "responses": OK_RESPONSE}}


# --- 1. request bodies in every open format ---------------------------------------------------------

RECORD = {
    "type": "object",
    "required": ["name", "count"],
    "properties": {"name": {"type": "string"}, "count": {"type": "integer"}},
}
OPEN_FORMATS = {
    "/ndjson": ("application/x-ndjson", RECORD),
    "/ndjson-iana": ("application/ndjson", RECORD),
    "/jsonl": ("application/jsonl", {"type": "array", "items": RECORD}),
    "/jsonlines": ("application/x-jsonlines", RECORD),
    "/csv": ("text/csv", {"type": "array", "items": RECORD}),
    "/json": ("application/json", RECORD),
    "/geojson": (
        "application/geo+json",
        {"type": "object", "properties": {"type": {"type": "string", "enum": ["Feature"]}}},
    ),
    "/problem": ("application/vnd.acme.record+json", RECORD),
    "/xml": ("application/xml", RECORD),
    "/form": ("application/x-www-form-urlencoded", RECORD),
    "/multipart": ("multipart/form-data", RECORD),
    "/text": ("text/plain", {"type": "string"}),
    "/binary": ("application/octet-stream", {"type": "string", "format": "binary"}),
}


def test_request_bodies_in_every_open_format_are_sent(tmp_path: Path) -> None:
    paths = {path: post_taking(media_type, schema) for path, (media_type, schema) in OPEN_FORMATS.items()}
    with serve_api(("POST",)) as api:
        result = run_cli(
            [*api.spec_args(document(paths), tmp_path), "--seed", "3", "--max-examples", "3"], tmp_path / "out"
        )
    assert "Serialization" not in json.dumps(result.results["fuzzing"]["errors"]), result.results["fuzzing"]["errors"]
    exercised = scope_of(result, "EXP-03")["exercised"]
    assert set(exercised) == {f"POST {path}" for path in OPEN_FORMATS}, scope_of(result, "EXP-03")
    assert all(count > 0 for count in exercised.values())
    # as declared (the coverage phase also sends other media types, and no body, on purpose)
    bodies = {
        path: [s for s in api.seen if s.path == path and s.body and s.content_type.startswith(media_type)]
        for path, (media_type, _) in OPEN_FORMATS.items()
    }
    for path in ("/ndjson", "/ndjson-iana", "/jsonl", "/jsonlines"):
        assert bodies[path], path
        for seen in bodies[path]:
            assert seen.body.endswith(b"\n"), seen.body
            for line in seen.body.decode().split("\n")[:-1]:
                json.loads(line)  # every line one JSON text
    assert any(s.body.count(b"\n") > 1 for s in bodies["/jsonl"]), "a declared array is sent as lines"
    headed = [next(csv.reader(io.StringIO(s.body.decode()))) for s in bodies["/csv"] if s.body]
    assert ["name", "count"] in headed, "the CSV header row is made from the schema's properties"


# --- a vendor media type: --hooks, and a scope gap that poisons nothing else -----------------------------

VENDOR = "application/vnd.acme.case"
HOOKS = f'''
import json
import schemathesis


@schemathesis.serializer("{VENDOR}")
def acme_case(ctx, value):
    return json.dumps({{"case": value}}).encode("utf-8")
'''
VENDOR_DOCUMENT = document(
    {
        "/items": {"get": {"responses": OK_RESPONSE}},
        "/cases": {
            "post": {
                "requestBody": {"required": True, "content": {VENDOR: {"schema": RECORD}}},
                "responses": {"204": {"description": "stored"}},
            }
        },
    }
)


def vendor_answer(method: str, path: str, content_type: str, body: bytes) -> tuple[int, Any]:
    return (204, None) if method == "POST" else (200, {"ok": True})


def test_an_operation_that_cannot_be_exercised_is_named_with_the_way_out(tmp_path: Path) -> None:
    with serve_api(("GET", "POST"), vendor_answer) as api:
        result = run_cli(
            [*api.spec_args(VENDOR_DOCUMENT, tmp_path), "--seed", "3", "--max-examples", "3"], tmp_path / "o"
        )
    outcomes, why = result.outcomes(), reasons(result)
    assert outcomes["EXP-03"] == "error"
    assert "POST /cases" in why["EXP-03"] and "--hooks" in why["EXP-03"] and VENDOR in why["EXP-03"]
    assert "POST /cases" in scope_of(result, "EXP-03")["not_exercised"]
    assert scope_of(result, "EXP-03")["exercised"]["GET /items"] > 0
    # EXP-04's scope is the operations whose responses declare a schema: the gap is not its concern
    assert outcomes["EXP-04"] == "pass", why["EXP-04"]
    assert set(scope_of(result, "EXP-04")["exercised"]) == {"GET /items"}


def test_a_hooks_file_registers_a_vendor_media_type(tmp_path: Path) -> None:
    hooks = tmp_path / "acme_hooks.py"
    hooks.write_text(HOOKS, "utf-8")
    with serve_api(("GET", "POST"), vendor_answer) as api:
        args = [*api.spec_args(VENDOR_DOCUMENT, tmp_path), "--seed", "3", "--max-examples", "3"]
        result = run_cli([*args, "--hooks", str(hooks)], tmp_path / "o")
    assert result.outcomes()["EXP-03"] == "pass", reasons(result)["EXP-03"]
    assert scope_of(result, "EXP-03")["exercised"]["POST /cases"] > 0
    posted = [s for s in api.seen if s.method == "POST" and s.content_type == VENDOR]
    assert posted and all(set(json.loads(s.body)) == {"case"} for s in posted)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), ("raise RuntimeError('broken on purpose')", "failed to import: RuntimeError")],
)
def test_an_unusable_hooks_file_is_a_usage_error(content: str | None, message: str, tmp_path: Path) -> None:
    hooks = tmp_path / "hooks.py"
    if content is not None:
        hooks.write_text(content, "utf-8")
    cli = run_cli(["run", "--spec", str(tmp_path / "openapi.json"), "--hooks", str(hooks)], tmp_path / "o")
    assert cli.code == 2 and message in cli.stderr and "Traceback" not in cli.stderr


def test_the_pytest_entry_takes_the_hooks_option_too(tmp_path: Path) -> None:
    spec, hooks = str(tmp_path / "openapi.json"), str(tmp_path / "none.py")
    pytest_args = ["--pyargs", "conformance.checks", "-p", "no:cacheprovider"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args, "--conformance-spec", spec, "--conformance-hooks", hooks],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no such file" in proc.stdout + proc.stderr


# --- 3. a method the document does not declare ---------------------------------------------------

PROBED_DOCUMENT = document(
    {
        "/items": {"get": {"responses": OK_RESPONSE}},
        "/items/{itemId}": {
            "delete": {
                "parameters": [{"name": "itemId", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"204": {"description": "deleted"}, "404": {"description": "no such item"}},
            }
        },
    }
)


def catch_all(method: str, path: str, content_type: str, body: bytes) -> tuple[int, Any]:
    """GET and DELETE as declared; DELETE /items, where it is not declared, 501; TRACE crashes with 500."""
    if method == "TRACE":
        return 500, {"error": "crashed"}
    if method == "DELETE":
        return (501, {"error": "not implemented"}) if path == "/items" else (204, None)
    return 200, {"ok": True}


def test_undeclared_methods_are_not_valid_requests(tmp_path: Path) -> None:
    """PUT, POST, PATCH... get http.server's own 501; DELETE /items a 501 too, but DELETE is declared elsewhere."""
    with serve_api(("GET", "DELETE", "TRACE"), catch_all) as api:
        result = run_cli(
            [*api.spec_args(PROBED_DOCUMENT, tmp_path), "--seed", "3", "--max-examples", "3"], tmp_path / "o"
        )
        probed = {s.method for s in api.seen} - {"GET", "DELETE"}
    assert {"PUT", "POST", "PATCH", "TRACE"} <= probed, probed
    findings = result.results["fuzzing"]["findings"]
    assert result.outcomes()["EXP-03"] == "pass", reasons(result)["EXP-03"]
    assert not [f for f in findings if f["requirement"] == "EXP-03"]
    crashed = [f for f in findings if f["operation"].startswith("TRACE ") and f["check"] == "not_a_server_error"]
    assert crashed and all(f["requirement"] == "NET-10" for f in crashed)
    assert not [f for f in findings if f["check"] == "not_a_server_error" and f["requirement"] != "NET-10"]
    unsupported = {f["operation"] for f in findings if f["check"] == "unsupported_method"}
    assert "DELETE /items" in unsupported, "the server knows DELETE, so 405 was due"
    assert not any(label.split()[0] in {"PUT", "POST", "PATCH"} for label in unsupported), unsupported
    for finding in findings:  # the label names the method sent, as the curl does
        method = finding["operation"].split()[0]
        assert re.match(rf"curl -X {method} ", finding["curl"]), finding


ROUTED_DOCUMENT = document(
    {
        "/items/export": {"get": {"responses": OK_RESPONSE}},
        "/items/{itemId}": {
            "delete": {
                "parameters": [{"name": "itemId", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"204": {"description": "deleted"}, "422": {"description": "not an item id"}},
            }
        },
    }
)


def path_first_router(method: str, path: str, content_type: str, body: bytes) -> tuple[int, Any]:
    """Routes by path, then method, as Starlette and FastAPI do: DELETE /items/export reaches the item route,
    which rejects "export" as an id with 422; PUT /items/export is accepted (the defect still caught)."""
    if method == "DELETE":
        return (204, None) if path.rsplit("/", 1)[-1].isdigit() else (422, {"detail": "itemId is not an integer"})
    return 200, {"ok": True}


def test_an_undeclared_method_rejected_with_another_4xx_is_rejected(tmp_path: Path) -> None:
    """EXP-07 asks that an undeclared method be rejected with a 4xx; 405 is one way, a router's 422 another."""
    with serve_api(("GET", "DELETE", "PUT"), path_first_router) as api:
        result = run_cli(
            [*api.spec_args(ROUTED_DOCUMENT, tmp_path), "--seed", "3", "--max-examples", "3"], tmp_path / "o"
        )
        sent = {(s.method, s.path) for s in api.seen}
    assert ("DELETE", "/items/export") in sent, sent
    unsupported = {f["operation"] for f in result.results["fuzzing"]["findings"] if f["check"] == "unsupported_method"}
    assert "DELETE /items/export" not in unsupported, unsupported
    assert "PUT /items/export" in unsupported, "a 200 to an undeclared method is still accepted, not rejected"


def refuses_empty_bodies(method: str, path: str, content_type: str, body: bytes) -> tuple[int, Any]:
    """A required body: no content at all is refused (400), as Connexion does; any record lines are taken."""
    if not body:
        return 400, {"title": "RequestBody is required"}
    lines = body.decode("utf-8", "replace").splitlines()
    return (200, {"ok": True}) if all(line.startswith("{") for line in lines) else (400, {"title": "not NDJSON"})


def test_an_empty_array_for_a_required_ndjson_body_is_no_valid_request(tmp_path: Path) -> None:
    """An NDJSON body of no records is no content on the wire, which `required: true` forbids: refusing it is
    no EXP-08 finding."""
    doc = document({"/import": post_taking("application/x-ndjson", {"type": "array", "items": RECORD})})
    with serve_api(("POST",), refuses_empty_bodies) as api:
        result = run_cli([*api.spec_args(doc, tmp_path), "--seed", "5", "--max-examples", "5"], tmp_path / "o")
        bodies = [s.body for s in api.seen if s.method == "POST"]
    assert b"" in bodies and any(b.startswith(b"{") for b in bodies), bodies[:5]
    accepted = [f for f in result.results["fuzzing"]["findings"] if f["check"] == "positive_data_acceptance"]
    assert not accepted, accepted
    assert result.outcomes()["EXP-08"] == "pass", reasons(result)["EXP-08"]


# --- 2. scopes: unit rules on a report ------------------------------------------------------------


def report_for(doc: dict[str, Any], sent: dict[str, OperationCoverage], read_only: bool = False) -> FuzzReport:
    """A finished run's report: the document's operations, and what was sent to each."""
    report = FuzzReport(plan=plan_operations(doc, read_only), read_only=read_only, probes_sent=not read_only)
    report.operations = sent
    report.cases = sum(c.answered + c.probes for c in sent.values())
    return report


TWO_GETS = document({"/a": {"get": {"responses": OK_RESPONSE}}, "/b": {"get": {"responses": OK_RESPONSE}}})


def test_a_requirement_passes_only_when_every_operation_in_its_scope_was_exercised() -> None:
    items: list[dict[str, Any]] = []
    both = {"GET /a": OperationCoverage(positive=3), "GET /b": OperationCoverage(positive=1)}
    assert_no_findings(report_for(TWO_GETS, both), "EXP-03", items)
    assert items[0]["exercised"] == {"GET /a": 3, "GET /b": 1}
    with pytest.raises(Undecided, match=r"GET /b: the fuzzer never reached it"):
        assert_no_findings(report_for(TWO_GETS, {"GET /a": OperationCoverage(positive=3)}), "EXP-03", [])
    invalid_only = {"GET /a": OperationCoverage(positive=1), "GET /b": OperationCoverage(negative=4)}
    with pytest.raises(Undecided, match=r"GET /b: no valid requests answered \(4 requests answered in all\)"):
        assert_no_findings(report_for(TWO_GETS, invalid_only), "EXP-03", [])


def test_nothing_in_scope_is_not_applicable_with_its_reason() -> None:
    bare = document({"/a": {"get": {"responses": {"204": {"description": "nothing"}}}}})
    report = report_for(bare, {"GET /a": OperationCoverage(positive=2)})
    for requirement, reason in [
        ("EXP-04", "no response in the document declares a schema"),
        ("EXP-09", "declares no links and the fuzzer inferred none"),
        ("NET-01", "no operation declares a security requirement"),
    ]:
        with pytest.raises(pytest.skip.Exception, match=reason):
            assert_no_findings(report, requirement, [])


def test_read_only_leaves_writes_out_of_scope_and_says_so() -> None:
    doc = document({"/a": {"get": {"responses": OK_RESPONSE}, "post": {"responses": OK_RESPONSE}}})
    items: list[dict[str, Any]] = []
    assert_no_findings(report_for(doc, {"GET /a": OperationCoverage(positive=2)}, read_only=True), "EXP-03", items)
    assert items[0]["left_out"] == {"POST /a": "--read-only: only GET, HEAD and OPTIONS are sent"}


def test_an_operation_with_a_problem_is_named_with_it() -> None:
    troubled = OperationCoverage(positive=2)
    troubled.add_problem("fuzzing phase: requests timed out (...); raise --request-timeout (now 10 s)")
    sent = {"GET /a": troubled, "GET /b": OperationCoverage(positive=1)}
    with pytest.raises(Undecided, match=r"GET /a: fuzzing phase: requests timed out.*--request-timeout"):
        assert_no_findings(report_for(TWO_GETS, sent), "EXP-05", [])


def test_an_error_no_operation_owns_stops_what_its_phase_decides() -> None:
    report = report_for(TWO_GETS, {"GET /a": OperationCoverage(positive=1), "GET /b": OperationCoverage(positive=1)})
    report.linked_operations = {"GET /a", "GET /b"}
    report.unowned_errors.append(("stateful", "stateful phase: Invalid Link Definition: no such operation"))
    with pytest.raises(Undecided, match="Invalid Link Definition"):
        assert_no_findings(report, "EXP-09", [])
    assert_no_findings(report, "EXP-03", [])  # the links are EXP-09's concern alone


def created_at_location(method: str, path: str, content_type: str, body: bytes) -> tuple[Any, ...]:
    if method == "POST":
        return 201, {"id": 1}, {"Location": "/items/1"}
    return (200, {"id": 1}) if path == "/items/1" else (404, {"error": "no such item"})


ITEM = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
CREATED_DOCUMENT = document(
    {
        "/items": {
            "post": {
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"201": {"description": "made", "content": {"application/json": {"schema": ITEM}}}},
            }
        },
        "/items/{itemId}": {
            "get": {
                "parameters": [{"name": "itemId", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": {"description": "it", "content": {"application/json": {"schema": ITEM}}},
                    "404": {"description": "no such item"},
                },
            }
        },
    }
)


def test_links_inferred_from_location_headers_make_the_stateful_scope() -> None:
    """No link in the document: the Location header is one; and Schemathesis writes it into a copy, not ours."""
    untouched = copy.deepcopy(CREATED_DOCUMENT)
    with serve_api(("GET", "POST"), created_at_location) as api:
        settings = FuzzSettings(base_url=api.base, headers={}, seed=3, max_examples=3, safety=Safety(max_rps=0))
        report = run_fuzzing(CREATED_DOCUMENT, settings, Progress())
    assert untouched == CREATED_DOCUMENT
    assert {"POST /items", "GET /items/{itemId}"} <= report.linked_operations
    items: list[dict[str, Any]] = []
    assert_no_findings(report, "EXP-09", items)
    assert items[0]["exercised"]["POST /items"] > 0 and items[0]["exercised"]["GET /items/{itemId}"] > 0


def test_timeouts_end_as_error_naming_request_timeout(tmp_path: Path) -> None:
    def slow(method: str, path: str, content_type: str, body: bytes) -> tuple[int, Any]:
        if path == "/slow":
            time.sleep(1.5)
        return 200, {"ok": True}

    doc = document({"/items": {"get": {"responses": OK_RESPONSE}}, "/slow": {"get": {"responses": OK_RESPONSE}}})
    with serve_api(("GET",), slow) as api:
        args = [*api.spec_args(doc, tmp_path), "--seed", "3", "--max-examples", "2", "--request-timeout", "0.5"]
        result = run_cli([*args, "--profile", "open-standard-export"], tmp_path / "o")
    why = reasons(result)
    assert result.outcomes()["EXP-03"] == "error"
    assert "GET /slow" in why["EXP-03"] and "timed out" in why["EXP-03"] and "--request-timeout" in why["EXP-03"]


# --- 5. a run that lost its target (end to end: tests/test_bad_input.py) ---------------------------------


def test_a_run_that_lost_its_target_is_incomplete_whatever_failed() -> None:
    failed = RequirementResult.of(all_requirements()["EXP-03"], Outcome.FAIL, "a server error", [])
    assert profile_verdict([failed], complete=False) == Verdict.NOT_CONFORMANT
    assert profile_verdict([failed], complete=False, target_lost=True) == Verdict.INCOMPLETE


# --- 4. --max-time is a ceiling ----------------------------------------------------------------------


def test_max_time_is_a_ceiling_not_a_quota(tmp_path: Path) -> None:
    runs = []
    for name, extra in (("without", ()), ("with", ("--max-time", "120"))):
        with serve("conformant") as supplier:
            runs.append(run_cli(supplier_args(supplier, *extra), tmp_path / name))
    without, within = runs
    assert within.code == 0, within.stdout + within.stderr[-2000:]
    assert within.results["run"]["complete"] is True and within.results["verdict"] == "conformant"
    assert within.results["fuzzing"]["stop_reason"] == "completed"
    # The engine's case counts vary by a case or two between identical runs (its timing-dependent parts);
    # a quota would have kept generating for two minutes: thousands of cases.
    cases, baseline = within.results["fuzzing"]["cases"], without.results["fuzzing"]["cases"]
    assert baseline > 50 and abs(cases - baseline) <= max(3, baseline // 50), (cases, baseline)
    assert set(within.outcomes().values()) == {"pass"}


# --- 6. the planning supplier: its NDJSON import fuzzed, its defects caught ----------------------------


def test_the_planning_import_is_fuzzed_and_every_fuzz_decided_requirement_passes(
    planning_run: Callable[[str], CliRun],
) -> None:
    result = planning_run("conformant")
    assert result.code == 0, result.stdout + result.stderr[-2000:]
    outcomes = result.outcomes()
    assert {rid: outcomes[rid] for rid in (*FUZZ_DECIDED, "NET-01")} == dict.fromkeys((*FUZZ_DECIDED, "NET-01"), "pass")
    for requirement in (*FUZZ_DECIDED, "NET-01"):
        scope = scope_of(result, requirement)
        assert scope["exercised"] and scope["schemathesis_checks"] and "not_exercised" not in scope, requirement
    for requirement in ("EXP-03", "EXP-07", "EXP-08", "NET-10"):
        assert scope_of(result, requirement)["exercised"]["POST /imports/applications"] > 0, requirement
    assert scope_of(result, "EXP-09")["exercised"]["POST /applications"] > 0, "the create's links were followed"


# variant -> (the check that catches it, the path of the operation it names)
PLANNING_DEFECTS = {
    "accepts-missing-required": ("negative_data_rejection", "/applications"),
    "rejects-listed-building": ("positive_data_acceptance", "/applications"),
    "stale-location": ("created_resource_is_at_its_location", "/applications"),
}


@pytest.mark.parametrize("variant", PLANNING_DEFECTS)
def test_each_planning_defect_is_caught(variant: str, planning_run: Callable[[str], CliRun]) -> None:
    result = planning_run(variant)
    assert set(PLANNING_VARIANTS[variant].violates) <= result.failed(), reasons(result)
    findings = [f for f in result.results["fuzzing"]["findings"] if f["requirement"] in FUZZ_DECIDED]
    assert findings and all(re.search(r"^curl ", f["curl"], re.MULTILINE) for f in findings)
    assert PLANNING_DEFECTS[variant] in {(f["check"], f["operation"].split()[1]) for f in findings}, findings
    if variant == "stale-location":  # the Location itself was requested: Schemathesis never does
        (finding,) = [f for f in findings if f["check"] == "created_resource_is_at_its_location"]
        assert "Location: /api/v1/applications/" in finding["message"] and "answered 404" in finding["message"]


def test_a_path_item_that_stops_the_fuzzer_reading_the_document_is_named() -> None:
    """A `$ref` that is a number stops Schemathesis reading the whole document: the report names the path item
    (found by loading each alone), and every fuzz-decided requirement ends as error with that reason."""
    answered = {"get": {"responses": {"200": {"description": "ok"}}}}
    broken = {"get": {"responses": {"200": {"$ref": 5}}}}
    document = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": broken, "/b": answered}}
    settings = FuzzSettings(base_url="http://127.0.0.1:9", headers={}, seed=0, max_examples=1)  # never contacted
    report = run_fuzzing(document, settings, Progress())
    assert report.unloadable.startswith("the fuzzer (Schemathesis) could not load the document at $.paths['/a'] (")
    assert "'int' object has no attribute" in report.unloadable and "EXP-01" in report.unloadable
    assert report.stop_reason == "document_not_loaded" and report.cases == 0
    with pytest.raises(Undecided, match=r"not tested: the fuzzer \(Schemathesis\) could not load"):
        assert_no_findings(report, "EXP-03", [])
