"""What a second client sees of the first client's record (NET-14's kit), in this process: the reference
supplier, which keeps clients apart and counts ids per client, and its `cross-client-read` defect; and a
scripted API for the answers that leave the question open.
"""

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from conformance.checks.kit.isolation import PeerView, Planted, _export, _list, _read, as_peer, peer_views
from conformance.checks.kit.outcomes import Undecided
from conformance.checks.kit.records import Created, RecordMaker, marker
from conformance.client import ApiClient
from conformance.declaration import Collection
from conformance.demo import serve
from conformance.safety import Safety
from tests.in_process.conftest import SEED, client
from tests.in_process.scripted import JSON, THINGS, ScriptedApi, json_answer, scripted, things_document
from tests.static_server import Canned

CASES = Collection("cases", "createCase", "getCase", "listCases", "exportCases", delete="deleteCase")
LABEL = marker(SEED, "net14", 1)


@contextmanager
def first_client(variant: str) -> Iterator[ApiClient]:
    """A fresh supplier (ids start at 1) over plain HTTP, and the first client, unpaced as a loopback run is."""
    with serve(variant, https=False) as supplier:
        yield ApiClient(client(supplier).target, Safety(max_rps=0))


def plant(api: ApiClient, check: str = "net14") -> Planted:
    """The first client (or, given the peer, the second) creates a case; left in place for the peer to look for."""
    created = RecordMaker(api, api.target.spec.document, CASES, SEED, check, []).create()
    return Planted.of(CASES, created, marker(SEED, check, 1))


def seen(views: list[PeerView], planted: Planted) -> list[dict[str, Any]]:
    return [view.evidence(planted) for view in views]


def looked(how: str, request: str, status: int, saw: bool, **counted: int) -> dict[str, Any]:
    where = "by id" if how == "read" else f"in its {how}"
    label = f"the second client looks for cases record 1 {where}"
    return {"request": request, "status": status, "label": label, "client": "peer", "saw_the_record": saw, **counted}


def test_the_peer_sends_its_own_credentials_within_the_same_limits() -> None:
    with scripted(things_document(), {}) as scripted_api:
        api = scripted_api.api
        peer = as_peer(api)
        assert peer.target.headers == {"Authorization": "Bearer second-client"}
        assert peer.target.base_url == api.target.base_url and peer.safety is api.safety
        peer.call("listThings")
    assert scripted_api.asked[0].headers["Authorization"] == "Bearer second-client"


def test_a_conformant_supplier_refuses_the_read_and_lists_and_exports_nothing_of_ours() -> None:
    with first_client("conformant") as api:
        planted = plant(api)
        views = peer_views(as_peer(api), api.target.spec.document, planted)
    assert planted == Planted(CASES, "1", LABEL)
    assert seen(views, planted) == [
        looked("read", "GET /v1/cases/1", 404, False),
        looked("list", "GET /v1/cases", 200, False, records_seen=0),
        looked("export", "GET /v1/cases/export", 200, False, records_seen=0),
    ]
    assert [view.refused_credentials for view in views] == [False, False, False]
    assert {view.response.request.headers["Authorization"] for view in views} == {"Bearer reference-peer-token"}


def test_the_peers_own_record_under_the_same_id_is_not_ours() -> None:
    """The supplier counts ids per client: the peer's own case 1 answers the read, and is not our case 1."""
    with first_client("conformant") as api:
        plant(as_peer(api), check="other")
        planted = plant(api)
        views = peer_views(as_peer(api), api.target.spec.document, planted)
    assert seen(views, planted) == [
        looked("read", "GET /v1/cases/1", 200, False),
        looked("list", "GET /v1/cases", 200, False, records_seen=1),
        looked("export", "GET /v1/cases/export", 200, False, records_seen=1),
    ]


def test_a_supplier_that_lets_any_client_read_any_case_is_seen() -> None:
    with first_client("cross-client-read") as api:
        planted = plant(api)
        views = peer_views(as_peer(api), api.target.spec.document, planted)
    assert [(view.how, view.response.status_code, view.saw) for view in views] == [
        ("read", 200, True),
        ("list", 200, False),
        ("export", 200, False),
    ]
    assert views[0].response.json()["title"].startswith(LABEL + " ")


def test_credentials_the_api_does_not_accept_are_refused_everywhere() -> None:
    with first_client("conformant") as api:
        planted = plant(api)
        stranger = dataclasses.replace(api.target, peer_headers={"Authorization": "Bearer nobody"})
        views = peer_views(as_peer(ApiClient(stranger, api.safety)), api.target.spec.document, planted)
    answers = [(view.response.status_code, view.saw, view.refused_credentials) for view in views]
    assert answers == [(401, False, True)] * 3
    assert seen(views, planted)[1] == looked("list", "GET /v1/cases", 401, False)


def test_a_read_and_an_export_that_fail_leave_the_question_open() -> None:
    with first_client("reads-and-exports-fail") as api:
        planted = plant(api)
        peer, document = as_peer(api), api.target.spec.document
        with pytest.raises(Undecided) as read:
            _read(peer, planted)
        with pytest.raises(Undecided) as exported:
            _export(peer, document, planted)
    assert str(read.value) == (
        "could not tell whether a second client can read cases record 1: GET /v1/cases/1 answered 500, "
        "neither the record nor a refusal (401, 403, 404)"
    )
    assert str(exported.value) == (
        "could not tell whether a second client can export cases record 1: GET /v1/cases/export answered 500, "
        "neither the record nor a refusal (401, 403, 404)"
    )


# --- a scripted API: each other answer -----------------------------------------------------------------

THING = Planted(THINGS, "7", "mark-7")


@contextmanager
def peer_of(routes: dict[str, Any], document: dict[str, Any] | None = None) -> Iterator[ScriptedApi]:
    with scripted(document or things_document(), routes) as scripted_api:
        yield ScriptedApi(as_peer(scripted_api.api), scripted_api.asked)


@pytest.mark.parametrize(
    ("status", "body", "saw"),
    [(200, b'{"ref": "7", "title": "mark-7"}', True), (299, b"mark-7", True), (200, b"someone else's 7", False)],
)
def test_a_read_that_answers_holds_the_record_when_it_carries_the_marker(status: int, body: bytes, saw: bool) -> None:
    with peer_of({"GET /things/7": Canned(status, JSON, body)}) as peer:
        view = _read(peer.api, THING)
    assert (view.how, view.response.status_code, view.saw, view.records_seen) == ("read", status, saw, None)
    assert peer.asked[0].path == "/things/7"


@pytest.mark.parametrize("status", [401, 403, 404])
def test_each_refusal_of_a_read_sees_nothing(status: int) -> None:
    with peer_of({"GET /things/7": Canned(status, JSON, b"mark-7")}) as peer:
        view = _read(peer.api, THING)
    assert (view.saw, view.refused_credentials) == (False, status == 401)


@pytest.mark.parametrize("status", [199, 300, 400, 405])
def test_a_read_answered_otherwise_leaves_the_question_open(status: int) -> None:
    with peer_of({"GET /things/7": Canned(status, JSON, b"mark-7")}) as peer, pytest.raises(Undecided) as raised:
        _read(peer.api, THING)
    assert str(raised.value) == (
        f"could not tell whether a second client can read things record 7: GET /things/7 answered {status}, "
        "neither the record nor a refusal (401, 403, 404)"
    )


@pytest.mark.parametrize(
    ("records", "saw"),
    [
        ([{"ref": "7", "title": "mark-7"}], True),
        ([{"ref": 7, "title": "mark-7"}], True),
        ([{"id": "7", "title": "mark-7"}], False),
        ([{"ref": "7", "title": "not ours"}, {"ref": "8", "title": "mark-7"}], False),
    ],
)
def test_the_list_holds_the_record_when_one_entry_has_its_id_and_marker(records: list, saw: bool) -> None:
    with peer_of({"GET /things": json_answer(200, records)}) as peer:
        view = _list(peer.api, things_document(), THING)
    assert (view.how, view.saw, view.records_seen) == ("list", saw, len(records))


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_refused_list_sees_nothing(status: int) -> None:
    with peer_of({"GET /things": json_answer(status, [{"ref": "7", "title": "mark-7"}])}) as peer:
        view = _list(peer.api, things_document(), THING)
    assert (view.saw, view.records_seen, view.response.status_code) == (False, None, status)


@pytest.mark.parametrize("status", [201, 500])
def test_a_list_answered_otherwise_leaves_the_question_open(status: int) -> None:
    with peer_of({"GET /things": json_answer(status, [])}) as peer, pytest.raises(Undecided) as raised:
        _list(peer.api, things_document(), THING)
    assert str(raised.value) == (
        f"could not tell whether a second client can list things record 7: GET /things answered {status}, "
        "neither the record nor a refusal (401, 403, 404)"
    )


def test_a_list_whose_next_page_fails_cannot_be_walked() -> None:
    first = json_answer(200, [{"ref": "1"}], Link='</things?page=2>; rel="next"')
    pages = {"GET /things": lambda asked: first if "page" not in asked.path else json_answer(500, [])}
    with peer_of(pages) as peer, pytest.raises(Undecided) as raised:
        _list(peer.api, things_document(), THING)
    base = peer.api.target.base_url
    assert str(raised.value) == (
        f"could not walk listThings as the second client: list page 2 ({base}/things?page=2) answered HTTP 500"
    )


def test_the_export_is_asked_for_in_its_first_open_format_and_read() -> None:
    document = things_document()
    ndjson = "application/x-ndjson"
    content = {"text/csv": {}, "application/pdf": {}, ndjson: {}}
    document["paths"]["/things/export"]["get"]["responses"]["200"]["content"] = content
    lines = Canned(200, ndjson, b'{"ref": "7", "title": "mark-7"}\n{"ref": "8"}\n')
    with peer_of({"GET /things/export": lines}, document) as peer:
        view = _export(peer.api, document, THING)
    assert (view.how, view.saw, view.records_seen) == ("export", True, 2)
    assert peer.asked[0].headers["Accept"] == ndjson  # before CSV: the more structured open format


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_refused_export_sees_nothing(status: int) -> None:
    with peer_of({"GET /things/export": json_answer(status, [{"ref": "7", "title": "mark-7"}])}) as peer:
        view = _export(peer.api, things_document(), THING)
    assert (view.how, view.saw, view.records_seen) == ("export", False, None)


@pytest.mark.parametrize("status", [204, 500])
def test_an_export_answered_otherwise_leaves_the_question_open(status: int) -> None:
    with peer_of({"GET /things/export": json_answer(status, [])}) as peer, pytest.raises(Undecided) as raised:
        _export(peer.api, things_document(), THING)
    assert str(raised.value) == (
        f"could not tell whether a second client can export things record 7: GET /things/export answered {status}, "
        "neither the record nor a refusal (401, 403, 404)"
    )


def test_an_export_that_does_not_parse_leaves_the_question_open() -> None:
    with peer_of({"GET /things/export": Canned(200, JSON, b"[{")}) as peer, pytest.raises(Undecided) as raised:
        _export(peer.api, things_document(), THING)
    assert str(raised.value).startswith("the second client's export (application/json) could not be read: ")


def test_an_export_in_no_open_format_cannot_be_read() -> None:
    document = things_document()
    document["paths"]["/things/export"]["get"]["responses"]["200"]["content"] = {"application/pdf": {}}
    with peer_of({}, document) as peer, pytest.raises(Undecided) as raised:
        _export(peer.api, document, THING)
    assert str(raised.value) == "the export operation exportThings declares no open format the harness can read"
    assert peer.asked == []


# --- recognising the record --------------------------------------------------------------------------


def created(sent: dict[str, Any]) -> Created:
    return Created("7", sent, {})


@pytest.mark.parametrize(
    ("label", "sent", "kept"),
    [
        ("mark-7", {"title": "mark-7 Sŵn"}, "mark-7"),
        ("marqué-7", {"title": "marqué-7 Sŵn"}, "marqué-7"),  # compared as text, not as \u escapes
        ("mark-7", {"size": 1}, None),
    ],
)
def test_the_marker_is_kept_only_when_the_create_body_carries_it(label: str, sent: dict, kept: str | None) -> None:
    assert Planted.of(THINGS, created(sent), label) == Planted(THINGS, "7", kept)


def test_a_body_holds_the_record_when_it_carries_the_marker_or_there_is_none() -> None:
    assert Planted(THINGS, "7", "mark-7").is_in('{"title": "mark-7"}')
    assert not Planted(THINGS, "7", "mark-7").is_in('{"title": "mark-8"}')
    assert Planted(THINGS, "7", None).is_in("")


@pytest.mark.parametrize(
    ("records", "found"),
    [
        ([{"ref": "7", "title": "marqué-7"}], True),
        ([{"ref": 7, "title": "x marqué-7 y"}], True),
        ([{"ref": "7", "title": "marque-7"}], False),
        ([{"id": "7", "title": "marqué-7"}], False),
        ([{"ref": "70", "title": "marqué-7"}], False),
        ([], False),
    ],
)
def test_a_record_is_among_others_by_its_id_field_and_marker(records: list, found: bool) -> None:
    assert Planted(THINGS, "7", "marqué-7").among(records) is found


def test_each_view_says_how_the_peer_looked_and_what_it_held() -> None:
    with peer_of({"GET /things/7": Canned(403, JSON, b"{}")}) as peer:
        answered = _read(peer.api, THING).response
    planted = THING
    assert PeerView("read", answered, False).evidence(planted) == {
        "request": "GET /things/7",
        "status": 403,
        "label": "the second client looks for things record 7 by id",
        "client": "peer",
        "saw_the_record": False,
    }
    assert PeerView("export", answered, True, 0).evidence(planted) == {
        "request": "GET /things/7",
        "status": 403,
        "label": "the second client looks for things record 7 in its export",
        "client": "peer",
        "saw_the_record": True,
        "records_seen": 0,
    }


def test_an_export_is_read_in_the_charset_it_declares() -> None:
    latin1 = Canned(200, "application/json; charset=iso-8859-1", '[{"ref": "7", "t": "marqué-7"}]'.encode("latin-1"))
    with peer_of({"GET /things/export": latin1}) as peer:
        view = _export(peer.api, things_document(), Planted(THINGS, "7", "marqué-7"))
    assert (view.saw, view.records_seen) == (True, 1)


def test_a_geojson_feature_is_known_by_its_id_under_the_declared_id_field() -> None:
    document = things_document()
    document["paths"]["/things/export"]["get"]["responses"]["200"]["content"] = {"application/geo+json": {}}
    feature = {"type": "Feature", "id": "7", "geometry": None, "properties": {"title": "mark-7"}}
    collection = json_answer(200, {"type": "FeatureCollection", "features": [feature]}, "application/geo+json")
    with peer_of({"GET /things/export": collection}, document) as peer:
        view = _export(peer.api, document, THING)
    assert (view.saw, view.records_seen) == (True, 1)


def test_the_peer_looks_three_ways_with_the_document_read_through_its_references() -> None:
    document = things_document()
    export_200 = document["paths"]["/things/export"]["get"]["responses"]
    document["components"] = {"responses": {"All": export_200["200"]}}
    export_200["200"] = {"$ref": "#/components/responses/All"}
    routes = {
        "GET /things/7": Canned(404, JSON, b"{}"),
        "GET /things": json_answer(200, [{"ref": "1"}]),
        "GET /things/export": json_answer(200, [{"ref": "7", "title": "mark-7"}]),
    }
    with scripted(document, routes) as scripted_api:
        views = peer_views(as_peer(scripted_api.api), document, THING)
    assert [(view.how, view.saw, view.records_seen) for view in views] == [
        ("read", False, None),
        ("list", False, 1),
        ("export", True, 1),
    ]
