"""Refuse documents built to hurt the tester: alias bombs, self-references and absurd nesting.

PyYAML shares aliased nodes instead of copying them, so a "billion laughs" document loads small but
explodes in everything that walks it afterwards (hashing, validation, the fuzzer). We measure the size
the document would have once expanded, without expanding it.
"""

from typing import Any

MAX_EXPANDED_NODES = 2_000_000
MAX_DEPTH = 200


class DocumentTooComplex(ValueError):
    """The parsed document is a bomb, a cycle or nested beyond reason; the message says which."""


def check_document_shape(document: Any, max_nodes: int = MAX_EXPANDED_NODES) -> None:
    """Raise DocumentTooComplex unless the expanded document is small, acyclic and shallow enough."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    on_path: set[int] = set()
    # Iterative post-order walk: each container is visited once; shared (aliased) nodes reuse their size.
    stack: list[tuple[Any, bool]] = [(document, False)]
    while stack:
        node, children_done = stack.pop()
        if not isinstance(node, dict | list):
            continue
        key = id(node)
        children = list(node.values()) if isinstance(node, dict) else node
        if children_done:
            on_path.discard(key)
            containers = [c for c in children if isinstance(c, dict | list)]
            size = 1 + len(children) + sum(sizes[id(c)] for c in containers)
            depth = 1 + max((depths[id(c)] for c in containers), default=0)
            if size > max_nodes:
                raise DocumentTooComplex(
                    f"expands to more than {max_nodes:,} nodes (a YAML alias bomb?); refusing to process it"
                )
            if depth > MAX_DEPTH:
                raise DocumentTooComplex(f"is nested more than {MAX_DEPTH} levels deep; refusing to process it")
            sizes[key], depths[key] = size, depth
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise DocumentTooComplex("refers to itself through YAML anchors (a cycle); refusing to process it")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if isinstance(child, dict | list))
