"""The data-portability checks (PORT-01 to PORT-07) and their helpers, in this process: each check passes on
the reference supplier with the evidence behind the pass and fails on its defect variant with the words that
name the defect; a scripted API gives the answers no variant gives (a record missing from the export, a delete
refused, an ETag that never changes).
"""

import csv
import io
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from conformance.checks import portability
from conformance.checks.kit.rfc3339 import epoch_seconds, is_rfc3339_date_time
from conformance.client import ApiClient
from conformance.declaration import Collection
from conformance.demo import serve
from conformance.safety import Safety
from conformance.spec import LoadedSpec
from conformance.target import Target
from tests.in_process.conftest import Ended, client, run_declared
from tests.in_process.scripted import JSON, THINGS, Asked, json_answer, scripted, things_document
from tests.static_server import Canned

PORT = {
    "PORT-01": portability.test_every_collection_has_a_full_export,
    "PORT-02": portability.test_export_holds_created_records_unchanged,
    "PORT-03": portability.test_pagination_is_complete_and_stable,
    "PORT-04": portability.test_deleted_records_disappear,
    "PORT-05": portability.test_import_round_trip,
    "PORT-06": portability.test_records_carry_ids_and_modification_times,
    "PORT-07": portability.test_export_is_incremental,
}


def on(variant: str, requirement: str, document: dict[str, Any] | None = None) -> Ended:
    """The check for `requirement` against a fresh supplier (ids from 1), as the `declared` fixture opens it."""
    with serve(variant, https=False) as supplier:
        api = ApiClient(client(supplier, document).target, Safety(max_rps=0))
        return run_declared(requirement, PORT[requirement], api)


def offline(document: dict[str, Any]) -> ApiClient:
    """A client of `document` that sends nothing (what is asked here reads the document alone)."""
    return ApiClient(Target(LoadedSpec("s", b"", document, "openapi-3.0", None), "http://127.0.0.1:9"))


def created(n: int, sent: list[str], check: str = "cases") -> dict[str, Any]:
    """The evidence of the n-th record created."""
    label = f"created a test record in {check}"
    return {"request": "POST /v1/cases", "status": 201, "label": label, "id": str(n), "sent": sent}


FULL = ["category", "description", "reportedAt", "title", "ward"]
MINIMAL = ["category", "reportedAt", "title"]


# --- the helpers ---------------------------------------------------------------------------------------


def test_record_paths_are_those_that_both_list_and_create() -> None:
    ok = {"responses": {}}
    document = {
        "paths": {
            "/a": {"get": {"operationId": "listA", **ok}, "post": {"operationId": "createA", **ok}},
            "/b": {"get": ok, "post": ok},
            "/c": {"get": {"operationId": "listC"}},
            "/d": {"get": "not an operation", "post": {"operationId": "createD"}},
            "/e": {"get": {"operationId": "listE"}, "post": None},
            "/f": "not a path item",
        }
    }
    assert portability.record_paths(document) == {"/a": ["listA", "createA"], "/b": ["GET /b", "POST /b"]}
    assert portability.record_paths({}) == portability.record_paths({"paths": None}) == {}


def export_document(method: str = "get", parameters: list | None = None) -> dict[str, Any]:
    document = things_document()
    export = document["paths"].pop("/things/export")["get"]
    export["parameters"] = parameters or []
    document["paths"]["/things/{thingId}/export"] = {
        "parameters": [{"name": "thingId", "in": "path", "required": True}],
        method: export,
    }
    return document


def test_an_export_that_is_no_full_export_says_why() -> None:
    required = [
        {"name": "from", "in": "query", "required": True},
        {"name": "X-Tenant", "in": "header", "required": True},
        {"name": "to", "in": "query", "required": False},
        {"name": "page", "in": "query"},
    ]
    document = export_document("post", required)
    assert portability.export_problems(document, offline(document), THINGS) == [
        "collection 'things': export exportThings is POST, not GET",
        "collection 'things': export exportThings requires from, X-Tenant, so it is not a full export",
    ]
    document = export_document()
    assert portability.export_problems(document, offline(document), THINGS) == []


def test_duplicates_are_each_named_once() -> None:
    assert portability.duplicates(["1", "2", "1", "3", "3", "3"]) == ["1", "3"]
    assert portability.duplicates(["1", "2"]) == []


def import_document(accepted: list[str], offered: list[str]) -> dict[str, Any]:
    document = things_document()
    document["components"] = {"requestBodies": {"Import": {"content": {mt: {} for mt in accepted}}}}
    document["paths"]["/things/import"]["post"]["requestBody"] = {"$ref": "#/components/requestBodies/Import"}
    document["paths"]["/things/export"]["get"]["responses"]["200"]["content"] = {mt: {} for mt in offered}
    return document


@pytest.mark.parametrize(
    ("accepted", "offered", "chosen"),
    [
        (["text/csv", "Application/JSON; charset=utf-8"], ["text/csv", JSON], JSON),
        (["text/csv", "application/x-ndjson"], [JSON, "application/x-ndjson", "text/csv"], "application/x-ndjson"),
        (["application/x-ndjson"], [JSON], None),
        ([], [JSON], None),
    ],
)
def test_the_import_format_is_the_first_open_export_format_the_import_accepts(
    accepted: list[str], offered: list[str], chosen: str | None
) -> None:
    document = import_document(accepted, offered)
    assert portability.import_media_type(document, offline(document), THINGS) == chosen


def test_a_collection_without_an_import_has_no_import_format() -> None:
    document = things_document()
    no_import = Collection("things", "createThing", "getThing", "listThings", "exportThings")
    with pytest.raises(AssertionError):
        portability.import_media_type(document, offline(document), no_import)


def read_document(properties: dict[str, Any]) -> dict[str, Any]:
    document = things_document()
    schema = {"type": "object", "properties": properties}
    document["paths"]["/things/{thingId}"]["get"]["responses"]["200"]["content"] = {JSON: {"schema": schema}}
    return document


UNDECLARED = Collection("things", "createThing", "getThing", "listThings", "exportThings", id_field="ref")


@pytest.mark.parametrize(
    ("properties", "found"),
    [
        ({"createdAt": {"format": "date-time"}, "lastModified": {"format": "date-time"}}, "lastModified"),
        ({"updated_at": {"format": "date-time"}}, "updated_at"),
        ({"CHANGED": {"type": "string", "format": "date-time"}}, "CHANGED"),
        ({"updatedOn": {"format": "date"}, "createdAt": {"format": "date-time"}}, None),
        ({"modified": {"type": "string"}}, None),
    ],
)
def test_the_modified_field_is_a_date_time_named_for_a_change(properties: dict, found: str | None) -> None:
    document = read_document(properties)
    assert portability.modified_field(document, offline(document), UNDECLARED) == found
    assert portability.modified_field(document, offline(document), THINGS) == "changedAt"  # declared wins


@pytest.mark.parametrize(
    ("parameters", "found"),
    [
        ([{"name": "from", "in": "query"}, {"name": "modified_since", "in": "query"}], "modified_since"),
        ([{"name": "since", "in": "header"}, {"name": "updatedAfter", "in": "query"}], "updatedAfter"),
        ([{"name": "since", "in": "header"}, {"name": "from", "in": "query"}], None),
    ],
)
def test_the_since_parameter_is_a_query_parameter_of_a_known_name(parameters: list, found: str | None) -> None:
    document = things_document()
    document["paths"]["/things/export"]["get"]["parameters"] = parameters
    assert portability.since_parameter(document, offline(document), THINGS) == found


@pytest.mark.parametrize(
    "name",
    ["since", "modifiedSince", "modified_since", "updatedSince", "updated_since", "changedSince", "changed_since",
     "updatedAfter", "updated_after", "modifiedAfter", "modified_after"],
)  # fmt: skip
def test_every_common_since_name_is_recognised(name: str) -> None:
    """Each name a real API uses for "changed since" is found (a typo in the list would miss that API's PORT-07)."""
    document = things_document()
    document["paths"]["/things/export"]["get"]["parameters"] = [{"name": name, "in": "query"}]
    assert portability.since_parameter(document, offline(document), THINGS) == name


# --- each check on the reference supplier and its defect --------------------------------------------


def test_port01_passes_with_each_record_path_and_its_export() -> None:
    result = on("conformant", "PORT-01")
    assert (result.outcome, result.message) == ("pass", "")
    assert result.evidence == [
        {
            "path": "/cases",
            "operations": ["listCases", "createCase"],
            "collection": "cases",
            "export": "GET /cases/export",
            "problems": [],
        }
    ]


def test_port01_fails_on_records_kept_with_no_declared_collection() -> None:
    result = on("undeclared-collection", "PORT-01")
    assert (result.outcome, result.message) == (
        "fail",
        "the API keeps records at /notes (listNotes, createNote) with no declared collection and export; "
        "add each to x-conformance.collections with an export operation",
    )
    assert result.evidence[1] == {"path": "/notes", "operations": ["listNotes", "createNote"], "collection": None}


def test_port02_passes_when_the_export_holds_what_was_sent() -> None:
    result = on("conformant", "PORT-02")
    assert (result.outcome, result.message) == ("pass", "")
    assert result.evidence == [
        created(1, FULL),
        created(2, FULL),
        created(3, MINIMAL),
        {
            "request": "GET /v1/cases/export",
            "status": 200,
            "label": "exportCases as application/json",
            "records": 3,
            "compared": {"1": FULL, "2": FULL, "3": MINIMAL},
        },
    ]


def test_port02_fails_when_the_export_changes_the_text() -> None:
    result = on("export-mangles-non-ascii", "PORT-02")
    assert result.outcome == "fail"
    assert result.message.startswith("record 1: field 'title' changed: sent 'conformance-20261125-port02-1 S\\u0175n")
    assert "exported 'conformance-20261125-port02-1 S?n cerddoriaeth" in result.message
    for n in (1, 2):
        for name in ("title", "description", "ward"):
            assert f"record {n}: field '{name}' changed" in result.message
    assert "record 3: field 'title' changed" in result.message


def test_port03_passes_when_every_walk_gives_every_record_once() -> None:
    result = on("conformant", "PORT-03")
    assert (result.outcome, result.message) == ("pass", "")
    walk = {"request": "GET /v1/cases?limit=2", "status": 200, "pages": 2, "records": 3}
    then = ["GET /v1/cases?limit=2&cursor=2 200"]
    assert result.evidence == [
        created(1, MINIMAL),
        created(2, MINIMAL),
        created(3, MINIMAL),
        {
            "request": "GET /v1/cases",
            "status": 200,
            "label": "listCases, default pages (1 pages)",
            "pages": 1,
            "records": 3,
            "then": [],
        },
        {**walk, "label": "listCases, pages of 2 (walk 1, 2 pages)", "then": then},
        {**walk, "label": "listCases, pages of 2 (walk 2, 2 pages)", "then": then},
        {"collection": "cases", "created": ["1", "2", "3"]},
    ]


def test_port03_fails_on_a_record_that_comes_twice() -> None:
    result = on("pagination-repeats", "PORT-03")
    assert (result.outcome, result.message) == (
        "fail",
        "listCases, pages of 2 (walk 1, 2 pages): records 2 came more than once; "
        "listCases, pages of 2 (walk 2, 2 pages): records 2 came more than once",
    )


def test_port03_fails_on_a_record_that_never_comes() -> None:
    result = on("pagination-skips", "PORT-03")
    assert (result.outcome, result.message) == (
        "fail",
        "listCases, pages of 2 (walk 1, 2 pages): created records 3 never came; "
        "listCases, pages of 2 (walk 2, 2 pages): created records 3 never came; "
        "listCases: the default and small page sizes give different records (['3'])",
    )


def test_port04_passes_when_a_deleted_record_is_gone_everywhere() -> None:
    result = on("conformant", "PORT-04")
    assert (result.outcome, result.message) == ("pass", "")
    assert result.evidence == [
        created(1, MINIMAL),
        created(2, FULL),
        {"request": "DELETE /v1/cases/2", "status": 204, "label": "deleteCase of record 2"},
        {"request": "GET /v1/cases/2", "status": 404, "label": "getCase of deleted record 2"},
        {
            "request": "GET /v1/cases",
            "status": 200,
            "label": "listCases: is 2 gone, is 1 still there",
            "pages": 1,
            "records": 1,
            "then": [],
        },
        {
            "request": "GET /v1/cases/export",
            "status": 200,
            "label": "exportCases as application/json: is 2 gone",
            "records": 1,
        },
    ]


def test_port04_fails_on_a_deleted_record_still_exported() -> None:
    result = on("deleted-still-exported", "PORT-04")
    assert (result.outcome, result.message) == ("fail", "deleted record 2 is still in the export (application/json)")
    assert result.evidence[-1]["records"] == 2


def test_port05_passes_when_the_import_brings_back_what_the_export_gave() -> None:
    result = on("conformant", "PORT-05")
    assert (result.outcome, result.message) == ("pass", "")
    fields = ["category", "description", "id", "reportedAt", "status", "title", "updatedAt", "ward"]
    assert result.evidence == [
        created(1, FULL),
        created(2, FULL),
        {
            "request": "GET /v1/cases/export",
            "status": 200,
            "label": "exportCases as application/json, before",
            "records": 2,
        },
        {
            "request": "POST /v1/cases/import",
            "status": 200,
            "label": "importCases",
            "imported": ["1", "2"],
            "removed_first": True,
        },
        {
            "request": "GET /v1/cases/export",
            "status": 200,
            "label": "exportCases as application/json, after",
            "compared": {"1": fields, "2": fields},
        },
    ]


def test_port05_fails_on_an_import_that_loses_a_field() -> None:
    result = on("lossy-import", "PORT-05")
    assert (result.outcome, result.message) == (
        "fail",
        "after import, record 1: field 'ward' is missing from the export; "
        "after import, record 2: field 'ward' is missing from the export",
    )


def test_port06_passes_with_ids_and_rfc3339_modification_times() -> None:
    result = on("conformant", "PORT-06")
    assert (result.outcome, result.message) == ("pass", "")
    times = [item.get("updatedAt") for item in result.evidence[-2:]]
    assert all(is_rfc3339_date_time(value) for value in times)
    export = {"request": "GET /v1/cases/export", "status": 200, "records": 2}
    assert result.evidence == [
        {"collection": "cases", "id_field": "id", "modified_field": "updatedAt"},
        created(1, FULL),
        created(2, MINIMAL),
        {**export, "label": "exportCases as application/json (first)"},
        {**export, "label": "exportCases as application/json (second)"},
        {"record": "1", "id_in_export": True, "updatedAt": times[0]},
        {"record": "2", "id_in_export": True, "updatedAt": times[1]},
    ]


def test_port06_fails_on_records_with_no_modification_time() -> None:
    result = on("no-last-modified", "PORT-06")
    assert (result.outcome, result.message) == (
        "fail",
        "collection 'cases': records carry no last-modified timestamp (a date-time property such as updatedAt, "
        "or declare x-conformance.collections[].modified-field)",
    )
    assert result.evidence[0] == {"collection": "cases", "id_field": "id", "modified_field": None}
    assert len(result.evidence) == 5


def since_sent(item: dict[str, Any]) -> float:
    return epoch_seconds(unquote(parse_qs(urlsplit(item["request"].split(" ", 1)[1]).query)["since"][0]))


def test_port07_passes_with_a_working_etag_and_since_parameter() -> None:
    result = on("conformant", "PORT-07")
    assert (result.outcome, result.message) == ("pass", "")
    first_etag, second_etag = result.evidence[1]["etag"], result.evidence[4]["etag"]
    assert first_etag.startswith('"') and second_etag.startswith('"') and first_etag != second_etag
    past, future = result.evidence[5], result.evidence[6]
    assert since_sent(future) - since_sent(past) == 3720
    assert (past["request"], future["request"]) == (
        "GET /v1/cases/export?since=" + past["request"].split("since=")[1],
        "GET /v1/cases/export?since=" + future["request"].split("since=")[1],
    )
    assert result.evidence == [
        created(1, MINIMAL),
        {
            "request": "GET /v1/cases/export",
            "status": 200,
            "label": "exportCases as application/json",
            "etag": first_etag,
        },
        {
            "request": "GET /v1/cases/export",
            "status": 304,
            "label": "If-None-Match with nothing changed",
            "if_none_match": first_etag,
        },
        created(2, MINIMAL),
        {
            "request": "GET /v1/cases/export",
            "status": 200,
            "label": "If-None-Match after a record was created",
            "etag": second_etag,
        },
        {**past, "status": 200, "label": "since before and after record 1", "expect_record": True},
        {**future, "status": 200, "label": "since before and after record 1", "expect_record": False},
        {"collection": "cases", "mechanisms": ["ETag", "?since="]},
    ]


def test_port07_fails_with_no_incremental_export() -> None:
    result = on("no-incremental-export", "PORT-07")
    assert (result.outcome, result.message) == (
        "fail",
        "exportCases offers no incremental export: declare a `since` date-time query parameter, or send an ETag "
        "and answer If-None-Match with 304",
    )
    assert result.evidence[1:] == [
        {"request": "GET /v1/cases/export", "status": 200, "label": "exportCases as application/json", "etag": None},
        {"collection": "cases", "mechanisms": []},
    ]


# --- a scripted records API: the answers no variant gives -------------------------------------------

NOW = "2026-11-25T14:30:00Z"


class Things:
    """Records kept in memory behind the scripted API's routes; each test swaps in the answer it is about."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.count = 0
        self.log: list[str] = []  # each record created, deleted and imported, in turn

    def create(self, asked: Asked) -> Canned:
        self.count += 1
        ref = str(self.count)
        self.records[ref] = {"ref": ref, **json.loads(asked.body), "changedAt": NOW}
        self.log.append(f"create {ref}")
        return json_answer(201, self.records[ref], Date="Wed, 25 Nov 2026 14:30:00 GMT")

    def read(self, asked: Asked) -> Canned:
        found = self.records.get(asked.path.rsplit("/", 1)[1])
        return json_answer(200, found) if found else json_answer(404, {})

    def delete(self, asked: Asked) -> Canned:
        ref = asked.path.rsplit("/", 1)[1]
        self.log.append(f"delete {ref}")
        return Canned(204, "", b"") if self.records.pop(ref, None) else json_answer(404, {})

    def listed(self, asked: Asked) -> Canned:
        return json_answer(200, list(self.records.values()))

    def exported(self, asked: Asked) -> Canned:
        if asked.headers.get("Accept") != JSON:
            return json_answer(406, {})
        return json_answer(200, list(self.records.values()))

    def imported(self, asked: Asked) -> Canned:
        for record in json.loads(asked.body):
            self.records[str(record["ref"])] = record
            self.log.append(f"import {record['ref']}")
        return json_answer(200, {})

    def routes(self) -> dict[str, Callable[[Asked], Canned | None]]:
        return {
            "POST /things": self.create,
            "GET /things/*": self.read,
            "DELETE /things/*": self.delete,
            "GET /things": self.listed,
            "GET /things/export": self.exported,
            "POST /things/import": self.imported,
        }


def run_on(store: Things, requirement: str, document: dict[str, Any] | None = None, **routes: Any) -> Ended:
    """Run `requirement`'s check against the scripted records API, with `routes` in place of its own."""
    with scripted(document or things_document(), {**store.routes(), **routes}) as scripted_api:
        return run_declared(requirement, PORT[requirement], scripted_api.api)


def declared_without(*roles: str) -> dict[str, Any]:
    """The things document with `roles` (delete, import) taken out of its declaration."""
    document = things_document()
    for role in roles:
        del document["x-conformance"]["collections"][0][role]
    return document


def test_port01_on_a_document_with_no_record_paths_is_not_applicable() -> None:
    document = things_document()
    document["paths"]["/things/new"] = {"post": document["paths"]["/things"].pop("post")}
    result = run_declared("PORT-01", PORT["PORT-01"], offline(document))
    assert (result.outcome, result.message) == (
        "not-applicable",
        "no path both lists (GET) and creates (POST) records, so no collection falls under PORT-01",
    )


def test_port01_names_each_export_problem_once_for_every_path_of_the_collection() -> None:
    document = export_document("post", [{"name": "from", "in": "query", "required": True}])
    document["paths"]["/things/{thingId}"]["post"] = {"operationId": "copyThing", "responses": {}}
    result = run_declared("PORT-01", PORT["PORT-01"], offline(document))
    problems = [
        "collection 'things': export exportThings is POST, not GET",
        "collection 'things': export exportThings requires from, so it is not a full export",
    ]
    assert (result.outcome, result.message) == ("fail", "; ".join(problems))
    export = "POST /things/{thingId}/export"
    assert result.evidence == [
        {
            "path": "/things",
            "operations": ["listThings", "createThing"],
            "collection": "things",
            "export": export,
            "problems": problems,
        },
        {
            "path": "/things/{thingId}",
            "operations": ["getThing", "copyThing"],
            "collection": "things",
            "export": export,
            "problems": problems,
        },
    ]


@pytest.mark.parametrize("role", ["create", "read", "list", "export", "update", "delete", "import"])
def test_port01_a_path_belongs_to_the_collection_that_declares_any_of_its_operations(role: str) -> None:
    document = things_document()
    document["paths"]["/other"] = {
        "get": {"operationId": "otherGet", "responses": {}},
        "post": {"operationId": "otherPost", "responses": {}},
    }
    declared = document["x-conformance"]["collections"][0]
    assert run_declared("PORT-01", PORT["PORT-01"], offline(document)).message.startswith(
        "the API keeps records at /other (otherGet, otherPost) with no declared collection"
    )
    declared[role] = "otherGet" if role in ("read", "list", "export") else "otherPost"
    result = run_declared("PORT-01", PORT["PORT-01"], offline(document))
    assert result.evidence[-1]["path"] == "/other" and result.evidence[-1]["collection"] == "things"


def test_port02_fails_on_a_created_record_missing_from_the_export() -> None:
    result = run_on(Things(), "PORT-02", **{"GET /things/export": lambda asked: json_answer(200, [])})
    assert (result.outcome, result.message) == (
        "fail",
        "record 1 created by createThing is not in the export; record 2 created by createThing is not in the export; "
        "record 3 created by createThing is not in the export",
    )


def test_port02_compares_a_csv_export_as_text() -> None:
    document = things_document()
    document["paths"]["/things/export"]["get"]["responses"]["200"]["content"] = {"text/csv": {}}
    store = Things()

    def as_csv(asked: Asked) -> Canned:
        out = io.StringIO()
        writer = csv.writer(out)
        rows = [(r["ref"], r["title"], r["size"]) for r in store.records.values()]
        writer.writerows([("ref", "title", "size"), *rows])
        return Canned(200, "text/csv", out.getvalue().encode())

    document["paths"]["/things"]["post"]["requestBody"]["content"][JSON]["schema"]["required"] = ["title", "size"]
    result = run_on(store, "PORT-02", document, **{"GET /things/export": as_csv})
    assert (result.outcome, result.message) == ("pass", "")
    assert result.evidence[-1]["label"] == "exportThings as text/csv"


def limited(minimum: int = 1) -> dict[str, Any]:
    document = things_document()
    limit = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": minimum, "maximum": 50}}
    document["paths"]["/things"]["get"]["parameters"] = [limit]
    return document


def test_port03_without_a_page_size_walks_the_default_pages_only() -> None:
    result = run_on(Things(), "PORT-03")
    assert (result.outcome, result.message) == ("pass", "")
    assert [item.get("label") for item in result.evidence[3:]] == ["listThings, default pages (1 pages)", None]


def test_port03_fails_on_walks_that_differ() -> None:
    store = Things()
    walks = iter(range(10))

    def listed(asked: Asked) -> Canned:
        records = list(store.records.values())
        if "limit" not in asked.path:
            return json_answer(200, [*records, {"ref": "x"}])
        return json_answer(200, records if next(walks) % 2 else records[::-1])

    result = run_on(store, "PORT-03", limited(3), **{"GET /things": listed})
    assert (result.outcome, result.message) == (
        "fail",
        "listThings: two walks with the same page size gave different sequences; "
        "listThings: the default and small page sizes give different records (['x'])",
    )
    assert [item["label"] for item in result.evidence[4:6]] == [
        "listThings, pages of 3 (walk 1, 1 pages)",
        "listThings, pages of 3 (walk 2, 1 pages)",
    ]
    assert result.evidence[4]["request"] == "GET /things?limit=3"


def test_port03_names_at_most_ten_repeated_records() -> None:
    store = Things()
    result = run_on(
        store, "PORT-03", **{"GET /things": lambda asked: json_answer(200, [{"ref": str(n)} for n in range(12)] * 2)}
    )
    assert result.message == (
        "listThings, default pages (1 pages): records 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 came more than once"
    )


def test_port04_without_a_delete_is_not_applicable() -> None:
    result = run_on(Things(), "PORT-04", declared_without("delete"))
    assert (result.outcome, result.message) == ("not-applicable", "no declared collection has a delete operation")


@pytest.mark.parametrize("status", [300, 500])
def test_port04_fails_on_a_delete_that_is_refused(status: int) -> None:
    result = run_on(Things(), "PORT-04", **{"DELETE /things/2": lambda asked: json_answer(status, {})})
    assert (result.outcome, result.message) == ("fail", f"deleteThing of record 2 answered HTTP {status}")
    assert len(result.evidence) == 3


@pytest.mark.parametrize(("status", "outcome"), [(410, "pass"), (404, "pass"), (200, "fail"), (400, "fail")])
def test_port04_a_deleted_record_must_be_read_as_gone(status: int, outcome: str) -> None:
    result = run_on(Things(), "PORT-04", **{"GET /things/2": lambda asked: json_answer(status, {})})
    assert result.outcome == outcome
    if outcome == "fail":
        assert result.message == f"getThing of deleted record 2 answered HTTP {status}, not 404 or 410"


def test_port04_fails_on_a_deleted_record_still_listed_and_notes_a_kept_one_missing() -> None:
    store = Things()
    listed = {"GET /things": lambda asked: json_answer(200, [{"ref": "2"}])}
    result = run_on(store, "PORT-04", **listed)
    assert (result.outcome, result.message) == ("fail", "deleted record 2 is still listed by listThings")
    assert {"note": "record 1 that was not deleted is missing from the list"} in result.evidence


def test_port05_without_an_import_is_not_applicable() -> None:
    result = run_on(Things(), "PORT-05", declared_without("import"))
    assert (result.outcome, result.message) == (
        "not-applicable",
        "no declared collection has an import operation (x-conformance.collections[].import)",
    )


def test_port05_fails_when_the_import_takes_no_format_the_export_gives() -> None:
    document = things_document()
    document["paths"]["/things/import"]["post"]["requestBody"]["content"] = {"text/csv": {}}
    result = run_on(Things(), "PORT-05", document)
    assert (result.outcome, result.message) == (
        "fail",
        "importThings accepts none of the open formats exportThings offers",
    )
    assert result.evidence == []


def test_port05_fails_when_the_records_just_made_are_not_exported() -> None:
    store = Things()
    result = run_on(store, "PORT-05", **{"GET /things/export": lambda asked: json_answer(200, [{"ref": "1"}])})
    assert (result.outcome, result.message) == (
        "fail",
        "the records just created are not all in the export (application/json), so nothing to import",
    )


def test_port05_fails_when_the_import_refuses_the_export() -> None:
    refused = json_answer(400, {"title": "é" * 300})
    result = run_on(Things(), "PORT-05", **{"POST /things/import": lambda asked: refused})
    body = json.dumps({"title": "é" * 300}, ensure_ascii=False)
    assert (result.outcome, result.message) == (
        "fail",
        f"importThings refused what the export produced: HTTP 400 {body[:200]}",
    )
    assert result.evidence[-1] == {
        "request": "POST /things/import",
        "status": 400,
        "label": "importThings",
        "imported": ["1", "2"],
        "removed_first": True,
    }


def test_port05_without_a_delete_imports_over_the_records_and_cleans_up_what_it_imported() -> None:
    store = Things()
    result = run_on(store, "PORT-05", declared_without("delete"))
    assert result.outcome == "pass"
    assert result.evidence[3]["removed_first"] is False
    assert result.evidence[-1] == {"left_in_place": ["1", "2"], "why": "no delete operation"}


def test_port05_fails_on_records_lost_or_grown_by_the_import() -> None:
    store = Things()

    def imported(asked: Asked) -> Canned:
        first, _second = json.loads(asked.body)
        store.records["1"] = {**first, "extra": True, "more": 1}
        return json_answer(200, {})

    result = run_on(store, "PORT-05", **{"POST /things/import": imported})
    assert (result.outcome, result.message) == (
        "fail",
        "after import, record 1 has fields it did not have: ['extra', 'more']; "
        "record 2 is not in the export after the import",
    )


def exports(*answers: list[dict[str, Any]]) -> Callable[[Asked], Canned]:
    """An export route that gives each answer in turn."""
    given = iter(answers)
    return lambda asked: json_answer(200, next(given))


def test_port06_fails_on_exports_without_ids_with_repeated_ids_or_with_ids_that_change() -> None:
    first = [{"ref": "1", "changedAt": NOW}, {"ref": "1", "changedAt": NOW}, {"ref": ""}, {"title": "no id"}]
    second = [{"ref": "1"}, {"ref": "9"}]
    result = run_on(Things(), "PORT-06", **{"GET /things/export": exports(first, second)})
    assert (result.outcome, result.message) == (
        "fail",
        "2 exported records have no 'ref'; identifiers 1 appear more than once in the export; "
        "two exports with nothing changed in between carry different identifiers; "
        "record 2 is not in the export under the identifier the API gave it",
    )


def test_port06_fails_on_modification_times_missing_or_not_rfc3339() -> None:
    first = [{"ref": "1", "changedAt": ""}, {"ref": "2", "changedAt": "25/11/2026 14:30 and then some more text"}]
    result = run_on(Things(), "PORT-06", **{"GET /things/export": exports(first, first)})
    assert (result.outcome, result.message) == (
        "fail",
        "record 1 has no 'changedAt' in the export; "
        "record 2: changedAt='25/11/2026 14:30 and then some more text' is not an RFC 3339 date-time",
    )
    assert result.evidence[-2:] == [
        {"record": "1", "id_in_export": True, "changedAt": ""},
        {"record": "2", "id_in_export": True, "changedAt": "25/11/2026 14:30 and then some more text"},
    ]


def test_port06_cuts_a_long_modification_time_and_names_ten_repeated_ids() -> None:
    records = [{"ref": str(n), "changedAt": "é" * 100} for n in (1, 2, *range(3, 14), *range(3, 14))]
    result = run_on(Things(), "PORT-06", **{"GET /things/export": exports(records, records)})
    assert result.message == (
        "identifiers 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 appear more than once in the export; "
        f"record 1: changedAt={ascii('é' * 100)[:60]} is not an RFC 3339 date-time; "
        f"record 2: changedAt={ascii('é' * 100)[:60]} is not an RFC 3339 date-time"
    )


def incremental(parameters: list[dict[str, Any]] | None = None, content: dict | None = None) -> dict[str, Any]:
    document = things_document()
    export = document["paths"]["/things/export"]["get"]
    export["parameters"] = parameters or []
    if content is not None:
        export["responses"]["200"]["content"] = content
    return document


SINCE = [{"name": "updated_since", "in": "query", "schema": {"type": "string", "format": "date-time"}}]


def test_port07_fails_on_an_export_in_no_open_format() -> None:
    result = run_on(Things(), "PORT-07", incremental(content={"application/pdf": {}}))
    assert (result.outcome, result.message) == ("fail", "exportThings offers no open format to export incrementally")
    assert result.evidence == []


def tagged(store: Things, changes: bool, honours: bool) -> Callable[[Asked], Canned]:
    """A JSON export whose ETag follows the records (or never changes), and that answers a matching
    If-None-Match with 304 (or ignores it)."""

    def answer(asked: Asked) -> Canned:
        if asked.headers.get("Accept") != JSON:
            return json_answer(406, {})
        tag = f'"{len(store.records)}"' if changes else '"a"'
        if honours and asked.headers.get("If-None-Match") == tag:
            return Canned(304, "", b"", {"ETag": tag})
        return json_answer(200, list(store.records.values()), ETag=tag)

    return answer


@pytest.mark.parametrize(
    ("changes", "honours", "problems"),
    [
        (True, True, []),
        (True, False, ['exportThings with If-None-Match: "1" (nothing changed) answered HTTP 200, not 304']),
        (
            False,
            True,
            [
                "exportThings with a stale If-None-Match answered HTTP 304 after a record was created, "
                "not 200 with the new data"
            ],
        ),
        (
            False,
            False,
            [
                'exportThings with If-None-Match: "a" (nothing changed) answered HTTP 200, not 304',
                'exportThings kept ETag "a" after a record was created',
            ],
        ),
    ],
    ids=["conformant", "ignores-if-none-match", "never-changes", "neither"],
)
def test_port07_an_etag_must_answer_304_until_a_change_and_change_with_it(
    changes: bool, honours: bool, problems: list[str]
) -> None:
    store = Things()
    result = run_on(store, "PORT-07", **{"GET /things/export": tagged(store, changes, honours)})
    assert (result.outcome, result.message) == ("fail" if problems else "pass", "; ".join(problems))
    first, second = ('"1"', '"2"') if changes else ('"a"', '"a"')
    unchanged, changed = (304 if honours else 200), (304 if honours and not changes else 200)
    assert result.evidence[1:] == [
        {"request": "GET /things/export", "status": 200, "label": "exportThings as application/json", "etag": first},
        {
            "request": "GET /things/export",
            "status": unchanged,
            "label": "If-None-Match with nothing changed",
            "if_none_match": first,
        },
        result.evidence[3],
        {
            "request": "GET /things/export",
            "status": changed,
            "label": "If-None-Match after a record was created",
            "etag": second,
        },
        {"collection": "things", "mechanisms": ["ETag"]},
    ]
    assert result.evidence[3]["id"] == "2"


def since_store(answer: Callable[[str, list[dict[str, Any]]], Canned]) -> tuple[Things, Callable[[Asked], Canned]]:
    """An export without ETags whose answer to `updated_since` is made by `answer(value, records)`."""
    store = Things()

    def exported(asked: Asked) -> Canned:
        query = parse_qs(urlsplit(asked.path).query)
        if asked.headers.get("Accept") != JSON:
            return json_answer(406, {})
        if "updated_since" not in query:
            return json_answer(200, list(store.records.values()))
        return answer(query["updated_since"][0], list(store.records.values()))

    return store, exported


def test_port07_a_since_parameter_must_filter_by_modification_time() -> None:
    store, exported = since_store(
        lambda value, records: json_answer(200, records if value < "2026-11-25T14:30" else [])
    )
    result = run_on(store, "PORT-07", incremental(SINCE), **{"GET /things/export": exported})
    assert (result.outcome, result.message) == ("pass", "")
    assert [item["request"] for item in result.evidence[2:4]] == [
        "GET /things/export?updated_since=2026-11-25T14%3A28%3A00Z",
        "GET /things/export?updated_since=2026-11-25T15%3A30%3A00Z",
    ]
    assert result.evidence[-1] == {"collection": "things", "mechanisms": ["?updated_since="]}


@pytest.mark.parametrize(
    ("answer", "problems"),
    [
        (
            lambda value, records: json_answer(200, []),
            ["exportThings?updated_since=2026-11-25T14:28:00Z leaves out record 1, created at 2026-11-25T14:30:00Z"],
        ),
        (
            lambda value, records: json_answer(200, records),
            [
                "exportThings?updated_since=2026-11-25T15:30:00Z still includes record 1, created at "
                "2026-11-25T14:30:00Z"
            ],
        ),
        (
            lambda value, records: json_answer(400, {}),
            [
                "exportThings?updated_since=2026-11-25T14:28:00Z answered HTTP 400",
                "exportThings?updated_since=2026-11-25T15:30:00Z answered HTTP 400",
            ],
        ),
        (
            lambda value, records: Canned(200, JSON, b"[{"),
            [
                "exportThings?updated_since=2026-11-25T14:28:00Z: the body is not JSON: Expecting property name "
                "enclosed in double quotes: line 1 column 3 (char 2)",
                "exportThings?updated_since=2026-11-25T15:30:00Z: the body is not JSON: Expecting property name "
                "enclosed in double quotes: line 1 column 3 (char 2)",
            ],
        ),
        (
            lambda value, records: json_answer(
                200,
                [{"ref": "edge", "changedAt": "2026-11-25T14:27:59Z"}]
                + [{"ref": "at", "changedAt": "2026-11-25T14:28:00Z"}]
                + records
                + [{"ref": f"old{n}", "changedAt": "2026-11-25T14:27:58Z"} for n in range(7)]
                + [{"ref": "x", "changedAt": "then"}]
                if value < "2026-11-25T14:30"
                else [],
            ),
            [
                "exportThings?updated_since=2026-11-25T14:28:00Z includes records modified before then: "
                "old0, old1, old2, old3, old4"
            ],
        ),
        (
            lambda value, records: json_answer(
                200, records if value < "2026-11-25T14:30" else [{"ref": "old", "changedAt": "2026-11-25T15:29:58Z"}]
            ),
            ["exportThings?updated_since=2026-11-25T15:30:00Z includes records modified before then: old"],
        ),
    ],
    ids=["leaves-out", "still-includes", "refused", "unreadable", "older", "older-after"],
)
def test_port07_a_since_parameter_that_does_not_filter_fails(answer: Callable, problems: list[str]) -> None:
    store, exported = since_store(answer)
    result = run_on(store, "PORT-07", incremental(SINCE), **{"GET /things/export": exported})
    assert (result.outcome, result.message) == ("fail", "; ".join(problems))


def test_port07_ignores_records_older_than_the_window_when_there_is_no_modified_field() -> None:
    document = incremental(SINCE)
    del document["x-conformance"]["collections"][0]["modified-field"]
    old = [{"ref": "old", "changedAt": "2026-11-25T14:00:00Z"}]
    store, exported = since_store(
        lambda value, records: json_answer(200, records + old if value < "2026-11-25T14:30" else [])
    )
    result = run_on(store, "PORT-07", document, **{"GET /things/export": exported})
    assert (result.outcome, result.message) == ("pass", "")


@pytest.mark.parametrize(
    ("listed", "minimum", "maximum", "size"),
    [(201, 1, 50, 3), (200, 1, 50, 2), (3, 3, 50, 3), (3, 1, 1, 1)],
)
def test_port03_walks_in_pages_of_two_or_one_percent_within_the_declared_bounds(
    listed: int, minimum: int, maximum: int, size: int
) -> None:
    document = limited(minimum)
    document["paths"]["/things"]["get"]["parameters"][0]["schema"]["maximum"] = maximum
    store = Things()

    def pages(asked: Asked) -> Canned:
        records = list(store.records.values()) + [{"ref": f"r{n}"} for n in range(listed - len(store.records))]
        return json_answer(200, records)

    result = run_on(store, "PORT-03", document, **{"GET /things": pages})
    assert result.outcome == "pass"
    assert result.evidence[4]["label"] == f"listThings, pages of {size} (walk 1, 1 pages)"
    assert result.evidence[4]["request"] == f"GET /things?limit={size}"


def test_port05_deletes_the_records_before_importing_them_and_again_after() -> None:
    store = Things()
    result = run_on(store, "PORT-05")
    assert (result.outcome, result.message) == ("pass", "")
    assert store.log == ["create 1", "create 2", "delete 1", "delete 2", "import 1", "import 2", "delete 1", "delete 2"]
    assert store.records == {}


def test_port01_names_every_path_kept_with_no_collection() -> None:
    document = things_document()
    for name in ("a", "b"):
        document["paths"][f"/{name}"] = {
            "get": {"operationId": f"list{name}", "responses": {}},
            "post": {"operationId": f"create{name}", "responses": {}},
        }
    result = run_declared("PORT-01", PORT["PORT-01"], offline(document))
    assert result.message.startswith("the API keeps records at /a (lista, createa), /b (listb, createb) with no")


def test_port03_names_every_created_record_that_never_came() -> None:
    store = Things()
    result = run_on(store, "PORT-03", **{"GET /things": lambda asked: json_answer(200, [store.records["1"]])})
    assert result.message == "listThings, default pages (1 pages): created records 2, 3 never came"


def referenced(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with the record's schema and the export's answer given by reference, as generators write them."""
    read = document["paths"]["/things/{thingId}"]["get"]["responses"]["200"]["content"][JSON]
    read["schema"] = {"$ref": "#/components/schemas/Thing"}
    export = document["paths"]["/things/export"]["get"]["responses"]
    document["components"] = {
        "schemas": {"Instant": {"type": "string", "format": "date-time"}},
        "responses": {"All": export["200"]},
    }
    export["200"] = {"$ref": "#/components/responses/All"}
    return document


def dated() -> dict[str, Any]:
    """The things document with a `due` date-time (by reference) that each record must carry."""
    document = referenced(things_document())
    create = document["paths"]["/things"]["post"]["requestBody"]["content"][JSON]["schema"]
    create["properties"]["due"] = {"$ref": "#/components/schemas/Instant"}
    create["required"] = ["title", "due"]
    document["components"]["schemas"]["Thing"] = {"type": "object", "properties": create["properties"]}
    return document


@pytest.mark.parametrize(("due", "outcome"), [("2026-11-25T15:30:00+01:00", "pass"), ("2026-11-25T15:30:00Z", "fail")])
def test_port02_compares_date_times_as_instants(due: str, outcome: str) -> None:
    store = Things()
    exported = {
        "GET /things/export": lambda asked: json_answer(200, [{**r, "due": due} for r in store.records.values()])
    }
    result = run_on(store, "PORT-02", dated(), **exported)
    assert result.outcome == outcome
    if outcome == "fail":
        assert result.message.startswith("record 1: field 'due' changed: sent '2026-11-25T14:30:00Z', exported")


def test_port06_reads_the_document_through_its_references() -> None:
    document = referenced(things_document())
    del document["x-conformance"]["collections"][0]["modified-field"]
    properties = {"ref": {"type": "string"}, "changedAt": {"$ref": "#/components/schemas/Instant"}}
    document["components"]["schemas"]["Thing"] = {"type": "object", "properties": properties}
    result = run_on(Things(), "PORT-06", document)
    assert (result.outcome, result.message) == ("pass", "")
    assert result.evidence[0] == {"collection": "things", "id_field": "ref", "modified_field": "changedAt"}


def test_port06_an_empty_identifier_is_no_identifier_in_either_export() -> None:
    records = [{"ref": "1", "changedAt": NOW}, {"ref": "2", "changedAt": NOW}, {"ref": ""}]
    result = run_on(Things(), "PORT-06", **{"GET /things/export": exports(records, records)})
    assert (result.outcome, result.message) == ("fail", "1 exported records have no 'ref'")


def test_port06_looks_at_every_record_made_when_one_is_missing() -> None:
    records = [{"ref": "2", "changedAt": "bad"}]
    result = run_on(Things(), "PORT-06", **{"GET /things/export": exports(records, records)})
    assert (result.outcome, result.message) == (
        "fail",
        "record 1 is not in the export under the identifier the API gave it; "
        "record 2: changedAt='bad' is not an RFC 3339 date-time",
    )


@pytest.mark.parametrize(
    ("media", "write"),
    [
        (
            "application/x-ndjson; charset=iso-8859-1",
            lambda records: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("latin-1"),
        ),
        (
            "application/geo+json",
            lambda records: json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {"type": "Feature", "id": r["ref"], "geometry": None, "properties": {"changedAt": NOW}}
                        for r in records
                    ],
                }
            ).encode(),
        ),
    ],
    ids=["ndjson-latin-1", "geojson"],
)
def test_port07_reads_a_since_answer_in_the_exports_own_format(media: str, write: Callable) -> None:
    document = incremental(SINCE, content={media.split(";")[0]: {}})
    store = Things()

    def exported(asked: Asked) -> Canned:
        query = parse_qs(urlsplit(asked.path).query)
        records = [{**r, "title": "é"} for r in store.records.values()]
        kept = records if query.get("updated_since", [""])[0] < "2026-11-25T14:30" else []
        return Canned(200, media, write(kept))

    result = run_on(store, "PORT-07", document, **{"GET /things/export": exported})
    assert (result.outcome, result.message) == ("pass", "")


def twice(document: dict[str, Any]) -> dict[str, Any]:
    """`document` declaring its collection a second time, as `again`: each check goes on to the next collection."""
    collections = document["x-conformance"]["collections"]
    collections.append({**collections[0], "name": "again"})
    return document


def test_port04_goes_on_to_the_next_collection_after_a_refused_delete() -> None:
    refused = {"DELETE /things/*": lambda asked: json_answer(500, {})}
    result = run_on(Things(), "PORT-04", twice(things_document()), **refused)
    assert result.message == "deleteThing of record 2 answered HTTP 500; deleteThing of record 4 answered HTTP 500"


@pytest.mark.parametrize("status", [200, 299])
def test_port04_any_success_deletes(status: int) -> None:
    store = Things()

    def delete(asked: Asked) -> Canned:
        store.delete(asked)
        return json_answer(status, {})

    result = run_on(store, "PORT-04", referenced(things_document()), **{"DELETE /things/*": delete})
    assert (result.outcome, result.message) == ("pass", "")


@pytest.mark.parametrize(
    ("document", "routes", "problem"),
    [
        (
            lambda: import_document(["text/csv"], [JSON]),
            {},
            "importThings accepts none of the open formats exportThings offers",
        ),
        (
            things_document,
            {"GET /things/export": lambda asked: json_answer(200, [])},
            "the records just created are not all in the export (application/json), so nothing to import",
        ),
        (
            things_document,
            {"POST /things/import": lambda asked: json_answer(400, "no")},
            'importThings refused what the export produced: HTTP 400 "no"',
        ),
    ],
    ids=["no-format", "not-exported", "refused"],
)
def test_port05_goes_on_to_the_next_collection_after_each_problem(
    document: Callable[[], dict[str, Any]], routes: dict, problem: str
) -> None:
    result = run_on(Things(), "PORT-05", twice(document()), **routes)
    assert (result.outcome, result.message) == ("fail", f"{problem}; {problem}")


def test_port05_an_import_answered_300_is_refused() -> None:
    result = run_on(Things(), "PORT-05", **{"POST /things/import": lambda asked: json_answer(300, {})})
    assert result.message == "importThings refused what the export produced: HTTP 300 {}"


def test_port05_compares_date_times_as_instants_through_the_documents_references() -> None:
    document = dated()
    document["components"]["requestBodies"] = {"Import": document["paths"]["/things/import"]["post"]["requestBody"]}
    document["paths"]["/things/import"]["post"]["requestBody"] = {"$ref": "#/components/requestBodies/Import"}
    store = Things()

    def imported(asked: Asked) -> Canned:
        for record in json.loads(asked.body):
            store.records[record["ref"]] = {**record, "due": "2026-11-25T15:30:00+01:00"}
        return json_answer(200, {})

    result = run_on(store, "PORT-05", document, **{"POST /things/import": imported})
    assert (result.outcome, result.message) == ("pass", "")


def test_port05_a_boolean_that_comes_back_as_text_has_changed() -> None:
    store = Things()

    def exported(asked: Asked) -> Canned:
        return json_answer(200, [{"flag": True, **r} for r in store.records.values()])

    def imported(asked: Asked) -> Canned:
        for record in json.loads(asked.body):
            store.records[record["ref"]] = {**record, "flag": "true"}
        return json_answer(200, {})

    result = run_on(store, "PORT-05", **{"GET /things/export": exported, "POST /things/import": imported})
    assert result.message == (
        "after import, record 1: field 'flag' changed: sent True, exported 'true'; "
        "after import, record 2: field 'flag' changed: sent True, exported 'true'"
    )


def test_port05_a_record_lost_by_the_import_does_not_stop_the_next_being_compared() -> None:
    store = Things()

    def imported(asked: Asked) -> Canned:
        _first, second = json.loads(asked.body)
        store.records["2"] = {**second, "extra": 1}
        return json_answer(200, {})

    result = run_on(store, "PORT-05", **{"POST /things/import": imported})
    assert result.message == (
        "record 1 is not in the export after the import; after import, record 2 has fields it did not have: ['extra']"
    )


def test_port07_goes_on_to_the_next_collection_after_one_with_no_open_format() -> None:
    result = run_on(Things(), "PORT-07", twice(incremental(content={"application/pdf": {}})))
    problem = "exportThings offers no open format to export incrementally"
    assert result.message == f"{problem}; {problem}"


def test_port07_finds_the_modified_field_and_the_export_through_the_documents_references() -> None:
    document = referenced(incremental(SINCE))
    del document["x-conformance"]["collections"][0]["modified-field"]
    properties = {"ref": {"type": "string"}, "changedAt": {"$ref": "#/components/schemas/Instant"}}
    document["components"]["schemas"]["Thing"] = {"type": "object", "properties": properties}
    old = [{"ref": "old", "changedAt": "2026-11-25T14:00:00Z"}]
    store, exported = since_store(
        lambda value, records: json_answer(200, records + old if value < "2026-11-25T14:30" else [])
    )
    result = run_on(store, "PORT-07", document, **{"GET /things/export": exported})
    assert (
        result.message == "exportThings?updated_since=2026-11-25T14:28:00Z includes records modified before then: old"
    )


def test_port03_compares_the_default_pages_with_the_first_small_walk_naming_ten_differences() -> None:
    store = Things()
    extras = [{"ref": f"e{n:02}"} for n in range(12)]
    walks = iter(range(10))

    def listed(asked: Asked) -> Canned:
        records = list(store.records.values())
        if "limit" in asked.path and next(walks) == 0:
            return json_answer(200, records)
        return json_answer(200, records + extras)

    result = run_on(store, "PORT-03", limited(), **{"GET /things": listed})
    only = [f"e{n:02}" for n in range(10)]
    assert result.message == (
        "listThings: two walks with the same page size gave different sequences; "
        f"listThings: the default and small page sizes give different records ({only})"
    )
