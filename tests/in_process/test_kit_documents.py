"""The kit's readings of an OpenAPI document, on small documents shaped unlike the reference supplier's."""

from typing import Any

import pytest
import requests

from conformance.causes import declaration_malformed, declaration_missing
from conformance.checks.kit.declared import open_declared
from conformance.checks.kit.document import (
    date_format,
    date_properties,
    declared_media_types,
    open_media_types,
    parameters,
    record_schema,
    success_content,
)
from conformance.checks.kit.evidence import observed
from conformance.checks.kit.outcomes import RequirementNotMet, listed, not_applicable, timed_out, timeout_reason
from conformance.checks.kit.security import credentials_in_query, declared_security_schemes
from conformance.client import ApiClient
from conformance.declaration import Collection
from conformance.spec import LoadedSpec
from conformance.target import Target
from tests.static_server import Canned, serve_static

REF = {"$ref": "#/components/schemas/Item"}


def responses(**by_code: Any) -> dict[str, Any]:
    return {"responses": {code: {"description": "d", **body} for code, body in by_code.items()}}


def test_success_content_prefers_200_then_the_first_2xx_with_content() -> None:
    doc: dict[str, Any] = {"components": {"responses": {"Ok": {"description": "d", "content": {"text/csv": {}}}}}}
    op = responses(**{"201": {"content": {"application/json": {}}}, "200": {"content": {"text/csv; q=1": {}}}})
    assert list(success_content(doc, op)) == ["text/csv; q=1"]
    op = responses(**{"204": {}, "202": {"content": {"application/xml": {}}}, "400": {"content": {"a/b": {}}}})
    assert list(success_content(doc, op)) == ["application/xml"]
    assert success_content(doc, {"responses": {"200": {"$ref": "#/components/responses/Ok"}}}) == {"text/csv": {}}
    assert success_content(doc, {"responses": {"404": {"content": {"a/b": {}}}}}) == {}
    assert success_content(doc, {}) == {}


def test_media_types_in_order_of_preference() -> None:
    op = responses(
        **{"200": {"content": {"Text/CSV; charset=utf-8": {}, "application/xml": {}, "application/json": {}}}}
    )
    assert declared_media_types({}, op) == ["text/csv", "application/xml", "application/json"]
    assert open_media_types({}, op) == ["application/json", "text/csv"]


def document_with(paths: dict[str, Any], **components: Any) -> dict[str, Any]:
    return {"openapi": "3.0.3", "paths": paths, "components": components}


def api_for(document: dict[str, Any]) -> ApiClient:
    spec = LoadedSpec("s", b"", document, "openapi-3.0", None)
    return ApiClient(Target(spec, "http://127.0.0.1:9"))


ITEM = {
    "type": "object",
    "allOf": [{"properties": {"born": {"type": "string", "format": "date"}}}],
    "properties": {"at": {"$ref": "#/components/schemas/When"}, "n": {"type": "integer"}, "s": "not a schema"},
}
WHEN = {"type": "string", "format": "date-time"}


def test_record_schema_is_the_reads_json_success_schema() -> None:
    read = responses(**{"200": {"content": {"text/csv": {"schema": {}}, "application/geo+json": {"schema": REF}}}})
    doc = document_with({"/items/{id}": {"get": {"operationId": "getItem", **read}}}, schemas={"Item": ITEM})
    collection = Collection("items", "c", "getItem", "l", "e")
    assert record_schema(doc, api_for(doc), collection) == ITEM
    csv_only = responses(**{"200": {"content": {"text/csv": {"schema": REF}}}})
    doc["paths"]["/items/{id}"]["get"] = {"operationId": "getItem", **csv_only}
    assert record_schema(doc, api_for(doc), collection) == {}
    no_schema = responses(**{"200": {"content": {"application/json": None}}})
    doc["paths"]["/items/{id}"]["get"] = {"operationId": "getItem", **no_schema}
    assert record_schema(doc, api_for(doc), collection) == {}


def test_date_properties_through_refs_and_all_of() -> None:
    doc = document_with({}, schemas={"Item": ITEM, "When": WHEN})
    assert date_properties(doc, REF) == {"at": "date-time", "born": "date"}


NULLABLE_WHEN = {"anyOf": [{"$ref": "#/components/schemas/When"}, {"type": "null"}]}


@pytest.mark.parametrize(
    ("prop", "found"),
    [
        ({"type": "string", "format": "date"}, "date"),
        ({"format": "time"}, None),
        ("not a schema", None),
        # OpenAPI 3.1's nullable dates (FastAPI, Pydantic): every member but the null type names one format
        ({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}, "date-time"),
        ({"oneOf": [{"type": "null"}, {"type": "string", "format": "date"}]}, "date"),
        (NULLABLE_WHEN, "date-time"),
        ({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}, None),
        ({"anyOf": [{"type": "string", "format": "date"}, "not a schema"]}, None),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, None),
        ({"anyOf": [{"type": "string", "format": "email"}, {"type": "null"}]}, None),
        ({"anyOf": [{"type": "null"}]}, None),
    ],
)
def test_a_date_format_directly_or_in_every_member_of_a_nullable_union(prop: Any, found: str | None) -> None:
    doc = document_with({}, schemas={"When": WHEN})
    assert date_format(doc, prop) == found


def test_date_properties_read_nullable_unions_through_refs() -> None:
    schema = {"type": "object", "properties": {"at": NULLABLE_WHEN, "n": {"anyOf": [{"type": "integer"}]}}}
    assert date_properties(document_with({}, schemas={"When": WHEN}), schema) == {"at": "date-time"}


def test_parameters_merge_path_level_ones_and_the_operation_wins() -> None:
    shared = {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 10}}
    own = {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 50}}
    path_item = {
        "parameters": [shared, {"name": "id", "in": "path"}, {"$ref": "#/components/parameters/Since"}, {"x": 1}],
        "get": {"operationId": "list", "parameters": [own, {"name": "limit", "in": "header"}], **responses()},
    }
    doc = document_with({"/items": path_item}, parameters={"Since": {"name": "since", "in": "query"}})
    found = parameters(doc, api_for(doc), "list")
    assert found == [
        own,
        {"name": "id", "in": "path"},
        {"name": "since", "in": "query"},
        {"name": "limit", "in": "header"},
    ]


def test_security_schemes_from_openapi_3_or_swagger_2_resolved() -> None:
    doc = document_with({}, securitySchemes={"key": {"$ref": "#/components/x"}, "bad": {"$ref": "#/nowhere"}})
    doc["components"]["x"] = {"type": "apiKey", "in": "header", "name": "X-Key"}
    assert declared_security_schemes(doc) == {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}, "bad": {}}
    swagger = {"swagger": "2.0", "securityDefinitions": {"basic": {"type": "basic"}}}
    assert declared_security_schemes(swagger) == {"basic": {"type": "basic"}}
    assert declared_security_schemes({"components": {}}) == {}


def test_credentials_in_the_query_are_those_the_document_declares() -> None:
    schemes = {
        "headerKey": {"type": "apiKey", "in": "header", "name": "api_key"},
        "queryKey": {"type": "apiKey", "in": "query", "name": "key"},
        "nameless": {"type": "apiKey", "in": "cookie"},
        "bearer": {"type": "http", "scheme": "bearer", "name": "cursor"},
    }
    doc = document_with(
        {
            "/a": {
                "parameters": [{"$ref": "#/components/parameters/Key"}],
                "get": {"parameters": [{"name": "_token", "in": "query"}, {"name": "key", "in": "query"}]},
            },
            "/b": {
                "post": {
                    "parameters": [
                        {"name": "pw", "in": "query", "schema": {"$ref": "#/components/schemas/Pw"}},
                        {"name": "pw2", "in": "query", "format": "password"},
                        {"name": "api_key", "in": "header"},
                        {"name": "cursor", "in": "query"},
                        "not a parameter",
                    ]
                }
            },
        },
        parameters={"Key": {"name": "api_key", "in": "query"}},
        schemas={"Pw": {"type": "string", "format": "password"}},
    )
    assert credentials_in_query(doc, schemes) == [
        "GET /a takes the credential of headerKey ('api_key') in the query string",
        "POST /b takes a password ('pw', format: password) in the query string",
        "POST /b takes a password ('pw2', format: password) in the query string",
    ]


def test_listed_names_the_first_eight_and_counts_the_rest() -> None:
    assert listed([str(n) for n in range(8)]) == "0; 1; 2; 3; 4; 5; 6; 7"
    assert listed([str(n) for n in range(10)]) == "0; 1; 2; 3; 4; 5; 6; 7; and 2 more"
    assert listed([]) == ""


def test_not_applicable_is_a_marked_skip() -> None:
    with pytest.raises(pytest.skip.Exception) as raised:
        not_applicable("no CSV")
    assert raised.value.msg == "not-applicable: no CSV"


def test_a_timeout_is_found_deep_in_the_chain_and_named_with_its_request() -> None:
    with serve_static({"/r": Canned(200, "text/plain", b"ok")}) as base:
        response = requests.get(base + "/r?x=1", timeout=5)
    wrapped = RuntimeError("outer")
    wrapped.__cause__ = requests.ReadTimeout("read timed out", request=response.request)
    assert timed_out(wrapped) and not timed_out(RuntimeError("other", ValueError("x")))
    assert timed_out(RuntimeError("outer", TimeoutError("inner")))
    reason = timeout_reason(wrapped)
    assert reason.startswith("not tested: GET /r?x=1 timed out (")
    assert reason.endswith("give it longer with --request-timeout SECONDS")
    assert timeout_reason(TimeoutError("t")).startswith("not tested: a request to the API timed out (")
    looped = RuntimeError("a")
    looped.__context__ = looped
    assert not timed_out(looped)


def test_observed_names_the_request_its_status_and_what_was_compared() -> None:
    with serve_static({"/r?q=1": Canned(201, "text/plain", b"ok")}) as base:
        response = requests.get(base + "/r?q=1", timeout=5)
    assert observed(response, "label", utf8=True) == {
        "request": "GET /r?q=1",
        "status": 201,
        "label": "label",
        "utf8": True,
    }
    assert observed(response) == {"request": "GET /r?q=1", "status": 201}


def test_open_declared_carries_the_run_and_fails_a_bad_declaration_with_its_reason() -> None:
    doc = document_with({"/items": {"get": {"operationId": "listItems", **responses()}}})
    items = {"name": "items", **{role: "listItems" for role in ("create", "read", "list", "export")}}
    doc["x-conformance"] = {"contact": "c@example.org", "health": "listItems", "collections": [items]}
    evidence: list[dict[str, Any]] = []
    declared = open_declared("EXP-10", api_for(doc), 7, evidence)
    assert (declared.requirement, declared.seed, declared.evidence) == ("EXP-10", 7, evidence)
    assert declared.check_label == "exp10" and [c.name for c in declared.collections] == ["items"]
    doc["x-conformance"] = {"contact": "c@example.org", "health": "listItems", "collections": [{"name": "x"}]}
    with pytest.raises(RequirementNotMet, match=r"^the supplier declaration is malformed at "):
        open_declared("EXP-10", api_for(doc), 7, evidence)


def test_record_schema_through_a_referenced_response() -> None:
    doc = document_with(
        {
            "/items/{id}": {
                "get": {"operationId": "getItem", "responses": {"200": {"$ref": "#/components/responses/I"}}}
            }
        },
        schemas={"Item": ITEM},
        responses={"I": {"description": "d", "content": {"application/json": {"schema": REF}}}},
    )
    assert record_schema(doc, api_for(doc), Collection("items", "c", "getItem", "l", "e")) == ITEM


def test_odd_schemes_and_parameters_are_read_safely() -> None:
    doc = document_with({}, securitySchemes={"odd": "text"})
    assert declared_security_schemes(doc) == {"odd": {}}
    doc = document_with(
        {
            "/c": {
                "get": {
                    "parameters": [
                        {"name": "X-Trace", "in": "header"},
                        {"name": "flag", "in": "query", "schema": True},
                        {"name": "secret", "in": "query", "format": "password"},
                    ]
                }
            }
        }
    )
    assert credentials_in_query(doc, {}) == ["GET /c takes a password ('secret', format: password) in the query string"]


def test_a_missing_or_malformed_declaration_names_its_shared_cause() -> None:
    doc = document_with({"/items": {"get": {"operationId": "listItems", **responses()}}})
    with pytest.raises(RequirementNotMet) as missing:
        open_declared("EXP-10", api_for(doc), 7, [])
    assert missing.value.cause == declaration_missing()
    doc["x-conformance"] = {"contact": "c@example.org", "health": "listItems", "collections": [{"name": "x"}]}
    with pytest.raises(RequirementNotMet) as malformed:
        open_declared("EXP-10", api_for(doc), 7, [])
    assert malformed.value.cause is not None and malformed.value.cause.id == "malformed-declaration"
    assert malformed.value.cause == declaration_malformed(str(malformed.value))
