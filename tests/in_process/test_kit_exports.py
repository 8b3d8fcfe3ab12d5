"""Reading exports in every open format, and comparing what came back with what was sent."""

import json
from collections.abc import Iterator

import pytest

from conformance.checks.kit.exports import (
    FormatError,
    Parsed,
    as_csv_text,
    decode,
    differences,
    dump_json,
    export,
    export_in,
    parse,
    parse_csv,
    same_value,
)
from conformance.client import ApiClient
from conformance.declaration import Collection, read_declaration
from conformance.demo import RunningSupplier
from conformance.spec import LoadedSpec
from conformance.target import Target
from tests.in_process.conftest import client
from tests.static_server import Canned, serve_static


def test_decode_by_the_declared_charset_and_without_a_byte_order_mark() -> None:
    assert decode("é".encode("latin-1"), "text/csv; charset=ISO-8859-1") == "é"
    assert decode(b"\xef\xbb\xbfid", "text/csv") == "id"
    assert decode("é".encode(), None) == "é"
    with pytest.raises(FormatError, match=r"^unknown charset 'nope'$"):
        decode(b"x", "text/csv; charset=nope")
    with pytest.raises(FormatError, match=r"^the body is not valid utf-8: invalid start byte at byte 1$"):
        decode(b"a\xff", "text/csv; charset=latin-1", strict_utf8=True)


def test_dump_json_keeps_non_ascii_text_as_itself() -> None:
    assert dump_json({"t": "ŵ"}) == '{"t": "ŵ"}'.encode()


def test_ndjson_lines_crlf_blank_lines_and_bad_lines() -> None:
    parsed = parse("ndjson", '{"id": 1}\r\n\n  \n{"id": "ŵ"}'.encode(), "application/x-ndjson")
    assert parsed.records == [{"id": 1}, {"id": "ŵ"}] and parsed.kind == "ndjson"
    assert parsed.rebuild(parsed.records[1:]) == '{"id": "ŵ"}\n'.encode()
    assert parsed.rebuild(parsed.records) == '{"id": 1}\n{"id": "ŵ"}\n'.encode()
    with pytest.raises(FormatError, match=r"^NDJSON line 2 is not JSON: "):
        parse("ndjson", b'{"id": 1}\n{', None)
    with pytest.raises(FormatError, match=r"^NDJSON line 1 is not a JSON object$"):
        parse("ndjson", b"[1]\n", None)


def test_json_arrays_and_wrappers() -> None:
    assert parse("json", b'[{"id": 1}]', None).rebuild([]) == b"[]"
    assert parse("json", b'[{"id": 1}]', None).kind == "json"
    for key in ("items", "data", "records", "results"):
        assert parse("json", json.dumps({"total": [1], key: []}).encode(), None).records == []
    other = parse("json", '{"n": [], "cases": [{"id": "é"}]}'.encode(), None)
    assert other.records == [{"id": "é"}] and other.kind == "json"
    assert json.loads(other.rebuild([])) == {"n": [], "cases": []}
    for body, message in [
        (b"{", "the body is not JSON: "),
        (b"[1, {}]", "the JSON array holds something other than objects"),
        (b'{"n": [1], "m": []}', "the JSON object holds no array of records"),
        (b'"text"', "the JSON is neither an array of records nor an object holding one"),
    ]:
        with pytest.raises(FormatError, match="^" + message):
            parse("json", body, None)


def feature(fid: object, **props: object) -> dict:
    return {"type": "Feature", "id": fid, "geometry": None, "properties": props}


@pytest.mark.parametrize(
    ("page", "records"),
    [
        ({"cases": [], "pagination": {"page": 1}}, []),  # an empty page under the API's own name (APIFlask)
        ({"cases": [{"id": 1}], "tags": []}, [{"id": 1}]),  # the array of objects, not the empty one
    ],
)
def test_a_json_page_under_the_apis_own_name_holds_its_records(page: dict, records: list) -> None:
    parsed = parse("json", json.dumps(page).encode(), "application/json")
    assert parsed.records == records
    assert json.loads(parsed.rebuild([{"id": 9}])) == {**page, next(iter(page)): [{"id": 9}]}


@pytest.mark.parametrize(
    "page",
    [{"cases": [], "tags": []}, {"cases": ["a"], "meta": {}}, {"total": 0}],
    ids=["two-empty-arrays", "an-array-of-text", "no-array"],
)
def test_a_json_object_without_one_place_for_records_is_refused(page: dict) -> None:
    with pytest.raises(FormatError, match="holds no array of records"):
        parse("json", json.dumps(page).encode(), "application/json")


def test_geojson_features_ids_and_rebuilding_a_subset() -> None:
    geo = {"type": "FeatureCollection", "bbox": [0, 0, 1, 1], "features": [feature(1, ward="A"), feature(2, key=9)]}
    parsed = parse("json", json.dumps(geo).encode(), "application/geo+json", id_field="key")
    assert parsed.kind == "geojson"
    assert parsed.records == [{"ward": "A", "key": 1}, {"key": 9}]
    assert json.loads(parsed.rebuild([{"key": 9}])) == {**geo, "features": [feature(2, key=9)]}
    assert parse("geojson", json.dumps({**geo, "features": [{"type": "Feature"}]}).encode(), None).records == [{}]
    for bad in ({"type": "FeatureCollection"}, {"type": "Other", "features": []}, {**geo, "features": [{"id": 1}]}):
        with pytest.raises(FormatError):
            parse("geojson", json.dumps(bad).encode(), None)
    with pytest.raises(FormatError, match=r"^a GeoJSON feature is not a Feature object$"):
        parse("geojson", json.dumps({**geo, "features": ["x"]}).encode(), None)


def test_csv_header_rows_and_rebuilding() -> None:
    parsed = parse("csv", b'id,t\r\n1,"a,b"\r\n', "text/csv")
    assert parsed.records == [{"id": "1", "t": "a,b"}] and parsed.header == ["id", "t"] and parsed.kind == "csv"
    assert parsed.rebuild(parsed.records) == b'id,t\r\n1,"a,b"\r\n'
    assert parse_csv("1,x\n", names=["id", "t"]).records == [{"id": "1", "t": "x"}]
    for text, message in [
        ("", "the CSV is empty: it has no header row"),
        ('id,"t\n1', "the CSV does not parse: "),
        ("id,id\n", "the first row is not a header row of unique, non-empty column names: ['id', 'id']"),
        ("id, \n", "the first row is not a header row"),
        ("id,t\n1\n", "CSV row 2 has 1 fields; the header has 2"),
    ]:
        with pytest.raises(FormatError) as raised:
            parse_csv(text)
        assert str(raised.value).startswith(message)


def test_records_by_id_skip_those_without_one() -> None:
    parsed = Parsed("json", [{"id": 1}, {"id": None}, {"x": 2}, {"id": "b"}], dump_json)
    assert parsed.by_id("id") == {"1": {"id": 1}, "b": {"id": "b"}}


def test_values_as_csv_text() -> None:
    assert [as_csv_text(v) for v in (None, True, False, {"a": "ŵ"}, [1], 1.5, "s")] == [
        "",
        "true",
        "false",
        '{"a": "ŵ"}',
        "[1]",
        "1.5",
        "s",
    ]


def test_same_value_by_type_and_instant() -> None:
    assert same_value("2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00", "date-time", False)
    assert same_value("2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00", "date-time", True)
    assert not same_value("2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "date-time", True)
    assert not same_value("2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00", None, True)
    assert not same_value("2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00", "date", False)
    assert not same_value("x", "2026-01-01T00:00:00Z", "date-time", False)
    assert same_value(1, "1", None, True) and not same_value(1, "1", None, False)
    assert not same_value(True, 1, None, False) and not same_value(1, True, None, False)
    assert same_value(False, False, None, False) and same_value([1], [1], None, False)


def test_differences_name_missing_emptied_and_changed_fields() -> None:
    sent = {"a": "x", "b": "y", "c": "", "d": None, "e": "ŵ"}
    got = {"b": "", "c": "", "d": None, "e": "w"}
    assert differences(sent, got, {}, False, "7") == [
        "record 7: field 'a' is missing from the export",
        "record 7: field 'b' is missing from the export",
        "record 7: field 'e' changed: sent '\\u0175', exported 'w'",
    ]
    assert differences({"t": "x" * 200}, {"t": "y"}, {}, False, "1")[0].endswith(f"sent '{'x' * 119}, exported 'y'")


def test_export_in_each_declared_format_from_the_reference_supplier(conformant: RunningSupplier) -> None:
    api = client(conformant)
    document = api.target.spec.document
    collection = read_declaration(document).collections[0]
    chosen = export(api, document, collection)
    assert chosen.media_type == "application/json" and chosen.response.status_code == 200
    assert export_in(api, collection, "text/csv").parsed.kind == "csv"
    with pytest.raises(AssertionError, match=r"^exportCases as application/xml answered HTTP 406$"):
        export_in(api, collection, "application/xml")
    closed = {**document, "paths": {**document["paths"]}}
    closed["paths"]["/cases/export"] = {"get": {**document["paths"]["/cases/export"]["get"], "responses": {}}}
    with pytest.raises(AssertionError, match=r"declares no open format \(declared: none\)"):
        export(client(conformant, closed), closed, collection)


def test_more_exact_reasons_and_text_comparisons() -> None:
    with pytest.raises(FormatError, match=r"^GeoJSON must be a FeatureCollection with a features array \(RFC 7946\)$"):
        parse("geojson", b'{"type": "FeatureCollection"}', None)
    wide = ",".join(["a"] * 10)
    with pytest.raises(FormatError) as raised:
        parse_csv(wide + "\n")
    assert str(raised.value).endswith(str(["a"] * 8))
    assert parse_csv('id,t\r\n1,"two\r\nlines"\r\n').records == [{"id": "1", "t": "two\r\nlines"}]
    assert differences({"t": "x"}, {"t": "y" * 200}, {}, False, "1")[0].endswith(f"exported '{'y' * 119}")
    assert same_value("1", 1, None, True) and same_value("", None, None, True)


ITEMS = Collection("items", "createItem", "getItem", "listItems", "exportItems", id_field="key")


@pytest.fixture
def static_export() -> Iterator[tuple[dict[str, Canned], ApiClient]]:
    """An API whose export answers what a test puts in `routes` (path -> Canned)."""
    routes: dict[str, Canned] = {}
    ok = {"200": {"description": "d", "content": {"application/json": {}}}}
    doc = {"openapi": "3.0.3", "paths": {"/export": {"get": {"operationId": "exportItems", "responses": ok}}}}
    with serve_static(routes) as base:
        yield routes, ApiClient(Target(LoadedSpec("s", b"", doc, "openapi-3.0", None), base))


def test_an_export_that_does_not_parse_says_which_and_why(
    static_export: tuple[dict[str, Canned], ApiClient],
) -> None:
    routes, api = static_export
    collection = ITEMS
    canned = Canned
    routes["/export"] = canned(200, "application/json", b"{")
    with pytest.raises(AssertionError, match=r"^exportItems as application/json: the body is not JSON: "):
        export_in(api, collection, "application/json")
    routes["/export?since=x"] = canned(200, "application/json; charset=iso-8859-1", '[{"t": "é"}]'.encode("latin-1"))
    assert export_in(api, collection, "application/json", {"since": "x"}).parsed.records == [{"t": "é"}]
    assert export(api, api.target.spec.document, collection, {"since": "x"}).parsed.records == [{"t": "é"}]


def test_an_export_response_given_by_reference(conformant: RunningSupplier) -> None:
    api = client(conformant)
    document = api.target.spec.document
    collection = read_declaration(document).collections[0]
    moved = json.loads(json.dumps(document))
    get = moved["paths"]["/cases/export"]["get"]
    moved.setdefault("components", {}).setdefault("responses", {})["Export"] = get["responses"]["200"]
    get["responses"]["200"] = {"$ref": "#/components/responses/Export"}
    assert export(client(conformant, moved), moved, collection).media_type == "application/json"
    get["responses"]["200"] = {"$ref": "#/components/responses/Closed"}
    closed = {"application/xml": {}, "application/pdf": {}}
    moved["components"]["responses"]["Closed"] = {"description": "d", "content": closed}
    with pytest.raises(
        AssertionError, match=r"declares no open format \(declared: application/xml, application/pdf\)$"
    ):
        export(client(conformant, moved), moved, collection)
