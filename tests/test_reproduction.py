"""Reproductions replay: a finding's curl lines, run for real by bash against a freshly started API, get the
status the run reported; only the real credentials are variables, and a chain reads what its create made."""

import json
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from planning_supplier import serve as serve_planning
from planning_supplier import start as start_planning
from schemathesis.core.failures import ServerError
from schemathesis.engine import Status
from schemathesis.engine.recorder import CheckFailureInfo, CheckNode, ScenarioRecorder

from conformance.demo import serve
from conformance.fuzzing.reproduction import Replay, header_variable, reproduction
from tests.conftest import run_cli, supplier_args
from tests.static_server import running

API_KEY = "k3y-of-the-council-7f41"
CURSOR_DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Cursor API", "version": "1"},
    "paths": {
        "/items": {
            "get": {
                "parameters": [{"name": "page_token", "in": "query", "schema": {"type": "string"}}],
                "security": [{"key": []}],
                "responses": {"200": {"description": "A page of items"}, "401": {"description": "No key"}},
            }
        }
    },
    "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}}},
}


@contextmanager
def cursor_api(port: int = 0) -> Iterator[tuple[str, list[str]]]:
    """An API whose pagination cursor crashes it when shorter than 3 characters (a `_token` named parameter);
    yields its base URL and the cursors it was sent."""
    cursors: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Silent."""

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query, keep_blank_values=True)
            if url.path != "/items":
                status = 404
            elif self.headers.get("X-Api-Key") != API_KEY:
                status = 401
            else:
                cursor = query.get("page_token", [None])[0]
                if cursor is not None:
                    cursors.append(cursor)
                status = 500 if cursor is not None and len(cursor) < 3 else 200
            payload = json.dumps({"items": []} if status == 200 else {"error": status}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    with running(ThreadingHTTPServer(("127.0.0.1", port), Handler)) as base:
        yield base, cursors


def replay(curl: str, folder: Path, credentials: dict[str, str]) -> list[int]:
    """Run a reproduction as a user would (bash, real curl, the credential variables set); the statuses seen.

    curl reads its write-out from a .curlrc in CURL_HOME, so the command runs exactly as written."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".curlrc").write_text('silent\nshow-error\nwrite-out = "\\nstatus=%{http_code}\\n"\n', "utf-8")
    variables = {header_variable(name): value for name, value in credentials.items()}
    environment = {"PATH": os.environ["PATH"], "CURL_HOME": str(folder), **variables}
    done = subprocess.run(["bash", "-c", curl], cwd=folder, env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [int(status) for status in re.findall(r"^status=(\d+)$", done.stdout, re.MULTILINE)]


def port_of(base: str) -> int:
    return int(urlsplit(base).port or 0)


def assert_labels_name_the_method_sent(findings: list[dict[str, Any]]) -> None:
    """The failing request is the last one; for a Location that serves nothing, the create that named it."""
    for finding in findings:
        method = finding["operation"].split()[0]
        requests = [line for line in finding["curl"].splitlines() if line.startswith("curl ")]
        failing = requests[0] if finding["check"] == "created_resource_is_at_its_location" else requests[-1]
        assert re.search(rf" -X {method} ", failing), finding


def test_a_finding_after_a_create_replays_with_the_id_the_fresh_api_gives(tmp_path: Path) -> None:
    """stale-update-index: a case just created answers 404 to PUT. The chain POSTs, reads the new case's id
    from the fresh API's own answer and PUTs to it: 404 there; on a conformant API the same lines get 200."""
    with serve("stale-update-index") as supplier:
        result = run_cli(supplier_args(supplier, "--profile", "open-standard-export"), tmp_path / "run")
        port = port_of(supplier.base)
    findings = result.results["fuzzing"]["findings"]
    assert_labels_name_the_method_sent(findings)
    chained = [f for f in findings if f["requirement"] == "EXP-09" and f["operation"] == "PUT /cases/{caseId}"]
    assert chained, findings
    curl = chained[0]["curl"]
    assert re.search(r"^# 1\. POST /cases$", curl, re.MULTILINE) and "$caseId_from_step1" in curl, curl
    assert "Bearer" not in curl and '"Authorization: $CONFORMANCE_HEADER_AUTHORIZATION"' in curl, curl
    for variant, expected in (("stale-update-index", 404), ("conformant", 200)):
        with serve(variant, port=port) as fresh:
            statuses = replay(curl, tmp_path / variant, {"Authorization": f"Bearer {fresh.token}"})
        assert statuses == [201, expected], (variant, statuses, curl)


def test_a_finding_on_a_record_made_earlier_replays_with_its_create_first(tmp_path: Path) -> None:
    """ignored-auth: DELETE without credentials removed a case an earlier, unrelated request had made. The
    lines make a case first and DELETE at the Location the fresh API names: 204 there, 401 on a conformant API."""
    with serve("ignored-auth") as supplier:
        result = run_cli(supplier_args(supplier, "--profile", "network-integration"), tmp_path / "run")
        port = port_of(supplier.base)
    findings = result.results["fuzzing"]["findings"]
    assert_labels_name_the_method_sent(findings)
    on_record = [f for f in findings if f["status_code"] == 204 and "$record_from_step1" in f["curl"]]
    assert on_record, findings
    curl = on_record[0]["curl"]
    assert re.search(r"^# 1\. POST /cases, which made the record the next request uses$", curl, re.MULTILINE), curl
    for variant, expected in (("ignored-auth", 204), ("conformant", 401)):
        with serve(variant, port=port) as fresh:
            statuses = replay(curl, tmp_path / variant, {"Authorization": f"Bearer {fresh.token}"})
        assert statuses == [201, expected], (variant, statuses, curl)


def test_a_cursor_named_like_a_token_is_replayed_as_sent_and_only_the_key_is_a_variable(tmp_path: Path) -> None:
    """Schemathesis's own sanitizer would send `page_token=%5BFiltered%5D` (the API then answers 200, not 500),
    and the X-Api-Key itself must be the variable the user sets."""
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(CURSOR_DOCUMENT), "utf-8")
    with cursor_api() as (base, _):
        run = ["run", "--spec", str(document), "--base-url", base, "--max-rps", "0", "--seed", "3"]
        result = run_cli([*run, "--max-examples", "10", "--header", f"X-Api-Key: {API_KEY}"], tmp_path / "run")
    findings = result.results["fuzzing"]["findings"]
    assert_labels_name_the_method_sent(findings)
    crashes = [f for f in findings if f["check"] == "not_a_server_error" and "page_token=" in f["curl"]]
    assert crashes, findings
    curl = crashes[0]["curl"]
    assert "Filtered" not in curl and API_KEY not in curl, curl
    assert '-H "X-Api-Key: $CONFORMANCE_HEADER_X_API_KEY"' in curl, curl
    sent = parse_qs(urlsplit(re.findall(r"'?(http://\S+?)'?$", curl)[-1]).query, keep_blank_values=True)
    with cursor_api(port_of(base)) as (_, cursors):
        statuses = replay(curl, tmp_path / "replay", {"X-Api-Key": API_KEY})
    assert statuses == [crashes[0]["status_code"]] == [500], (statuses, curl)
    assert cursors == sent["page_token"], (cursors, curl)


def test_a_location_that_serves_nothing_replays_as_the_create_and_a_get_of_its_location(tmp_path: Path) -> None:
    """stale-location names /api/v1/... in a 201's Location under /api/v2: the lines create, then GET the
    Location the fresh API's own answer names, and get 404 there; a conformant API's Location answers 200.

    The run is this test's own, not the session's shared one: the fresh suppliers the lines replay against carry
    certificates from this process's throwaway CA, which another test worker's run does not trust."""
    with serve_planning("stale-location") as supplier:
        findings = run_cli(supplier_args(supplier), tmp_path / "run").results["fuzzing"]["findings"]
    assert_labels_name_the_method_sent(findings)
    (finding,) = [f for f in findings if f["check"] == "created_resource_is_at_its_location"]
    curl = finding["curl"]
    assert re.search(r"^# 2\. GET the Location step 1's response names$", curl, re.MULTILINE), curl
    port = int(re.findall(r"https://127\.0\.0\.1:(\d+)/", curl)[0])
    for variant, expected in (("stale-location", 404), ("conformant", 200)):
        fresh = start_planning(variant, port=port)
        try:
            statuses = replay(curl, tmp_path / variant, {"Authorization": f"Bearer {fresh.token}"})
        finally:
            fresh.stop()
        assert statuses == [201, expected], (variant, statuses, curl)


def test_a_head_request_is_replayed_with_head_so_curl_does_not_wait_for_a_body(tmp_path: Path) -> None:
    """`curl -X HEAD` alone waits for the Content-Length it is promised and fails; the line must end."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Silent."""

        def do_HEAD(self) -> None:
            self.send_response(500)
            self.send_header("Content-Length", "100")
            self.end_headers()

    with running(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as base:
        sample = f"curl -X HEAD -H 'X-Api-Key: {API_KEY}' {base}/items"
        failure = ServerError(operation="HEAD /items", status_code=500)
        check = CheckNode("not_a_server_error", Status.FAILURE, CheckFailureInfo(code_sample=sample, failure=failure))
        curl = reproduction(check, ScenarioRecorder(label="HEAD /items"), Replay({"X-Api-Key": API_KEY}))
        assert curl == f'curl -X HEAD --head -H "X-Api-Key: $CONFORMANCE_HEADER_X_API_KEY" {base}/items'
        assert replay(curl, tmp_path, {"X-Api-Key": API_KEY}) == [500]
