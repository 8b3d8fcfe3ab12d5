"""Load the JSON Schemas shipped in the package, so every output can be validated against its contract."""

import json
from functools import cache
from importlib.resources import files
from typing import Any

import jsonschema


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The packaged schema `schemas/<name>.schema.json`."""
    return json.loads(files("conformance").joinpath(f"schemas/{name}.schema.json").read_text("utf-8"))


def validate(instance: Any, name: str) -> None:
    """Raise jsonschema.ValidationError when `instance` breaks the named schema."""
    schema = load_schema(name)
    jsonschema.validators.validator_for(schema)(schema, format_checker=jsonschema.FormatChecker()).validate(instance)
