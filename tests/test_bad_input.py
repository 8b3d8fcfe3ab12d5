"""Every unusable target or argument gives a one-line message and exit code 2, never a traceback; what is
wrong with the supplier (an invalid document) is a report instead, with exit code 1."""

import json
import re
import socket
from pathlib import Path

import pytest

from conformance.demo import serve
from conformance.demo.openapi import build_document
from tests.conftest import file_spec_args, run_cli, run_plain_pytest
from tests.invalid_documents import MANY_ERRORS_AT, many_errors
from tests.static_server import Canned, serve_static

OUTPUTS = ("results.json", "junit.xml", "report.html")


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_unusable(args: list[str], tmp_path: Path, message: str) -> None:
    result = run_cli(args, tmp_path / "out")
    assert result.code == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_unreachable_spec_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{unused_port()}/openapi.json"
    assert_unusable(["run", "--spec", url], tmp_path, "the server is unreachable")


def test_spec_url_http_error(tmp_path: Path) -> None:
    with serve_static({}) as base:
        assert_unusable(["run", "--spec", f"{base}/openapi.json"], tmp_path, "failed: HTTP 404")


def test_spec_that_is_neither_json_nor_yaml(tmp_path: Path) -> None:
    garbage = Canned(200, "text/plain", b"openapi: [unclosed\n  - {")
    with serve_static({"/spec": garbage}) as base:
        assert_unusable(["run", "--spec", f"{base}/spec"], tmp_path, "is neither JSON nor YAML")


def test_document_that_is_not_openapi(tmp_path: Path) -> None:
    path = tmp_path / "package.json"
    path.write_text(json.dumps({"name": "left-pad", "version": "1.0.0"}))
    assert_unusable(["run", "--spec", str(path)], tmp_path, "it has no top-level 'openapi' or 'swagger' field")


def test_https_to_a_server_that_speaks_no_tls_is_unusable(tmp_path: Path) -> None:
    """A TLS failure that is not a certificate's verdict says nothing about the supplier: exit 2."""
    with serve("conformant", https=False) as supplier:
        url = supplier.spec_url.replace("http://", "https://")
        assert_unusable(["run", "--spec", url], tmp_path, "TLS failed")


def test_missing_spec_file(tmp_path: Path) -> None:
    assert_unusable(["run", "--spec", str(tmp_path / "nope.yaml")], tmp_path, "cannot read the OpenAPI document")


@pytest.mark.parametrize("servers", [None, [{"url": "/v1"}]], ids=["no-servers", "relative-server-in-file"])
def test_no_base_url(servers: list | None, tmp_path: Path) -> None:
    document = build_document()
    document.pop("servers")
    if servers:
        document["servers"] = servers
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(document))
    assert_unusable(["run", "--spec", str(path)], tmp_path, "no base URL found")


def test_unknown_profile(tmp_path: Path) -> None:
    with serve("conformant") as supplier:
        args = ["run", "--spec", supplier.spec_url, "--profile", "no-such-profile"]
        assert_unusable(args, tmp_path, "unknown profile no-such-profile")


def test_malformed_header(tmp_path: Path) -> None:
    with serve("conformant") as supplier:
        assert_unusable(["run", "--spec", supplier.spec_url, "--header", "Bearer xyz"], tmp_path, "--header must look")


def test_yaml_spec_file_is_accepted(tmp_path: Path) -> None:
    """The positive twin of the parse errors: a YAML document on disk with --base-url runs."""
    import yaml

    with serve("conformant") as supplier:
        path = tmp_path / "openapi.yaml"
        path.write_text(yaml.safe_dump(build_document()))
        result = run_cli(
            file_spec_args(supplier, path, "--max-examples", "3", "--seed", "1"),
            tmp_path / "out",
        )
    assert result.code == 0, result.stderr
    assert result.results["target"]["spec"] == "openapi.yaml"


def test_target_down_mid_run_ends_as_error_with_report(tmp_path: Path) -> None:
    """The supplier stops while fuzzing: the run finishes, incomplete in every output, fuzz-decided ones as error."""
    import threading
    import time

    with serve("conformant") as supplier:
        path = tmp_path / "openapi.json"
        path.write_text(json.dumps(build_document()))

        def stop_when_busy() -> None:
            deadline = time.monotonic() + 60
            while supplier.app.requests_seen < 40 and time.monotonic() < deadline:
                time.sleep(0.01)
            supplier.stop()

        killer = threading.Thread(target=stop_when_busy, daemon=True)
        killer.start()
        result = run_cli(
            file_spec_args(supplier, path, "--max-examples", "10", "--seed", "1"),
            tmp_path / "out",
        )
        killer.join()
    assert result.code == 1, result.stderr
    outcomes = result.outcomes()
    assert outcomes["EXP-03"] == "error"
    reasons = {r["id"]: r["reason"] for p in result.results["profiles"] for r in p["requirements"]}
    assert "stopped answering part-way" in reasons["EXP-03"]
    assert result.results["fuzzing"]["stop_reason"] == "server_unavailable"
    assert result.results["fuzzing"]["errors"]
    # incomplete everywhere, whatever the checks that ran against nobody made of it: never not-conformant
    assert result.results["verdict"] == "incomplete"
    assert {p["verdict"] for p in result.results["profiles"]} == {"incomplete"}
    assert "stopped answering" in result.results["run"]["incomplete_reason"]
    assert "overall: incomplete" in result.stdout and "NOT-CONFORMANT" not in result.stdout
    html = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert 'id="overall-verdict">incomplete<' in html and ">not-conformant<" not in html


# --- an invalid document is a finding about the supplier: EXP-01 fails with every problem located ----------


def test_invalid_document_is_a_report_with_every_problem_located(tmp_path: Path) -> None:
    with serve("conformant") as supplier:
        path = tmp_path / "openapi.json"
        path.write_text(json.dumps(many_errors()))
        result = run_cli(file_spec_args(supplier, path, "--max-examples", "3", "--seed", "1"), tmp_path / "out")
    assert result.code == 1, result.stderr[-2000:]
    assert all((result.out / name).is_file() for name in OUTPUTS)
    exp01 = requirement(result.results, "EXP-01")
    assert exp01["outcome"] == "fail"
    located = {(item["operation"], item["json_path"]) for item in exp01["evidence"] if "json_path" in item}
    assert located == set(MANY_ERRORS_AT)
    for operation, json_path in MANY_ERRORS_AT:
        assert f"{operation} at {json_path}: ".lstrip() in exp01["reason"], json_path
    assert "8 problem(s)" in exp01["reason"]
    assert "EXP-01" in (result.out / "junit.xml").read_text("utf-8")
    # What the engine can load is still fuzzed; what it cannot is named per operation.
    fuzzed = {m[1] for m in re.finditer(r"fuzzing \[\w+\] (\w+ \S+): ([1-9]\d*) cases", result.stderr)}
    assert {"GET /health", "GET /cases", "GET /cases/{caseId}", "DELETE /cases/{caseId}"} <= fuzzed
    errors = " ".join(result.results["fuzzing"]["errors"])
    assert "POST /cases" in errors and "PUT /cases/{caseId}" in errors


def test_invalid_document_through_plain_pytest(tmp_path: Path) -> None:
    """A supplier's own CI gets the same report: EXP-01 fails alone, with each problem located."""
    with serve("invalid-document") as supplier:
        proc = run_plain_pytest(supplier, tmp_path / "out", tmp_path)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert all((tmp_path / "out" / name).is_file() for name in OUTPUTS)
    results = json.loads((tmp_path / "out" / "results.json").read_text("utf-8"))
    outcomes = {r["id"]: r["outcome"] for p in results["profiles"] for r in p["requirements"]}
    assert {rid for rid, outcome in outcomes.items() if outcome != "pass"} == {"EXP-01"}
    located = {item.get("json_path") for item in requirement(results, "EXP-01")["evidence"]}
    assert {"$.info.title", "$.tags[0].name", "$.paths['/health'].get.responses['200'].description"} <= located


def test_invalid_document_leaves_a_run_without_exp01_incomplete(tmp_path: Path) -> None:
    """The problems must not vanish from the record because the profile that lists them was not selected."""
    with serve("invalid-document") as supplier:
        args = ["run", *supplier.harness_args(), "--profile", "network-integration", "--max-examples", "3"]
        result = run_cli(args, tmp_path)
    assert result.code == 1, result.stderr[-2000:]
    assert set(result.outcomes().values()) == {"pass"}
    assert result.results["run"]["complete"] is False
    assert "EXP-01" in result.results["run"]["incomplete_reason"]
    assert result.results["verdict"] == "incomplete"


def requirement(results: dict, rid: str) -> dict:
    return next(r for p in results["profiles"] for r in p["requirements"] if r["id"] == rid)


# Every requirement that reads the fuzzing's results (conformance.checks.contract, and NET-01/08/10/11).
READS_THE_FUZZING = ("EXP-03", "EXP-04", "EXP-05", "EXP-06", "EXP-07", "EXP-08", "EXP-09", "NET-01", "NET-08")
READS_THE_FUZZING += ("NET-10", "NET-11")


def test_a_document_the_fuzzer_cannot_load_ends_its_requirements_as_error_saying_why(tmp_path: Path) -> None:
    """`paths` as a list passes intake (EXP-01 reports it) but stops Schemathesis reading the document at all:
    a bare `assert` of its own. The run says what it could not load and where, never the exception's name."""
    document = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": []}
    served = Canned(200, "application/json", json.dumps(document).encode())
    with serve_static({"/openapi.json": served}) as base:
        args = ["run", "--spec", f"{base}/openapi.json", "--base-url", f"{base}/v1", "--max-examples", "3"]
        result = run_cli([*args, "--seed", "1"], tmp_path / "out")
    assert result.code == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr + result.stdout
    assert all((result.out / name).is_file() for name in OUTPUTS)
    exp01 = requirement(result.results, "EXP-01")
    assert exp01["outcome"] == "fail" and "at $.paths: [] is not of type 'object'" in exp01["reason"]
    assert [item["json_path"] for item in exp01["evidence"] if "json_path" in item] == ["$.paths"]
    why = (
        "the fuzzer (Schemathesis) could not load the document at $.paths, which is an array, not an object, "
        "so nothing can be fuzzed; EXP-01 lists the document's problems"
    )
    for rid in READS_THE_FUZZING:
        ended = requirement(result.results, rid)
        assert (ended["outcome"], ended["reason"]) == ("error", f"not tested: {why}"), rid
    assert result.results["fuzzing"]["stop_reason"] == "document_not_loaded"
    assert result.results["fuzzing"]["errors"] == [why]
    assert why in result.results["run"]["incomplete_reason"]
    everything = result.stdout + result.stderr + json.dumps(result.results) + (result.out / "junit.xml").read_text()
    assert "AssertionError" not in everything and "could not run" not in everything
