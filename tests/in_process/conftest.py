"""Checks run in this process against real loopback suppliers: fast enough for mutation testing.

The end-to-end tests run the whole harness in a child process (seconds each); these call a check function
with the objects its fixtures would give it, and read its outcome the way the plugin does, so a mutant in a
check's logic is noticed in well under a second.
"""

import copy
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.checks.kit.declared import DeclaredCollections, open_declared
from conformance.checks.kit.outcomes import NOT_APPLICABLE_PREFIX, RequirementNotMet, Undecided
from conformance.client import ApiClient
from conformance.demo import RunningSupplier, serve
from conformance.spec import load_spec
from conformance.target import Target, build_target

SEED = 20261125


@dataclass
class Ended:
    """How a check ended: its outcome as the plugin names it, the message, and the evidence it left."""

    outcome: str
    message: str
    evidence: list[dict[str, Any]] = field(default_factory=list)


def client(supplier: RunningSupplier, document: dict[str, Any] | None = None, peer: bool = True) -> ApiClient:
    """The client a run would build for `supplier`: the base URL from the document's servers, as a run reads it
    (its own document unless `document` replaces it)."""
    headers = {"Authorization": f"Bearer {supplier.token}"}
    verify = supplier.ca_bundle or True
    spec = load_spec(supplier.spec_url, headers, verify)
    if document is not None:
        spec = dataclasses.replace(spec, document=document)
    peers = {"Authorization": f"Bearer {supplier.peer_token}"} if peer else None
    return ApiClient(build_target(spec, None, headers, verify, peers))


def edited(target: Target, change: Callable[[dict[str, Any]], Any]) -> Target:
    """`target` with a copy of its document that `change` edited in place: the document a run would have read."""
    document = copy.deepcopy(target.spec.document)
    change(document)
    return dataclasses.replace(target, spec=dataclasses.replace(target.spec, document=document))


def ended(check: Callable[..., None], **fixtures: Any) -> Ended:
    """Run `check` with `fixtures`, and how it ended (pass, fail, error or not-applicable) as the plugin reads it."""
    evidence: list[dict[str, Any]] = fixtures.setdefault("evidence", [])
    try:
        check(**fixtures)
    except pytest.skip.Exception as exc:
        message = str(exc.msg)
        assert message.startswith(NOT_APPLICABLE_PREFIX), message
        return Ended("not-applicable", message[len(NOT_APPLICABLE_PREFIX) :], evidence)
    except (AssertionError, RequirementNotMet) as exc:
        return Ended("fail", str(exc).split("\nassert ")[0], evidence)
    except Undecided as exc:
        return Ended("error", str(exc), evidence)
    return Ended("pass", "", evidence)


def run_declared(requirement: str, check: Callable[..., None], api: ApiClient) -> Ended:
    """A check that opens with the `declared` fixture (the collection checks)."""
    evidence: list[dict[str, Any]] = []
    try:
        declared: DeclaredCollections = open_declared(requirement, api, SEED, evidence)
    except RequirementNotMet as exc:
        return Ended("fail", str(exc), evidence)
    return ended(check, declared=declared, evidence=evidence)


@pytest.fixture(scope="session")
def supplier() -> Callable[[str], RunningSupplier]:
    """Start a variant of the reference supplier on first use; each stays up for the whole session."""
    running: dict[str, Any] = {}
    stack: list[Any] = []

    def get(variant: str) -> RunningSupplier:
        if variant not in running:
            context = serve(variant)
            running[variant] = context.__enter__()
            stack.append(context)
        return running[variant]

    yield get  # type: ignore[misc]
    for context in reversed(stack):
        context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def conformant(supplier: Callable[[str], RunningSupplier]) -> Iterator[RunningSupplier]:
    yield supplier("conformant")
