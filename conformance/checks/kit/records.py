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
from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from conformance.checks.kit.evidence import observed
from conformance.checks.kit.exports import FormatError, decode, dump_json
from conformance.checks.kit.outcomes import Undecided, timed_out
from conformance.client import ApiClient
from conformance.declaration import Collection
from conformance.media_types import is_json_family, media_type
from conformance.operations import resolve, schema_properties

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
    if kind is None and schema.get("allOf") and not schema.get("properties"):
        # `allOf: [{$ref: ...}]` beside a description: OpenAPI 3.0's way to describe a $ref (drf-spectacular,
        # NSwag); the value must meet every part, so a part that is not an object is sampled merged.
        parts = [resolve(document, part) for part in schema["allOf"]]
        if all(isinstance(part, dict) and not part.get("properties") for part in parts):
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in parts:
                merged.update(part)
            return sample_value(document, merged, text, full, where)
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
        exclusive = schema.get("exclusiveMinimum")
        if exclusive is True or (isinstance(exclusive, (int, float)) and not isinstance(exclusive, bool)):
            low = low + 1  # OpenAPI 3.0's `exclusiveMinimum: true` or 3.1's number; `false` excludes nothing
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
    low, high = int(schema.get("minLength") or 0), schema.get("maxLength")
    if schema.get("pattern"):
        return _matching(str(schema["pattern"]), low, high if isinstance(high, int) else None, where)
    if fmt in FORMAT_SAMPLES:
        return FORMAT_SAMPLES[fmt]
    if fmt:
        raise SampleError(f"{where} needs a {fmt!r} string and declares no example")
    value = text[:high] if isinstance(high, int) else text
    return value + "x" * max(0, low - len(value))


# Deterministic and quick: the simplest string that matches, found by shrinking, never a random one.
PATTERN_SEARCH = settings(database=None, derandomize=True, max_examples=200, suppress_health_check=list(HealthCheck))


def _matching(pattern: str, low: int, high: int | None, where: str) -> str:
    """The simplest string that `pattern` matches in full and that fits the length bounds (Hypothesis)."""
    try:
        strings = st.from_regex(pattern, fullmatch=True)
        return find(strings, lambda s: len(s) >= low and (high is None or len(s) <= high), settings=PATTERN_SEARCH)
    except NoSuchExample:
        raise SampleError(
            f"{where} needs a string matching {pattern!r} of {low} to {'any' if high is None else high} characters, "
            "and the harness found none; declare an example"
        ) from None
    except re.error as exc:
        raise SampleError(f"{where}: the pattern {pattern!r} is not one the harness can read ({exc})") from None


def sample_object(
    document: dict[str, Any], schema: Any, text: str, full: bool, where: str, owned: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The required properties, and with `full` the free-text ones too; never readOnly or `owned` ones (the server's).

    Only properties the client chooses are sent, so a check compares exactly what the client chose.
    """
    schema = resolve(document, schema)
    required = set(schema.get("required") or [])
    for part in schema.get("allOf") or []:
        required |= set(resolve(document, part).get("required") or [])
    result = {}
    for name, prop in schema_properties(document, schema).items():
        if name in owned or (isinstance(prop, dict) and prop.get("readOnly")):
            continue
        if name in required or (full and isinstance(prop, dict) and _is_free_text(prop)):
            result[name] = sample_value(document, prop, text, full, f"{where}.{name}")
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


def server_managed(collection: Collection) -> frozenset[str]:
    """Properties the server owns whatever the schema says: the declared id and last-modified fields."""
    return frozenset(n for n in (collection.id_field, collection.modified_field) if n)


def sample_input(
    document: dict[str, Any], api: ApiClient, collection: Collection, label: str, full: bool = True
) -> tuple[str, dict[str, Any]]:
    """A create body with `label` and the non-ASCII sample text in every free-text field."""
    mt, media = create_schema(document, api, collection)
    text = f"{label} {RICH_TEXT}"
    owned = server_managed(collection)
    try:
        body = sample_object(document, media.get("schema") or {}, text, full, "body", owned)
    except SampleError as exc:
        example = media.get("example")
        if not isinstance(example, dict):
            raise Undecided(f"cannot make a record for {collection.create}: {exc}") from None
        body = {k: copy.deepcopy(v) for k, v in example.items() if k not in owned}
    return mt, body


def rejection(response: requests.Response, sent: dict[str, Any], known: set[str]) -> str:
    """Why the API refused a record, in its own words (problem details or body), and the properties it names."""
    body = json_body(response)
    said = []
    if isinstance(body, dict):
        said = [str(body[k]) for k in ("title", "detail", "message", "error", "error_description") if body.get(k)]
        for key in ("errors", "invalid-params", "invalid_params", "violations", "details"):
            if isinstance(body.get(key), list):
                said.extend(json.dumps(item, ensure_ascii=False)[:200] for item in body[key][:5])
            elif isinstance(body.get(key), dict):  # by field, as Django REST framework and marshmallow give them
                said.extend(json.dumps({k: v}, ensure_ascii=False)[:200] for k, v in list(body[key].items())[:5])
    words = "; ".join(said) or response.text.strip()[:300] or "no explanation in the body"
    named = [n for n in sorted(known | set(sent)) if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", words)]
    blamed = [f"{n} (sent {ascii(sent[n])[:80]})" if n in sent else f"{n} (not sent)" for n in named]
    return f"HTTP {response.status_code}: {words[:400]}" + (f"; it names {', '.join(blamed)}" if blamed else "")


@dataclass
class Created:
    """A record this check created: what was sent, the identifier the API gave it, and when (server clock)."""

    id: str
    sent: dict[str, Any]
    returned: dict[str, Any]
    at: float = 0.0
    response: requests.Response | None = None  # the create operation's answer (None for an adopted record)


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
            _, media = create_schema(self.document, self.api, self.collection)
            known = set(schema_properties(self.document, media.get("schema") or {}))
            raise Undecided(
                f"could not create a test record with {self.collection.create}, which refused "
                f"{{{', '.join(sorted(body))}}}: {rejection(response, body, known)}"
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
        returned = returned if isinstance(returned, dict) else {}
        created = Created(str(record_id), body, returned, _server_time(response), response)
        self.made.append(created)
        label = f"created a test record in {self.collection.name}"
        self.evidence.append(observed(response, label, id=created.id, sent=sorted(body)))
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
            except requests.RequestException as exc:
                why = "timed out (see --request-timeout)" if timed_out(exc) else type(exc).__name__
                self.evidence.append({"cleanup_failed": created.id, "why": why})


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
    """The body as JSON; {} when it is not JSON, or not text in the charset it declares."""
    try:
        return json.loads(decode(response.content, response.headers.get("Content-Type")))
    except (ValueError, FormatError):
        return {}


def delete_params(api: ApiClient, collection: Collection, record_id: str) -> dict[str, str]:
    assert collection.delete is not None
    names = re.findall(r"{([^}]+)}", api.operations[collection.delete].path)
    return {names[-1]: record_id} if names else {}


def read_params(api: ApiClient, collection: Collection, record_id: str) -> dict[str, str]:
    names = re.findall(r"{([^}]+)}", api.operations[collection.read].path)
    return {names[-1]: record_id} if names else {}
