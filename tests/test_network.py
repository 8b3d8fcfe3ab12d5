"""Network integration: TLS probes against real trustme servers on loopback, the plain-HTTP probe, the
certificate check with and without --insecure, and the NET variants that need special serving.

Every other NET variant runs through tests/test_core_run.py::test_each_defect_fails_exactly_its_requirement,
which shows its check failing on the defect while the conformant supplier passes it.
"""

import datetime
import json
import ssl
from pathlib import Path

import jsonschema
import pytest
import requests

from conformance.catalogue import load_profiles
from conformance.checks.kit.probes import Endpoint, Probe, check_certificate, probe_plain_http, probe_tls_version
from conformance.demo import VARIANTS, RunningSupplier, serve, tls
from conformance.demo.openapi import document_for
from conformance.observations import banner_leaks, find_leaks, hsts_max_age, tells_when_to_retry, valid_retry_after
from conformance.record import RunRecord
from conformance.schemas_loader import load_schema
from conformance.trust.certificate import certification_failures
from tests.conftest import file_spec_args, run_cli, run_plain_pytest, supplier_args

NET_ONLY = ("--profile", "network-integration")


def _port(supplier) -> int:
    return supplier.server.server_address[1]


# --- TLS versions ---------------------------------------------------------------------------------


def test_good_server_accepts_tls12_and_13_and_refuses_10_and_11() -> None:
    with serve("conformant") as supplier:
        results = {v: probe_tls_version("127.0.0.1", _port(supplier), v).result for v in _all_versions()}
    assert results == {
        ssl.TLSVersion.TLSv1: Probe.REFUSED,
        ssl.TLSVersion.TLSv1_1: Probe.REFUSED,
        ssl.TLSVersion.TLSv1_2: Probe.ACCEPTED,
        ssl.TLSVersion.TLSv1_3: Probe.ACCEPTED,
    }


def test_old_server_is_seen_accepting_tls10_and_11() -> None:
    with serve("conformant", https=tls.server_context(minimum=ssl.TLSVersion.TLSv1)) as supplier:
        probes = {v: probe_tls_version("127.0.0.1", _port(supplier), v) for v in _all_versions()}
    assert all(p.result == Probe.ACCEPTED for p in probes.values()), probes
    assert "TLSv1 " in probes[ssl.TLSVersion.TLSv1].detail + " "


def test_tls13_only_server_refuses_tls12() -> None:
    with serve("conformant", https=tls.server_context(minimum=ssl.TLSVersion.TLSv1_3)) as supplier:
        port = _port(supplier)
        assert probe_tls_version("127.0.0.1", port, ssl.TLSVersion.TLSv1_2).result == Probe.REFUSED
        assert probe_tls_version("127.0.0.1", port, ssl.TLSVersion.TLSv1_3).result == Probe.ACCEPTED


def test_nothing_listening_is_unreachable_not_refused() -> None:
    with serve("conformant") as supplier:
        port = _port(supplier)
    probe = probe_tls_version("127.0.0.1", port, ssl.TLSVersion.TLSv1_2, timeout=2)
    assert probe.result == Probe.UNREACHABLE


def _all_versions() -> tuple[ssl.TLSVersion, ...]:
    return (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)


# --- certificates ---------------------------------------------------------------------------------


def test_certificate_valid_for_loopback_with_the_private_ca() -> None:
    with serve("conformant") as supplier:
        result = check_certificate("127.0.0.1", _port(supplier), tls.ca_bundle())
    assert result.valid is True
    assert "IP Address:127.0.0.1" in result.certificate["subject_alt_names"]


def test_certificate_for_another_host_is_invalid() -> None:
    with serve("wrong-host-certificate") as supplier:
        result = check_certificate("127.0.0.1", _port(supplier), tls.ca_bundle())
    assert result.valid is False
    assert "mismatch" in result.detail.lower()


def test_certificate_from_an_untrusted_ca_is_invalid() -> None:
    with serve("conformant") as supplier:
        result = check_certificate("127.0.0.1", _port(supplier), True)  # the public bundle, not the private CA
    assert result.valid is False
    assert "issuer" in result.detail


def test_expired_certificate_is_invalid() -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    past = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    tls.authority().issue_cert(
        "127.0.0.1", not_before=past, not_after=past + datetime.timedelta(days=30)
    ).configure_cert(context)
    with serve("conformant", https=context) as supplier:
        result = check_certificate("127.0.0.1", _port(supplier), tls.ca_bundle())
    assert result.valid is False
    assert "expired" in result.detail


def test_certificate_check_cannot_decide_without_a_server() -> None:
    with serve("conformant") as supplier:
        port = _port(supplier)
    assert check_certificate("127.0.0.1", port, tls.ca_bundle(), timeout=2).valid is None


# --- plain HTTP -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "ok", "phrase"),
    [("refuse", True, "refused"), ("redirect", True, "redirected to HTTPS"), ("serve", False, "answers 200")],
)
def test_plain_http_on_the_https_port(mode: str, ok: bool, phrase: str) -> None:
    with serve("conformant", plain_http=mode) as supplier:
        endpoint = Endpoint.of(supplier.base + "/v1")
        result = probe_plain_http(endpoint.plain_http_url("/v1/health"))
        https_still_works = requests.get(supplier.base + "/v1/health", verify=tls.ca_bundle(), timeout=5).status_code
    assert result.ok is ok, result
    assert phrase in result.detail
    assert https_still_works == 200


def test_plain_http_counterpart_of_port_443_is_port_80() -> None:
    assert Endpoint.of("https://api.example/v1").plain_http_url("/v1/health") == "http://api.example/v1/health"
    assert Endpoint.of("https://[::1]:8443/v1").plain_http_url("/x") == "http://[::1]:8443/x"


def test_api_served_over_plain_http_fails_the_tls_requirements(tmp_path: Path) -> None:
    with serve("conformant", https=False) as supplier:
        result = run_cli([*supplier_args(supplier), *NET_ONLY], tmp_path)
    outcomes = result.outcomes()
    assert outcomes["NET-02"] == "fail"
    assert outcomes["NET-03"] == "fail" and outcomes["NET-04"] == "fail"
    assert outcomes["NET-05"] == "not-applicable"
    reasons = {r["id"]: r["reason"] for p in result.results["profiles"] for r in p["requirements"]}
    assert "plain HTTP" in reasons["NET-02"]


# --- --insecure and the wrong-host certificate ------------------------------------------------------


def test_insecure_run_never_passes_the_certificate_requirement(tmp_path: Path) -> None:
    with serve("conformant") as supplier:
        args = [a for a in supplier_args(supplier) if a not in ("--ca-bundle", supplier.ca_bundle)]
        result = run_cli([*args, "--insecure", *NET_ONLY], tmp_path)
    outcomes = result.outcomes()
    assert outcomes["NET-04"] == "error"
    assert {rid for rid, o in outcomes.items() if o != "pass"} == {"NET-04"}
    assert result.results["target"]["tls_verification"] == "off (--insecure)"
    assert "--insecure" in (tmp_path / "report.html").read_text("utf-8")


def test_wrong_host_certificate_with_insecure_ends_as_error_not_pass(tmp_path: Path) -> None:
    with serve("wrong-host-certificate") as supplier:
        args = [a for a in supplier_args(supplier) if a not in ("--ca-bundle", supplier.ca_bundle)]
        result = run_cli([*args, "--insecure", *NET_ONLY], tmp_path)
    outcomes = result.outcomes()
    assert outcomes["NET-04"] == "error"
    assert {rid for rid, o in outcomes.items() if o != "pass"} == {"NET-04"}


def test_wrong_host_certificate_with_a_local_spec_fails_net04_and_sends_nothing_else(tmp_path: Path) -> None:
    """The spec is a file, so the API's certificate is the first thing met: nothing else is sent to it."""
    with serve("wrong-host-certificate") as supplier:
        spec = tmp_path / "openapi.json"
        spec.write_text(json.dumps(document_for("wrong-host-certificate")), "utf-8")
        connections = counted_connections(supplier)
        result = run_cli(file_spec_args(supplier, spec, "--max-examples", "2"), tmp_path / "out")
    assert_certificate_report(result.code, result.out)
    assert len(connections) == 1, "one handshake to verify the certificate, then nothing"
    assert result.results["target"]["spec_sha256"] is not None  # the document was read: it names what was tested


def test_wrong_host_certificate_serving_its_own_spec_is_a_report_that_never_certifies(tmp_path: Path) -> None:
    """The document cannot be read over that certificate: the record names it by URL, with no digest."""
    with serve("wrong-host-certificate") as supplier:
        connections = counted_connections(supplier)
        result = run_cli(supplier_args(supplier), tmp_path)
    assert_certificate_report(result.code, result.out)
    assert len(connections) == 2, "the document's fetch and the API's certificate: each ends at the handshake"
    target = result.results["target"]
    assert target["spec"] == supplier.spec_url
    assert target["spec_sha256"] is None and target["spec_format"] is None
    assert "none: the document could not be read" in (tmp_path / "report.html").read_text("utf-8")
    failures = certification_failures(RunRecord.from_json(result.results))
    assert any("could not be read" in failure for failure in failures)


def test_wrong_host_certificate_through_plain_pytest(tmp_path: Path) -> None:
    with serve("wrong-host-certificate") as supplier:
        proc = run_plain_pytest(supplier, tmp_path / "out", tmp_path)
    assert_certificate_report(proc.returncode, tmp_path / "out")


def test_a_bad_certificate_on_another_host_than_the_api_is_unusable(tmp_path: Path) -> None:
    """The document's host fails verification but the API's does not: that says nothing about NET-04."""
    with serve("wrong-host-certificate") as documents, serve("conformant") as api:
        args = ["run", "--spec", documents.spec_url, "--base-url", api.base + "/v1", "--ca-bundle", api.ca_bundle]
        result = run_cli(args, tmp_path)
    assert result.code == 2, result.stdout + result.stderr
    assert "its TLS certificate does not verify" in result.stderr
    assert not (tmp_path / "results.json").exists()


def counted_connections(supplier: RunningSupplier) -> list[object]:
    """Every connection the supplier accepts from now on (TLS probes and plain HTTP included)."""
    accepted: list[object] = []
    accept = supplier.server.get_request

    def counting() -> tuple[object, object]:
        connection = accept()
        accepted.append(connection[1])
        return connection

    supplier.server.get_request = counting  # type: ignore[method-assign]
    return accepted


def assert_certificate_report(code: int, out: Path) -> None:
    """NET-04 fails with the verification error as evidence; everything else is "not tested"; exit 1."""
    assert code == 1
    assert all((out / name).is_file() for name in ("results.json", "junit.xml", "report.html"))
    results = json.loads((out / "results.json").read_text("utf-8"))
    jsonschema.validate(results, load_schema("results"))
    requirements = {r["id"]: r for p in results["profiles"] for r in p["requirements"]}
    net04 = requirements.pop("NET-04")
    assert net04["outcome"] == "fail" and "mismatch" in net04["reason"].lower()
    assert net04["evidence"] and net04["evidence"][0]["verified"] is False
    assert "mismatch" in net04["evidence"][0]["detail"].lower()
    assert {r["outcome"] for r in requirements.values()} == {"error"}
    assert all(r["reason"].startswith("not tested: ") and "NET-04" in r["reason"] for r in requirements.values())
    assert results["run"]["complete"] is False and results["verdict"] == "not-conformant"
    assert results["fuzzing"]["ran"] is False


# --- the variant catalogue ------------------------------------------------------------------------


def test_every_net_requirement_has_a_defective_variant() -> None:
    net = {r.id for r in load_profiles()["network-integration"].requirements}
    violated = {rid for v in VARIANTS.values() for rid in v.violates}
    assert net <= violated, f"NET requirements without a defective variant: {sorted(net - violated)}"


def test_the_wrong_host_certificate_is_in_the_matrix_with_nothing_else_testable() -> None:
    """A certificate that does not verify is a report now, so the end-to-end matrix runs that variant too."""
    assert not VARIANTS["wrong-host-certificate"].matrix_exclusion
    assert {name for name, v in VARIANTS.items() if v.nothing_else_testable} == {"wrong-host-certificate"}


# --- what responses give away ---------------------------------------------------------------------


def test_leak_detection() -> None:
    trace = 'Traceback (most recent call last):\n  File "/usr/lib/python3/dist-packages/app.py", line 3, in x'
    leaks = " ".join(find_leaks(trace))
    assert "Python stack trace" in leaks and "internal file path" in leaks
    assert find_leaks("werkzeug.exceptions.NotFound: 404 (Werkzeug/2.2.2)")
    assert find_leaks("at com.acme.Cases.get(Cases.java:42)")
    assert not find_leaks('{"title": "Not Found", "status": 404, "detail": "No case with this id."}')
    assert banner_leaks({"Server": "Werkzeug/2.2.2 Python/3.11.2"})
    assert banner_leaks({"X-Powered-By": "Express"})
    assert not banner_leaks({"Server": "nginx"})


def test_header_parsers() -> None:
    assert hsts_max_age("max-age=31536000; includeSubDomains") == 31536000
    assert not hsts_max_age("max-age=0")
    assert hsts_max_age(None) is None
    assert valid_retry_after("120") and valid_retry_after("Wed, 21 Oct 2026 07:28:00 GMT")
    assert not valid_retry_after("soon")
    assert tells_when_to_retry({"Retry-After": "1"})
    assert tells_when_to_retry({"RateLimit": '"default";r=0;t=10'})
    assert not tells_when_to_retry({"Content-Type": "application/problem+json"})
