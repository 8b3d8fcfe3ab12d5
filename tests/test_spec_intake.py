"""Spec intake against hostile documents: bombs, cycles, deep nesting, external and file references."""

import json
import socket
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.demo import serve
from conformance.errors import SpecError
from conformance.spec import CertificateNotVerified, load_spec, parse
from conformance.validation import DocumentProblem
from tests.static_server import Canned, serve_static

MINIMAL = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/a": {
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"application/json": {"schema": {"$ref": "shared.json#/Thing"}}},
                    }
                }
            }
        }
    },
}
SHARED = {"Thing": {"type": "object", "properties": {"child": {"$ref": "#/Thing"}, "n": {"$ref": "#/N"}}}, "N": {}}


def as_json(document: dict) -> Canned:
    return Canned(200, "application/json", json.dumps(document).encode())


BILLION_LAUGHS = "openapi: 3.0.3\na: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{name}: &{name} [{','.join(['*' + prev] * 10)}]\n" for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_billion_laughs_is_refused() -> None:
    with pytest.raises(SpecError, match="alias bomb"):
        parse(BILLION_LAUGHS.encode(), "bomb.yaml")


def test_self_referencing_yaml_is_refused() -> None:
    with pytest.raises(SpecError, match="refers to itself"):
        parse(b"openapi: 3.0.3\nloop: &l [1, *l]\n", "cycle.yaml")


def test_deep_nesting_is_refused() -> None:
    deep = "[" * 5000 + "]" * 5000
    with pytest.raises(SpecError, match="nested"):
        parse(f'{{"openapi": "3.0.3", "x": {deep}}}'.encode(), "deep.json")


def test_same_origin_external_refs_are_bundled_and_self_reference_survives() -> None:
    with serve_static({"/openapi.json": as_json(MINIMAL), "/shared.json": as_json(SHARED)}) as base:
        spec = load_spec(f"{base}/openapi.json")
    assert spec.external_refs == (f"{base}/shared.json",)
    schema = spec.document["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"] == "#/x-conformance-bundled/0/Thing"
    assert spec.document["x-conformance-bundled"]["0"]["Thing"]["properties"]["child"]["$ref"] == (
        "#/x-conformance-bundled/0/Thing"
    )


def test_ref_to_another_host_is_refused_with_a_way_forward() -> None:
    document = json.loads(json.dumps(MINIMAL))
    document["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "http://127.0.0.2:9/schemas/thing.json"
    }
    with (
        serve_static({"/openapi.json": as_json(document)}) as base,
        pytest.raises(SpecError, match=r"--allow-ref-host 127\.0\.0\.2"),
    ):
        load_spec(f"{base}/openapi.json")


def test_allowed_ref_host_is_fetched() -> None:
    """127.0.0.2 stands in for another host; it is loopback, so nothing leaves the machine."""
    with serve_static({"/shared.json": as_json(SHARED)}, host="127.0.0.2") as other:
        document = json.loads(json.dumps(MINIMAL))
        ref = f"{other}/shared.json#/Thing"
        document["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {"$ref": ref}
        with serve_static({"/openapi.json": as_json(document)}) as base:
            spec = load_spec(f"{base}/openapi.json", allow_ref_hosts=frozenset({"127.0.0.2"}))
    assert spec.external_refs == (f"{other}/shared.json",)


def test_a_referenced_document_behind_a_bad_certificate_is_unusable_not_a_certificate_finding() -> None:
    """Only the API's own certificate is NET-04's business; a $ref's host failing verification stops the run."""
    with serve("wrong-host-certificate") as elsewhere:
        document = json.loads(json.dumps(MINIMAL))
        document["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
            "$ref": elsewhere.spec_url
        }
        with (
            serve_static({"/openapi.json": as_json(document)}) as base,
            pytest.raises(SpecError, match="does not verify") as refused,
        ):
            load_spec(f"{base}/openapi.json", verify=elsewhere.ca_bundle, allow_ref_hosts=frozenset({"127.0.0.1"}))
    assert not isinstance(refused.value, CertificateNotVerified)


def test_remote_document_may_not_read_local_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"Thing": {"type": "string"}}))
    document = json.loads(json.dumps(MINIMAL))
    document["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": f"file://{secret}#/Thing"
    }
    with (
        serve_static({"/openapi.json": as_json(document)}) as base,
        pytest.raises(SpecError, match="may not read local files"),
    ):
        load_spec(f"{base}/openapi.json")


def test_local_document_may_use_relative_file_refs(tmp_path: Path) -> None:
    (tmp_path / "shared.json").write_text(json.dumps(SHARED))
    (tmp_path / "openapi.yaml").write_text(yaml.safe_dump(MINIMAL))
    spec = load_spec(str(tmp_path / "openapi.yaml"))
    assert spec.external_refs == (str(tmp_path / "shared.json"),)


def test_unresolvable_refs_are_located_problems_not_refusals() -> None:
    document = json.loads(json.dumps(MINIMAL))
    document["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Missing"
    }
    with serve_static({"/openapi.json": as_json(document)}) as base:
        spec = load_spec(f"{base}/openapi.json")
    assert spec.problems == (
        DocumentProblem(
            "$.paths['/a'].get.responses['200'].content['application/json'].schema",
            "$ref '#/components/schemas/Missing' points nowhere",
            "GET /a",
        ),
    )


def test_redirect_to_another_host_is_not_followed() -> None:
    """A listener on 127.0.0.2 records whether anything arrives: nothing may."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.2", 0))
        listener.listen(1)
        listener.settimeout(0.5)
        elsewhere = f"http://127.0.0.2:{listener.getsockname()[1]}/openapi.json"
        redirect = Canned(302, "text/plain", b"", headers={"Location": elsewhere})
        with (
            serve_static({"/openapi.json": redirect}) as base,
            pytest.raises(SpecError, match="redirected to another host"),
        ):
            load_spec(f"{base}/openapi.json")
        with pytest.raises(TimeoutError):
            listener.accept()


documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=st.one_of(
        st.binary(max_size=300),
        documents.map(lambda d: json.dumps(d).encode()),
        documents.map(lambda d: yaml.safe_dump(d).encode()),
        documents.map(lambda d: json.dumps({"openapi": "3.0.3", "info": d, "paths": d}).encode()),
    )
)
def test_loader_gives_only_clean_errors(raw: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("doc") / "spec.json"
    path.write_bytes(raw)
    try:
        spec = load_spec(str(path))
    except SpecError as exc:
        assert str(exc) and "\n" not in str(exc).split(";")[0]
        return
    for problem in spec.problems:  # an invalid document is loaded: every problem has a place and a message
        assert problem.json_path.startswith("$") and problem.json_path != "$", problem
        assert problem.message.strip() and "\n" not in problem.message, problem
