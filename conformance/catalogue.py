"""The requirement catalogue: load the profiles (YAML in `profiles/`), validate them, expose Requirement objects."""

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files

import jsonschema
import yaml

from conformance.errors import UsageError
from conformance.schemas_loader import validate


class Level(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"


@dataclass(frozen=True)
class Source:
    document: str
    clause: str
    url: str


@dataclass(frozen=True)
class Requirement:
    id: str
    level: Level
    statement: str
    rationale: str
    fix: str  # how a supplier fixes a failure, said once here and shown by every report
    source: Source
    needs: tuple[str, ...]
    profile: str


@dataclass(frozen=True)
class Profile:
    id: str
    version: str
    title: str
    summary: str
    requires: tuple[str, ...]
    requirements: tuple[Requirement, ...]


def _parse(raw: dict) -> Profile:
    reqs = tuple(
        Requirement(
            id=r["id"],
            level=Level(r["level"]),
            statement=r["statement"],
            rationale=r["rationale"],
            fix=r["fix"],
            source=Source(**r["source"]),
            needs=tuple(r["needs"]),
            profile=raw["id"],
        )
        for r in raw["requirements"]
    )
    return Profile(raw["id"], raw["version"], raw["title"], raw["summary"], tuple(raw["requires"]), reqs)


# Our own packaged files, so libyaml (when PyYAML has it) may parse them: every run loads them at start-up.
TRUSTED_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load_profiles() -> dict[str, Profile]:
    """Every packaged profile by id, validated against the profile schema; a broken file is a packaging bug."""
    profiles: dict[str, Profile] = {}
    for path in sorted(files("conformance.profiles").iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".yaml"):
            continue
        raw = yaml.load(path.read_text("utf-8"), Loader=TRUSTED_YAML_LOADER)
        try:
            validate(raw, "profile")
        except jsonschema.ValidationError as exc:
            raise RuntimeError(f"profile {path.name} is invalid: {exc.message}") from exc
        profile = _parse(raw)
        if f"{profile.id}.yaml" != path.name:
            raise RuntimeError(f"profile {path.name} declares id {profile.id!r}")
        profiles[profile.id] = profile
    return profiles


def all_requirements() -> dict[str, Requirement]:
    """Every requirement of every profile, by id."""
    return {r.id: r for p in load_profiles().values() for r in p.requirements}


def select_profiles(ids: tuple[str, ...] | list[str]) -> list[Profile]:
    """The named profiles plus what they require, in catalogue order; all of them when none are named."""
    catalogue = load_profiles()
    unknown = [i for i in ids if i not in catalogue]
    if unknown:
        raise UsageError(f"unknown profile {', '.join(unknown)}; choose from: {', '.join(catalogue)}")
    wanted = set(ids or catalogue)
    pending = list(wanted)
    while pending:
        for dep in catalogue[pending.pop()].requires:
            if dep not in wanted:
                wanted.add(dep)
                pending.append(dep)
    return [p for pid, p in catalogue.items() if pid in wanted]
