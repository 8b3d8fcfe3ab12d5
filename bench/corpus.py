"""`python -m bench.corpus [--jobs N] [--github all] [--out DIR]`: real-world documents through intake.

Fetches two published corpora from the npm registry with `npm pack` (pinned by version and by the sha256
of the tarball, checked before anything is unpacked) into corpus/ (ignored by git):

- `@readme/oas-examples`: about 130 documents covering Swagger 2.0, OpenAPI 3.0 and 3.1 features;
- `@octokit/openapi`: GitHub's REST API description (13 MB, 1,000+ operations), the large case.

Each document is loaded, validated and planned (no live API; nothing is sent) in a fresh process, and ends
as accepted (valid), invalid (loaded, every problem located, for EXP-01 to report), refused (exit 2, with
the reason) or crashed (a traceback: a bug). Load time and peak memory are recorded per document.
Writes DIR/corpus.json and DIR/corpus.md (default bench/latest/, ignored by git).
"""

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.run import machine
from conformance.spec import DEFAULT_MAX_DOCUMENT_MB

ROOT = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT_S = 900
EXTENSIONS = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class Package:
    """One npm package of the corpus, pinned, and which of its files are documents."""

    name: str
    version: str
    sha256: str  # of the tarball `npm pack` downloads
    documents: tuple[str, ...]  # folders (every document under them) or files, inside the tarball's package/

    @property
    def folder(self) -> str:
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}"


OAS_EXAMPLES = Package(
    "@readme/oas-examples",
    "8.2.2",
    "df951ee87b5b069c86148bf5bbf3923d6cfd27fb95a45aacb95f06b31f604241",
    ("2.0", "3.0", "3.1"),
)
GITHUB = Package(
    "@octokit/openapi",
    "23.0.2",
    "71a18407dd5e8464f4e0525daf03deabbe65abd9287d6adc7b5d98f516cd0d0c",
    ("generated/api.github.com.json",),
)
# --github all: also GitHub Enterprise Cloud and Server (11-14 MB each). The *.deref.json files (60-80 MB,
# every $ref inlined) are build outputs of the same descriptions, not documents anyone serves.
GITHUB_ALL = (
    "generated/api.github.com.json",
    "generated/ghec.json",
    "generated/ghes-3.17.json",
    "generated/ghes-3.18.json",
    "generated/ghes-3.19.json",
)
LARGE_CASE = "octokit-openapi-23.0.2/package/generated/api.github.com.json"


def fetch(package: Package, corpus: Path) -> Path:
    """The package unpacked under corpus/, downloaded with `npm pack` and checked against its pinned sha256."""
    target = corpus / package.folder
    if (target / "package").is_dir():
        return target
    if shutil.which("npm") is None:
        sys.exit("npm is needed to fetch the corpus (it runs `npm pack`); install Node.js, or unpack it yourself")
    downloads = corpus / ".tarballs"
    downloads.mkdir(parents=True, exist_ok=True)
    print(f"npm pack {package.name}@{package.version} ...", flush=True)
    packed = subprocess.run(
        ["npm", "pack", f"{package.name}@{package.version}", "--pack-destination", str(downloads), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    tarball = downloads / json.loads(packed.stdout)[0]["filename"]
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != package.sha256:
        tarball.unlink()
        sys.exit(f"{tarball.name}: sha256 {digest}, pinned {package.sha256}; refusing to unpack it")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    with tarfile.open(tarball) as archive:
        archive.extractall(partial, filter="data")  # no absolute paths, links out or devices
    partial.rename(target)
    return target


def documents(package: Package, unpacked: Path, wanted: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for entry in wanted:
        place = unpacked / "package" / entry
        found += sorted(p for p in place.rglob("*") if p.suffix in EXTENSIONS) if place.is_dir() else [place]
    return found


def intake(path: Path, corpus: Path, max_mb: int) -> dict[str, Any]:
    """One document through intake in its own process; a child that dies is a crash, recorded, not raised."""
    row: dict[str, Any] = {"document": str(path.relative_to(corpus)), "bytes": path.stat().st_size}
    command = [sys.executable, "-m", "bench.corpus_intake", str(path), "--max-document-size", str(max_mb)]
    try:
        child = subprocess.run(command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {**row, "outcome": "crashed", "traceback": f"no answer within {CHILD_TIMEOUT_S} s"}
    lines = child.stdout.strip().splitlines()
    if child.returncode != 0 or not lines:
        return {**row, "outcome": "crashed", "traceback": f"exit {child.returncode}: {child.stderr[-4000:]}"}
    return {**row, **json.loads(lines[-1])}


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    return {
        "documents": len(rows),
        "counts": counts,
        "unloadable_operations": sum(len(row.get("unloadable") or {}) for row in rows),
        "unlocated_problems": sum(row.get("unlocated", 0) for row in rows),
    }


def _seconds(row: dict[str, Any], step: str) -> str:
    return f"{row[step + '_s']} ({row[step + '_cpu_s']})" if step + "_s" in row else ""


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    s = results["summary"]
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(s["counts"].items()))
    lines = [
        f"Taken {results['taken_at']} on {m['cpu_count']} cores, {m['memory_gb']} GB, Python {m['python']}; "
        f"cap {results['max_document_mb']} MB; packages: "
        + ", ".join(f"{p['name']}@{p['version']}" for p in results["packages"])
        + ".",
        "",
        f"**{s['documents']} documents: {counts}**; {s['unloadable_operations']} operations the fuzzer cannot "
        f"load; {s['unlocated_problems']} problems without a place.",
        "",
        "Times are wall (CPU) seconds; peak is the process's peak memory, intake what the document added to it.",
        "",
        "| document | KB | outcome | operations | problems | load+validate (s) | plan (s) | peak (MB) | intake (MB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in sorted(results["documents"], key=lambda r: -r["bytes"]):
        lines.append(
            f"| {row['document']} | {row['bytes'] // 1024} | {row['outcome']} | {row.get('operations', '')} "
            f"| {row.get('problems', '')} | {_seconds(row, 'load_validate')} | {_seconds(row, 'plan')} "
            f"| {row.get('peak_mb', '')} | {row.get('intake_mb', '')} |"
        )
    details = [row for row in results["documents"] if row["outcome"] != "accepted" or row.get("unloadable")]
    if details:
        lines += ["", "**What was not accepted as it is, and why:**", ""]
    for row in details:
        lines.append(f"- `{row['document']}` ({row['outcome']}):")
        reasons = (
            [row.get("reason") or row.get("traceback", "")]
            + row.get("problem_list", [])
            + [f"fuzzer cannot load {label}: {why}" for label, why in (row.get("unloadable") or {}).items()]
        )
        lines += [f"  - {' '.join(str(reason).split())[:400]}" for reason in reasons if reason]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="where the packages are unpacked")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "latest")
    parser.add_argument("--jobs", type=int, default=2, help="documents taken in at once (default 2)")
    parser.add_argument("--github", choices=("public", "all"), default="public", help="all: also GHEC and GHES")
    parser.add_argument("--max-document-size", type=int, default=DEFAULT_MAX_DOCUMENT_MB, help="megabytes")
    parser.add_argument("--only", default="", help="only documents whose path contains this text")
    args = parser.parse_args()
    github = GITHUB_ALL if args.github == "all" else GITHUB.documents
    chosen = [(OAS_EXAMPLES, OAS_EXAMPLES.documents), (GITHUB, github)]
    paths = [path for package, wanted in chosen for path in documents(package, fetch(package, args.corpus), wanted)]
    paths = [path for path in paths if args.only in str(path)]
    # The largest first: the long poles start early and the small documents fill in around them.
    paths.sort(key=lambda path: -path.stat().st_size)
    print(f"{len(paths)} documents, {args.jobs} at a time ...", flush=True)

    def one(path: Path) -> dict[str, Any]:
        row = intake(path, args.corpus, args.max_document_size)
        print(f"  {row['outcome']:9} {row.get('load_validate_s', '-'):>7} s  {row['document']}", flush=True)
        return row

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = list(pool.map(one, paths))
    results = {
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "max_document_mb": args.max_document_size,
        "packages": [{"name": p.name, "version": p.version, "sha256": p.sha256} for p, _ in chosen],
        "summary": summary(rows),
        "large_case": next((row for row in rows if row["document"] == LARGE_CASE), None),
        "documents": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "corpus.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "corpus.md").write_text(markdown(results))
    print(f"{results['summary']}\nwritten: {args.out / 'corpus.md'}")
    sys.exit(1 if results["summary"]["counts"].get("crashed") else 0)


if __name__ == "__main__":
    main()
