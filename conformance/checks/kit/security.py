"""What a document declares about credentials: its security schemes, and query parameters that carry one.

Judged only by declarations, never by a parameter's name: a pagination cursor called `_token` is not a
credential, while an `in: query` API key is one whatever it is called.
"""

from typing import Any

from conformance.operations import all_operations, resolve


def declared_security_schemes(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The security schemes by name (OpenAPI 3 components.securitySchemes or Swagger 2 securityDefinitions),
    each with its $ref resolved."""
    raw = (document.get("components") or {}).get("securitySchemes") or document.get("securityDefinitions") or {}
    schemes = {}
    for name, scheme in raw.items():
        resolved = resolve(document, scheme)
        schemes[str(name)] = resolved if isinstance(resolved, dict) else {}
    return schemes


def credentials_in_query(document: dict[str, Any], schemes: dict[str, dict[str, Any]]) -> list[str]:
    """Query parameters the document itself declares as credentials ($refs resolved): the named credential
    of an API-key scheme that travels elsewhere (an in: query scheme says so itself), or a password."""
    credential_names = {
        str(scheme.get("name")): name
        for name, scheme in schemes.items()
        if scheme.get("type") == "apiKey" and scheme.get("in") != "query" and scheme.get("name")
    }
    found = []
    for path, method, definition in all_operations(document):
        path_item = resolve(document, (document.get("paths") or {}).get(path)) or {}
        for raw in [*(path_item.get("parameters") or []), *(definition.get("parameters") or [])]:
            parameter = resolve(document, raw)
            if not isinstance(parameter, dict) or parameter.get("in") != "query":
                continue
            name = str(parameter.get("name", ""))
            where = f"{method.upper()} {path} takes"
            if name in credential_names:
                found.append(f"{where} the credential of {credential_names[name]} ({name!r}) in the query string")
            elif _format(document, parameter) == "password":
                found.append(f"{where} a password ({name!r}, format: password) in the query string")
    return found


def _format(document: dict[str, Any], parameter: dict[str, Any]) -> Any:
    """A parameter's format: Swagger 2 puts it on the parameter, OpenAPI 3 in its schema."""
    schema = resolve(document, parameter.get("schema") or {})
    return parameter.get("format") or (schema.get("format") if isinstance(schema, dict) else None)
