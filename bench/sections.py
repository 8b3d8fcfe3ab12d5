"""The four measurements of the benchmark; each returns plain data for JSON and markdown."""

import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.timing import Timed, timed
from conformance.demo import serve
from conformance.run.execution import suite_arguments

PYTHON = sys.executable


def overhead(rounds: int, examples: int, seed: int) -> dict[str, Any]:
    """The harness's fuzzing-only suite against `st run`, same supplier, seed and examples, alternated.

    Wall time is what the target is about; each tool's CPU time is reported beside it, to show whether a
    difference is work done or time spent waiting (here the two move together, rounds vary in the work).
    """
    pairs = []
    for index in range(rounds):
        order = ("harness", "st") if index % 2 == 0 else ("st", "harness")
        runs: dict[str, Timed] = {}
        for tool in order:
            with serve("conformant", https=False) as supplier, tempfile.TemporaryDirectory() as out:
                command = (
                    _harness_command(supplier, examples, seed, out)
                    if tool == "harness"
                    else _st_command(supplier, examples, seed)
                )
                result = timed(command)
                if result.returncode not in (0, 1):
                    raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr[-800:]}")
                runs[tool] = result
        harness, st = runs["harness"], runs["st"]
        pairs.append(
            {
                "harness_s": round(harness.seconds, 2),
                "st_s": round(st.seconds, 2),
                "ratio": round(harness.seconds / st.seconds, 3),
                "harness_cpu_s": round(harness.cpu_seconds, 2),
                "st_cpu_s": round(st.cpu_seconds, 2),
                "cpu_ratio": round(harness.cpu_seconds / st.cpu_seconds, 3),
            }
        )
    return {
        "rounds": pairs,
        "median_ratio": round(statistics.median(p["ratio"] for p in pairs), 3),
        "median_cpu_ratio": round(statistics.median(p["cpu_ratio"] for p in pairs), 3),
        "target": 1.15,
    }


def _harness_command(supplier: Any, examples: int, seed: int, out: str) -> list[str]:
    """The pytest session `conformance run` drives, limited to the fuzzing-based checks: the fuzzing cost."""
    return [
        PYTHON,
        "-m",
        "pytest",
        *suite_arguments(),
        "-k",
        "test_contract",
        "--conformance-spec",
        supplier.spec_url,
        "--conformance-header",
        f"Authorization: Bearer {supplier.token}",
        "--conformance-seed",
        str(seed),
        "--conformance-max-examples",
        str(examples),
        "--conformance-max-rps",
        "0",
        "--conformance-out",
        out,
    ]


def _st_command(supplier: Any, examples: int, seed: int) -> list[str]:
    return [
        PYTHON,
        "-m",
        "schemathesis.cli",
        "run",
        supplier.spec_url,
        "--seed",
        str(seed),
        "--max-examples",
        str(examples),
        "-H",
        f"Authorization: Bearer {supplier.token}",
        "--no-color",
    ]


def throughput(examples: int, seed: int) -> list[dict[str, Any]]:
    """A demo-sized run with one and two workers: cases and requests per second."""
    rows = []
    for workers in (1, 2):
        with serve("conformant") as supplier, tempfile.TemporaryDirectory() as out:
            result = timed(
                [
                    PYTHON,
                    "-m",
                    "conformance",
                    "run",
                    *supplier.harness_args(),
                    "--seed",
                    str(seed),
                    "--max-examples",
                    str(examples),
                    "--workers",
                    str(workers),
                    "--out",
                    out,
                ]
            )
            requests_seen = supplier.app.requests_seen
            cases = json.loads((Path(out) / "results.json").read_text())["fuzzing"]["cases"]
        rows.append(
            {
                "workers": workers,
                "seconds": round(result.seconds, 2),
                "cases": cases,
                "requests": requests_seen,
                "cases_per_s": round(cases / result.seconds, 1),
                "requests_per_s": round(requests_seen / result.seconds, 1),
            }
        )
    return rows


def scale(sizes: list[int], run_limit: int) -> list[dict[str, Any]]:
    """Each size in its own fresh process: load, validate and plan; then one example per operation."""
    rows = []
    for size in sizes:
        command = [PYTHON, "-m", "bench.measure_plan", str(size)]
        result = timed(command + (["--fuzz"] if size <= run_limit else []))
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-800:])
        row = json.loads(result.stdout)
        row.setdefault("one_example_per_op_s", None)
        rows.append(row)
    return rows


def certificates(count: int) -> dict[str, Any]:
    """Sign and verify cost per certificate, from one real run record of the reference supplier."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from conformance.progress import Progress
    from conformance.render.certificate import embed_json, render_html
    from conformance.run.execution import execute
    from conformance.run.settings import RunSettings
    from conformance.trust.certificate import build_statement, canonical, verify_certificate
    from conformance.trust.signing import key_id, sign_envelope

    with serve("conformant") as supplier, tempfile.TemporaryDirectory() as out:
        settings = RunSettings.from_options(
            {
                "spec": supplier.spec_url,
                "headers": (f"Authorization: Bearer {supplier.token}",),
                "ca_bundle": supplier.ca_bundle,
                "max_examples": 3,
                "seed": 1,
                "out": out,
                "max_rps": 0,
            }
        )
        record = execute(settings, Progress()).record
    assert record is not None
    key = Ed25519PrivateKey.generate()
    trusted = {key_id(key.public_key()): key.public_key()}
    pages = []
    started = time.perf_counter()
    for index in range(count):
        statement = build_statement(
            record,
            supplier=f"Supplier {index}",
            product=f"Product {index}",
            product_version="1.0",
            valid_days=365,
            issuer_key_id=key_id(key.public_key()),
            issued=datetime.now(UTC),
        )
        envelope = sign_envelope(canonical(statement), key)
        pages.append(render_html(statement, embed_json(envelope)).encode())
    signed = time.perf_counter()
    now = datetime.now(UTC)
    assert all(verify_certificate(page, trusted, now).exit_code == 0 for page in pages)
    verified = time.perf_counter()
    return {
        "count": count,
        "sign_ms_each": round((signed - started) / count * 1000, 2),
        "verify_ms_each": round((verified - signed) / count * 1000, 2),
        "listing_s": _listing_build(pages, key),
    }


def _listing_build(pages: list[bytes], key: Any) -> float:
    """`conformance listing build` over the signed pages, as a marketplace admin runs it."""
    from cryptography.hazmat.primitives import serialization

    with tempfile.TemporaryDirectory() as folder:
        certs, trust, site = Path(folder) / "certs", Path(folder) / "trust", Path(folder) / "site"
        certs.mkdir()
        trust.mkdir()
        for index, page in enumerate(pages):
            (certs / f"{index:05d}.certificate.html").write_bytes(page)
        pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        (trust / "marketplace.public.pem").write_bytes(pem)
        private = Path(folder) / "marketplace.private.pem"
        encoding, private_format = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
        private.write_bytes(key.private_bytes(encoding, private_format, serialization.NoEncryption()))
        private.chmod(0o600)
        command = [
            PYTHON,
            "-m",
            "conformance",
            "listing",
            "build",
            str(certs),
            "--trust",
            str(trust),
            "--key",
            str(private),
            "--out",
            str(site),
        ]
        result = timed(command)
        if result.returncode != 0:
            raise RuntimeError(f"listing build failed: {result.stderr[-800:]}")
        return round(result.seconds, 2)
