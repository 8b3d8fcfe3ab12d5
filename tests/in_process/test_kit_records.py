"""Test records (the kit every collection check creates records with), in this process: the values made up for
each kind of schema, the create bodies, the words of a refusal, and the records made, found, deleted and
cleaned up on a scripted loopback API and on the reference supplier.
"""

import json
import time
from typing import Any

import pytest

from conformance.checks.kit.outcomes import Undecided
from conformance.checks.kit.records import (
    RICH_TEXT,
    Created,
    RecordMaker,
    SampleError,
    create_schema,
    delete_params,
    json_body,
    marker,
    read_params,
    records_for,
    rejection,
    sample_input,
    sample_object,
    sample_value,
    server_managed,
)
from conformance.client import ApiClient
from conformance.declaration import Collection
from conformance.demo import serve
from conformance.safety import Safety
from conformance.spec import LoadedSpec
from conformance.target import Target
from tests.in_process.conftest import SEED, client
from tests.in_process.scripted import JSON, THING_INPUT, THINGS, json_answer, scripted, things_document
from tests.static_server import Canned

TEXT = "conformance-1-x-1 Sŵn"


def sampled(schema: Any, document: dict[str, Any] | None = None, full: bool = True) -> Any:
    return sample_value(document or {}, schema, TEXT, full, "body.f")


def test_a_marker_names_the_seed_the_check_and_the_record() -> None:
    assert marker(20261125, "port02", 3) == "conformance-20261125-port02-3"


def test_the_sample_text_is_welsh_accented_decomposed_and_emoji() -> None:
    assert RICH_TEXT == (
        "Sŵn cerddoriaeth uchel ger Llyn Tegid; ŵ ŷ Ŵ Ŷ | Café « bruyant » à Noël, naïve façade | "
        "Cafe\u0301 de\u0301compose\u0301 | 🔊🐕 👩🏽\u200d🔧"
    )


# --- values for each kind of schema ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"type": "integer", "example": 5, "default": 6}, 5),
        ({"type": "integer", "default": 6}, 6),
        ({"type": "integer", "example": None, "default": 6}, 6),
        ({"type": "integer", "example": None, "minimum": 3}, 3),
        ({"type": "string", "format": "date", "default": "2020-01-01"}, "2020-01-01"),
        ({"type": "string", "pattern": "^a+$", "example": "aaa"}, "aaa"),
        ({"type": "string", "enum": ["e"], "example": "x"}, "x"),
        ({"type": "string", "const": "c", "example": "x"}, "x"),
        ({"type": "object", "properties": {"a": {}}, "example": {"a": 1}}, {"a": 1}),
        ({"type": "string", "example": "free text gets ours"}, TEXT),
        ({"example": "untyped text gets ours"}, TEXT),
        ({"type": "string", "enum": ["b", "a"]}, "b"),
        ({"enum": [3]}, 3),
        ({"type": "string", "enum": []}, TEXT),
        ({"const": None, "type": "string"}, None),
        ({"const": 0}, 0),
        ({"oneOf": [{"type": "integer"}, {"type": "string"}]}, 1),
        ({"anyOf": [{"type": "boolean"}, {"type": "string"}]}, True),
        ({"oneOf": [], "anyOf": [{"type": "integer"}]}, 1),
        ({"type": ["null", "integer"]}, 1),
        ({"type": ["null"]}, TEXT),
        ({"type": ["string", "null"], "maxLength": 3}, "con"),
        ({"properties": {"a": {"type": "boolean"}}, "required": ["a"]}, {"a": True}),
        ({"allOf": [{"properties": {"a": {"type": "integer"}}, "required": ["a"]}]}, {"a": 1}),
        ({"allOf": [{"type": "string"}, {"format": "date"}], "description": "d"}, "2026-11-25"),
        ({"allOf": [{"type": "integer", "minimum": 4}], "maximum": 9}, 4),
        ({"type": "array", "items": {"type": "integer", "minimum": 2}, "minItems": 2}, [2, 2]),
        ({"type": "array", "items": {"type": "integer"}}, []),
        ({"type": "array", "minItems": 1}, [TEXT]),
        ({"type": "boolean"}, True),
        ({"type": "string"}, TEXT),
        ({"type": "string", "maxLength": 4}, "conf"),
        ({"type": "string", "maxLength": 0}, ""),
        ({"type": "string", "minLength": 30}, TEXT + "x" * (30 - len(TEXT))),
        ({"type": "string", "minLength": 3, "maxLength": 40}, TEXT),
        ({"type": "string", "maxLength": "3"}, TEXT),  # a length that is not a number bounds nothing
        (True, TEXT),
        ({"properties": {"a": {}}, "example": {"a": 1}}, {"a": 1}),  # an untyped object is no free text
        ({"oneOf": [{"type": "string"}]}, TEXT),
        ({"type": ["null"], "properties": {"a": {"type": "integer"}}, "required": ["a"]}, TEXT),
        ({"allOf": [{"description": "no type"}]}, TEXT),
        ({"allOf": [{"type": "string"}]}, TEXT),
        (
            {"properties": {"a": {"type": "integer"}}, "required": ["a"], "allOf": [{"example": {"a": 9}}]},
            {"a": 1},
        ),
        (
            {
                "allOf": [
                    {"properties": {"a": {"type": "integer"}}, "required": ["a"]},
                    {"properties": {"b": {"type": "integer"}}, "required": ["b"]},
                ]
            },
            {"a": 1, "b": 1},
        ),
    ],
)
def test_a_value_is_made_for_each_kind_of_schema(schema: Any, value: Any) -> None:
    assert sampled(schema) == value


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"type": "integer"}, 1),
        ({"type": "integer", "minimum": 5}, 5),
        ({"type": "integer", "minimum": -3}, 1),
        ({"type": "integer", "minimum": 5, "exclusiveMinimum": True}, 6),
        ({"type": "integer", "minimum": 5, "exclusiveMinimum": False}, 5),
        ({"type": "integer", "exclusiveMinimum": 5}, 6),
        ({"type": "integer", "exclusiveMinimum": 0}, 1),
        ({"type": "integer", "maximum": 0}, 0),
        ({"type": "integer", "maximum": 1}, 1),
        ({"type": "integer", "minimum": 3, "maximum": 10}, 3),
        ({"type": "integer", "minimum": "3"}, 1),
        ({"type": "number"}, 1.0),
        ({"type": "number", "minimum": 2.5}, 2.5),
        ({"type": "number", "minimum": 0.5}, 1.0),
        ({"type": "number", "maximum": 0.25}, 0.25),
    ],
)
def test_a_number_is_the_smallest_that_is_at_least_one_within_the_bounds(schema: Any, value: Any) -> None:
    made = sampled(schema)
    assert made == value and type(made) is type(value)


@pytest.mark.parametrize(
    ("fmt", "value"),
    [
        ("date-time", "2026-11-25T14:30:00Z"),
        ("date", "2026-11-25"),
        ("time", "14:30:00Z"),
        ("email", "conformance@example.org"),
        ("uri", "https://example.org/conformance"),
        ("url", "https://example.org/conformance"),
        ("uuid", "00000000-0000-4000-8000-000000000001"),
        ("hostname", "example.org"),
        ("ipv4", "192.0.2.1"),
    ],
)
def test_each_known_format_has_a_valid_sample(fmt: str, value: str) -> None:
    assert sampled({"type": "string", "format": fmt, "maxLength": 2}) == value


def test_examples_are_copies_never_the_documents_own_objects() -> None:
    for key in ("example", "default", "const"):
        schema = {"type": "object", key: {"a": [1]}}
        made = sampled(schema)
        assert made == {"a": [1]} and made is not schema[key] and made["a"] is not schema[key]["a"]
    schema = {"enum": [{"a": [1]}]}
    made = sampled(schema)
    assert made == {"a": [1]} and made["a"] is not schema["enum"][0]["a"]


def test_references_are_followed_everywhere() -> None:
    document = {
        "components": {
            "schemas": {
                "Kind": {"type": "string", "enum": ["alarm", "vehicle"]},
                "Size": {"type": "integer", "minimum": 4},
                "Thing": {"type": "object", "required": ["kind"], "properties": {"kind": {"$ref": "#/x/Kind"}}},
            }
        }
    }
    document["x"] = document["components"]["schemas"]
    assert sampled({"$ref": "#/x/Kind"}, document) == "alarm"
    assert sampled({"allOf": [{"$ref": "#/x/Kind"}], "description": "d"}, document) == "alarm"
    assert sampled({"oneOf": [{"$ref": "#/x/Size"}]}, document) == 4
    assert sampled({"type": "array", "items": {"$ref": "#/x/Size"}, "minItems": 1}, document) == [4]
    assert sampled({"allOf": [{"$ref": "#/x/Thing"}], "properties": {"n": {"type": "string"}}}, document) == {
        "kind": "alarm",
        "n": TEXT,
    }


NOTED = {"type": "object", "properties": {"note": {"type": "string"}, "n": {"type": "integer"}}}


@pytest.mark.parametrize(
    "schema",
    [
        {"oneOf": [NOTED]},
        {"allOf": [{"type": "array", "minItems": 1, "items": NOTED}]},
        {"type": "array", "minItems": 1, "items": NOTED},
        {"type": "object", "properties": {"inner": NOTED}, "required": ["inner"]},
    ],
    ids=["one-of", "all-of", "array", "object"],
)
def test_free_text_is_filled_in_at_every_depth_only_for_a_full_record(schema: dict) -> None:
    full, minimal = sampled(schema), sampled(schema, full=False)
    assert json.dumps(full).count('"note"') == 1 and TEXT in json.dumps(full, ensure_ascii=False)
    assert '"note"' not in json.dumps(minimal)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"sizes": {"type": "array", "items": {"$ref": "#/x/Size"}, "minItems": 1}}},
        {"allOf": [{"properties": {"sizes": {"type": "array", "items": {"$ref": "#/x/Size"}, "minItems": 1}}}]},
    ],
)
def test_references_nested_in_a_property_are_followed(schema: dict) -> None:
    document = {"x": {"Size": {"type": "integer", "minimum": 4}}}
    assert sampled({**schema, "required": ["sizes"]}, document) == {"sizes": [4]}
    assert sampled({"allOf": [{"type": "array", "items": {"$ref": "#/x/Size"}, "minItems": 1}]}, document) == [4]


def test_a_pattern_gets_the_simplest_string_it_matches_in_full_within_the_lengths() -> None:
    assert sampled({"type": "string", "pattern": "[a-c]+", "maxLength": 3}) == "a"
    assert sampled({"type": "string", "pattern": "^[ab]{2}$", "maxLength": 2}) == "aa"
    assert sampled({"type": "string", "pattern": "[a-c]+", "minLength": 2, "maxLength": "3"}) == "aa"


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            {"type": "string", "format": "postcode"},
            "body.f needs a 'postcode' string and declares no example",
        ),
        (
            {"type": "string", "pattern": "^[ab]{3}$", "maxLength": 2},
            "body.f needs a string matching '^[ab]{3}$' of 0 to 2 characters, and the harness found none; "
            "declare an example",
        ),
        (
            {"type": "string", "pattern": "^a$", "maxLength": 0},
            "body.f needs a string matching '^a$' of 0 to 0 characters, and the harness found none; declare an example",
        ),
        (
            {"type": "string", "pattern": "^[0-9]$", "minLength": 3},
            "body.f needs a string matching '^[0-9]$' of 3 to any characters, and the harness found none; "
            "declare an example",
        ),
        (
            {"type": "array", "minItems": 1, "items": {"type": "string", "format": "postcode"}},
            "body.f[] needs a 'postcode' string and declares no example",
        ),
        ({"oneOf": [{"format": "postcode"}]}, "body.f needs a 'postcode' string and declares no example"),
        ({"allOf": [{"type": "string", "format": "pc"}]}, "body.f needs a 'pc' string and declares no example"),
    ],
)
def test_a_value_the_harness_cannot_make_up_says_where_and_why(schema: Any, message: str) -> None:
    with pytest.raises(SampleError) as raised:
        sampled(schema)
    assert str(raised.value) == message


def test_a_pattern_the_harness_cannot_read_says_so() -> None:
    with pytest.raises(SampleError, match=r"^body\.f: the pattern '\(' is not one the harness can read \(.+\)$"):
        sampled({"type": "string", "pattern": "("})


# --- create bodies ---------------------------------------------------------------------------------

PROPERTIES = {
    "ref": {"type": "string"},
    "changedAt": {"type": "string", "format": "date-time"},
    "createdBy": {"type": "string", "readOnly": True},
    "checked": {"type": "boolean", "readOnly": False},
    "title": {"type": "string", "maxLength": 40},
    "note": {"type": "string"},
    "size": {"type": "integer", "minimum": 2},
    "due": {"type": "string", "format": "date"},
    "tags": {"type": "array", "items": {"type": "string"}},
}


def test_an_object_holds_the_required_and_with_full_the_free_text_properties_never_the_servers() -> None:
    schema = {
        "properties": PROPERTIES,
        "required": ["ref", "createdBy", "checked", "title"],
        "allOf": [{"required": ["size"]}, {"$ref": "#/components/schemas/Due"}],
    }
    document = {"components": {"schemas": {"Due": {"required": ["due"]}}}}
    owned = frozenset({"ref", "changedAt"})
    full = sample_object(document, schema, TEXT, True, "body", owned)
    assert full == {"checked": True, "title": TEXT, "note": TEXT, "size": 2, "due": "2026-11-25"}
    assert sample_object(document, schema, TEXT, False, "body", owned) == {
        "checked": True,
        "title": TEXT,
        "size": 2,
        "due": "2026-11-25",
    }
    assert sample_object(document, schema, TEXT, False, "body")["ref"] == TEXT


def test_an_unsampleable_property_is_named_by_its_path() -> None:
    schema = {"properties": {"inner": {"properties": {"code": {"format": "postcode"}}, "required": ["code"]}}}
    with pytest.raises(SampleError, match=r"^body\.inner\.code needs a 'postcode' string"):
        sample_object({}, {**schema, "required": ["inner"]}, TEXT, False, "body")


def test_a_schema_that_is_true_makes_a_property_of_text() -> None:
    assert sample_object({}, {"properties": {"any": True}, "required": ["any"]}, TEXT, False, "body") == {"any": TEXT}


def offline(document: dict[str, Any]) -> ApiClient:
    """A client of `document` that sends nothing (what is asked here reads the document alone)."""
    return ApiClient(Target(LoadedSpec("s", b"", document, "openapi-3.0", None), "http://127.0.0.1:9"))


def things_api(content: dict[str, Any]) -> ApiClient:
    """A client of the things document with `content` as the create operation's request body (by reference)."""
    document = things_document()
    document["paths"]["/things"]["post"]["requestBody"] = {"$ref": "#/components/requestBodies/Thing"}
    document["components"] = {"requestBodies": {"Thing": {"content": content}}}
    return offline(document)


@pytest.mark.parametrize(
    ("content", "chosen"),
    [
        ({JSON: {"schema": {"type": "object"}}}, ("application/json", {"schema": {"type": "object"}})),
        (
            {"text/csv": {"x": 1}, "Application/Merge-Patch+JSON; charset=utf-8": {"y": 2}},
            ("application/merge-patch+json", {"y": 2}),
        ),
        ({"application/x-ndjson": None}, ("application/x-ndjson", {})),
    ],
)
def test_the_create_body_is_the_first_json_family_one(content: dict, chosen: tuple) -> None:
    api = things_api(content)
    assert create_schema(api.target.spec.document, api, THINGS) == chosen


def test_a_create_without_a_json_body_cannot_make_records() -> None:
    api = things_api({"text/csv": {}, "application/xml": {}})
    with pytest.raises(Undecided) as raised:
        create_schema(api.target.spec.document, api, THINGS)
    assert str(raised.value) == (
        "the create operation createThing declares no JSON request body, so the harness cannot create test records"
    )


def test_the_server_manages_the_declared_id_and_modified_fields() -> None:
    assert server_managed(THINGS) == frozenset({"ref", "changedAt"})
    assert server_managed(Collection("c", "a", "b", "c", "d", id_field="key")) == frozenset({"key"})


def test_a_create_body_carries_the_label_and_the_sample_text_in_each_free_text_field() -> None:
    schema = {"type": "object", "required": ["ref", "title", "size"], "properties": PROPERTIES}
    api = things_api({JSON: {"schema": schema}})
    mt, body = sample_input(api.target.spec.document, api, THINGS, "conformance-1-port02-1")
    label = f"conformance-1-port02-1 {RICH_TEXT}"
    assert (mt, body) == ("application/json", {"title": label[:40], "note": label, "size": 2})
    _, minimal = sample_input(api.target.spec.document, api, THINGS, "m", full=False)
    assert minimal == {"title": f"m {RICH_TEXT}"[:40], "size": 2}


def test_a_body_the_harness_cannot_make_up_comes_from_the_example_without_the_servers_fields() -> None:
    schema = {"type": "object", "required": ["code"], "properties": {"code": {"type": "string", "format": "pc"}}}
    example = {"ref": "r1", "changedAt": "2026-01-01T00:00:00Z", "code": {"k": ["CF10 1AA"]}}
    api = things_api({JSON: {"schema": schema, "example": example}})
    _, body = sample_input(api.target.spec.document, api, THINGS, "m")
    assert body == {"code": {"k": ["CF10 1AA"]}}
    assert body["code"] is not example["code"] and body["code"]["k"] is not example["code"]["k"]


def test_a_body_the_harness_cannot_make_up_and_no_example_leaves_the_requirement_undecided() -> None:
    schema = {"type": "object", "required": ["code"], "properties": {"code": {"type": "string", "format": "pc"}}}
    api = things_api({JSON: {"schema": schema, "example": "not an object"}})
    with pytest.raises(Undecided) as raised:
        sample_input(api.target.spec.document, api, THINGS, "m")
    assert (
        str(raised.value)
        == "cannot make a record for createThing: body.code needs a 'pc' string and declares no example"
    )


# --- what a refusal says ---------------------------------------------------------------------------


def refused(status: int, body: Any, content_type: str = "application/problem+json") -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    with scripted(things_document(), {"POST /things": Canned(status, content_type, raw)}) as api:
        return api.api.call("createThing")


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"title": "T", "detail": "D", "message": "M", "error": "E", "error_description": "ED"}, "T; D; M; E; ED"),
        ({"title": "", "detail": "D"}, "D"),
        ({"errors": [{"a": 1}, "b"]}, '{"a": 1}; "b"'),
        ({"invalid-params": [{"name": "x"}]}, '{"name": "x"}'),
        ({"invalid_params": [1]}, "1"),
        ({"violations": [2]}, "2"),
        ({"details": [3]}, "3"),
        ({"errors": {"a": ["no"], "b": "é"}}, '{"a": ["no"]}; {"b": "é"}'),
        ({"errors": list(range(7))}, "0; 1; 2; 3; 4"),
        ({"errors": {str(n): n for n in range(7)}}, '{"0": 0}; {"1": 1}; {"2": 2}; {"3": 3}; {"4": 4}'),
        ({"errors": ["é" * 300]}, '"' + "é" * 199),
        ({"errors": {"k": "é" * 300}}, '{"k": "' + "é" * 193),
        ({"other": 1}, '{"other": 1}'),
        ([1, 2], "[1, 2]"),
    ],
)
def test_a_refusal_is_told_in_the_apis_own_words(body: Any, said: str) -> None:
    assert rejection(refused(400, body), {}, set()) == f"HTTP 400: {said}"


def test_a_refusal_with_no_words_says_so_and_long_words_are_cut() -> None:
    assert rejection(refused(409, b"  \n"), {}, set()) == "HTTP 409: no explanation in the body"
    assert rejection(refused(422, b" " + b"w" * 500, "text/plain"), {}, set()) == "HTTP 422: " + "w" * 300
    long = {"title": "t" * 300, "detail": "d" * 300}
    assert rejection(refused(422, long), {}, set()) == "HTTP 422: " + ("t" * 300 + "; " + "d" * 300)[:400]


def test_a_refusal_names_the_properties_it_mentions_as_whole_words() -> None:
    words = {"detail": "title, ward-code and x_size are wrong; subtitle and title2 are fine; Note too"}
    sent = {"title": "Sŵn " + "t" * 100, "ward": "Bute", "x_size": 2, "note": "n", "subtitle": "s", "ward-code": 1}
    said = rejection(refused(400, words), sent, {"postcode", "x_size", "title2", "wardcode"})
    assert said == (
        f"HTTP 400: {words['detail']}; it names subtitle (sent 's'), title (sent {ascii(sent['title'])[:80]}), "
        "title2 (not sent), ward-code (sent 1), x_size (sent 2)"
    )
    assert rejection(refused(400, {"detail": "postcode"}), {}, {"postcode"}).endswith("; it names postcode (not sent)")


# --- records made on a scripted API ---------------------------------------------------------------

DATE = "Wed, 25 Nov 2026 14:30:00 GMT"
AT = 1795617000.0  # DATE in epoch seconds


def test_a_record_is_created_with_the_marked_body_and_identified_by_its_id_field() -> None:
    numbered = iter(["t-1", 2])
    with scripted(
        things_document(),
        {"POST /things": lambda asked: json_answer(201, {"ref": next(numbered), "title": "x"}, Date=DATE)},
    ) as api:
        maker = RecordMaker(api.api, api.api.target.spec.document, THINGS, 7, "port02", [])
        first, second = maker.create(), maker.create(full=False)
    assert maker.made == [first, second]
    assert (first.id, first.sent, first.returned, first.at) == (
        "t-1",
        {"title": f"conformance-7-port02-1 {RICH_TEXT}"},
        {"ref": "t-1", "title": "x"},
        AT,
    )
    assert first.response is not None and first.response.status_code == 201
    assert (second.id, second.sent) == ("2", {"title": f"conformance-7-port02-2 {RICH_TEXT}"})
    asked = api.asked[0]
    assert (asked.method, asked.path, asked.headers["Content-Type"]) == ("POST", "/things", JSON)
    assert asked.body == json.dumps(first.sent, ensure_ascii=False).encode("utf-8")
    assert maker.evidence == [
        {
            "request": "POST /things",
            "status": 201,
            "label": "created a test record in things",
            "id": "t-1",
            "sent": ["title"],
        },
        {
            "request": "POST /things",
            "status": 201,
            "label": "created a test record in things",
            "id": "2",
            "sent": ["title"],
        },
    ]


@pytest.mark.parametrize(
    ("body", "location", "record_id"),
    [
        ({"title": "x"}, "/things/42/", "42"),
        ({"ref": None}, "http://h/things/43", "43"),
        ([{"ref": "9"}], "/things/44", "44"),
        (b"not json", "/things/45", "45"),
        (b'{"ref": "caf\xe9"}', "/things/47", "47"),  # not UTF-8, as it claims: not read
        ({"ref": 0}, "/things/46", "0"),
        ({}, "/things/42X/", "42X"),
    ],
)
def test_a_record_without_an_id_in_the_body_is_identified_by_its_location(
    body: Any, location: str, record_id: str
) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    with scripted(things_document(), {"POST /things": Canned(201, JSON, raw, {"Location": location})}) as api:
        created = RecordMaker(api.api, api.api.target.spec.document, THINGS, 7, "c", []).create()
    assert created.id == record_id
    assert created.returned == (body if isinstance(body, dict) else {})


@pytest.mark.parametrize("location", [None, "", "/"])
def test_a_record_with_no_id_and_no_location_cannot_be_identified(location: str | None) -> None:
    headers = {} if location is None else {"Location": location}
    with scripted(things_document(), {"POST /things": json_answer(201, {"title": "x"}, **headers)}) as api:
        maker = RecordMaker(api.api, api.api.target.spec.document, THINGS, 7, "c", [])
        with pytest.raises(Undecided) as raised:
            maker.create()
    assert str(raised.value) == (
        "createThing returned no 'ref' and no Location, so the harness cannot identify the record it created"
    )
    assert maker.made == [] and maker.evidence == []


@pytest.mark.parametrize("status", [200, 299])
def test_any_success_creates(status: int) -> None:
    with scripted(things_document(), {"POST /things": json_answer(status, {"ref": "r"})}) as api:
        created = RecordMaker(api.api, api.api.target.spec.document, THINGS, 7, "c", []).create()
    assert created.id == "r"


@pytest.mark.parametrize("status", [300, 422])
def test_a_refused_create_leaves_the_requirement_undecided_in_the_apis_words(status: int) -> None:
    refusal = json_answer(status, {"title": "Bad", "detail": "size must be even"}, "application/problem+json")
    with scripted(things_document(), {"POST /things": refusal}) as api:
        maker = RecordMaker(api.api, api.api.target.spec.document, THINGS, 7, "c", [])
        with pytest.raises(Undecided) as raised:
            maker.create()
    assert str(raised.value) == (
        f"could not create a test record with createThing, which refused {{title}}: HTTP {status}: Bad; "
        "size must be even; it names size (not sent)"
    )
    assert maker.made == []


@pytest.mark.parametrize(("headers", "server_clock"), [({"Date": DATE}, True), ({}, False), ({"Date": "soon"}, False)])
def test_a_record_is_timed_by_the_servers_clock_or_else_ours(headers: dict, server_clock: bool) -> None:
    before = time.time()
    with scripted(things_document(), {"POST /things": json_answer(201, {"ref": "r"}, **headers)}) as api:
        created = RecordMaker(api.api, api.api.target.spec.document, THINGS, 7, "c", []).create()
    if server_clock:
        assert created.at == AT
    else:
        assert before <= created.at <= time.time()


def test_records_are_read_and_deleted_by_their_path_parameter_and_forgotten_once_deleted() -> None:
    routes = {
        "POST /things": json_answer(201, {"ref": "a b"}),
        "GET /things/a%20b": json_answer(200, {"ref": "a b"}),
        "DELETE /things/a%20b": lambda asked: Canned(204, "", b""),
    }
    with scripted(things_document(), routes) as api:
        maker = RecordMaker(api.api, api.api.target.spec.document, THINGS, 7, "c", [])
        created = maker.create()
        assert maker.read("a b").status_code == 200
        assert maker.delete(created).status_code == 204
        assert maker.made == []
        routes["DELETE /things/a%20b"] = json_answer(404, {})
        again = maker.create()
        assert maker.delete(again).status_code == 404
        assert maker.made == [again]
    assert [(a.method, a.path) for a in api.asked] == [
        ("POST", "/things"),
        ("GET", "/things/a%20b"),
        ("DELETE", "/things/a%20b"),
        ("POST", "/things"),
        ("DELETE", "/things/a%20b"),
    ]


@pytest.mark.parametrize(("status", "kept"), [(200, False), (299, False), (300, True), (199, True)])
def test_only_a_successful_delete_forgets_the_record(status: int, kept: bool) -> None:
    routes = {"POST /things": json_answer(201, {"ref": "r"}), "DELETE /things/r": json_answer(status, {})}
    with scripted(things_document(), routes) as api:
        maker = RecordMaker(api.api, api.api.target.spec.document, THINGS, 7, "c", [])
        created = maker.create()
        maker.delete(created)
    assert (created in maker.made) is kept


def test_an_imported_record_is_adopted_once() -> None:
    maker = RecordMaker(things_api({}), {}, THINGS, 7, "c", [], [Created("1", {}, {})])
    maker.adopt("1", {"ref": "1"})
    maker.adopt("2", {"ref": "2"})
    maker.adopt("2", {"ref": "2", "again": True})
    assert maker.made == [Created("1", {}, {}), Created("2", {"ref": "2"}, {})]


def test_a_record_is_named_by_the_last_parameter_in_its_path() -> None:
    document = things_document()
    document["paths"]["/groups/{group}/things/{thingId}"] = document["paths"].pop("/things/{thingId}")
    api = offline(document)
    assert read_params(api, THINGS, "7") == delete_params(api, THINGS, "7") == {"thingId": "7"}
    document["paths"]["/thing"] = document["paths"].pop("/groups/{group}/things/{thingId}")
    api = offline(document)
    assert read_params(api, THINGS, "7") == delete_params(api, THINGS, "7") == {}


# --- cleaning up --------------------------------------------------------------------------------------


def test_records_left_are_deleted_on_exit_even_when_the_check_fails() -> None:
    numbered = iter(range(1, 10))
    routes = {
        "POST /things": lambda asked: json_answer(201, {"ref": str(next(numbered))}),
        "DELETE /things/1": Canned(204, "", b""),
        "DELETE /things/2": Canned(500, "", b""),
    }
    evidence: list[dict[str, Any]] = []
    with (
        scripted(things_document(), routes) as api,
        pytest.raises(AssertionError),
        records_for(api.api, {}, THINGS, 7, "c", evidence) as maker,
    ):
        maker.create()
        maker.create()
        raise AssertionError("the check failed")
    assert [(a.method, a.path) for a in api.asked[2:]] == [("DELETE", "/things/1"), ("DELETE", "/things/2")]
    assert [item["id"] for item in evidence] == ["1", "2"]


def test_records_that_cannot_be_deleted_are_said_to_be_left_in_place() -> None:
    keep = Collection("things", "createThing", "getThing", "listThings", "exportThings", id_field="ref")
    with scripted(things_document(), {"POST /things": json_answer(201, {"ref": "r"})}) as api:
        with records_for(api.api, api.api.target.spec.document, keep, 7, "c", []) as maker:
            maker.create()
        with records_for(api.api, api.api.target.spec.document, keep, 7, "c", []) as untouched:
            pass
    assert maker.evidence[1:] == [{"left_in_place": ["r"], "why": "no delete operation"}]
    assert untouched.evidence == []
    assert [a.method for a in api.asked] == ["POST"]


def test_a_delete_that_fails_on_exit_is_recorded_and_the_rest_still_go() -> None:
    routes = {
        "DELETE /things/1": lambda asked: time.sleep(0.6),
        "DELETE /things/2": lambda asked: None,
        "DELETE /things/3": Canned(204, "", b""),
    }
    with scripted(things_document(), routes, timeout=0.3) as api:
        maker = RecordMaker(api.api, {}, THINGS, 7, "c", [], [Created(str(n), {}, {}) for n in (1, 2, 3)])
        maker.cleanup()
    assert maker.evidence == [
        {"cleanup_failed": "1", "why": "timed out (see --request-timeout)"},
        {"cleanup_failed": "2", "why": "ConnectionError"},
    ]
    assert [a.path for a in api.asked] == ["/things/1", "/things/2", "/things/3"]


# --- bodies ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "raw", "body"),
    [
        (JSON, '{"t": "é"}'.encode(), {"t": "é"}),
        ("application/json; charset=iso-8859-1", '{"t": "é"}'.encode("latin-1"), {"t": "é"}),
        (JSON, b"[1]", [1]),
        (JSON, b"{", {}),
        (JSON, b"", {}),
        (JSON, b'{"t": "\xe9"}', {}),
        ("application/json; charset=nonsense", b"{}", {}),
    ],
)
def test_a_body_is_read_as_json_in_its_charset_or_as_nothing(content_type: str, raw: bytes, body: Any) -> None:
    with scripted(things_document(), {"GET /things": Canned(200, content_type, raw)}) as api:
        assert json_body(api.api.call("listThings")) == body


# --- on the reference supplier --------------------------------------------------------------------


def test_on_the_reference_supplier_records_are_made_read_and_deleted_again() -> None:
    cases = Collection("cases", "createCase", "getCase", "listCases", "exportCases", delete="deleteCase")
    evidence: list[dict[str, Any]] = []
    with serve("conformant", https=False) as supplier:
        api = ApiClient(client(supplier).target, Safety(max_rps=0))
        with records_for(api, api.target.spec.document, cases, SEED, "port02", evidence) as maker:
            made = maker.create()
            assert maker.read(made.id).json()["title"] == made.sent["title"]
        assert supplier.app.store.all() == []
    assert made.id == "1" and made.returned["id"] == 1 and made.returned["status"] == "open"
    assert set(made.sent) == {"title", "description", "category", "ward", "reportedAt"}
    assert made.sent["title"].startswith(f"conformance-{SEED}-port02-1 Sŵn")
    assert abs(made.at - time.time()) < 5
    assert evidence == [
        {
            "request": "POST /v1/cases",
            "status": 201,
            "label": "created a test record in cases",
            "id": "1",
            "sent": sorted(made.sent),
        }
    ]


def test_a_refusal_of_a_body_described_by_reference_names_the_schemas_properties() -> None:
    document = things_document()
    properties = {**THING_INPUT["properties"], "colour": {"type": "integer"}}
    schema = {"type": "object", "required": ["title", "size"], "properties": properties}
    document["components"] = {
        "schemas": {"Input": schema},
        "requestBodies": {"In": {"content": {JSON: {"schema": {"$ref": "#/components/schemas/Input"}}}}},
    }
    document["paths"]["/things"]["post"]["requestBody"] = {"$ref": "#/components/requestBodies/In"}
    refusal = json_answer(400, {"detail": "size and colour are wrong"}, "application/problem+json")
    with scripted(document, {"POST /things": refusal}) as api:
        maker = RecordMaker(api.api, api.api.target.spec.document, THINGS, 7, "c", [])
        with pytest.raises(Undecided) as raised:
            maker.create()
    assert str(raised.value) == (
        "could not create a test record with createThing, which refused {size, title}: HTTP 400: "
        "size and colour are wrong; it names colour (not sent), size (sent 1)"
    )


def test_a_record_made_without_full_leaves_out_the_optional_free_text() -> None:
    document = things_document()
    document["paths"]["/things"]["post"]["requestBody"]["content"][JSON]["schema"] = NOTED
    with scripted(document, {"POST /things": json_answer(201, {"ref": "r"})}) as api:
        maker = RecordMaker(api.api, document, THINGS, 7, "c", [])
        assert maker.create().sent == {"note": f"conformance-7-c-1 {RICH_TEXT}"}
        assert maker.create(full=False).sent == {}
