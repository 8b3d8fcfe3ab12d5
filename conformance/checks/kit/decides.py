"""What each check decides: the requirement it is the check for, and whether the document alone decides it.

Each check module ends with a table of these, `DECIDES`, instead of marking its checks with decorators: mutmut 3
never mutates a decorated function, so a decorated check's body would never be mutation-tested. The pytest plugin
turns the table into the `requirement` and `from_document` marks when it collects the checks.
"""

import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

from conformance import checks

TABLE = "DECIDES"


@dataclass(frozen=True)
class Decides:
    """A check's requirement id; `from_document` when it decides from the OpenAPI document alone and sends nothing
    (in a document-only run, `check-document`, only these run)."""

    requirement: str
    from_document: bool = False


def table_of(module: ModuleType) -> dict[str, Decides]:
    """A check module's table by check name: the name pytest collects, which a wrapper (mutmut's trampoline)
    keeps. Empty for a module without checks."""
    return {check.__name__: decides for check, decides in getattr(module, TABLE, {}).items()}


def check_modules() -> Iterator[ModuleType]:
    """Every module of checks, imported (the kit beside them holds none)."""
    for module_info in pkgutil.iter_modules(checks.__path__):
        if not module_info.ispkg:
            yield importlib.import_module(f"{checks.__name__}.{module_info.name}")
