"""A run never goes quiet (its stderr, read live from the real command), the rate limit adapts to the
target, and the stateful phase's bound is recorded."""

import io
import itertools
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from rich.console import Console

from conformance import progress as progress_module
from conformance.cli.live import LiveBar, terminal_display
from conformance.fuzzing.engine import FuzzSettings, run_fuzzing
from conformance.progress import WAITS, PlainLines, Position, Progress
from conformance.record import StatefulSummary
from conformance.safety import DEFAULT_MAX_RPS, RateLimitBasis, Safety, rate_limit
from conformance.schemas_loader import load_schema
from tests.tiny_api import serve_api

SLOW_SECONDS = 7.0  # the first request to /slow waits this long: longer than any quiet spell may be
LONGEST_QUIET = 6.0  # the heartbeat speaks after 3 s; generous for a loaded machine

ITEM = {"type": "object", "properties": {"id": {"type": "integer"}}}
OK = {"200": {"description": "ok", "content": {"application/json": {"schema": ITEM}}}}
SLOW_API = {
    "openapi": "3.0.3",
    "info": {"title": "slow", "version": "1"},
    "paths": {
        "/slow": {"get": {"responses": OK}},
        "/items": {
            "post": {
                "operationId": "createItem",
                "requestBody": {"required": True, "content": {"application/json": {"schema": ITEM}}},
                "responses": {
                    "200": {
                        **OK["200"],
                        "links": {"read": {"operationId": "readItem", "parameters": {"id": "$response.body#/id"}}},
                    }
                },
            }
        },
        "/items/{id}": {
            "get": {
                "operationId": "readItem",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": OK,
            }
        },
    },
}


@pytest.mark.parametrize(
    ("explicit", "base_url", "trusted", "expected"),
    [
        (None, "http://127.0.0.1:8080/v1", False, (0.0, RateLimitBasis.LOOPBACK)),
        (None, "http://127.9.9.9", False, (0.0, RateLimitBasis.LOOPBACK)),
        (None, "https://[::1]:8443", False, (0.0, RateLimitBasis.LOOPBACK)),
        (None, "http://LOCALHOST:3000", False, (0.0, RateLimitBasis.LOOPBACK)),
        (None, "https://api.supplier.example", False, (DEFAULT_MAX_RPS, RateLimitBasis.DEFAULT)),
        (None, "http://127.0.0.1.supplier.example", False, (DEFAULT_MAX_RPS, RateLimitBasis.DEFAULT)),
        (None, "http://10.0.0.5", False, (DEFAULT_MAX_RPS, RateLimitBasis.DEFAULT)),
        (None, "https://staging.supplier.example", True, (0.0, RateLimitBasis.TRUSTED)),
        (5.0, "http://127.0.0.1:8080", False, (5.0, RateLimitBasis.OPTION)),
        (0.0, "https://api.supplier.example", False, (0.0, RateLimitBasis.OPTION)),
        (50.0, "https://staging.supplier.example", True, (50.0, RateLimitBasis.OPTION)),
    ],
)
def test_the_rate_limit_is_none_on_loopback_or_trusted_targets_and_an_explicit_one_wins(
    explicit: float | None, base_url: str, trusted: bool, expected: tuple[float, RateLimitBasis]
) -> None:
    assert rate_limit(explicit, base_url, trusted) == expected
    assert DEFAULT_MAX_RPS == 20


def test_a_run_against_a_slow_endpoint_is_never_quiet_and_names_the_wait(tmp_path: Path) -> None:
    slow_requests: list[float] = []

    def answer(method: str, path: str, content_type: str, body: bytes) -> tuple[int, Any]:
        if path == "/slow" and not slow_requests:
            slow_requests.append(time.monotonic())
            time.sleep(SLOW_SECONDS)
        return 200, {"id": 1}

    with serve_api(("GET", "POST"), answer) as api:
        args = [*api.spec_args(SLOW_API, tmp_path), "--seed", "3", "--max-examples", "2", "--request-timeout", "10"]
        args = [arg for arg in args if arg not in ("--max-rps", "0")]  # the default rate limit is under test
        lines = read_stderr_live(
            [*args, "--profile", "open-standard-export", "--out", str(tmp_path / "out")], env_without_ci()
        )
    assert slow_requests, "the slow endpoint was never called"
    stamps = [stamp for stamp, _ in lines]
    gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    assert max(gaps) < LONGEST_QUIET, [(round(gap, 1), text) for gap, (_, text) in zip(gaps, lines[1:], strict=False)]
    # The first request to /slow may be a probe with a method it does not declare: the request sent is named.
    waiting = [text for _, text in lines if re.search(r"waiting \d+s for [A-Z]+ /slow", text)]
    assert waiting and "--request-timeout 10s" in waiting[0], [text for _, text in lines]
    assert any("still working: fuzzing" in text for _, text in lines)
    assert any("rate limit: none (loopback target)" in text for _, text in lines)
    results = json.loads((tmp_path / "out" / "results.json").read_text("utf-8"))
    jsonschema.validate(results, load_schema("results"))
    assert results["run"]["max_rps"] == 0 and results["run"]["max_rps_basis"] == "loopback target"
    stateful = results["fuzzing"]["stateful"]
    assert stateful["max_scenarios"] == 2 * 4 and stateful["max_steps"] == 6
    assert stateful["scenarios"] > 0 and stateful["steps"] > 0
    assert stateful["bound_reached"] == (stateful["scenarios"] >= stateful["max_scenarios"])
    assert results["fuzzing"]["stop_reason"] == "completed"
    report = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert f"{stateful['scenarios']} sequences of linked calls" in report
    assert "Rate limit</dt><dd>none (loopback target)" in report


def env_without_ci() -> dict[str, str]:
    """Plain lines come either way (stderr is a pipe); without CI this shows the choice is made by the pipe."""
    return {name: value for name, value in os.environ.items() if name != "CI"}


def read_stderr_live(args: list[str], env: dict[str, str]) -> list[tuple[float, str]]:
    """Each stderr line of `conformance ARGS` with the moment it arrived, read while the process runs."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[tuple[float, str]] = []

    def collect() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append((time.monotonic(), line.rstrip("\n")))

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    assert proc.stdout is not None
    proc.stdout.read()
    proc.wait(timeout=300)
    reader.join(timeout=10)
    assert proc.returncode in (0, 1), "\n".join(text for _, text in lines[-40:])
    return lines


def test_the_stateful_phase_stops_at_its_bound_and_the_run_still_counts_as_complete() -> None:
    """Every read of a created item fails, so the engine would go on replaying and shrinking; the bound ends it."""

    def reads_fail(method: str, path: str, content_type: str, body: bytes) -> tuple[int, Any]:
        return (500, {"error": "boom"}) if method == "GET" and path.startswith("/items/") else (200, {"id": 1})

    with serve_api(("GET", "POST"), reads_fail) as api:
        settings = FuzzSettings(
            base_url=api.base, headers={}, seed=3, max_examples=2, safety=Safety(max_rps=0), stateful_bound=2
        )
        report = run_fuzzing(SLOW_API, settings, Progress())
    summary = report.summary()
    assert summary.stop_reason == "completed" and not summary.errors
    # A sequence already under way when the engine is stopped still finishes, and counts.
    ran = report.stateful
    assert summary.stateful == StatefulSummary(ran.scenarios, ran.steps, 2, 6, bound_reached=True)
    assert 2 <= ran.scenarios <= 3 and ran.steps > 0
    assert any(finding.operation == "GET /items/{id}" for finding in summary.findings)


def test_a_quiet_plain_display_repeats_the_position_and_names_the_slow_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "QUIET_SECONDS", 0.0)
    monkeypatch.setattr(progress_module, "SLOW_REQUEST_SECONDS", 0.0)
    lines: list[str] = []
    progress = Progress(PlainLines(lines.append))
    progress.at(stage="fuzzing", done=0, total=40, cases=0, findings=0)
    progress.at(phase="stateful", operation="POST /items", done=10, cases=120, findings=2)
    with WAITS.on("GET /reports", 10.0):
        progress.tick()
    progress.tick()
    assert re.fullmatch(
        r"\[ +\d+\.\ds\] still working: fuzzing, stateful phase, POST /items, 10 of 40, 120 cases, 2 findings, "
        r"about \d+s left; waiting 0s for GET /reports \(--request-timeout 10s\)",
        lines[0],
    ), lines
    assert "waiting" not in lines[1]


def test_on_a_terminal_the_live_bar_shows_the_position_and_the_wait() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=200)
    bar = LiveBar(console)
    position = Position(stage="fuzzing", phase="coverage", operation="GET /slow", done=3, total=9, cases=40)
    bar.show(12.0, position, "waiting 3s for GET /slow (--request-timeout 10s)")
    bar.line(12.0, "fuzzing: coverage phase")
    bar.bar.refresh()
    bar.close()
    shown = console.file.getvalue()
    for part in ("fuzzing, coverage, GET /slow", "3/9", "12s elapsed", "40 cases", "GET /slow (--request-timeout 10s)"):
        assert part in shown, shown
    assert "[  12.0s] fuzzing: coverage phase" in shown


def test_plain_lines_when_ci_is_set_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setenv("CI", "true")
    assert isinstance(terminal_display(), PlainLines)
    monkeypatch.setenv("CI", "false")
    display = terminal_display()
    assert isinstance(display, LiveBar)
    display.close()
