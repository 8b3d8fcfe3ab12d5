"""Open-standard export content: encodings, dates, open formats, CSV column descriptions, errors, documentation.

Each check reads the supplier declaration (`x-conformance`), creates the few records it needs (deleting
them again where the API can delete), and looks at what the export really returns. A check passes only on
what it examined: a response it could not read leaves the requirement undecided, never passed.
"""

import json
from collections.abc import Iterator
from typing import Any

import requests

from conformance.checks.kit.decides import Decides
from conformance.checks.kit.declared import DeclaredCollections
from conformance.checks.kit.document import date_properties, declared_media_types, open_media_types, record_schema
from conformance.checks.kit.evidence import observed
from conformance.checks.kit.exports import FormatError, Parsed, decode, fetch, parse, parse_csv
from conformance.checks.kit.outcomes import Undecided, listed, not_applicable
from conformance.checks.kit.pagination import link_with_rel
from conformance.checks.kit.records import create_schema, json_body
from conformance.checks.kit.rfc3339 import is_rfc3339_date, is_rfc3339_date_time
from conformance.checks.kit.table_schema import MAX_ROWS, linked_description, validate_csv
from conformance.client import ApiClient
from conformance.declaration import Collection
from conformance.media_types import CSV, is_json_family, kind_of, media_params, media_type
from conformance.operations import resolve

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


def test_json_is_utf8(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    problems: list[str] = []
    unexamined: list[str] = []
    checked = 0
    for collection in declared.collections:
        with declared.records(collection) as maker:
            created = maker.create()
            assert created.response is not None
            responses = [
                (f"{collection.create} (the new record)", created.response),
                (f"{collection.read} (record {created.id})", maker.read(created.id)),
            ]
            for mt in declared_media_types(document, api.operations[collection.export].definition):
                if is_json_family(mt):
                    responses.append((f"{collection.export} as {mt}", fetch(api, collection, mt)))
            responses.append((f"{collection.list} (first page)", api.call(collection.list)))
        for label, response in responses:
            mt = media_type(response.headers.get("Content-Type"))
            if not 200 <= response.status_code < 300:
                unexamined.append(f"{label} answered HTTP {response.status_code}")
                evidence.append(observed(response, label, content_type=mt, examined=False))
            elif not is_json_family(mt):
                evidence.append(observed(response, label, content_type=mt, examined=False, why="not JSON"))
            else:
                found = utf8_problems(label, response)
                checked += 1
                evidence.append(observed(response, label, content_type=mt, utf8=not found))
                problems.extend(found)
    assert not problems, f"JSON that is not plain UTF-8: {listed(problems)}"
    if unexamined:
        raise Undecided(f"not every JSON response could be examined: {listed(unexamined)}")
    if not checked:
        not_applicable("none of the responses examined (create, read, list, JSON exports) is JSON")


# --- EXP-11 -----------------------------------------------------------------------------------------


def date_problems(where: str, record: dict[str, Any], dates: dict[str, str]) -> tuple[list[str], int]:
    """Date values of `record` that are not RFC 3339, and how many date values there were."""
    found, seen = [], 0
    for name, fmt in dates.items():
        value = record.get(name)
        if value in (None, ""):
            continue
        seen += 1
        valid = is_rfc3339_date(value) if fmt == "date" else is_rfc3339_date_time(value)
        if not valid:
            expected = "full-date (YYYY-MM-DD)" if fmt == "date" else "date-time with an offset"
            found.append(f"{where}: {name}={ascii(value)[:60]} is not an RFC 3339 {expected}")
    return found, seen


def read_export(api: ApiClient, response: requests.Response, mt: str, collection: Collection) -> Parsed:
    """An export's records; a CSV that says header=absent (RFC 4180) is read with the columns its description
    names. FormatError when it cannot be read."""
    content_type = response.headers.get("Content-Type")
    if kind_of(mt) != "csv" or media_params(content_type).get("header", "").lower() != "absent":
        return parse(kind_of(mt), response.content, content_type, collection.id_field)
    link = link_with_rel(response, "describedby")
    if link is None:
        raise FormatError('it says header=absent and links no description (rel="describedby") naming its columns')
    try:
        _, description = linked_description(api, link, response.url)
    except AssertionError as exc:
        raise FormatError(f"it says header=absent and its description at {link} is unusable: {exc}") from None
    if description is None:
        raise FormatError(f"it says header=absent and {link} is neither CSVW metadata nor a Table Schema")
    return parse_csv(decode(response.content, content_type), description.titles)


def created_record(
    api: ApiClient, response: requests.Response, mt: str, collection: Collection, record_id: str
) -> tuple[dict[str, Any] | None, str]:
    """The record `record_id` in a read (mt "") or export response, or None and why it is not there to examine."""
    if response.status_code != 200:
        return None, f"HTTP {response.status_code}"
    if mt == "":
        body = json_body(response)
        return (body, "") if isinstance(body, dict) and body else (None, "the body is not a JSON object")
    try:
        parsed = read_export(api, response, mt, collection)
    except FormatError as exc:
        return None, str(exc)
    record = parsed.by_id(collection.id_field).get(record_id)
    return (record, "") if record is not None else (None, f"record {record_id} is not in it")


def test_dates_are_rfc3339(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    problems: list[str] = []
    unexamined: list[str] = []
    values = 0
    dated = False
    for collection in declared.collections:
        dates = date_properties(document, record_schema(document, api, collection))
        if not dates:
            evidence.append({"collection": collection.name, "date_properties": {}})
            continue
        dated = True
        with declared.records(collection) as maker:
            created = maker.create()
            sources = [(collection.read, "", maker.read(created.id))]
            for mt in open_media_types(document, api.operations[collection.export].definition):
                sources.append((f"{collection.export} as {mt}", mt, fetch(api, collection, mt)))
        for label, mt, response in sources:
            record, why = created_record(api, response, mt, collection, created.id)
            if record is None:
                unexamined.append(f"{label}: {why}")
                evidence.append(observed(response, label, examined=False, why=why))
                continue
            found, seen = date_problems(label, record, dates)
            values += seen
            problems.extend(found)
            shown = {n: record[n] for n in dates if record.get(n) not in (None, "")}
            evidence.append(observed(response, label, record=created.id, dates=shown))
    if not dated:
        not_applicable("no record property is declared with format date or date-time")
    assert not problems, f"dates that are not RFC 3339: {listed(problems)}"
    if unexamined:
        raise Undecided(f"not every read and export of the created record could be examined: {listed(unexamined)}")
    if not values:
        raise Undecided("the records created carried no value for any date property, so no date was examined")


# --- EXP-12 -----------------------------------------------------------------------------------------


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
                response = fetch(api, collection, mt)
                found, records = format_problems(response, collection, mt)
                evidence.append(observed(response, f"{collection.export} as {mt}", records=records, problems=found))
                problems.extend(found)
    assert not problems, listed(problems)


def format_problems(response: requests.Response, collection: Collection, mt: str) -> tuple[list[str], int]:
    """What is wrong with one export response in format `mt`, and how many records it parsed into."""
    label = f"{collection.export} as {mt}"
    if response.status_code != 200:
        return [f"{label}: HTTP {response.status_code} for Accept: {mt}"], 0
    content_type = response.headers.get("Content-Type", "")
    got = media_type(content_type)
    if got != mt:
        return [f"{label}: answered with Content-Type {got or 'none'}"], 0
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
        return [*found, f"{label}: {exc}"], 0
    if kind == "csv" and collection.id_field not in parsed.header:
        found.append(
            f"{label}: the first row is not a header row naming the columns "
            f"(no {collection.id_field!r} column; first row: {ascii(parsed.header[:4])[:120]})"
        )
    return found, len(parsed.records)


# --- EXP-13 -----------------------------------------------------------------------------------------


def test_csv_exports_are_described(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    with_csv = [
        c for c in declared.collections if CSV in declared_media_types(document, api.operations[c.export].definition)
    ]
    if not with_csv:
        not_applicable("no declared export offers text/csv")
    problems: list[str] = []
    undecided: list[str] = []
    for collection in with_csv:
        with declared.records(collection) as maker:
            maker.create()
            response = fetch(api, collection, CSV)
        found, unchecked = csv_description_problems(api, response, f"{collection.export} as text/csv", evidence)
        problems.extend(found)
        undecided.extend(unchecked)
    assert not problems, listed(problems)
    if undecided:
        raise Undecided(f"not every CSV cell could be checked: {listed(undecided)}")


def csv_description_problems(
    api: ApiClient, response: requests.Response, label: str, evidence: list[dict[str, Any]]
) -> tuple[list[str], list[str]]:
    """Problems of one CSV export against the description it links, and what could not be checked."""
    if response.status_code != 200:
        evidence.append(observed(response, label))
        return [f"{label}: HTTP {response.status_code}"], []
    link = link_with_rel(response, "describedby")
    if link is None:
        evidence.append(observed(response, label, describedby=None))
        return [f'{label}: no `Link: <...>; rel="describedby"` header points to CSVW metadata or a Table Schema'], []
    try:
        fetched, description = linked_description(api, link, response.url)
        evidence.append(observed(fetched, "the CSV's description"))
        if description is None:
            raise AssertionError("it is neither CSVW metadata (tableSchema.columns) nor a Table Schema (fields)")
        text = decode(response.content, response.headers.get("Content-Type"))
        parsed = parse_csv(text, None if description.header else description.titles)
    except (AssertionError, FormatError) as exc:
        evidence.append(observed(response, label, describedby=link))
        return [f"{label}: the description at {link} is unusable: {exc}"], []
    found = validate_csv(parsed, description, label)
    rows = min(len(parsed.records), MAX_ROWS)
    evidence.append(
        observed(response, label, describedby=link, description=description.kind, columns=description.titles, rows=rows)
    )
    unchecked = [f"{label}: {why}" for why in description.unchecked]
    if not parsed.records:
        unchecked.append(f"{label}: the CSV holds no rows, not even the record just created")
    return found, unchecked


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
        mt = media_type(response.headers.get("Content-Type"))
        if response.status_code < 400:
            evidence.append(observed(response, label, content_type=mt, examined=False, why="not an error"))
            continue
        errors += 1
        found = problem_problems(label, response)
        evidence.append(observed(response, label, content_type=mt, problems=found))
        problems.extend(found)
    if errors == 0:
        raise Undecided("none of the probes provoked an error response, so no error response was examined")
    assert not problems, listed(problems)


# --- EXP-15 -----------------------------------------------------------------------------------------


def declared_properties(document: dict[str, Any], schema: Any, path: str, seen: set[int]) -> Iterator[tuple[str, bool]]:
    """Every property path a schema declares, nested ones included, and whether it has a description."""
    resolved = resolve(document, schema)
    if not isinstance(resolved, dict) or id(resolved) in seen:
        return
    seen.add(id(resolved))
    for name, raw in (resolved.get("properties") or {}).items():
        target = resolve(document, raw)
        description = (raw.get("description") if isinstance(raw, dict) else None) or (
            target.get("description") if isinstance(target, dict) else None
        )
        yield f"{path}.{name}", bool(str(description or "").strip())
        yield from declared_properties(document, raw, f"{path}.{name}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(resolved.get(key), dict):
            yield from declared_properties(
                document, resolved[key], f"{path}[]" if key == "items" else f"{path}.*", seen
            )
    for key in ("allOf", "anyOf", "oneOf"):
        for part in resolved.get(key) or []:
            yield from declared_properties(document, part, path, seen)


def undescribed(document: dict[str, Any], schema: Any, path: str, seen: set[int]) -> list[str]:
    return [where for where, described in declared_properties(document, schema, path, seen) if not described]


def success_schemas(document: dict[str, Any], op: dict[str, Any]) -> dict[str, int]:
    """'status media-type' -> how many properties it declares, for every success response that has content."""
    counts = {}
    for code, response in (op.get("responses") or {}).items():
        if str(code).startswith("2"):
            for mt, media in (resolve(document, response).get("content") or {}).items():
                schema = (media or {}).get("schema")
                counts[f"{code} {media_type(mt)}"] = len(list(declared_properties(document, schema, "", set())))
    return counts


def test_exported_properties_are_described(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    missing: list[str] = []
    problems: list[str] = []
    schemaless: list[str] = []
    for collection in declared.collections:
        op = api.operations[collection.export].definition
        seen: set[int] = set()
        here = []
        for code, response in (op.get("responses") or {}).items():
            for mt, media in (resolve(document, response).get("content") or {}).items():
                schema = (media or {}).get("schema")
                if schema is not None:
                    here.extend(undescribed(document, schema, f"{collection.export} {code} {mt}:", seen))
        missing.extend(here)
        examined = success_schemas(document, op)
        evidence.append({"export": collection.export, "properties_declared": examined, "undescribed": here})
        if sum(examined.values()):
            continue
        json_like = [where for where in examined if is_json_family(where.split(" ", 1)[1])]
        if json_like:
            problems.append(
                f"{collection.export} declares no record properties for its {', '.join(json_like)} "
                "response (no schema, or one without properties), so what it exports is described nowhere"
            )
        else:
            schemaless.append(f"{collection.export} ({', '.join(examined) or 'no content'})")
    assert not problems, listed(problems)
    assert not missing, (
        f"{len(missing)} exported propert{'y has' if len(missing) == 1 else 'ies have'} no "
        f"description: {listed([m.replace(':.', ': ') for m in missing])}"
    )
    if len(schemaless) == len(declared.collections):
        not_applicable(
            f"no export declares a structured format with record properties ({listed(schemaless)}); "
            "CSV columns are described by the CSV's own description (EXP-13)"
        )


# What each check decides (a table, not decorators, so that mutation testing reaches the checks: kit/decides.py).
DECIDES = {
    test_json_is_utf8: Decides("EXP-10"),
    test_dates_are_rfc3339: Decides("EXP-11"),
    test_exports_offer_open_formats: Decides("EXP-12"),
    test_csv_exports_are_described: Decides("EXP-13"),
    test_errors_are_problem_details: Decides("EXP-14"),
    test_exported_properties_are_described: Decides("EXP-15", from_document=True),
}
