"""`python -m bench.large_document [--document PATH] [--operations N]`: the harness against plain Schemathesis
on one large document, served by a loopback catch-all server, so a slowdown on big APIs cannot creep back.

Any document works (e.g. GitHub's REST description fetched by the corpus script); without one, a synthetic
document of N operations, with links so the stateful phase runs, is generated. Both tools run with their
defaults apart from the seed and examples: the harness's whole `conformance run` (every profile, the
default rate limit, the stateful bound) against `st run`, and against `st run --continue-on-failure`,
which sends every generated case after a failure as the harness does (plain `st run` moves on to the
next operation, so against a server that fails often it sends far fewer). Prints JSON.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.synthetic import generic_server, synthetic_document
from bench.timing import Timed, timed

PYTHON = sys.executable
LARGE_SYNTHETIC = 78  # operations: as many as httpbin's description, where the issue measured 625 s against 24 s


def linked_document(operations: int) -> dict[str, Any]:
    """The scale benchmark's synthetic document, each create linked to its read so stateful testing has work."""
    document = synthetic_document(operations)
    for item in document["paths"].values():
        create = item.get("post")
        if create is None:
            continue
        read = "op" + str(int(create["operationId"][2:]) - 1)
        link = {"operationId": read, "parameters": {"id": "$response.body#/id"}}
        create["responses"]["200"]["links"] = {"read": link}
    return document


def compare(document: Path, examples: int, seed: int) -> dict[str, Any]:
    """One timed run of each tool against a fresh catch-all server, and what the harness recorded."""
    runs: dict[str, Timed] = {}
    with tempfile.TemporaryDirectory() as out:
        for tool in ("harness", "st", "st_continue"):
            with generic_server(every_method=True) as base_url:
                if tool == "harness":
                    command = [PYTHON, "-m", "conformance", "run", "--spec", str(document), "--base-url", base_url]
                    command += ["--seed", str(seed), "--max-examples", str(examples), "--out", out]
                else:
                    command = [PYTHON, "-m", "schemathesis.cli", "run", str(document), "--url", base_url]
                    command += ["--seed", str(seed), "--max-examples", str(examples), "--no-color"]
                    command += ["--continue-on-failure"] if tool == "st_continue" else []
                runs[tool] = result = timed(command)
                if result.returncode not in (0, 1):
                    raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr[-800:]}")
        record = json.loads((Path(out) / "results.json").read_text("utf-8"))
    harness, st, st_continue = runs["harness"], runs["st"], runs["st_continue"]
    fuzzing = record.get("fuzzing") or {}
    return {
        "document": str(document),
        "operations": fuzzing.get("operations_total"),
        "harness_s": round(harness.seconds, 2),
        "st_s": round(st.seconds, 2),
        "ratio": round(harness.seconds / st.seconds, 3),
        "st_continue_s": round(st_continue.seconds, 2),
        "ratio_to_st_continue": round(harness.seconds / st_continue.seconds, 3),
        "harness_cases": fuzzing.get("cases"),
        "max_rps": record["run"]["max_rps"],
        "stateful": fuzzing.get("stateful"),
    }


def measure(document: Path | None, operations: int, examples: int = 25, seed: int = 7) -> dict[str, Any]:
    """`compare` on `document`, or on a synthetic document of `operations` operations when there is none."""
    with tempfile.TemporaryDirectory() as folder:
        if document is None:
            document = Path(folder) / "synthetic.json"
            document.write_text(json.dumps(linked_document(operations)), "utf-8")
        return compare(document, examples, seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--document", type=Path, help="an OpenAPI document (default: a synthetic one)")
    parser.add_argument("--operations", type=int, default=LARGE_SYNTHETIC, help="size of the synthetic document")
    parser.add_argument("--examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(measure(args.document, args.operations, args.examples, args.seed), indent=2))


if __name__ == "__main__":
    main()
