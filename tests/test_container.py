"""`--image`: a supplier's container image on a real Docker engine, and the harness's own image.

Tests marked `docker` need an engine and the images that `.ci/docker-setup` builds. Without an engine they
skip, except in CI (CI=true), where a missing engine or image is a failure. Every container runs with host
networking and is reached on loopback only; no test leaves a container behind.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NoReturn

import pytest
import trustme

from conformance.container import LABEL, ContainerRequest, image_info
from conformance.errors import UsageError
from conformance.record import TargetInfo, TlsVerification, as_json
from conformance.trust.certificate import subjects
from tests.conftest import SEED, run_cli, unavailable

SUPPLIER_IMAGE = os.environ.get("CONFORMANCE_SUPPLIER_IMAGE", "council-supplier:latest")
HARNESS_IMAGE = os.environ.get("CONFORMANCE_HARNESS_IMAGE", "conformance:latest")
TOKEN_HEADER = "Authorization: Bearer reference-token"
DIGEST = "sha256:" + "ab" * 32


def no_docker(reason: str) -> NoReturn:
    unavailable(reason, "run .ci/docker-setup to set up Docker for these tests")


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except DockerException as exc:
        no_docker(f"no Docker engine reachable ({str(exc)[:120]})")
    yield client
    client.close()


@pytest.fixture(scope="module")
def supplier_image(engine: Any) -> str:
    from docker.errors import ImageNotFound

    try:
        engine.images.get(SUPPLIER_IMAGE)
    except ImageNotFound:
        no_docker(f"the image {SUPPLIER_IMAGE} is not built")
    return SUPPLIER_IMAGE


@pytest.fixture(autouse=True)
def no_container_left_behind(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every docker test, `docker ps -a` shows no container that was not there before."""
    if request.node.get_closest_marker("docker") is None:
        yield
        return
    engine = request.getfixturevalue("engine")
    before = {c.id for c in engine.containers.list(all=True)}
    yield
    left = [c for c in engine.containers.list(all=True) if c.id not in before]
    for container in left:
        container.remove(force=True)
    assert not left, f"containers left behind: {[c.name for c in left]}"
    assert not engine.containers.list(all=True, filters={"label": LABEL})


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A CA the harness trusts, and a loopback certificate from it for the container (through its env)."""
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA(organization_name="Container test CA")
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems).decode("ascii")
    env = [f"TLS_CERT_PEM={chain}", f"TLS_KEY_PEM={leaf.private_key_pem.bytes().decode('ascii')}"]
    return {"ca": str(folder / "ca.pem"), "env": env, "folder": folder}


def image_args(image: str, tls: dict[str, Any], *extra: str) -> list[str]:
    args = ["--image", image, "--ca-bundle", tls["ca"], "--header", TOKEN_HEADER, "--max-rps", "0"]
    for item in tls["env"]:
        args += ["--env", item]
    return [*args, "--seed", str(SEED), "--max-examples", "10", "--ready-timeout", "30", *extra]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- with a Docker engine -------------------------------------------------------------------------


@pytest.mark.docker
def test_reference_image_certifies_and_names_its_digest(
    engine: Any, supplier_image: str, tls: dict[str, Any], tmp_path: Path
) -> None:
    keys = subprocess.run(
        [sys.executable, "-m", "conformance", "keys", "generate", "--out", str(tmp_path / "keys"), "--name", "m"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "private key" in keys.stdout
    args = ["certify", *image_args(supplier_image, tls), "--key", str(tmp_path / "keys" / "m.private.pem")]
    args += ["--supplier", "Reference Ltd", "--product", "Council cases", "--product-version", "1.4"]
    run = run_cli(args, tmp_path / "out")
    assert run.code == 0, run.stdout + run.stderr
    image_id = engine.images.get(supplier_image).id
    record = run.results
    assert record["verdict"] == "conformant"
    assert {p["id"] for p in record["profiles"]} >= {"open-standard-export", "network-integration"}
    assert record["target"]["image"]["id"] == image_id
    assert record["target"]["image"]["digest"] == image_id  # built locally: the image id stands in, and says so
    assert record["target"]["image"]["digest_source"] == "image-id"
    assert "no registry digest" in record["target"]["image"]["note"]
    assert record["target"]["base_url"].startswith("https://127.0.0.1:")
    assert "serving conformant" in record["container"]["logs"]
    assert f"image: {supplier_image} {image_id} (the image id" in run.stdout
    report = (tmp_path / "out" / "report.html").read_text("utf-8")
    assert image_id in report and "Container logs" in report and "serving conformant" in report

    envelope = json.loads((tmp_path / "out" / "certificate.dsse.json").read_text("utf-8"))
    import base64

    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert {"name": supplier_image, "digest": {"sha256": image_id.removeprefix("sha256:")}} in statement["subject"]
    html = (tmp_path / "out" / "certificate.html").read_text("utf-8")
    assert image_id.removeprefix("sha256:") in html
    verify = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "verify",
            str(tmp_path / "out" / "certificate.html"),
            "--key",
            str(tmp_path / "keys" / "m.public.pem"),
        ],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.docker
def test_defective_image_is_caught(supplier_image: str, tls: dict[str, Any], tmp_path: Path) -> None:
    args = [
        "run",
        *image_args(supplier_image, tls, "--env", "VARIANT=server-error", "--profile", "open-standard-export"),
    ]
    run = run_cli(args, tmp_path / "out")
    assert run.code == 1, run.stdout + run.stderr
    assert "EXP-03" in run.failed()
    assert "serving server-error" in run.results["container"]["logs"]


@pytest.mark.docker
def test_image_that_exits_at_once_shows_its_logs(supplier_image: str, tls: dict[str, Any], tmp_path: Path) -> None:
    run = run_cli(["run", *image_args(supplier_image, tls, "--env", "VARIANT=no-such-variant")], tmp_path / "out")
    assert run.code == 2, run.stdout + run.stderr
    assert "exited before it was ready" in run.stderr
    assert "exit code 2" in run.stderr
    assert "unknown variant 'no-such-variant'" in run.stderr  # the container's own last log line
    assert not (tmp_path / "out" / "results.json").exists()


@pytest.mark.docker
def test_not_ready_in_time(supplier_image: str, tls: dict[str, Any], tmp_path: Path) -> None:
    args = ["run", *image_args(supplier_image, tls, "--spec-path", "/no-such-document.json", "--ready-timeout", "2")]
    started = time.monotonic()
    run = run_cli(args, tmp_path / "out")
    assert run.code == 2, run.stdout + run.stderr
    assert "not ready within 2s" in run.stderr and "HTTP 404" in run.stderr
    assert "serving conformant" in run.stderr  # its last log lines
    assert time.monotonic() - started < 30


@pytest.mark.docker
def test_port_already_in_use(supplier_image: str, tls: dict[str, Any], tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        run = run_cli(["run", *image_args(supplier_image, tls, "--port", str(port))], tmp_path / "out")
    assert run.code == 2, run.stdout + run.stderr
    assert f"port {port} is already in use" in run.stderr


@pytest.mark.docker
def test_image_not_found(engine: Any, tls: dict[str, Any], tmp_path: Path) -> None:
    # A registry on a closed loopback port: the pull is tried and fails without leaving this machine.
    missing = f"127.0.0.1:{free_port()}/no-such-supplier:1.0"
    run = run_cli(["run", *image_args(missing, tls)], tmp_path / "out")
    assert run.code == 2, run.stdout + run.stderr
    assert f"image '{missing}' not found" in run.stderr


@pytest.mark.docker
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_interrupted_run_removes_its_container(
    engine: Any, supplier_image: str, tls: dict[str, Any], tmp_path: Path, sig: signal.Signals
) -> None:
    args = [sys.executable, "-m", "conformance", "run", *image_args(supplier_image, tls), "--out", str(tmp_path)]
    args[args.index("--max-examples") + 1] = "500"  # long enough to be interrupted mid-run
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not engine.containers.list(filters={"label": LABEL}):
            assert proc.poll() is None and time.monotonic() < deadline, "the container never started"
            time.sleep(0.2)
        time.sleep(2)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stdout + stderr
    assert "removed" in stderr
    assert not engine.containers.list(all=True, filters={"label": LABEL})


@pytest.mark.docker
def test_harness_image_runs_against_the_supplier_container(
    engine: Any, supplier_image: str, tls: dict[str, Any], tmp_path: Path
) -> None:
    from docker.errors import ImageNotFound

    try:
        engine.images.get(HARNESS_IMAGE)
    except ImageNotFound:
        no_docker(f"the image {HARNESS_IMAGE} is not built")
    version = engine.containers.run(HARNESS_IMAGE, ["conformance", "--version"], remove=True, network_mode="host")
    assert b"conformance, version" in version

    port = free_port()
    env = dict(item.split("=", 1) for item in tls["env"]) | {"PORT": str(port)}
    supplier = engine.containers.run(
        supplier_image, detach=True, network_mode="host", environment=env, labels={LABEL: "test"}
    )
    harness = None
    try:
        workspace = tmp_path / "work"
        workspace.mkdir()
        (workspace / "ca.pem").write_text(Path(tls["ca"]).read_text())
        command = [
            "conformance",
            "run",
            "--spec",
            f"https://127.0.0.1:{port}/openapi.json",
            "--ca-bundle",
            "/ws/ca.pem",
            "--header",
            TOKEN_HEADER,
            "--max-rps",
            "0",
            "--profile",
            "network-integration",
            "--max-examples",
            "5",
            "--out",
            "/ws/out",
        ]
        deadline = time.monotonic() + 30
        while b"serving" not in supplier.logs() and time.monotonic() < deadline:
            time.sleep(0.2)
        harness = engine.containers.run(
            HARNESS_IMAGE,
            command,
            detach=True,
            network_mode="host",
            user=f"{os.getuid()}:{os.getgid()}",
            volumes={str(workspace): {"bind": "/ws", "mode": "rw"}},
        )
        status = harness.wait(timeout=240)["StatusCode"]
        logs = harness.logs().decode("utf-8", "replace")
        assert status == 0, logs[-3000:]
        assert "network-integration" in logs and "overall: conformant" in logs
        for name in ("results.json", "junit.xml", "report.html"):
            assert (workspace / "out" / name).is_file()
    finally:
        for container in (supplier, harness):
            if container is not None:
                container.remove(force=True)


# --- without an engine ----------------------------------------------------------------------------


def test_no_engine_is_a_clear_usage_error(tmp_path: Path) -> None:
    env = os.environ | {"DOCKER_HOST": f"unix://{tmp_path}/no-such-docker.sock"}
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--image", "council-supplier:latest", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no Docker engine reachable" in proc.stderr and "no-such-docker.sock" in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run"], "give --spec"),
        (["run", "--spec", "x.json", "--port", "8080"], "only apply with --image"),
        (["run", "--spec", "x.json", "--env", "A=B"], "only apply with --image"),
    ],
)
def test_image_options_need_an_image(args: list[str], message: str, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr


def test_env_options_are_key_value_pairs() -> None:
    request = ContainerRequest("x", env=("A=1", "B=two=2", "EMPTY="))
    assert request.environment(8080) == {"A": "1", "B": "two=2", "EMPTY": "", "PORT": "8080"}
    with pytest.raises(UsageError, match="KEY=VALUE"):
        ContainerRequest("x", env=("NOVALUE",)).environment(1)


def test_repo_digest_is_preferred_over_the_image_id() -> None:
    attrs = {
        "Id": "sha256:" + "11" * 32,
        "RepoDigests": ["other/repo@sha256:" + "22" * 32, f"reg.example/sup@{DIGEST}"],
    }
    info = image_info("reg.example/sup:2.1", attrs)
    assert (info.digest, info.digest_source) == (DIGEST, "repo-digest")
    assert "note" not in as_json(info)
    local = image_info("sup:dev", {"Id": DIGEST, "RepoDigests": []})
    assert (local.digest, local.digest_source) == (DIGEST, "image-id")
    assert "no registry digest" in as_json(local)["note"]


def test_certificate_subject_names_the_image_from_the_record() -> None:
    image = image_info("sup:dev", {"Id": DIGEST})
    target = TargetInfo("s", "cd" * 32, "openapi-3.0", "https://x", TlsVerification.ON, "t", "1", image=image)
    assert subjects(SimpleNamespace(target=target))[1] == {"name": "sup:dev", "digest": {"sha256": "ab" * 32}}


# --- the CI templates, run as their CI would run them (shell steps only) --------------------------

ROOT = Path(__file__).resolve().parent.parent


def tool_path() -> str:
    """PATH with this interpreter's `python` and `conformance` first, as setup-python or the image gives."""
    return f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"


def github_step_env(step: dict[str, Any], inputs: dict[str, str]) -> dict[str, str]:
    """The step's `env:` with `${{ inputs.NAME }}` replaced as GitHub would, from the action's defaults."""
    import re

    import yaml

    action = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()} | inputs
    pattern = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")
    return {key: pattern.sub(lambda m: values[m.group(1)], str(value)) for key, value in step["env"].items()}


def test_github_action_runs_the_harness_and_reports(conformant: Any, tmp_path: Path) -> None:
    import yaml

    action = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = {step.get("id", step["name"]): step for step in action["runs"]["steps"]}
    upload = steps["Publish report.html and junit.xml"]
    assert upload["if"] == "always()" and upload["uses"].startswith("actions/upload-artifact@")
    assert {"report.html", "junit.xml"} <= {line.rsplit("/", 1)[-1] for line in upload["with"]["path"].split()}

    inputs = {
        "spec": conformant.spec_url,
        "headers": f"Authorization: Bearer {conformant.token}",
        "profiles": "network-integration",
        "args": f"--ca-bundle '{conformant.ca_bundle}' --max-rps 0 --max-examples 5 --seed {SEED}",
    }
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    env = os.environ | github_step_env(steps["run"], inputs)
    env |= {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), "PATH": tool_path()}
    proc = subprocess.run(
        ["bash", "-e", "-c", steps["run"]["run"]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert outputs == {"exit-code": "0", "verdict": "conformant", "report": "conformance-report/report.html"}
    assert "### Conformance: conformant" in summary.read_text() and "| network-integration |" in summary.read_text()
    for name in ("report.html", "junit.xml", "results.json"):
        assert (tmp_path / "conformance-report" / name).is_file()
    assert conformant.token not in (tmp_path / "conformance-report" / "results.json").read_text()

    unusable = env | {"INPUT_SPEC": conformant.base + "/no-such-document.json"}
    proc = subprocess.run(["bash", "-e", "-c", steps["run"]["run"]], cwd=tmp_path, env=unusable, timeout=300)
    assert proc.returncode == 0  # the step itself goes on to publish what there is
    assert output.read_text().splitlines()[-3:] == [
        "exit-code=2",
        "verdict=none",
        "report=conformance-report/report.html",
    ]

    verdict = steps["Verdict"]
    for code, expected in (("0", 0), ("1", 1), ("", 2)):
        done = subprocess.run(
            ["bash", "-e", "-c", verdict["run"]], env=os.environ | {"CODE": code}, capture_output=True
        )
        assert done.returncode == expected


def test_gitlab_template_runs_the_harness_and_keeps_the_reports(conformant: Any, tmp_path: Path) -> None:
    import yaml

    job = yaml.safe_load((ROOT / "ci" / "gitlab-conformance.yml").read_text("utf-8"))[".conformance"]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == "${CONFORMANCE_OUT}/junit.xml"
    script = "\n".join(job["script"])
    variables = {key: str(value) for key, value in job["variables"].items()}
    env = (
        os.environ
        | variables
        | {
            "CONFORMANCE_SPEC": conformant.spec_url,
            "CONFORMANCE_HEADERS": f"Authorization: Bearer {conformant.token}",
            "CONFORMANCE_PROFILES": "network-integration",
            "CONFORMANCE_ARGS": f"--ca-bundle {conformant.ca_bundle} --max-rps 0 --max-examples 5 --seed {SEED}",
            "PATH": tool_path(),
        }
    )
    proc = subprocess.run(
        ["sh", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "overall: conformant" in proc.stdout
    for path in job["artifacts"]["paths"]:
        assert (tmp_path / path.replace("${CONFORMANCE_OUT}", variables["CONFORMANCE_OUT"])).is_file()

    bare = subprocess.run(
        ["sh", "-e", "-c", script],
        cwd=tmp_path,
        env=env | {"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bare.returncode == 2 and "no conformance command" in bare.stderr
