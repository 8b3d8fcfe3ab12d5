"""Every way a document breaks its OpenAPI schema, each located: the operation, the JSON path, the message.

An invalid document is a finding about the supplier (EXP-01), not a reason to stop, so the supplier must
see every error in one run, each at a place they can find. Three passes, each only where it helps:

1. openapi-spec-validator's fast schema validator finds whether, and roughly where, the document breaks;
2. only when it does, pure-Python jsonschema explains each error down to the field (which branch of a
   `oneOf` was meant, which property is missing or unexpected);
3. only for a structurally sound document, openapi-spec-validator's semantic checks (duplicate operation
   ids, unresolved path parameters, defaults that break their schema), each traced to its path item.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema
import regress
from jsonschema.exceptions import ValidationError
from openapi_spec_validator import OpenAPIV2SpecValidator, OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
from openapi_spec_validator.schemas import schema_v2, schema_v30, schema_v31
from openapi_spec_validator.validation.keywords import KeywordValidator, OpenAPIV30ValueValidator, OperationValidator
from openapi_spec_validator.validation.validators import SpecValidator

from conformance.operations import HTTP_METHODS
from conformance.refs import dangling_refs


class TypedDefaults(OpenAPIV30ValueValidator):
    """Swagger 2.0 and OpenAPI 3.0: a `default` "MUST conform to the defined type"; its `format` is not asserted
    (formats are open-ended there, and validating them is optional in the JSON Schema draft they build on)."""

    value_validator_format_checker = None


class AnnotatedDefaults(KeywordValidator):
    """OpenAPI 3.1: `default` is a JSON Schema 2020-12 annotation, RECOMMENDED (not required) to be valid against
    its schema (2020-12 validation, section 9.2), and a schema may declare another dialect (`$schema`,
    `jsonSchemaDialect`) in which it reads differently: a default is never a reason to call the document invalid."""

    def __call__(self, schema: Any, value: Any) -> Iterator[ValidationError]:
        return iter(())


class OperationWithBody(OperationValidator):
    """openapi-spec-validator's checks of an operation, and of the schemas of its request body (OpenAPI 3),
    which it leaves out: an invalid schema there is as much a problem as in a response."""

    def __call__(self, url: str, name: str, operation: Any, path_parameters: Any) -> Iterator[ValidationError]:
        yield from super().__call__(url, name, operation, path_parameters)
        if "requestBody" in operation and "content" in operation / "requestBody":
            yield from self.registry["content"](operation / "requestBody" / "content")


def judged(base: type[SpecValidator], defaults: type[KeywordValidator]) -> type[SpecValidator]:
    """openapi-spec-validator's validator for one version, with `default` judged as that version says."""
    keywords = {**base.keyword_validators, "default": defaults}
    if "content" in keywords:  # OpenAPI 3: request bodies
        keywords["operation"] = OperationWithBody
    return type(base.__name__, (base,), {"keyword_validators": keywords})


SPEC_VALIDATORS = {
    "swagger-2.0": judged(OpenAPIV2SpecValidator, TypedDefaults),
    "openapi-3.0": judged(OpenAPIV30SpecValidator, TypedDefaults),
    "openapi-3.1": judged(OpenAPIV31SpecValidator, AnnotatedDefaults),
}
SCHEMAS = {"swagger-2.0": schema_v2, "openapi-3.0": schema_v30, "openapi-3.1": schema_v31}
# The fields of a path item that are operations (OpenAPI 2.0 to 3.1).
# Path items are checked one by one to place a semantic error only in documents up to this size.
MAX_PATH_ITEMS_TO_PLACE = 200
MAX_MESSAGE = 300
NOT_ECMA = "is not an ECMA-262 regular expression"
PROPERTY = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")
# openapi-spec-validator names the operation in these messages: "... for 'get' [operation] in '/cases' ..."
NAMED_OPERATION = re.compile(r"for '(?P<method>[a-z]+)'(?: operation)? in '(?P<path>[^']*)'")


@dataclass(frozen=True)
class DocumentProblem:
    """One place where the document breaks its OpenAPI schema."""

    json_path: str
    message: str
    operation: str = ""  # "GET /cases" when the place lies inside one operation

    def __str__(self) -> str:
        where = f"{self.operation} at {self.json_path}" if self.operation else f"at {self.json_path}"
        return f"{where}: {self.message}"

    def as_evidence(self) -> dict[str, str]:
        return {"operation": self.operation, "json_path": self.json_path, "message": self.message}


def json_path(parts: Iterable[Any]) -> str:
    """`$.paths['/cases'].get.parameters[0]`, written as jsonschema writes its error paths."""
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif PROPERTY.match(str(part)):
            path += f".{part}"
        else:
            path += "['" + str(part).replace("\\", "\\\\").replace("'", "\\'") + "']"
    return path


def problem_at(parts: list[Any], message: str) -> DocumentProblem:
    """A problem at a place given as path parts; inside `paths./x.get` it names the operation."""
    operation = ""
    if len(parts) >= 3 and parts[0] == "paths" and str(parts[2]).lower() in HTTP_METHODS:
        operation = f"{str(parts[2]).upper()} {parts[1]}"
    return DocumentProblem(json_path(parts), " ".join(message.split())[:MAX_MESSAGE], operation)


def document_problems(document: dict[str, Any], flavour: str) -> list[DocumentProblem]:
    """Every located problem: `$ref`s that point nowhere, schema errors, and semantic errors."""
    problems = [problem_at(parts, f"$ref {ref!r} points nowhere") for parts, ref in dangling_refs(document)]
    structural, semantic, gave_up = _spec_validator_errors(document, flavour)
    if structural:
        explanation = explained(document, flavour)
        if explanation is None:
            problems += [problem_at(list(error.absolute_path), error.message) for error in structural]
        elif explanation:
            problems += explanation
        else:  # what pure-Python jsonschema does not check (uri formats), or valid ECMA-262 patterns it refused
            remaining = SPEC_VALIDATORS[flavour].schema_validator.iter_errors(_ecma_set_aside(document))
            problems += [problem_at(list(error.absolute_path), error.message) for error in remaining]
    problems += placed(document, flavour, [m for m in semantic if not _pattern_located(m, problems)])
    if gave_up and not problems:  # otherwise it gave up because of the problems already found
        problems.append(DocumentProblem("$", f"openapi-spec-validator could not check the document: {gave_up}"))
    return list(dict.fromkeys(problems))


def _spec_validator_errors(document: dict[str, Any], flavour: str) -> tuple[list[ValidationError], list[str], str]:
    """openapi-spec-validator's schema errors, its semantic messages, and why it stopped early, if it did.

    Its full run repeats the schema errors before its semantic walk, which assumes a sound document and may
    stop with an exception where it is not.
    """
    validator = SPEC_VALIDATORS[flavour]
    structural = list(validator.schema_validator.iter_errors(document))
    seen = {(tuple(error.absolute_path), error.message) for error in structural}
    semantic: list[str] = []
    try:
        for error in validator(document).iter_errors():
            if _only_a_should(error, flavour):
                continue
            if (tuple(error.absolute_path), error.message) not in seen:
                semantic.append(" ".join(str(error.message).split()))
    except Exception as exc:  # the walk met what the schema errors (or a dangling $ref) already explain
        return structural, semantic, f"{type(exc).__name__}: {exc}"
    return structural, semantic, ""


def _pattern_located(message: str, problems: list[DocumentProblem]) -> bool:
    """A semantic "'...' is not a 'regex'" for a pattern the schema errors already placed at its field."""
    pattern, _, rest = message.rpartition(" is not a ")
    return rest == "'regex'" and any(p.message.startswith(f"{pattern} {NOT_ECMA}") for p in problems)


def _only_a_should(error: ValidationError, flavour: str) -> bool:
    """What the meta-schemas openapi-schema-validator checks schemas with flag, though the specification
    only recommends it: in 3.0 (JSON Schema Wright draft 00, 5.20) and 3.1 (2020-12 validation, 6.1.2) an
    enum's elements SHOULD be unique (Swagger 2.0's draft 4 says MUST)."""
    return flavour != "swagger-2.0" and error.validator == "uniqueItems" and list(error.path)[-1:] == ["enum"]


# --- structural errors, explained ------------------------------------------------------------------


# The OpenAPI schemas mark `pattern` as a "regex": an ECMA-262 regular expression (`\\p{L}` is one), so it is
# judged as one (Python's `re` would refuse valid patterns). No other format is asserted, as the fast
# validator asserts none.
ECMA_REGEX = jsonschema.FormatChecker(formats=())


@ECMA_REGEX.checks("regex", raises=regress.RegressError)
def is_ecma_regex(instance: object) -> bool:
    if isinstance(instance, str):
        regress.Regex(instance)
    return True


def _ecma_set_aside(node: Any) -> Any:
    """A copy with every valid ECMA-262 `pattern` made empty, for a validator whose regex engine refuses some.

    Recursion is bounded: conformance.document_limits refused documents nested deeper than it allows.
    """
    if isinstance(node, list):
        return [_ecma_set_aside(item) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: _ecma_set_aside(value) for key, value in node.items()}
    if isinstance(copy.get("pattern"), str) and _is_ecma_regex(copy["pattern"]):
        copy["pattern"] = ""
    return copy


def _is_ecma_regex(pattern: str) -> bool:
    try:
        regress.Regex(pattern)
    except regress.RegressError:
        return False
    return True


def explained(document: dict[str, Any], flavour: str) -> list[DocumentProblem] | None:
    """Each schema error followed down to the field at fault; None when pure-Python jsonschema cannot say.

    It is the judge: the fast validator (jsonschema-rs, when installed) reads `pattern`s with a regex engine
    that refuses some valid ECMA-262 ones (literal braces, as JavaScript reads them).
    """
    schema = SCHEMAS[flavour]
    try:
        validator = jsonschema.validators.validator_for(schema)(schema, format_checker=ECMA_REGEX)
        return [problem for error in validator.iter_errors(document) for problem in _leaves(error)]
    except Exception:  # e.g. YAML's non-string keys: the fast validator's places still stand
        return None


def _leaves(error: ValidationError) -> Iterator[DocumentProblem]:
    """The errors that say what to fix: through the `oneOf` branch that was meant, down to a field."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        for inner in _meant_branch(error):
            yield from _leaves(inner)
        return
    parts = list(error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        for name in error.validator_value:
            if name not in instance and repr(name) in error.message:
                yield problem_at([*parts, name], "is required but missing")
                return
    if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        # jsonschema names each unexpected field in its message, quoted as Python quotes it
        unexpected = [str(name) for name in instance if repr(name) in error.message]
        if unexpected:
            patterns = error.schema.get("patternProperties") or {}
            extensions = error.validator == "unevaluatedProperties" or "^x-" in patterns
            hint = " (extensions must start with 'x-')" if extensions else ""
            for name in unexpected:
                yield problem_at([*parts, name], f"{name!r} is not a field of this object{hint}")
            return
    if error.validator == "format" and error.validator_value == "regex":
        yield problem_at(parts, f"{error.instance!r} {NOT_ECMA} ({error.cause})")
        return
    yield problem_at(parts, error.message)


def _meant_branch(error: ValidationError) -> list[ValidationError]:
    """The errors of the alternative the author most likely meant: not a `$ref` unless they wrote one, and
    then the one with the fewest errors; "valid under each of" errors only when nothing else is wrong."""
    branches: dict[Any, list[ValidationError]] = {}
    for inner in error.context or ():
        branches.setdefault(inner.relative_schema_path[0] if inner.relative_schema_path else 0, []).append(inner)
    wrote_ref = isinstance(error.instance, dict) and "$ref" in error.instance
    candidates = [
        errors
        for errors in branches.values()
        if wrote_ref or not all(e.validator == "required" and e.validator_value == ["$ref"] for e in errors)
    ] or list(branches.values())
    best = min(candidates, key=len)
    specific = [e for e in best if not (e.validator == "oneOf" and not e.context)]
    return specific or best


# --- semantic errors, placed -----------------------------------------------------------------------


def placed(document: dict[str, Any], flavour: str, messages: list[str]) -> list[DocumentProblem]:
    """Semantic messages placed: in the operation they name, else in the path item that alone gives them."""
    problems: list[DocumentProblem] = []
    unplaced: list[str] = []
    for message in messages:
        named = NAMED_OPERATION.search(message)
        if named:
            problems.append(problem_at(["paths", named["path"], named["method"]], message))
        else:
            unplaced.append(message)
    if unplaced:
        problems += _placed_by_path_item(document, flavour, unplaced)
    return problems


def _semantic_messages(document: dict[str, Any], flavour: str) -> set[str]:
    return set(_spec_validator_errors(document, flavour)[1])


def _placed_by_path_item(document: dict[str, Any], flavour: str, messages: list[str]) -> list[DocumentProblem]:
    """Validate each path item alone (with the components) to find which one a message belongs to."""
    paths = document.get("paths") if isinstance(document.get("paths"), dict) else {}
    outside_paths = _semantic_messages({**document, "paths": {}}, flavour)
    elsewhere = "$.components" if flavour.startswith("openapi") else "$.definitions"
    problems = [DocumentProblem(elsewhere, m) for m in messages if m in outside_paths]
    remaining = [m for m in messages if m not in outside_paths]
    if remaining and len(paths) <= MAX_PATH_ITEMS_TO_PLACE:
        for url, item in paths.items():
            found = _semantic_messages({**document, "paths": {url: item}}, flavour) - outside_paths
            problems += [problem_at(["paths", url], m) for m in remaining if m in found]
            remaining = [m for m in remaining if m not in found]
            if not remaining:
                break
    problems += [DocumentProblem("$.paths", m) for m in remaining]
    return problems
