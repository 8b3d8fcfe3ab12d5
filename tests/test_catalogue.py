"""Profiles and checks stay in step: every requirement has exactly one check, every check a requirement."""

import importlib
import inspect
import pkgutil

import schemathesis.checks

from conformance import checks
from conformance.catalogue import all_requirements, load_profiles
from conformance.fuzzing.findings import CHECK_REQUIREMENTS


def suite_checks() -> dict[str, list[str]]:
    """Requirement id -> names of the check functions marked with it (the kit holds none)."""
    found: dict[str, list[str]] = {}
    for module_info in pkgutil.iter_modules(checks.__path__):
        if module_info.ispkg:
            continue
        module = importlib.import_module(f"conformance.checks.{module_info.name}")
        for name, func in inspect.getmembers(module, inspect.isfunction):
            for mark in getattr(func, "pytestmark", []):
                if mark.name == "requirement":
                    found.setdefault(mark.args[0], []).append(f"{module_info.name}.{name}")
    return found


def test_every_requirement_has_exactly_one_check() -> None:
    checks = suite_checks()
    missing = sorted(set(all_requirements()) - set(checks))
    doubled = {rid: names for rid, names in checks.items() if len(names) > 1}
    assert not missing, f"requirements without a check: {missing}"
    assert not doubled, f"requirements with more than one check: {doubled}"


def test_every_check_names_a_known_requirement() -> None:
    unknown = sorted(set(suite_checks()) - set(all_requirements()))
    assert not unknown, f"checks for unknown requirements: {unknown}"


def test_requirement_ids_are_unique_across_profiles() -> None:
    ids = [r.id for p in load_profiles().values() for r in p.requirements]
    assert len(ids) == len(set(ids))


def test_every_schemathesis_check_maps_to_a_known_requirement() -> None:
    schemathesis.checks.load_all_checks()
    registered = set(schemathesis.checks.CHECKS.get_all_names())
    assert registered <= set(CHECK_REQUIREMENTS), f"unmapped checks: {sorted(registered - set(CHECK_REQUIREMENTS))}"
    assert set(CHECK_REQUIREMENTS.values()) <= set(all_requirements())


def test_profiles_declare_their_requirements_with_sources() -> None:
    for profile in load_profiles().values():
        for requirement in profile.requirements:
            assert requirement.source.url.startswith("https://")
            assert requirement.id.split("-")[0] in {"EXP", "PORT", "NET"}
