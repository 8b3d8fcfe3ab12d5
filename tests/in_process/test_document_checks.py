"""The checks the document alone decides (EXP-01, EXP-02), in this process: each thing they require, missing
one at a time, fails them with its name; the document served by the conformant supplier passes them.

The documents are read the way a run reads them: fetched from a loopback server and loaded by `load_spec`.
"""

import json
from typing import Any

import pytest

from conformance.checks import document
from conformance.demo import RunningSupplier
from conformance.spec import load_spec
from conformance.target import Target
from tests.in_process.conftest import Ended, client, edited, ended
from tests.static_server import Canned, serve_static

SWAGGER = {"swagger": "2.0", "info": {"title": "Cases", "version": "1.0"}, "host": "127.0.0.1", "paths": {}}
NOT_STATED = "the document does not state: "
NEVER_STATED = ["info.version", "info.contact", "info.license or info.termsOfService", "servers"]


def served(openapi: dict[str, Any]) -> Target:
    """The target a run builds for `openapi`, fetched from a loopback server."""
    with serve_static({"/openapi.json": Canned(200, "application/json", json.dumps(openapi).encode())}) as base:
        spec = load_spec(f"{base}/openapi.json")
    return Target(spec=spec, base_url=base)


def stated(supplier: RunningSupplier, change: Any) -> Ended:
    """EXP-02 on the supplier's own document after `change` (a function that edits it in place)."""
    target = edited(client(supplier).target, change)
    return ended(document.test_document_states_version_contact_terms_and_servers, target=target)


def test_the_conformant_document_is_openapi_3_with_no_problem(conformant: RunningSupplier) -> None:
    target = client(conformant).target
    result = ended(document.test_described_by_openapi_3, target=target)
    assert result.outcome == "pass", result.message
    assert result.evidence == [{"spec_format": "openapi-3.0", "spec_sha256": target.spec.sha256, "problems": 0}]


def test_a_valid_swagger_2_document_fails_with_how_to_convert_it() -> None:
    target = served(SWAGGER)
    result = ended(document.test_described_by_openapi_3, target=target)
    assert (result.outcome, result.message) == (
        "fail",
        "the API is described in swagger-2.0; publish an OpenAPI 3.0 or 3.1 document "
        "(tools such as swagger2openapi convert Swagger 2.0)",
    )
    assert result.evidence == [{"spec_format": "swagger-2.0", "spec_sha256": target.spec.sha256, "problems": 0}]


def test_an_invalid_swagger_2_document_fails_for_both_reasons_with_each_problem() -> None:
    broken = {**SWAGGER, "info": {"version": "1.0"}}
    result = ended(document.test_described_by_openapi_3, target=served(broken))
    assert result.outcome == "fail"
    assert result.message == (
        "the API is described in swagger-2.0; publish an OpenAPI 3.0 or 3.1 document (tools such as swagger2openapi "
        "convert Swagger 2.0); the document is not a valid swagger-2.0 document: 1 problem(s), each in the "
        "evidence: at $.info.title: is required but missing"
    )
    assert result.evidence[0]["problems"] == 1 and len(result.evidence) == 2


def test_the_conformant_document_states_everything(conformant: RunningSupplier) -> None:
    result = stated(conformant, lambda openapi: None)
    assert (result.outcome, result.evidence) == ("pass", [{"missing": []}])


def test_a_document_stating_nothing_is_told_every_missing_part(conformant: RunningSupplier) -> None:
    def strip(openapi: dict[str, Any]) -> None:
        del openapi["info"], openapi["servers"]

    result = stated(conformant, strip)
    assert (result.outcome, result.message) == ("fail", NOT_STATED + ", ".join(NEVER_STATED))
    assert result.evidence == [{"missing": NEVER_STATED}]


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        (lambda info: info.pop("version"), "info.version"),
        (lambda info: info.update(version="  "), "info.version"),
        (lambda info: info.pop("contact"), "info.contact"),
        (lambda info: (info.pop("license", None), info.pop("termsOfService", None)), NEVER_STATED[2]),
    ],
    ids=["no-version", "blank-version", "no-contact", "no-license-nor-terms"],
)
def test_each_missing_part_of_info_is_named(conformant: RunningSupplier, change: Any, missing: str) -> None:
    result = stated(conformant, lambda openapi: change(openapi["info"]))
    assert (result.outcome, result.message) == ("fail", NOT_STATED + missing)
    assert result.evidence == [{"missing": [missing]}]


@pytest.mark.parametrize(
    "change",
    [
        lambda openapi: (openapi["info"].pop("license", None), openapi["info"].update(termsOfService="https://x")),
        lambda openapi: (openapi["info"].pop("termsOfService", None), openapi["info"].update(license={"name": "MIT"})),
        lambda openapi: (openapi.pop("servers"), openapi.update(host="127.0.0.1")),
    ],
    ids=["terms-without-license", "license-without-terms", "swagger-host-for-servers"],
)
def test_either_of_two_ways_to_state_a_part_is_enough(conformant: RunningSupplier, change: Any) -> None:
    result = stated(conformant, change)
    assert (result.outcome, result.evidence) == ("pass", [{"missing": []}])


def test_no_servers_is_named(conformant: RunningSupplier) -> None:
    result = stated(conformant, lambda openapi: openapi.pop("servers"))
    assert (result.outcome, result.message) == ("fail", NOT_STATED + "servers")
