"""`conformance profiles list|show|docs`, and the generated pages in docs/profiles/ staying in sync."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.catalogue import load_profiles
from conformance.cli.main import main
from conformance.profile_docs import render_markdown, write_docs

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "profiles"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_names_every_profile_with_its_version() -> None:
    code, out, _ = invoke("profiles", "list")
    assert code == 0
    for profile in load_profiles().values():
        line = next(line for line in out.splitlines() if line.startswith(profile.id + " "))
        assert profile.version in line and profile.title in line
    assert "requires open-standard-export" in out


def test_show_text_gives_each_requirement_with_source_and_check() -> None:
    code, out, _ = invoke("profiles", "show", "data-portability")
    assert code == 0
    assert out.startswith("data-portability 0.1.0: Data portability")
    for requirement in load_profiles()["data-portability"].requirements:
        assert f"{requirement.id} {requirement.level.value}" in out
    assert "https://www.legislation.gov.uk/eur/2016/679/article/20" in out.replace("\n", "").replace(" ", "")
    assert "conformance/checks/portability.py::test_import_round_trip" in out


def test_show_markdown_matches_the_generated_page() -> None:
    code, out, _ = invoke("profiles", "show", "open-standard-export", "--format", "markdown")
    assert code == 0
    assert out.startswith("# Open-standard export (`open-standard-export` 0.2.0)")
    assert "| [EXP-13](#exp-13) | SHOULD |" in out
    assert "[RFC 9457 Problem Details for HTTP APIs, 3 The Problem Details JSON Object]" in out
    assert out == render_markdown(load_profiles()["open-standard-export"])


def test_show_json_is_the_profile_as_data() -> None:
    code, out, _ = invoke("profiles", "show", "data-portability", "--format", "json")
    assert code == 0
    data = json.loads(out)
    profile = load_profiles()["data-portability"]
    assert (data["id"], data["version"], data["requires"]) == (profile.id, profile.version, list(profile.requires))
    assert [r["id"] for r in data["requirements"]] == [r.id for r in profile.requirements]
    first = data["requirements"][0]
    assert set(first) == {"id", "level", "statement", "rationale", "fix", "source", "needs", "check"}
    assert first["source"]["url"].startswith("https://")
    assert all(r["check"].startswith("conformance/checks/") for r in data["requirements"])


def test_unknown_profile_exits_2_with_the_known_ids() -> None:
    code, out, err = invoke("profiles", "show", "no-such-profile")
    assert code == 2
    assert out == ""
    assert "unknown profile 'no-such-profile'" in err
    for pid in load_profiles():
        assert pid in err


def test_unknown_format_is_a_usage_error() -> None:
    code, _, err = invoke("profiles", "show", "data-portability", "--format", "pdf")
    assert code == 2 and "pdf" in err


def test_docs_pages_are_in_sync_with_the_profiles(tmp_path: Path) -> None:
    written = {p.name for p in write_docs(tmp_path)}
    committed = {p.name for p in DOCS.glob("*.md")}
    assert committed == written, "run `conformance profiles docs` to regenerate docs/profiles/"
    for name in written:
        assert (DOCS / name).read_text("utf-8") == (tmp_path / name).read_text("utf-8"), (
            f"docs/profiles/{name} is stale; run `conformance profiles docs`"
        )


def test_docs_command_writes_one_page_per_profile(tmp_path: Path) -> None:
    code, out, _ = invoke("profiles", "docs", "--out", str(tmp_path))
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{pid}.md" for pid in load_profiles())
    assert str(tmp_path / "data-portability.md") in out


@pytest.mark.parametrize("profile_id", sorted(load_profiles()))
def test_readme_links_each_profile_page(profile_id: str) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert f"(docs/profiles/{profile_id}.md)" in readme
    assert "conformance profiles docs" in readme
