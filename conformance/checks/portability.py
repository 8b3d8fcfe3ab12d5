"""Data portability: a council can take all of its records away, complete and unchanged, and bring them back.

Each check creates a handful of records marked with the run's seed (with Welsh, accented, decomposed and
emoji text), looks for them where they must be, and deletes them again where the API can delete.
"""

import math
import re
from collections import Counter
from typing import Any

from conformance.checks.kit.decides import Decides
from conformance.checks.kit.declared import DeclaredCollections
from conformance.checks.kit.document import date_properties, open_media_types, parameters, record_schema
from conformance.checks.kit.evidence import observed
from conformance.checks.kit.exports import FormatError, differences, export, export_in, fetch, parse
from conformance.checks.kit.outcomes import listed, not_applicable
from conformance.checks.kit.pagination import page_size_bounds, page_size_parameter, walk
from conformance.checks.kit.records import Created, RecordMaker
from conformance.checks.kit.rfc3339 import epoch_seconds, format_epoch, is_rfc3339_date_time
from conformance.client import ApiClient
from conformance.declaration import Collection
from conformance.media_types import kind_of, media_type
from conformance.operations import resolve

SINCE_NAMES = (
    "since",
    "modifiedSince",
    "modified_since",
    "updatedSince",
    "updated_since",
    "changedSince",
    "changed_since",
    "updatedAfter",
    "updated_after",
    "modifiedAfter",
    "modified_after",
)
MODIFIED_NAME = re.compile(r"(updated|modified|changed)", re.I)


# --- PORT-01 ----------------------------------------------------------------------------------------


def record_paths(document: dict[str, Any]) -> dict[str, list[str]]:
    """Paths that both list (GET) and create (POST) records -> their two operations' ids (or METHOD path)."""
    found = {}
    for path, item in (document.get("paths") or {}).items():
        if isinstance(item, dict) and isinstance(item.get("get"), dict) and isinstance(item.get("post"), dict):
            found[path] = [str(item[m].get("operationId", f"{m.upper()} {path}")) for m in ("get", "post")]
    return found


def export_problems(document: dict[str, Any], api: ApiClient, collection: Collection) -> list[str]:
    """Why a collection's export is not a full export: not a GET, or required parameters."""
    found = api.operations[collection.export]
    problems = []
    if found.method != "get":
        method = found.method.upper()
        problems.append(f"collection {collection.name!r}: export {collection.export} is {method}, not GET")
    required = [
        p["name"] for p in parameters(document, api, collection.export) if p.get("required") and p.get("in") != "path"
    ]
    if required:
        problems.append(
            f"collection {collection.name!r}: export {collection.export} requires {', '.join(required)}, "
            "so it is not a full export"
        )
    return problems


def test_every_collection_has_a_full_export(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    paths = record_paths(document)
    if not paths:
        not_applicable("no path both lists (GET) and creates (POST) records, so no collection falls under PORT-01")
    problems: list[str] = []
    undeclared = []
    for path, ops in paths.items():
        owner = next(
            (
                c
                for c in declared.collections
                if set(ops) & {op for op in (c.create, c.read, c.list, c.export, c.update, c.delete, c.import_) if op}
            ),
            None,
        )
        if owner is None:
            undeclared.append(f"{path} ({', '.join(ops)})")
            evidence.append({"path": path, "operations": ops, "collection": None})
            continue
        found = export_problems(document, api, owner)
        export = api.operations[owner.export]
        evidence.append(
            {
                "path": path,
                "operations": ops,
                "collection": owner.name,
                "export": f"{export.method.upper()} {export.path}",
                "problems": found,
            }
        )
        problems.extend(p for p in found if p not in problems)
    if undeclared:
        problems.append(
            f"the API keeps records at {', '.join(undeclared)} with no declared collection and export; "
            "add each to x-conformance.collections with an export operation"
        )
    assert not problems, listed(problems)


# --- PORT-02 ----------------------------------------------------------------------------------------


def test_export_holds_created_records_unchanged(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    problems: list[str] = []
    for collection in declared.collections:
        formats = date_properties(document, record_schema(document, api, collection))
        with declared.records(collection) as maker:
            created = [maker.create(), maker.create(), maker.create(full=False)]
            exported = export(api, document, collection)
            index = exported.parsed.by_id(collection.id_field)
            textual = exported.parsed.kind == "csv"
            for record in created:
                got = index.get(record.id)
                if got is None:
                    problems.append(f"record {record.id} created by {collection.create} is not in the export")
                else:
                    problems.extend(differences(record.sent, got, formats, textual, record.id))
            compared = {r.id: sorted(r.sent) for r in created}
            label = f"{collection.export} as {exported.media_type}"
            evidence.append(observed(exported.response, label, records=len(exported.parsed.records), compared=compared))
    assert not problems, listed(problems)


# --- PORT-03 ----------------------------------------------------------------------------------------


def duplicates(ids: list[str]) -> list[str]:
    return [i for i, n in Counter(ids).items() if n > 1]


def test_pagination_is_complete_and_stable(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    problems: list[str] = []
    for collection in declared.collections:
        with declared.records(collection) as maker:
            mine = [maker.create(full=False).id for _ in range(3)]
            default = walk(api, document, collection, None)
            size_param = page_size_parameter(document, api, collection)
            walks = [(f"default pages ({default.pages} pages)", default)]
            if size_param is not None:
                low, high = page_size_bounds(size_param)
                size = min(high, max(low, 2, math.ceil(len(set(default.ids)) / 100)))
                for attempt in (1, 2):
                    small = walk(api, document, collection, size)
                    walks.append((f"pages of {size} (walk {attempt}, {small.pages} pages)", small))
            evidence.extend(w.seen(f"{collection.list}, {label}") for label, w in walks)
            evidence.append({"collection": collection.name, "created": mine})
            for label, walked in walks:
                repeated = duplicates(walked.ids)
                if repeated:
                    problems.append(
                        f"{collection.list}, {label}: records {', '.join(repeated[:10])} came more than once"
                    )
                lost = [i for i in mine if i not in walked.ids]
                if lost:
                    problems.append(f"{collection.list}, {label}: created records {', '.join(lost)} never came")
            if len(walks) == 3 and walks[1][1].ids != walks[2][1].ids:
                problems.append(f"{collection.list}: two walks with the same page size gave different sequences")
            if len(walks) == 3 and set(walks[0][1].ids) != set(walks[1][1].ids):
                only = sorted(set(walks[0][1].ids) ^ set(walks[1][1].ids))[:10]
                problems.append(f"{collection.list}: the default and small page sizes give different records ({only})")
    assert not problems, listed(problems)


# --- PORT-04 ----------------------------------------------------------------------------------------


def test_deleted_records_disappear(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    deletable = [c for c in declared.collections if c.delete]
    if not deletable:
        not_applicable("no declared collection has a delete operation")
    problems: list[str] = []
    for collection in deletable:
        with declared.records(collection) as maker:
            kept = maker.create(full=False)
            gone = maker.create()
            response = maker.delete(gone)
            evidence.append(observed(response, f"{collection.delete} of record {gone.id}"))
            if not 200 <= response.status_code < 300:
                problems.append(f"{collection.delete} of record {gone.id} answered HTTP {response.status_code}")
                continue
            read = maker.read(gone.id)
            evidence.append(observed(read, f"{collection.read} of deleted record {gone.id}"))
            if read.status_code not in (404, 410):
                problems.append(
                    f"{collection.read} of deleted record {gone.id} answered HTTP {read.status_code}, not 404 or 410"
                )
            walked = walk(api, document, collection, None)
            evidence.append(walked.seen(f"{collection.list}: is {gone.id} gone, is {kept.id} still there"))
            if gone.id in walked.ids:
                problems.append(f"deleted record {gone.id} is still listed by {collection.list}")
            if kept.id not in walked.ids:
                evidence.append({"note": f"record {kept.id} that was not deleted is missing from the list"})
            exported = export(api, document, collection)
            label = f"{collection.export} as {exported.media_type}: is {gone.id} gone"
            evidence.append(observed(exported.response, label, records=len(exported.parsed.records)))
            if gone.id in exported.parsed.by_id(collection.id_field):
                problems.append(f"deleted record {gone.id} is still in the export ({exported.media_type})")
    assert not problems, listed(problems)


# --- PORT-05 ----------------------------------------------------------------------------------------


def import_media_type(document: dict[str, Any], api: ApiClient, collection: Collection) -> str | None:
    assert collection.import_ is not None
    body = resolve(document, api.operations[collection.import_].definition.get("requestBody") or {})
    accepted = [media_type(mt) for mt in (body.get("content") or {})]
    offered = open_media_types(document, api.operations[collection.export].definition)
    return next((mt for mt in offered if mt in accepted), None)


def test_import_round_trip(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    importing = [c for c in declared.collections if c.import_]
    if not importing:
        not_applicable("no declared collection has an import operation (x-conformance.collections[].import)")
    problems: list[str] = []
    for collection in importing:
        mt = import_media_type(document, api, collection)
        if mt is None:
            problems.append(f"{collection.import_} accepts none of the open formats {collection.export} offers")
            continue
        formats = date_properties(document, record_schema(document, api, collection))
        with declared.records(collection) as maker:
            made = [maker.create(), maker.create()]
            exported = export_in(api, collection, mt)
            before = exported.parsed
            label = f"{collection.export} as {mt}, before"
            evidence.append(observed(exported.response, label, records=len(before.records)))
            index = before.by_id(collection.id_field)
            mine = [index[c.id] for c in made if c.id in index]
            if len(mine) != len(made):
                problems.append(f"the records just created are not all in the export ({mt}), so nothing to import")
                continue
            if collection.delete:
                for created in made:
                    maker.delete(created)
            response = api.call(collection.import_, data=before.rebuild(mine), headers={"Content-Type": mt})
            for record in mine:
                maker.adopt(str(record[collection.id_field]), record)
            imported = [c.id for c in made]
            removed = bool(collection.delete)
            evidence.append(observed(response, collection.import_, imported=imported, removed_first=removed))
            if not 200 <= response.status_code < 300:
                problems.append(
                    f"{collection.import_} refused what the export produced: HTTP {response.status_code} "
                    f"{response.text[:200]}"
                )
                continue
            again = export_in(api, collection, mt)
            after = again.parsed.by_id(collection.id_field)
            compared = {str(r[collection.id_field]): sorted(r) for r in mine}
            evidence.append(observed(again.response, f"{collection.export} as {mt}, after", compared=compared))
            textual = before.kind == "csv"
            for record in mine:
                record_id = str(record[collection.id_field])
                back = after.get(record_id)
                if back is None:
                    problems.append(f"record {record_id} is not in the export after the import")
                    continue
                problems.extend(f"after import, {p}" for p in differences(record, back, formats, textual, record_id))
                extra = sorted(set(back) - set(record))
                if extra:
                    problems.append(f"after import, record {record_id} has fields it did not have: {extra}")
    assert not problems, listed(problems)


# --- PORT-06 ----------------------------------------------------------------------------------------


def modified_field(document: dict[str, Any], api: ApiClient, collection: Collection) -> str | None:
    if collection.modified_field:
        return collection.modified_field
    schema = record_schema(document, api, collection)
    for name, fmt in date_properties(document, schema).items():
        if fmt == "date-time" and MODIFIED_NAME.search(name):
            return name
    return None


def test_records_carry_ids_and_modification_times(
    declared: DeclaredCollections, evidence: list[dict[str, Any]]
) -> None:
    document, api = declared.document, declared.api
    problems: list[str] = []
    for collection in declared.collections:
        field = modified_field(document, api, collection)
        evidence.append({"collection": collection.name, "id_field": collection.id_field, "modified_field": field})
        with declared.records(collection) as maker:
            made = [maker.create(), maker.create(full=False)]
            first = export(api, document, collection)
            second = export(api, document, collection)
            for label, exported in (("first", first), ("second", second)):
                shown = f"{collection.export} as {exported.media_type} ({label})"
                evidence.append(observed(exported.response, shown, records=len(exported.parsed.records)))
            ids = [
                str(r.get(collection.id_field))
                for r in first.parsed.records
                if r.get(collection.id_field) not in (None, "")
            ]
            if len(ids) != len(first.parsed.records):
                problems.append(
                    f"{len(first.parsed.records) - len(ids)} exported records have no {collection.id_field!r}"
                )
            repeated = duplicates(ids)
            if repeated:
                problems.append(f"identifiers {', '.join(repeated[:10])} appear more than once in the export")
            if set(ids) != {
                str(r.get(collection.id_field))
                for r in second.parsed.records
                if r.get(collection.id_field) not in (None, "")
            }:
                problems.append("two exports with nothing changed in between carry different identifiers")
            index = first.parsed.by_id(collection.id_field)
            for created in made:
                record = index.get(created.id)
                if record is None:
                    problems.append(f"record {created.id} is not in the export under the identifier the API gave it")
                    continue
                if field is None:
                    continue
                value = record.get(field)
                evidence.append({"record": created.id, "id_in_export": True, field: value})
                if value in (None, ""):
                    problems.append(f"record {created.id} has no {field!r} in the export")
                elif not is_rfc3339_date_time(value):
                    problems.append(f"record {created.id}: {field}={ascii(value)[:60]} is not an RFC 3339 date-time")
        if field is None:
            problems.append(
                f"collection {collection.name!r}: records carry no last-modified timestamp (a date-time property "
                "such as updatedAt, or declare x-conformance.collections[].modified-field)"
            )
    assert not problems, listed(problems)


# --- PORT-07 ----------------------------------------------------------------------------------------


def since_parameter(document: dict[str, Any], api: ApiClient, collection: Collection) -> str | None:
    for param in parameters(document, api, collection.export):
        if param.get("in") == "query" and param.get("name") in SINCE_NAMES:
            return str(param["name"])
    return None


def test_export_is_incremental(declared: DeclaredCollections, evidence: list[dict[str, Any]]) -> None:
    document, api = declared.document, declared.api
    problems: list[str] = []
    for collection in declared.collections:
        offered = open_media_types(document, api.operations[collection.export].definition)
        if not offered:
            problems.append(f"{collection.export} offers no open format to export incrementally")
            continue
        mt = offered[0]
        since = since_parameter(document, api, collection)
        field = modified_field(document, api, collection)
        mechanisms = []
        with declared.records(collection) as maker:
            first = maker.create(full=False)
            response = fetch(api, collection, mt)
            etag = response.headers.get("ETag")
            evidence.append(observed(response, f"{collection.export} as {mt}", etag=etag))
            if etag:
                mechanisms.append("ETag")
                problems.extend(etag_problems(api, collection, mt, etag, maker, evidence))
            if since:
                mechanisms.append(f"?{since}=")
                problems.extend(since_problems(api, collection, mt, since, field, first, evidence))
        evidence.append({"collection": collection.name, "mechanisms": mechanisms})
        if not mechanisms:
            problems.append(
                f"{collection.export} offers no incremental export: declare a `since` date-time query parameter, "
                "or send an ETag and answer If-None-Match with 304"
            )
    assert not problems, listed(problems)


def etag_problems(
    api: ApiClient, collection: Collection, mt: str, etag: str, maker: RecordMaker, evidence: list[dict[str, Any]]
) -> list[str]:
    unchanged = fetch(api, collection, mt, headers={"If-None-Match": etag})
    evidence.append(observed(unchanged, "If-None-Match with nothing changed", if_none_match=etag))
    found = []
    if unchanged.status_code != 304:
        found.append(
            f"{collection.export} with If-None-Match: {etag} (nothing changed) answered HTTP "
            f"{unchanged.status_code}, not 304"
        )
    maker.create(full=False)
    changed = fetch(api, collection, mt, headers={"If-None-Match": etag})
    evidence.append(observed(changed, "If-None-Match after a record was created", etag=changed.headers.get("ETag")))
    if changed.status_code != 200:
        found.append(
            f"{collection.export} with a stale If-None-Match answered HTTP {changed.status_code} after a "
            "record was created, not 200 with the new data"
        )
    elif changed.headers.get("ETag") == etag:
        found.append(f"{collection.export} kept ETag {etag} after a record was created")
    return found


def since_problems(
    api: ApiClient,
    collection: Collection,
    mt: str,
    since: str,
    field: str | None,
    created: Created,
    evidence: list[dict[str, Any]],
) -> list[str]:
    found = []
    past, future = format_epoch(created.at - 120), format_epoch(created.at + 3600)
    for value, expect in ((past, True), (future, False)):
        response = fetch(api, collection, mt, params={since: value})
        evidence.append(observed(response, f"{since} before and after record {created.id}", expect_record=expect))
        if response.status_code != 200:
            found.append(f"{collection.export}?{since}={value} answered HTTP {response.status_code}")
            continue
        try:
            parsed = parse(kind_of(mt), response.content, response.headers.get("Content-Type"), collection.id_field)
        except FormatError as exc:
            found.append(f"{collection.export}?{since}={value}: {exc}")
            continue
        present = created.id in parsed.by_id(collection.id_field)
        if present != expect:
            verb = "leaves out" if expect else "still includes"
            found.append(
                f"{collection.export}?{since}={value} {verb} record {created.id}, created at {format_epoch(created.at)}"
            )
        elif field:  # after, as before, the record: nothing modified before the time asked for belongs
            cutoff = epoch_seconds(value) - 1  # a second's grace: the time asked for is cut to whole seconds
            older = [
                str(r.get(collection.id_field))
                for r in parsed.records
                if is_rfc3339_date_time(r.get(field)) and epoch_seconds(r[field]) < cutoff
            ]
            if older:
                found.append(
                    f"{collection.export}?{since}={value} includes records modified before then: {', '.join(older[:5])}"
                )
    return found


# What each check decides (a table, not decorators, so that mutation testing reaches the checks: kit/decides.py).
DECIDES = {
    test_every_collection_has_a_full_export: Decides("PORT-01", from_document=True),
    test_export_holds_created_records_unchanged: Decides("PORT-02"),
    test_pagination_is_complete_and_stable: Decides("PORT-03"),
    test_deleted_records_disappear: Decides("PORT-04"),
    test_import_round_trip: Decides("PORT-05"),
    test_records_carry_ids_and_modification_times: Decides("PORT-06"),
    test_export_is_incremental: Decides("PORT-07"),
}
