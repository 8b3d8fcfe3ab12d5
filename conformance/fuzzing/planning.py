"""Plan a run from the document alone: which operations it would send, and which the fuzzer cannot load.

Nothing is sent (the schema is built against an address nobody listens on and never executed), so a
document can be taken through intake and planning without a live API: the corpus benchmark does, and a
run's own plan (conformance.fuzzing.scope) is the same one.
"""

import copy
from dataclasses import dataclass
from typing import Any

from schemathesis.core.result import Ok

from conformance.fuzzing.engine import FuzzSettings, build_schema, loads
from conformance.fuzzing.scope import PlannedOperation, plan_operations
from conformance.fuzzing.unloadable import WHOLE_DOCUMENT, unloadable_reason
from conformance.safety import Safety

# Never contacted: the schema is only built, never executed.
NOWHERE = "http://127.0.0.1:9"


@dataclass(frozen=True)
class RunPlan:
    """Every operation the scopes read, and each one the fuzzer cannot load, with Schemathesis's reason."""

    operations: dict[str, PlannedOperation]
    fuzzer_operations: int  # the operations Schemathesis loaded
    unloadable: dict[str, str]  # "GET /x" (or the path, when Schemathesis cannot tell the method) -> why


def plan_run(document: dict[str, Any], read_only: bool = False) -> RunPlan:
    """The plan of a run over `document`, without sending a request."""
    settings = FuzzSettings(base_url=NOWHERE, headers={}, seed=0, max_examples=1, safety=Safety(read_only=read_only))
    loaded = 0
    unloadable: dict[str, str] = {}
    try:
        schema = build_schema(copy.deepcopy(document), settings)  # Schemathesis may write into what it is given
        for result in schema.get_all_operations():
            if isinstance(result, Ok):
                loaded += 1
            else:
                error = result.err()
                unloadable[error.label] = " ".join(str(error.message).split())
    except Exception as exc:  # an invalid document (EXP-01 lists why) can stop Schemathesis reading it at all
        unloadable[WHOLE_DOCUMENT] = unloadable_reason(document, exc, lambda part: loads(part, settings))
    return RunPlan(plan_operations(document, read_only), loaded, unloadable)
