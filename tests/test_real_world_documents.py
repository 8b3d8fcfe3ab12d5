"""Documents as suppliers' tools write them: intake and planning accept them, or refuse them with every
reason located, and never crash. The full published corpus runs in `python -m bench.corpus`, not here.
"""

import json
from pathlib import Path

import pytest

from conformance.document_limits import MAX_EXPANDED_NODES
from conformance.errors import SpecError
from conformance.fuzzing.engine import FuzzSettings, run_fuzzing
from conformance.fuzzing.planning import WHOLE_DOCUMENT, plan_run
from conformance.fuzzing.scope import coverage_of
from conformance.progress import Progress
from conformance.run.session import RunSession
from conformance.run.settings import RunSettings
from conformance.safety import Safety
from conformance.spec import MEGABYTE, load_spec, parse
from conformance.validation import document_problems
from tests.conftest import run_cli
from tests.tiny_api import serve_api

DOCUMENTS = Path(__file__).parent / "documents"


@pytest.mark.parametrize(
    ("name", "flavour", "operations"),
    [
        (
            "swagger-2.0.yaml",
            "swagger-2.0",
            {"GET /applications", "POST /applications", "POST /applications/{reference}/documents"},
        ),
        ("openapi-3.0.yaml", "openapi-3.0", {"GET /collections", "POST /collections", "GET /collections/{id}"}),
        ("openapi-3.1.yaml", "openapi-3.1", {"GET /members", "GET /loans/{loanId}"}),
    ],
)
def test_valid_documents_are_accepted_and_planned_whole(name: str, flavour: str, operations: set[str]) -> None:
    spec = load_spec(str(DOCUMENTS / name))
    assert (spec.flavour, spec.problems) == (flavour, ())
    plan = plan_run(spec.document)
    assert set(plan.operations) == operations  # a path item given as a $ref is planned too
    assert (plan.fuzzer_operations, plan.unloadable) == (len(operations), {})


def test_yaml_is_read_as_yaml_1_2_as_openapi_recommends() -> None:
    document = load_spec(str(DOCUMENTS / "openapi-3.0.yaml")).document
    query = document["paths"]["/collections"]["get"]["parameters"][2]["schema"]["properties"]
    assert query["country"]["enum"] == ["gb", "no", "ie"]  # YAML 1.1 would read `no` as false
    assert query["from"]["default"] == "2024-01-01"  # and this as a date


def test_ecma_262_patterns_python_cannot_compile_are_valid() -> None:
    patterns = [r"^\p{L}+$", r"^(?<year>\d{4})$", r"^{[0-9a-f]{8}}$", r"^\p{Script=Greek}+$"]
    for flavour, version in (("openapi-3.0", "3.0.3"), ("openapi-3.1", "3.1.0")):
        parameters = [
            {"name": f"q{i}", "in": "query", "schema": {"type": "string", "pattern": pattern}}
            for i, pattern in enumerate(patterns)
        ]
        document = {
            "openapi": version,
            "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {"parameters": parameters, "responses": {"200": {"description": "ok"}}}}},
        }
        assert document_problems(document, flavour) == [], flavour


def test_a_valid_pattern_refused_by_the_fast_validator_hides_none_of_its_other_complaints() -> None:
    """jsonschema-rs refuses `{` as a literal (JavaScript and regress accept it); its complaint about the
    contact's email still stands."""
    parameters = [{"name": "q", "in": "query", "schema": {"type": "string", "pattern": "^{[0-9]{2}}$"}}]
    operation = {"parameters": parameters, "responses": {"200": {"description": "ok"}}}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1", "contact": {"email": "nobody"}},
        "paths": {"/a": {"get": operation}},
    }
    assert [p.json_path for p in document_problems(document, "openapi-3.0")] == ["$.info.contact.email"]
    document["info"]["contact"]["email"] = "api@supplier.example"
    assert document_problems(document, "openapi-3.0") == []


def test_invalid_30_document_is_refused_with_every_reason_located() -> None:
    spec = load_spec(str(DOCUMENTS / "openapi-3.0-invalid.yaml"))
    assert {(p.operation, p.json_path, p.message) for p in spec.problems} == {
        ("GET /cases", "$.paths['/cases'].get.responses['200']", "the key 200 is a YAML int, not a string: quote it"),
        ("", "$.info.title", "is required but missing"),
        (
            "GET /cases",
            "$.paths['/cases'].get.parameters[0].schema.pattern",
            r"'^(?P<year>\\d{4})/\\d+$' is not an ECMA-262 regular expression (Invalid group modifier)",
        ),
        ("", "$.paths['/cases']", "'ten' is not of type 'integer'"),
    }
    assert set(plan_run(spec.document).operations) == {"GET /cases"}  # still tested as far as it can be


def test_invalid_31_document_is_refused_with_every_reason_located() -> None:
    spec = load_spec(str(DOCUMENTS / "openapi-3.1-invalid.json"))
    assert {(p.operation, p.json_path, p.message) for p in spec.problems} == {
        ("POST /permits", "$.paths['/permits'].post.responses['201'].description", "is required but missing"),
        (
            "POST /permits",
            "$.paths['/permits'].post.responses['201'].descripton",
            "'descripton' is not a field of this object (extensions must start with 'x-')",
        ),
        # in the request body's schema, which openapi-spec-validator alone does not check
        ("", "$.paths['/permits']", "['string', None] is not valid under any of the given schemas"),
    }


def test_defaults_are_judged_as_each_version_says() -> None:
    """3.1: a default is an annotation, RECOMMENDED to be valid (JSON Schema 2020-12 validation, 9.2).
    3.0: it MUST conform to its schema's type; its format is not asserted."""
    document = json.loads((DOCUMENTS / "openapi-3.1-invalid.json").read_text())
    document["paths"]["/permits"]["post"]["responses"]["201"] = {"description": "Created."}
    body = document["paths"]["/permits"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    body["properties"] = {
        "days": {"type": "integer", "default": "7"},
        "from": {"type": "string", "format": "time", "default": "23:20:50.52"},
    }
    assert document_problems(document, "openapi-3.1") == []
    document["openapi"] = "3.0.3"
    assert [p.message for p in document_problems(document, "openapi-3.0")] == ["'7' is not of type 'integer'"]


def test_what_the_specification_only_recommends_is_no_problem() -> None:
    """An enum's elements SHOULD be unique (JSON Schema Wright draft 00, 5.20); `required`'s MUST be."""
    schema = {"type": "object", "properties": {"s": {"type": "string", "enum": ["a", "a"]}}, "required": ["s"]}
    parameters = [{"name": "q", "in": "query", "schema": schema}]
    operation = {"parameters": parameters, "responses": {"200": {"description": "ok"}}}
    document = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": operation}}}
    assert document_problems(document, "openapi-3.0") == []
    schema["required"] = ["s", "s"]
    assert "has non-unique elements" in document_problems(document, "openapi-3.0")[0].message


def test_a_ref_inside_an_example_is_data_not_a_reference(tmp_path: Path) -> None:
    """GitHub Enterprise Cloud's description shows a JSON document holding `$ref`s as an example value."""
    schema = {"type": "object", "properties": {"example": {"$ref": "#/components/schemas/Missing"}}}
    media = {"schema": schema, "examples": {"stats": {"value": [{"db": {"$ref": "stats.yaml"}}]}}}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": media}}}}}},
        "components": {"schemas": {"Missing": {"type": "object", "example": {"$ref": "elsewhere.yaml"}}}},
    }
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document))
    assert load_spec(str(path)).problems == ()  # nothing fetched, nothing dangling: the examples are data
    del document["components"]
    path.write_text(json.dumps(document))
    [dangling] = load_spec(str(path)).problems  # a property named `example` is a schema, and its $ref is followed
    assert dangling.json_path.endswith(".schema.properties.example") and "points nowhere" in dangling.message


# shape -> what the plan says it cannot read (the document's problems say why, located, for EXP-01)
BROKEN_SHAPES = {
    "paths is a list": ({"paths": []}, {WHOLE_DOCUMENT}),
    "a path item is text": ({"paths": {"/a": "x"}}, {"/a"}),
    "responses are a list": ({"paths": {"/a": {"get": {"responses": ["x"]}}}}, {"GET /a"}),
    "content is a list": (
        {"paths": {"/a": {"get": {"responses": {"200": {"description": "d", "content": []}}}}}},
        set(),
    ),
    "a $ref is a number": ({"paths": {"/a": {"get": {"responses": {"200": {"$ref": 5}}}}}}, {WHOLE_DOCUMENT}),
}


@pytest.mark.parametrize("shape", BROKEN_SHAPES, ids=list(BROKEN_SHAPES))
def test_a_broken_shape_is_located_and_planning_says_what_it_cannot_read(shape: str, tmp_path: Path) -> None:
    paths, unreadable = BROKEN_SHAPES[shape]
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, **paths}))
    spec = load_spec(str(path))
    assert spec.problems and all(p.json_path.startswith("$.paths") for p in spec.problems)
    plan = plan_run(spec.document)
    assert set(plan.unloadable) == unreadable and all(plan.unloadable.values())


def test_an_operation_the_fuzzer_cannot_generate_for_is_named_with_the_reason() -> None:
    """`\\p{Script=Greek}` is valid ECMA-262, but Schemathesis cannot generate from it: not a crash, a gap."""
    document = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            f"/{name}": {
                "get": {
                    "parameters": [
                        {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "pattern": pattern}}
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
            for name, pattern in (("letters", r"^\p{L}+$"), ("greek", r"^\p{Script=Greek}+$"))
        },
    }
    with serve_api(("GET",)) as api:
        settings = FuzzSettings(
            base_url=api.base, headers={}, seed=1, max_examples=3, safety=Safety(max_rps=0), phases=("fuzzing",)
        )
        report = run_fuzzing(document, settings, Progress())
    coverage = coverage_of("EXP-03", report)
    assert set(coverage.exercised) == {"GET /letters"}
    assert "unsupported regular expression" in coverage.not_exercised["GET /greek"]


def padded_document(size: int) -> str:
    """A valid document of exactly `size` bytes (its description makes up the rest)."""
    document = {"openapi": "3.0.3", "info": {"title": "t", "version": "1", "description": ""}, "paths": {}}
    empty = len(json.dumps(document))
    document["info"]["description"] = "x" * (size - empty)
    return json.dumps(document)


def test_a_document_over_the_cap_is_refused_saying_how_to_raise_it(tmp_path: Path) -> None:
    path = tmp_path / "openapi.json"
    path.write_text(padded_document(MEGABYTE + 1))
    refused = run_cli(["run", "--spec", str(path), "--max-document-size", "1"], tmp_path / "out")
    assert refused.code == 2, refused.stderr
    assert "larger than 1 MB" in refused.stderr and "raise the cap with --max-document-size" in refused.stderr
    with pytest.raises(SpecError, match="--max-document-size"):
        load_spec(str(path), max_mb=1)
    admitted = RunSession(RunSettings.from_options({"spec": str(path), "max_document_mb": 2})).load_document()
    assert len(admitted.raw) == MEGABYTE + 1 and admitted.problems == ()
    checked = run_cli(["check-document", str(path), "--max-document-size", "2"], tmp_path / "checked")
    assert checked.code == 1 and checked.results["target"]["spec_sha256"], checked.stderr  # read, and judged


def test_a_large_document_without_aliases_is_never_taken_for_a_bomb() -> None:
    nodes = MAX_EXPANDED_NODES + 1  # each a byte or two written out: an honest document, just large
    raw = json.dumps({"openapi": "3.0.3", "x-codes": [0] * nodes}, separators=(",", ":")).encode()
    assert len(parse(raw, "large.json")["x-codes"]) == nodes
