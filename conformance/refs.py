"""Bundle external `$ref`s into the document under a policy, so nothing downstream fetches anything.

Validators and the fuzzer then see a document whose every reference is local. External documents are
fetched only from the spec's own origin (or hosts the user allowed with --allow-ref-host); a document
that came over the network may never reach into the tester's file system with `file:` references.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from conformance.errors import SpecError
from conformance.http import origin_of

BUNDLE_KEY = "x-conformance-bundled"
MAX_EXTERNAL_DOCUMENTS = 50


@dataclass
class RefPolicy:
    """Where external references may be fetched from."""

    origin: str | None  # scheme://host:port of the spec when it came over HTTP(S)
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)

    def check(self, uri: str, referrer: str) -> None:
        parts = urlsplit(uri)
        if parts.scheme in ("http", "https"):
            if self.origin and origin_of(uri) == self.origin:
                return
            if (parts.hostname or "") in self.allowed_hosts:
                return
            own = f"the spec's own origin ({self.origin})" if self.origin else "no host (the spec is a local file)"
            raise SpecError(
                f"{referrer} refers to {uri}; $refs are fetched only from {own}. If you trust that host, pass "
                f"--allow-ref-host {parts.hostname}, or bundle the schemas into one document "
                "(for example with `redocly bundle`) and test that"
            )
        if parts.scheme in ("", "file"):
            if self.origin is not None:
                raise SpecError(
                    f"{referrer} refers to the local file {uri}; a remote document may not read local files"
                )
            return
        raise SpecError(f"{referrer} refers to {uri}: only http, https and local file references are supported")


Loader = Callable[[str], dict[str, Any]]


def bundle_external_refs(document: dict[str, Any], base: str, policy: RefPolicy, load: Loader) -> list[str]:
    """Rewrite every external `$ref` in place to point into `document[BUNDLE_KEY]`; return what was fetched.

    `base` is the spec's URL or absolute file path; `load` fetches and parses one external document.
    """
    bundled: dict[str, Any] = {}
    index: dict[str, str] = {}
    queue: list[tuple[Any, str, str]] = [(document, base, "")]
    while queue:
        root, doc_base, prefix = queue.pop()
        for _, node in _ref_holders(root):
            ref = node["$ref"]
            target, fragment = urldefrag(ref)
            if not target:
                node["$ref"] = f"#{prefix}{fragment}"
                continue
            uri = _absolute(target, doc_base)
            policy.check(uri, doc_base)
            if uri not in index:
                if len(index) >= MAX_EXTERNAL_DOCUMENTS:
                    raise SpecError(f"the document refers to more than {MAX_EXTERNAL_DOCUMENTS} external documents")
                key = str(len(index))
                index[uri] = key
                bundled[key] = load(uri)
                queue.append((bundled[key], uri, f"/{BUNDLE_KEY}/{key}"))
            node["$ref"] = f"#/{BUNDLE_KEY}/{index[uri]}{fragment}"
    if bundled:
        document[BUNDLE_KEY] = bundled
    return list(index)


def dangling_refs(document: dict[str, Any]) -> list[tuple[list[Any], str]]:
    """Where each `$ref` that points nowhere in the (bundled) document is, and what it says."""
    return sorted(
        ((parts, node["$ref"]) for parts, node in _ref_holders(document) if not _resolves(document, node["$ref"])),
        key=lambda found: [str(part) for part in found[0]],
    )


def _absolute(target: str, doc_base: str) -> str:
    if urlsplit(doc_base).scheme in ("http", "https"):
        return urljoin(doc_base, target)
    if urlsplit(target).scheme:
        return target
    return str((Path(doc_base).parent / target).resolve())


# Maps whose keys are names the author chose: a property called `example` is a schema, not an example.
NAME_MAPS = frozenset(
    {
        "properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "schemas", "parameters",
        "responses", "headers", "examples", "links", "callbacks", "securitySchemes", "requestBodies", "pathItems",
        "variables", "content", "encoding", "paths", "webhooks", "mapping",
    }
)  # fmt: skip
# Values that are data, not document structure: a `$ref` inside one is text, never a reference to follow.
LITERAL_VALUES = frozenset({"example", "default", "enum", "const"})


def _literal(parts: list[Any], key: Any, value: Any) -> bool:
    """Whether `key` of the mapping at `parts` is literal data: an example, default, enum, const or Example value."""
    if parts and parts[-1] in NAME_MAPS:
        return False
    if key in LITERAL_VALUES or (key == "examples" and isinstance(value, list)):  # 3.1 schemas: a list of values
        return True
    return key == "value" and len(parts) >= 2 and parts[-2] == "examples"  # an Example Object's value


def _ref_holders(root: Any) -> list[tuple[list[Any], dict[str, Any]]]:
    """Every mapping with a string `$ref`, with the path to it, visiting shared nodes once; never inside
    literal data (an example of a JSON Schema may well hold a `$ref`)."""
    found: list[tuple[list[Any], dict[str, Any]]] = []
    seen: set[int] = set()
    stack: list[tuple[list[Any], Any]] = [([], root)]
    while stack:
        parts, node = stack.pop()
        if id(node) in seen or not isinstance(node, dict | list):
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                found.append((parts, node))
            stack.extend(([*parts, key], value) for key, value in node.items() if not _literal(parts, key, value))
        else:
            stack.extend(([*parts, index], value) for index, value in enumerate(node))
    return found


def _resolves(document: dict[str, Any], ref: str) -> bool:
    if not ref.startswith("#"):
        return False
    node: Any = document
    for raw in [p for p in ref[1:].split("/") if p]:
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True
