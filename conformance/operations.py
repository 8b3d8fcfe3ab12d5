"""The document's operations and schemas as a client walks them: methods, operationIds, security, local $refs.

Nothing here fetches or validates (conformance.spec does); the run, the fuzzer and the checks all read the
document through these, so an operation or a referenced schema means the same thing to each of them.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True)
class Operation:
    """Where an operationId lives in the API."""

    operation_id: str
    method: str
    path: str
    definition: dict[str, Any]


def all_operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method, definition) of every operation in the document, with or without an operationId.

    Read defensively: an invalid document (paths or path items that are not mappings) is still walked.
    """
    paths = document.get("paths")
    for path, item in (paths if isinstance(paths, dict) else {}).items():
        item = resolve(document, item)  # a path item may be a $ref (to components.pathItems in 3.1)
        for method in HTTP_METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if isinstance(operation, dict):
                yield path, method, operation


def operations_by_id(document: dict[str, Any]) -> dict[str, Operation]:
    return {
        str(definition["operationId"]): Operation(str(definition["operationId"]), method, path, definition)
        for path, method, definition in all_operations(document)
        if definition.get("operationId")
    }


def declares_security(definition: dict[str, Any], document: dict[str, Any]) -> bool:
    """Whether an operation requires credentials: its own `security`, else the document's default."""
    security = definition.get("security", document.get("security") or [])
    return any(bool(requirement) for requirement in security or [])


def resolve(document: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """Follow local `$ref`s (`#/...`) until a node without one; remote refs are left as they are."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        if depth > 50:
            return {}
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and part in target:
                target = target[part]
            elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
                target = target[int(part)]
            else:
                return {}
        node = target
        depth += 1
    return node


def schema_properties(document: dict[str, Any], schema: Any) -> dict[str, Any]:
    """Properties of an object schema, merged through allOf (resolved)."""
    schema = resolve(document, schema)
    if not isinstance(schema, dict):
        return {}
    props = dict(schema.get("properties") or {})
    for part in schema.get("allOf") or []:
        props.update(schema_properties(document, part))
    return {k: resolve(document, v) for k, v in props.items()}
