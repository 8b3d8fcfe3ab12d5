"""The supplier declaration: the top-level `x-conformance` extension that tells checks which operations
create, read, list and export a council's records.

A missing or malformed declaration is not a crash: checks that need it fail with `DECLARATION_HELP`,
which shows the supplier exactly what to add (see conformance.checks.kit.declared).
"""

from dataclasses import dataclass
from typing import Any

import jsonschema

from conformance.operations import operations_by_id
from conformance.schemas_loader import validate

DECLARATION_EXAMPLE = """x-conformance:
  contact: conformance@supplier.example
  health: getHealth            # operationId of a GET health endpoint
  collections:
    - name: cases
      create: createCase       # creates one record from a JSON body, returns it with its id
      read: getCase            # GET one record by id
      list: listCases          # paginated GET of all records
      update: updateCase       # optional
      delete: deleteCase       # optional
      export: exportCases      # GET of the whole collection in open formats
      import: importCases      # optional: accepts what export produced
      id-field: id             # default: id
      modified-field: updatedAt  # optional: the last-modified date-time property (default: found by name)"""
DECLARATION_SCHEMA = "schema: conformance/schemas/x-conformance.schema.json"
DECLARATION_HELP = (
    f"add a top-level `x-conformance` extension to the OpenAPI document, for example:\n"
    f"{DECLARATION_EXAMPLE}\n({DECLARATION_SCHEMA})"
)

OPERATION_ROLES = ("create", "read", "list", "update", "delete", "export", "import")


@dataclass(frozen=True)
class Collection:
    """One kind of record a council owns, and the operations that handle it."""

    name: str
    create: str
    read: str
    list: str
    export: str
    update: str | None = None
    delete: str | None = None
    import_: str | None = None
    id_field: str = "id"
    modified_field: str | None = None


@dataclass(frozen=True)
class Declaration:
    contact: str
    health: str
    collections: tuple[Collection, ...]


class DeclarationError(Exception):
    """The declaration is missing or malformed; the message says what to fix.

    `problem` is what is wrong without the example (which reports show once), `missing` whether there is none.
    """

    def __init__(self, message: str, problem: str = "", missing: bool = False) -> None:
        super().__init__(message)
        self.problem = problem or message
        self.missing = missing


def read_declaration(document: dict[str, Any]) -> Declaration:
    """Parse and check the declaration, including that every operationId it names exists."""
    raw = document.get("x-conformance")
    if raw is None:
        missing = "the document has no supplier declaration"
        raise DeclarationError(f"{missing}; {DECLARATION_HELP}", missing, missing=True)
    try:
        validate(raw, "x-conformance")
    except jsonschema.ValidationError as exc:
        where = "x-conformance" + "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in exc.absolute_path)
        problem = f"the supplier declaration is malformed at {where}: {exc.message}"
        raise DeclarationError(f"{problem}; {DECLARATION_HELP}", problem) from None
    known = operations_by_id(document)
    collections = []
    for item in raw["collections"]:
        roles = {role: item.get(role) for role in OPERATION_ROLES}
        unknown = [f"{role}: {op}" for role, op in roles.items() if op is not None and op not in known]
        if unknown:
            raise DeclarationError(
                f"the supplier declaration names operations the document does not define "
                f"(collection {item['name']!r}: {', '.join(unknown)})"
            )
        collections.append(
            Collection(
                name=item["name"],
                create=item["create"],
                read=item["read"],
                list=item["list"],
                export=item["export"],
                update=item.get("update"),
                delete=item.get("delete"),
                import_=item.get("import"),
                id_field=item.get("id-field", "id"),
                modified_field=item.get("modified-field"),
            )
        )
    if raw["health"] not in known:
        raise DeclarationError(f"the supplier declaration's health operation {raw['health']!r} is not in the document")
    return Declaration(contact=raw["contact"], health=raw["health"], collections=tuple(collections))
