"""Test records: make valid create bodies with Welsh, accented, decomposed and emoji text, create records
marked with the run's seed, and delete them again where the API can delete.
"""

import copy
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from conformance.checks.kit.document import resolve, schema_properties
from conformance.checks.kit.exports import decode, dump_json
from conformance.checks.kit.media_types import is_json_family, media_type
from conformance.checks.kit.outcomes import Undecided
from conformance.client import ApiClient
from conformance.declaration import Collection

# Text a council really stores: Welsh, French accents (composed and decomposed), emoji with a ZWJ sequence.
WELSH = "Sŵn cerddoriaeth uchel ger Llyn Tegid; ŵ ŷ Ŵ Ŷ"
ACCENTS = "Café « bruyant » à Noël, naïve façade"
DECOMPOSED = "Cafe\u0301 de\u0301compose\u0301"
EMOJI = "🔊🐕 👩🏽\u200d🔧"
RICH_TEXT = f"{WELSH} | {ACCENTS} | {DECOMPOSED} | {EMOJI}"


def marker(seed: int, check: str, n: int) -> str:
    """A value that identifies a record made by this run and check."""
    return f"conformance-{seed}-{check}-{n}"


class SampleError(Exception):
    """The create schema asks for a value the harness cannot make up."""


def sample_value(document: dict[str, Any], schema: Any, text: str, full: bool, where: str) -> Any:
    """A value valid for `schema`, putting `text` in free-text strings."""
    schema = resolve(document, schema)
    if not isinstance(schema, dict):
        return text
    for key in ("example", "default"):
        if key in schema and schema[key] is not None and not _is_free_text(schema):
            return copy.deepcopy(schema[key])
    if schema.get("enum"):
        return copy.deepcopy(schema["enum"][0])
    if "const" in schema:
        return copy.deepcopy(schema["const"])
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return sample_value(document, schema[key][0], text, full, where)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind is None and (schema.get("properties") or schema.get("allOf")):
        kind = "object"
    if kind == "object":
        return sample_object(document, schema, text, full, where)
    if kind == "array":
        count = int(schema.get("minItems") or 0)
        return [sample_value(document, schema.get("items") or {}, text, full, f"{where}[]") for _ in range(count)]
    if kind == "integer" or kind == "number":
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        if isinstance(schema.get("exclusiveMinimum"), (int, float)) or schema.get("exclusiveMinimum") is True:
            low = low + 1
        value = max(1, low) if isinstance(low, (int, float)) else 1
        high = schema.get("maximum")
        if isinstance(high, (int, float)) and value > high:
            value = high
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    return _sample_string(schema, text, where)


def _is_free_text(schema: dict[str, Any]) -> bool:
    return (
        schema.get("type") in ("string", None)
        and not schema.get("enum")
        and not schema.get("format")
        and not schema.get("pattern")
        and "const" not in schema
        and not schema.get("properties")
    )


FORMAT_SAMPLES = {
    "date-time": "2026-11-25T14:30:00Z",
    "date": "2026-11-25",
    "time": "14:30:00Z",
    "email": "conformance@example.org",
    "uri": "https://example.org/conformance",
    "url": "https://example.org/conformance",
    "uuid": "00000000-0000-4000-8000-000000000001",
    "hostname": "example.org",
    "ipv4": "192.0.2.1",
}


def _sample_string(schema: dict[str, Any], text: str, where: str) -> str:
    fmt = schema.get("format")
    if fmt in FORMAT_SAMPLES:
        return FORMAT_SAMPLES[fmt]
    if schema.get("pattern") or fmt:
        raise SampleError(f"{where} needs a {fmt or 'pattern-matching'} string and declares no example")
    high = schema.get("maxLength")
    value = text[:high] if isinstance(high, int) else text
    low = int(schema.get("minLength") or 0)
    return value + "x" * max(0, low - len(value))


def sample_object(document: dict[str, Any], schema: Any, text: str, full: bool, where: str) -> dict[str, Any]:
    schema = resolve(document, schema)
    required = set(schema.get("required") or [])
    for part in schema.get("allOf") or []:
        required |= set(resolve(document, part).get("required") or [])
    result = {}
    for name, prop in schema_properties(document, schema).items():
        if isinstance(prop, dict) and prop.get("readOnly"):
            continue
        if name in required or full:
            try:
                result[name] = sample_value(document, prop, text, full, f"{where}.{name}")
            except SampleError:
                if name in required:
                    raise
    return result


def create_schema(document: dict[str, Any], api: ApiClient, collection: Collection) -> tuple[str, dict[str, Any]]:
    """The media type and schema of the create operation's JSON request body."""
    body = resolve(document, api.operations[collection.create].definition.get("requestBody") or {})
    for mt, media in (body.get("content") or {}).items():
        if is_json_family(media_type(mt)):
            return media_type(mt), media or {}
    raise Undecided(
        f"the create operation {collection.create} declares no JSON request body, so the harness cannot create "
        "test records"
    )


def sample_input(
    document: dict[str, Any], api: ApiClient, collection: Collection, label: str, full: bool = True
) -> tuple[str, dict[str, Any]]:
    """A create body with `label` and the non-ASCII sample text in every free-text field."""
    mt, media = create_schema(document, api, collection)
    text = f"{label} {RICH_TEXT}"
    try:
        body = sample_object(document, media.get("schema") or {}, text, full, "body")
    except SampleError as exc:
        example = media.get("example")
        if not isinstance(example, dict):
            raise Undecided(f"cannot make a record for {collection.create}: {exc}") from None
        body = copy.deepcopy(example)
    return mt, body


@dataclass
class Created:
    """A record this check created: what was sent, the identifier the API gave it, and when (server clock)."""

    id: str
    sent: dict[str, Any]
    returned: dict[str, Any]
    at: float = 0.0


@dataclass
class RecordMaker:
    """Creates records for one check and deletes them again on exit (where the API can delete)."""

    api: ApiClient
    document: dict[str, Any]
    collection: Collection
    seed: int
    check: str
    evidence: list[dict[str, Any]]
    made: list[Created] = field(default_factory=list)

    def create(self, full: bool = True) -> Created:
        n = len(self.made) + 1
        mt, body = sample_input(self.document, self.api, self.collection, marker(self.seed, self.check, n), full)
        response = self.api.call(self.collection.create, json=None, data=dump_json(body), headers={"Content-Type": mt})
        if not 200 <= response.status_code < 300:
            raise Undecided(
                f"could not create a test record with {self.collection.create}: "
                f"HTTP {response.status_code} {response.text[:200]}"
            )
        returned = json_body(response)
        record_id = returned.get(self.collection.id_field) if isinstance(returned, dict) else None
        if record_id is None:
            location = response.headers.get("Location", "")
            record_id = location.rstrip("/").rsplit("/", 1)[-1] or None
        if record_id is None:
            raise Undecided(
                f"{self.collection.create} returned no {self.collection.id_field!r} and no Location, so the harness "
                "cannot identify the record it created"
            )
        created = Created(str(record_id), body, returned if isinstance(returned, dict) else {}, _server_time(response))
        self.made.append(created)
        self.evidence.append({"created": created.id, "collection": self.collection.name})
        return created

    def delete(self, created: Created) -> requests.Response:
        assert self.collection.delete is not None
        response = self.api.call(
            self.collection.delete, path_params=delete_params(self.api, self.collection, created.id)
        )
        if 200 <= response.status_code < 300:
            self.made.remove(created)
        return response

    def adopt(self, record_id: str, sent: dict[str, Any]) -> None:
        """A record that came back some other way (an import): delete it on exit too."""
        if all(c.id != record_id for c in self.made):
            self.made.append(Created(record_id, sent, {}))

    def read(self, record_id: str) -> requests.Response:
        return self.api.call(self.collection.read, path_params=read_params(self.api, self.collection, record_id))

    def cleanup(self) -> None:
        if self.collection.delete is None:
            if self.made:
                self.evidence.append({"left_in_place": [c.id for c in self.made], "why": "no delete operation"})
            return
        for created in list(self.made):
            try:
                self.api.call(self.collection.delete, path_params=delete_params(self.api, self.collection, created.id))
            except requests.RequestException:
                self.evidence.append({"cleanup_failed": created.id})


@contextmanager
def records_for(
    api: ApiClient, document: dict[str, Any], collection: Collection, seed: int, check: str, evidence: list
) -> Iterator[RecordMaker]:
    maker = RecordMaker(api, document, collection, seed, check, evidence)
    try:
        yield maker
    finally:
        maker.cleanup()


def _server_time(response: requests.Response) -> float:
    """The response's Date header as epoch seconds; the local clock when there is none."""
    try:
        return parsedate_to_datetime(response.headers["Date"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return time.time()


def json_body(response: requests.Response) -> Any:
    try:
        return json.loads(decode(response.content, response.headers.get("Content-Type")))
    except (ValueError, UnicodeDecodeError):
        return {}


def delete_params(api: ApiClient, collection: Collection, record_id: str) -> dict[str, str]:
    assert collection.delete is not None
    names = re.findall(r"{([^}]+)}", api.operations[collection.delete].path)
    return {names[-1]: record_id} if names else {}


def read_params(api: ApiClient, collection: Collection, record_id: str) -> dict[str, str]:
    names = re.findall(r"{([^}]+)}", api.operations[collection.read].path)
    return {names[-1]: record_id} if names else {}
