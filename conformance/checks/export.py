"""Open-standard export content: encodings, dates, open formats, CSV column descriptions, errors, documentation.

Each check reads the supplier declaration (`x-conformance`), creates the few records it needs (deleting
them again where the API can delete), and looks at what the export really returns.
"""

import json
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

from conformance.checks.kit.declared import DeclaredCollections
from conformance.checks.kit.document import (
    date_properties,
    declared_media_types,
    open_media_types,
    record_schema,
    resolve,
)
from conformance.checks.kit.exports import FormatError, decode, fetch, parse, parse_csv
from conformance.checks.kit.media_types import CSV, is_json_family, kind_of, media_params, media_type
from conformance.checks.kit.outcomes import Undecided, listed, not_applicable
from conformance.checks.kit.pagination import link_with_rel
from conformance.checks.kit.records import create_schema, json_body
from conformance.checks.kit.rfc3339 import is_rfc3339_date, is_rfc3339_date_time
from conformance.checks.kit.table_schema import (
    csvw_columns,
    fetch_json,
    frictionless_columns,
    has_header_row,
    validate_csv,
)
from conformance.client import ApiClient
from conformance.declaration import Collection

# --- EXP-10 -----------------------------------------------------------------------------------------


def utf8_problems(label: str, response: requests.Response) -> list[str]:
    content_type = response.headers.get("Content-Type", "")
    charset = media_params(content_type).get("charset")
    found = []
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        found.append(f"{label} declares charset={charset}")
    if response.content.startswith(b"\xef\xbb\xbf"):
        found.append(f"{label} starts with a byte order mark")
    try:
        response.content.decode("utf-8")
    except UnicodeDecodeError as exc:
        found.append(f"{label} is not valid UTF-8 ({exc.reason} at byte {exc.start})")
    return found


@pytest.mark.requirement("EXP-10")
def test_json_is_utf8(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    problems: list[str] = []
    checked = []
    for collection in declared.collections:
        with declared.records(collection) as maker:
            created = maker.create()
            responses = [(f"{collection.read} (record {created.id})", maker.read(created.id))]
            for mt in declared_media_types(document, api.operations[collection.export].definition):
                if is_json_family(mt):
                    responses.append((f"{collection.export} as {mt}", fetch(api, collection, mt)))
            responses.append((f"{collection.list} (first page)", api.call(collection.list)))
            for label, response in responses:
                mt = media_type(response.headers.get("Content-Type"))
                if response.status_code != 200 or not is_json_family(mt):
                    evidence.append({"skipped": label, "status": response.status_code, "content_type": mt})
                    continue
                checked.append(label)
                problems.extend(utf8_problems(label, response))
    evidence.append({"checked": checked})
    if not checked:
        raise Undecided("no JSON response came back to check the encoding of")
    assert not problems, f"JSON that is not plain UTF-8: {listed(problems)}"


# --- EXP-11 -----------------------------------------------------------------------------------------


def date_problems(where: str, record: dict[str, Any], dates: dict[str, str]) -> list[str]:
    found = []
    for name, fmt in dates.items():
        value = record.get(name)
        if value in (None, ""):
            continue
        valid = is_rfc3339_date(value) if fmt == "date" else is_rfc3339_date_time(value)
        if not valid:
            expected = "full-date (YYYY-MM-DD)" if fmt == "date" else "date-time with an offset"
            found.append(f"{where}: {name}={ascii(value)[:60]} is not an RFC 3339 {expected}")
    return found


@pytest.mark.requirement("EXP-11")
def test_dates_are_rfc3339(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    problems: list[str] = []
    any_dates = False
    for collection in declared.collections:
        dates = date_properties(document, record_schema(document, api, collection))
        evidence.append({"collection": collection.name, "date_properties": dates})
        if not dates:
            continue
        any_dates = True
        with declared.records(collection) as maker:
            created = maker.create()
            read = maker.read(created.id)
            if read.status_code == 200:
                body = json_body(read)
                problems.extend(date_problems(f"{collection.read}", body if isinstance(body, dict) else {}, dates))
            for mt in open_media_types(document, api.operations[collection.export].definition):
                response = fetch(api, collection, mt)
                if response.status_code != 200:
                    continue
                try:
                    parsed = parse(
                        kind_of(mt), response.content, response.headers.get("Content-Type"), collection.id_field
                    )
                except FormatError as exc:
                    evidence.append({"unparsed": mt, "why": str(exc)})
                    continue
                record = parsed.by_id(collection.id_field).get(created.id)
                if record is None:
                    evidence.append({"missing": created.id, "format": mt})
                    continue
                problems.extend(date_problems(f"{collection.export} as {mt}", record, dates))
    if not any_dates:
        not_applicable("no record property is declared with format date or date-time")
    assert not problems, f"dates that are not RFC 3339: {listed(problems)}"


# --- EXP-12 -----------------------------------------------------------------------------------------


@pytest.mark.requirement("EXP-12")
def test_exports_offer_open_formats(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    problems: list[str] = []
    for collection in declared.collections:
        op = api.operations[collection.export].definition
        media_types = declared_media_types(document, op)
        offered = open_media_types(document, op)
        evidence.append({"export": collection.export, "declared": media_types, "open": offered})
        if not offered:
            problems.append(
                f"{collection.export} offers no open format (declared: {', '.join(media_types) or 'none'}); "
                "offer CSV, JSON, NDJSON or GeoJSON"
            )
            continue
        with declared.records(collection) as maker:
            maker.create()
            for mt in offered:
                problems.extend(format_problems(api, collection, mt))
    assert not problems, listed(problems)


def format_problems(api: ApiClient, collection: Collection, mt: str) -> list[str]:
    label = f"{collection.export} as {mt}"
    response = fetch(api, collection, mt)
    if response.status_code != 200:
        return [f"{label}: HTTP {response.status_code} for Accept: {mt}"]
    content_type = response.headers.get("Content-Type", "")
    got = media_type(content_type)
    if got != mt:
        return [f"{label}: answered with Content-Type {got or 'none'}"]
    found = []
    kind = kind_of(mt)
    if kind == "csv":
        params = media_params(content_type)
        if params.get("header", "").lower() == "absent":
            found.append(f"{label}: says header=absent; the CSV must start with a header row")
        charset = params.get("charset")
        if charset is not None and charset.lower() not in ("utf-8", "utf8"):
            found.append(f"{label}: charset={charset}, not UTF-8")
    try:
        parsed = parse(kind, response.content, content_type, collection.id_field)
    except FormatError as exc:
        return [*found, f"{label}: {exc}"]
    if kind == "csv" and collection.id_field not in parsed.header:
        found.append(
            f"{label}: the first row is not a header row naming the columns "
            f"(no {collection.id_field!r} column; first row: {ascii(parsed.header[:4])[:120]})"
        )
    return found


# --- EXP-13 -----------------------------------------------------------------------------------------


@pytest.mark.requirement("EXP-13")
def test_csv_exports_are_described(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    problems: list[str] = []
    with_csv = [
        c for c in declared.collections if CSV in declared_media_types(document, api.operations[c.export].definition)
    ]
    if not with_csv:
        not_applicable("no declared export offers text/csv")
    for collection in with_csv:
        label = f"{collection.export} as text/csv"
        with declared.records(collection) as maker:
            maker.create()
            response = fetch(api, collection, CSV)
            if response.status_code != 200:
                problems.append(f"{label}: HTTP {response.status_code}")
                continue
            link = link_with_rel(response, "describedby")
            if link is None:
                problems.append(
                    f'{label}: no `Link: <...>; rel="describedby"` header points to CSVW metadata or a Table Schema'
                )
                continue
            evidence.append({"describedby": link})
            try:
                description = fetch_json(api, link)
                columns = csvw_columns(
                    description, response.url, lambda u, base=link: fetch_json(api, urljoin(base, u))
                )
                if columns is None:
                    columns = frictionless_columns(description)
                if columns is None:
                    raise AssertionError(
                        "it is neither CSVW metadata (tableSchema.columns) nor a Table Schema (fields)"
                    )
                text = decode(response.content, response.headers.get("Content-Type"))
                header = has_header_row(description)
                parsed = parse_csv(text, None if header else [c.title for c in columns])
            except (AssertionError, FormatError) as exc:
                problems.append(f"{label}: the description at {link} is unusable: {exc}")
                continue
            evidence.append({"columns": [c.title for c in columns], "header_row": header, "rows": len(parsed.records)})
            problems.extend(validate_csv(parsed, columns, label))
    assert not problems, listed(problems)


# --- EXP-14 -----------------------------------------------------------------------------------------

PROBLEM_MEMBERS = {"type": str, "title": str, "detail": str, "instance": str}


def problem_problems(label: str, response: requests.Response) -> list[str]:
    mt = media_type(response.headers.get("Content-Type"))
    if mt != "application/problem+json":
        return [f"{label}: HTTP {response.status_code} came as {mt or 'no content type'}, not application/problem+json"]
    try:
        body = json.loads(decode(response.content, response.headers.get("Content-Type")))
    except (ValueError, FormatError) as exc:
        return [f"{label}: the problem details are not JSON: {exc}"]
    if not isinstance(body, dict):
        return [f"{label}: the problem details are not a JSON object"]
    found = []
    for name, kind in PROBLEM_MEMBERS.items():
        if name in body and not isinstance(body[name], kind):
            found.append(f"{label}: member {name!r} is not a string")
    if "status" in body and (not isinstance(body["status"], int) or body["status"] != response.status_code):
        found.append(f"{label}: member 'status' is {body['status']!r}, the response is {response.status_code}")
    return found


@pytest.mark.requirement("EXP-14")
def test_errors_are_problem_details(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    probes: list[tuple[str, requests.Response]] = []
    for collection in declared.collections:
        with declared.records(collection) as maker:
            if collection.delete is not None:
                gone = maker.create()
                maker.delete(gone)
                missing_id = gone.id
            else:
                missing_id = f"conformance-missing-{declared.seed}"
            probes.append((f"{collection.read} of a missing record", maker.read(missing_id)))
        mt, _ = create_schema(document, api, collection)
        probes.append(
            (
                f"{collection.create} with a JSON array for a body",
                api.call(collection.create, data=b"[]", headers={"Content-Type": mt}),
            )
        )
        if api.target.headers:
            probes.append(
                (f"{collection.export} without credentials", api.call(collection.export, authenticated=False))
            )
    problems: list[str] = []
    errors = 0
    for label, response in probes:
        evidence.append(
            {"probe": label, "status": response.status_code, "content_type": response.headers.get("Content-Type", "")}
        )
        if response.status_code < 400:
            continue
        errors += 1
        problems.extend(problem_problems(label, response))
    if errors == 0:
        raise Undecided("none of the probes provoked an error response")
    assert not problems, listed(problems)


# --- EXP-15 -----------------------------------------------------------------------------------------


def undescribed(document: dict[str, Any], schema: Any, path: str, seen: set[int]) -> list[str]:
    resolved = resolve(document, schema)
    if not isinstance(resolved, dict) or id(resolved) in seen:
        return []
    seen.add(id(resolved))
    found = []
    for name, raw in (resolved.get("properties") or {}).items():
        target = resolve(document, raw)
        description = (raw.get("description") if isinstance(raw, dict) else None) or (
            target.get("description") if isinstance(target, dict) else None
        )
        if not str(description or "").strip():
            found.append(f"{path}.{name}")
        found.extend(undescribed(document, raw, f"{path}.{name}", seen))
    for key in ("items", "additionalProperties"):
        if isinstance(resolved.get(key), dict):
            found.extend(undescribed(document, resolved[key], f"{path}[]" if key == "items" else f"{path}.*", seen))
    for key in ("allOf", "anyOf", "oneOf"):
        for part in resolved.get(key) or []:
            found.extend(undescribed(document, part, path, seen))
    return found


@pytest.mark.requirement("EXP-15")
def test_exported_properties_are_described(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    missing: list[str] = []
    for collection in declared.collections:
        op = api.operations[collection.export].definition
        seen: set[int] = set()
        for code, response in (op.get("responses") or {}).items():
            for mt, media in (resolve(document, response).get("content") or {}).items():
                schema = (media or {}).get("schema")
                if schema is not None:
                    missing.extend(undescribed(document, schema, f"{collection.export} {code} {mt}:", seen))
    evidence.append({"undescribed": missing})
    assert not missing, (
        f"{len(missing)} exported propert{'y has' if len(missing) == 1 else 'ies have'} no "
        f"description: {listed([m.replace(':.', ': ') for m in missing])}"
    )
