"""Walking the OpenAPI document: local $refs, success responses, parameters and record schemas.

Everything works from the document and the supplier declaration; nothing assumes the reference supplier.
"""

from typing import Any

from conformance.client import ApiClient
from conformance.declaration import Collection
from conformance.media_types import PREFERENCE, is_json_family, media_type
from conformance.operations import resolve, schema_properties


def success_content(document: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    """The media-type map of the operation's first declared 2xx response (200 preferred: it sorts first)."""
    responses = op.get("responses") or {}
    codes = sorted(str(c) for c in responses if str(c).startswith("2"))
    for code in codes:
        content = resolve(document, responses[code]).get("content") or {}
        if content:
            return content
    return {}


def declared_media_types(document: dict[str, Any], op: dict[str, Any]) -> list[str]:
    return [media_type(mt) for mt in success_content(document, op)]


def open_media_types(document: dict[str, Any], op: dict[str, Any]) -> list[str]:
    declared = declared_media_types(document, op)
    return [mt for mt in PREFERENCE if mt in declared]


def record_schema(document: dict[str, Any], api: ApiClient, collection: Collection) -> dict[str, Any]:
    """The JSON schema of one record: the read operation's success response."""
    content = success_content(document, api.operations[collection.read].definition)
    for mt, media in content.items():
        if is_json_family(media_type(mt)):
            return resolve(document, (media or {}).get("schema") or {})
    return {}


def parameters(document: dict[str, Any], api: ApiClient, operation_id: str) -> list[dict[str, Any]]:
    """The operation's parameters, path-level ones included, resolved."""
    found = api.operations[operation_id]
    path_item = (document.get("paths") or {}).get(found.path) or {}
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*(path_item.get("parameters") or []), *(found.definition.get("parameters") or [])]:
        param = resolve(document, raw)
        if isinstance(param, dict) and "name" in param:
            merged[(str(param.get("in")), str(param["name"]))] = param
    return list(merged.values())


DATE_FORMATS = ("date", "date-time")


def date_properties(document: dict[str, Any], schema: Any) -> dict[str, str]:
    """Top-level property name -> 'date' or 'date-time' for the record schema's date properties."""
    found = {}
    for name, prop in schema_properties(document, schema).items():
        fmt = date_format(document, prop)
        if fmt is not None:
            found[name] = fmt
    return found


def date_format(document: dict[str, Any], prop: Any) -> str | None:
    """A property's date format, also where OpenAPI 3.1 makes it nullable as `anyOf: [{...}, {type: null}]`
    (FastAPI, Pydantic): every member that is not the null type names the same format."""
    if not isinstance(prop, dict):
        return None
    if prop.get("format") in DATE_FORMATS:
        return str(prop["format"])
    for key in ("anyOf", "oneOf"):
        members = [resolve(document, member) for member in prop.get(key) or []]
        typed = [m for m in members if not (isinstance(m, dict) and m.get("type") == "null")]
        formats = {m.get("format") if isinstance(m, dict) else None for m in typed}
        if typed and len(formats) == 1 and formats <= set(DATE_FORMATS):
            return str(formats.pop())
    return None
