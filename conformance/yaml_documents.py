"""Read YAML as OpenAPI asks (YAML 1.2, JSON-compatible), and find what JSON could not hold.

PyYAML reads YAML 1.1, where `no` (Norway's country code) is false, `2024-01-01` a date and `12:30` the
number 750; OpenAPI recommends YAML 1.2, where each is a string. And OpenAPI documents must round-trip
through JSON: keys are strings (`200:` unquoted is an integer, which the Responses Object forbids) and values
are JSON's. Such a document is still tested: what JSON cannot hold is made JSON (and each place reported).
"""

import base64
import datetime
import re
from typing import Any

import yaml

BOOL_TAG = "tag:yaml.org,2002:bool"
INT_TAG = "tag:yaml.org,2002:int"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2's core schema for booleans and integers, and no implicit dates."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in (BOOL_TAG, INT_TAG, TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
YAML_12_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
Yaml12Loader.add_implicit_resolver(INT_TAG, YAML_12_INT, list("-+0123456789"))


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith(("0o", "0x")):
        return int(text, 0)
    return int(text, 10)  # "0777" is 777 in YAML 1.2 (1.1 read it as octal)


Yaml12Loader.add_constructor(INT_TAG, _construct_int)


def load_yaml(text: str) -> Any:
    """A SafeLoader subclass: no arbitrary Python objects, only YAML's own types."""
    return yaml.load(text, Loader=Yaml12Loader)


Place = tuple[list[Any], str]  # (path parts, what is wrong there)


def as_json(document: Any) -> tuple[Any, list[Place]]:
    """`document` with every key made a string and every value JSON can hold, and where that was needed.

    Returns `document` itself when it is JSON already. Shared (aliased) nodes stay shared.
    """
    places: list[Place] = []
    _find(document, [], places, set())
    if not places:
        return document, []
    return _converted(document, {}), places


def _find(node: Any, parts: list[Any], places: list[Place], seen: set[int]) -> None:
    stack: list[tuple[Any, list[Any]]] = [(node, parts)]
    while stack:
        node, parts = stack.pop()
        if isinstance(node, dict | list):
            if id(node) in seen:
                continue
            seen.add(id(node))
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    places.append(
                        ([*parts, str(key)], f"the key {key!r} is a YAML {_kind(key)}, not a string: quote it")
                    )
                stack.append((value, [*parts, str(key)]))
        elif isinstance(node, list):
            stack.extend((value, [*parts, index]) for index, value in enumerate(node))
        elif not _json_scalar(node):
            places.append((parts, f"{node!r} is a YAML {_kind(node)}, which JSON cannot hold: quote it"))


def _json_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool | int | float)


def _kind(value: Any) -> str:
    return type(value).__name__


def _converted(node: Any, memo: dict[int, Any]) -> Any:
    """A JSON copy of `node` (recursion is bounded: conformance.document_limits refused deep documents)."""
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, dict):
        result: Any = {}
        memo[id(node)] = result
        for key, value in node.items():
            result[key if isinstance(key, str) else _scalar_text(key)] = _converted(value, memo)
        return result
    if isinstance(node, list | set | frozenset | tuple):
        items = list(node)
        result = []
        memo[id(node)] = result
        result.extend(_converted(value, memo) for value in items)
        return result
    return node if _json_scalar(node) else _scalar_text(node)


def _scalar_text(value: Any) -> str:
    """How the author wrote it, as far as it can be told: `200` for 200, `2024-01-01` for a date."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)
