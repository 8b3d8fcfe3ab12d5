"""`--hooks FILE`: the supplier's own Python file, run before the schema is built.

The harness writes request bodies in every open format (conformance.fuzzing.serializers). A vendor-specific media
type is the supplier's to describe: their file registers a serializer for it with
`@schemathesis.serializer("application/vnd.acme.case+json")` (or any other Schemathesis extension), and the
fuzzer can then exercise the operations that take it.
"""

import hashlib
import importlib.util
import sys
from pathlib import Path

from conformance.errors import UsageError


def load_hooks(path: str) -> None:
    """Run the hooks file once; UsageError when it is missing or fails to import."""
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"--hooks {path}: no such file")
    name = "conformance_hooks_" + hashlib.sha256(str(file.resolve()).encode()).hexdigest()[:12]
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise UsageError(f"--hooks {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise UsageError(f"--hooks {path} failed to import: {type(exc).__name__}: {exc}") from exc
