"""Profiles and checks stay in step: every requirement has exactly one check, every check a requirement."""

import inspect
from types import ModuleType
from typing import Any

import pytest
import schemathesis.checks

from conformance.catalogue import all_requirements, load_profiles
from conformance.checks.kit.decides import TABLE, check_modules, table_of
from conformance.fuzzing.findings import CHECK_REQUIREMENTS
from conformance.plugin import decides_from_document, requirement_of


def suite_checks() -> dict[str, list[str]]:
    """Requirement id -> names of the check functions that decide it, from each check module's table."""
    found: dict[str, list[str]] = {}
    for module in check_modules():
        for name, decides in table_of(module).items():
            found.setdefault(decides.requirement, []).append(f"{module.__name__.rpartition('.')[2]}.{name}")
    return found


def check_functions(module: ModuleType) -> set[str]:
    """The functions of a check module that pytest collects as checks."""
    return {
        name
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if name.startswith("test_") and function.__module__ == module.__name__
    }


def test_every_check_function_is_in_its_modules_table() -> None:
    """A check missing from the table would carry no requirement, and no run would ever run it; an entry that
    is no check of the module (a helper, or another module's check) would mark nothing."""
    for module in check_modules():
        table = getattr(module, TABLE)
        assert all(inspect.isfunction(check) and check.__module__ == module.__name__ for check in table), module
        assert set(table_of(module)) == check_functions(module), module.__name__
        assert len(table_of(module)) == len(table), module.__name__  # one entry a check, one requirement each


def test_every_requirement_has_exactly_one_check() -> None:
    checks = suite_checks()
    missing = sorted(set(all_requirements()) - set(checks))
    doubled = {rid: names for rid, names in checks.items() if len(names) > 1}
    assert not missing, f"requirements without a check: {missing}"
    assert not doubled, f"requirements with more than one check: {doubled}"


def test_every_check_names_a_known_requirement() -> None:
    unknown = sorted(set(suite_checks()) - set(all_requirements()))
    assert not unknown, f"checks for unknown requirements: {unknown}"


class CollectedMarks:
    """The marks of each check as pytest collects it, read before anything deselects it."""

    def __init__(self) -> None:
        self.marks: dict[str, tuple[str | None, bool]] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> Any:
        self.marks = {item.name: (requirement_of(item), decides_from_document(item)) for item in items}
        return (yield)


def test_the_plugin_marks_each_collected_check_as_its_table_says() -> None:
    collected = CollectedMarks()
    # Without --conformance-spec the plugin refuses the run once it sees the marks: after they were read here.
    code = pytest.main(
        ["--collect-only", "-q", "-n", "0", "-p", "no:cacheprovider", "--pyargs", "conformance.checks"], [collected]
    )
    assert code == pytest.ExitCode.USAGE_ERROR
    expected = {
        name: (decides.requirement, decides.from_document)
        for module in check_modules()
        for name, decides in table_of(module).items()
    }
    assert collected.marks == expected


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
