"""Say why the fuzzer cannot load a document at all, and where, instead of a bare exception name.

Schemathesis stops on some shapes document intake only reports (EXP-01): `paths` as a list fails one of its
bare `assert`s, a `$ref` that is a number an attribute lookup. Its exception names neither the place nor the
problem, so the place is found here: `paths` itself, or the path items that fail to load on their own.
"""

from collections.abc import Callable, Mapping
from typing import Any

WHOLE_DOCUMENT = "(the whole document)"
JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def unloadable_reason(document: dict[str, Any], exc: Exception, loads: Callable[[dict[str, Any]], bool]) -> str:
    """Why the fuzzer sent nothing: what it could not load, where, and where the problems are listed.

    `loads(document)` says whether the fuzzer loads a document; it is asked about one path item at a time.
    """
    detail = f" ({type(exc).__name__}: {exc})" if str(exc) else ""  # a bare exception name says nothing more
    return (
        f"the fuzzer (Schemathesis) could not load the document at {_where(document, loads)}{detail}, so "
        "nothing can be fuzzed; EXP-01 lists the document's problems"
    )


def _where(document: dict[str, Any], loads: Callable[[dict[str, Any]], bool]) -> str:
    paths = document.get("paths")
    if "paths" in document and not isinstance(paths, Mapping):
        return f"$.paths, which is {JSON_TYPES.get(type(paths), 'null')}, not an object"
    failing = [
        f"$.paths[{path!r}]" for path, item in (paths or {}).items() if not loads({**document, "paths": {path: item}})
    ]
    return ", ".join(failing) if failing else WHOLE_DOCUMENT
