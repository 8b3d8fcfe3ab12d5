"""The opening every collection check shares: the document, the supplier declaration, and test records.

The `declared` fixture builds one of these for the requirement named by the check's mark, so a check starts
with what it examines, and a missing or malformed declaration fails the requirement with the lines to add.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from conformance.causes import declaration_malformed, declaration_missing
from conformance.checks.kit.outcomes import RequirementNotMet
from conformance.checks.kit.records import RecordMaker, records_for
from conformance.client import ApiClient
from conformance.declaration import Collection, Declaration, DeclarationError, read_declaration


@dataclass(frozen=True)
class DeclaredCollections:
    requirement: str
    document: dict[str, Any]
    declaration: Declaration
    api: ApiClient
    seed: int
    evidence: list[dict[str, Any]]

    @property
    def collections(self) -> tuple[Collection, ...]:
        return self.declaration.collections

    @property
    def check_label(self) -> str:
        """The requirement as test records are marked with it: EXP-10 -> exp10."""
        return self.requirement.replace("-", "").lower()

    @contextmanager
    def records(self, collection: Collection) -> Iterator[RecordMaker]:
        """Make records for this requirement in `collection`; they are deleted again on exit where possible."""
        with records_for(self.api, self.document, collection, self.seed, self.check_label, self.evidence) as maker:
            yield maker


def read_declared(document: dict[str, Any]) -> Declaration:
    """The supplier declaration; RequirementNotMet when it is missing or malformed (the document alone decides)."""
    try:
        return read_declaration(document)
    except DeclarationError as exc:
        cause = declaration_missing() if exc.missing else declaration_malformed(exc.problem)
        raise RequirementNotMet(exc.problem, cause) from None


def open_declared(requirement: str, api: ApiClient, seed: int, evidence: list[dict[str, Any]]) -> DeclaredCollections:
    """The declared collections for `requirement`; RequirementNotMet when the declaration is missing or malformed."""
    document = api.target.spec.document
    return DeclaredCollections(requirement, document, read_declared(document), api, seed, evidence)
