"""Whether a case Schemathesis generated in negative mode reached the server actually malformed.

Negative mode also produces cases the server may rightly read as valid: undeclared query parameters
(which HTTP servers commonly ignore), mutations that serialisation undoes, values that still match
their schema. A server error on such a case is a server error on valid input (EXP-03), not a failure
to handle malformed input (NET-10). Schemathesis's own negative-data check makes the same distinction;
these are its predicates (the version is pinned, so they are stable for us).
"""

from collections.abc import Mapping
from typing import Any

from schemathesis.specs.openapi import checks


def reached_server_malformed(case: Any, response: Any | None) -> bool:
    """True when the case was generated to violate the document and the request as sent still does."""
    meta = getattr(case, "meta", None)
    if meta is None or not meta.generation.mode.is_negative:
        return False
    if response is None:
        return True  # nothing was sent back, so nothing can show the request was read as valid
    if declared_query_value_refused(case):
        return True  # whatever else was mutated, a declared parameter went out with a value its schema refuses
    neutralised = (
        checks.has_only_additional_properties_in_non_body_parameters(case)
        or checks._body_negation_becomes_valid_after_serialization(response, case)
        or checks._body_negation_is_only_forbidden_property(case)
        or checks._single_element_array_becomes_valid_after_serialization(response, case)
        or checks._type_mutations_become_valid_after_serialization(case)
        or checks._path_array_becomes_valid_after_serialization(case)
        or checks._non_body_negative_values_match_schema(response, case)
    )
    return not neutralised


def declared_query_value_refused(case: Any) -> bool:
    """A declared scalar query parameter sent with no value its schema accepts (as text, coerced as servers do).

    Schemathesis's predicates, written for its own check, count a whole query as neutralised when any one
    parameter in it is valid: `?offset=AAA&limit=20` would pass for valid because of `limit`.
    """
    query = case.query if isinstance(case.query, Mapping) else {}
    for name, value in query.items():
        parameter = case.operation.query.get(name)
        if parameter is None or checks._declares_type(parameter.validation_schema, "array"):
            continue  # undeclared extras, and arrays (serialised as repeated keys), are the predicates' to judge
        validator = parameter.get_validator()
        types = checks.parameter_types(parameter.validation_schema)
        elements = value if isinstance(value, list) else [value]
        if not any(_accepted(element, validator, types) for element in elements):
            return True
    return False


def _accepted(element: Any, validator: Any, types: Any) -> bool:
    if validator.is_valid(element):
        return True
    coerced = checks.coerce_wire_string(element, types) if isinstance(element, str) else None
    return coerced is not None and validator.is_valid(coerced)
