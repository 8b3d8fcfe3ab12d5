"""What a second client sees of a record the first client made: by id (read), in its list and in its export.

The second client is the one whose credentials `--peer-header` gives. It must be refused (401, 403, 404)
or not find the record. A record is recognised by its id and by the run's marker text it was created
with, so a supplier whose ids are counted per client (the peer's own record 1 is not ours) is not accused.
"""

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import requests

from conformance.checks.kit.document import open_media_types
from conformance.checks.kit.evidence import observed
from conformance.checks.kit.exports import FormatError, fetch, parse
from conformance.checks.kit.outcomes import Undecided
from conformance.checks.kit.pagination import walk
from conformance.checks.kit.records import Created, read_params
from conformance.client import ApiClient
from conformance.declaration import Collection
from conformance.media_types import kind_of

REFUSALS = (401, 403, 404)


def as_peer(api: ApiClient) -> ApiClient:
    """The same client within the same limits, sending the second client's credentials instead of ours."""
    return ApiClient(dataclasses.replace(api.target, headers=api.target.peer_headers), api.safety)


@dataclass(frozen=True)
class Planted:
    """A record the first client created, as the peer might come across it."""

    collection: Collection
    id: str
    marker: str | None  # the run's marker text in its free-text fields; None when its create body has none

    @classmethod
    def of(cls, collection: Collection, created: Created, label: str) -> "Planted":
        """`label` is the marker the record was made with; kept only when its create body carries it."""
        carried = label in json.dumps(created.sent, ensure_ascii=False)
        return cls(collection, created.id, label if carried else None)

    def is_in(self, text: str) -> bool:
        """Whether a body that answered for this record's id holds this record (not the peer's own one)."""
        return self.marker is None or self.marker in text

    def among(self, records: list[dict[str, Any]]) -> bool:
        return any(
            str(record.get(self.collection.id_field)) == self.id and self.is_in(json.dumps(record, ensure_ascii=False))
            for record in records
        )


@dataclass(frozen=True)
class PeerView:
    """One way the peer tried to reach the record: what it was answered, and whether it saw the record."""

    how: str  # "read", "list", "export"
    response: requests.Response
    saw: bool
    records_seen: int | None = None  # how many records the peer's list or export held

    @property
    def refused_credentials(self) -> bool:
        return self.response.status_code == 401

    def evidence(self, planted: Planted) -> dict[str, Any]:
        where = "by id" if self.how == "read" else f"in its {self.how}"
        label = f"the second client looks for {planted.collection.name} record {planted.id} {where}"
        counted = {} if self.records_seen is None else {"records_seen": self.records_seen}
        return observed(self.response, label, client="peer", saw_the_record=self.saw, **counted)


def peer_views(peer: ApiClient, document: dict[str, Any], planted: Planted) -> list[PeerView]:
    """The peer reads the record by id, walks its list and fetches its export."""
    return [_read(peer, planted), _list(peer, document, planted), _export(peer, document, planted)]


def _read(peer: ApiClient, planted: Planted) -> PeerView:
    collection = planted.collection
    response = peer.call(collection.read, path_params=read_params(peer, collection, planted.id))
    if response.status_code in REFUSALS:
        return PeerView("read", response, False)
    if 200 <= response.status_code < 300:
        return PeerView("read", response, planted.is_in(response.text))
    raise Undecided(_unexpected(response, "read", planted))


def _list(peer: ApiClient, document: dict[str, Any], planted: Planted) -> PeerView:
    collection = planted.collection
    first = peer.call(collection.list)
    if first.status_code in REFUSALS:
        return PeerView("list", first, False)
    if first.status_code != 200:
        raise Undecided(_unexpected(first, "list", planted))
    try:
        pages = walk(peer, document, collection, None)
    except AssertionError as exc:
        raise Undecided(f"could not walk {collection.list} as the second client: {exc}") from None
    return PeerView("list", first, planted.among(pages.records), len(pages.records))


def _export(peer: ApiClient, document: dict[str, Any], planted: Planted) -> PeerView:
    collection = planted.collection
    definition = peer.operations[collection.export].definition
    offered = open_media_types(document, definition)
    if not offered:
        raise Undecided(f"the export operation {collection.export} declares no open format the harness can read")
    response = fetch(peer, collection, offered[0])
    if response.status_code in REFUSALS:
        return PeerView("export", response, False)
    if response.status_code != 200:
        raise Undecided(_unexpected(response, "export", planted))
    try:
        parsed = parse(kind_of(offered[0]), response.content, response.headers.get("Content-Type"), collection.id_field)
    except FormatError as exc:
        raise Undecided(f"the second client's export ({offered[0]}) could not be read: {exc}") from None
    return PeerView("export", response, planted.among(parsed.records), len(parsed.records))


def _unexpected(response: requests.Response, how: str, planted: Planted) -> str:
    return (
        f"could not tell whether a second client can {how} {planted.collection.name} record {planted.id}: "
        f"{response.request.method} {response.request.path_url} answered {response.status_code}, "
        f"neither the record nor a refusal ({', '.join(map(str, REFUSALS))})"
    )
