"""Media types: which ones are open formats, and which parser each needs."""

JSON = "application/json"
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines")
GEOJSON = "application/geo+json"
CSV = "text/csv"
# Open formats, most structured first: a check reads an export in the first of these it offers.
PREFERENCE = (JSON, GEOJSON, *NDJSON_TYPES, CSV)


def media_type(content_type: str | None) -> str:
    """`text/csv; charset=utf-8` -> `text/csv` (lower case)."""
    return (content_type or "").split(";")[0].strip().lower()


def media_params(content_type: str | None) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip():
            params[name.strip().lower()] = value.strip().strip('"')
    return params


def is_json_family(mt: str) -> bool:
    return mt == JSON or mt.endswith("+json") or mt in NDJSON_TYPES


def kind_of(mt: str) -> str:
    """The parser a media type needs: json, geojson, ndjson, csv, or '' when it is not an open format."""
    if mt == GEOJSON:
        return "geojson"
    if mt == JSON:
        return "json"
    if mt in NDJSON_TYPES:
        return "ndjson"
    if mt == CSV:
        return "csv"
    return ""
