"""Test a supplier's container image: start it for one run, wait until it answers, always remove it.

The container runs with host networking and is told its port through `PORT`, so the harness reaches it on
loopback exactly as it reaches any other API. The image is identified by its repo digest, or, for an image
built locally (which has none), by its image id; that digest goes into the run record and the certificate.
"""

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from conformance.declaration import DeclarationError, read_declaration
from conformance.errors import UsageError
from conformance.progress import Progress
from conformance.record import ContainerInfo, ImageInfo
from conformance.spec import declared_server

DEFAULT_READY_TIMEOUT = 60.0
DEFAULT_SPEC_PATH = "/openapi.json"
LOG_TAIL_LINES = 200  # of the container's output, into the report
LOG_MAX_BYTES = 64 * 1024
ERROR_LOG_LINES = 20  # shown with an early-exit or not-ready error
LABEL = "org.conformance.harness"  # on every container the harness starts, to find any left behind
LOCAL_IMAGE_NOTE = "built locally: no registry digest, so the image id (sha256 of the image config) is the digest"


@dataclass(frozen=True)
class ContainerRequest:
    """What `--image` and its options ask for."""

    image: str
    port: int | None = None
    env: tuple[str, ...] = ()
    spec_path: str = DEFAULT_SPEC_PATH
    scheme: str = "https"
    ready_timeout: float = DEFAULT_READY_TIMEOUT

    def environment(self, port: int) -> dict[str, str]:
        """`KEY=VALUE` options as a mapping, with PORT set to the port the harness will call."""
        env: dict[str, str] = {}
        for item in self.env:
            key, sep, value = item.partition("=")
            if not sep or not key or any(c.isspace() for c in key):
                raise UsageError(f"--env must look like KEY=VALUE (got {key[:40]!r}...)")
            env[key] = value
        env["PORT"] = str(port)
        return env


def image_info(name: str, attrs: dict[str, Any]) -> ImageInfo:
    """Prefer the repo digest of the repository named in `name`; else the image id (an image built locally), and
    say so in the record."""
    image_id = str(attrs["Id"])
    repo_digests = tuple(str(d) for d in attrs.get("RepoDigests") or ())
    repository = name.split("@")[0]
    if ":" in repository.rsplit("/", 1)[-1]:
        repository = repository.rsplit(":", 1)[0]
    matching = [d for d in repo_digests if d.split("@")[0] == repository] or list(repo_digests)
    for item in matching:
        digest = item.partition("@")[2]
        if digest.startswith("sha256:"):
            return ImageInfo(name, image_id, digest, "repo-digest", repo_digests)
    return ImageInfo(name, image_id, image_id, "image-id", repo_digests, note=LOCAL_IMAGE_NOTE)


@dataclass
class RunningContainer:
    """A started container; the session reads its logs into the report before it is removed."""

    container: Any  # docker.models.containers.Container
    image: ImageInfo
    port: int
    origin: str  # scheme://127.0.0.1:port

    def status(self) -> str:
        try:
            self.container.reload()
        except Exception as exc:  # the engine went away: say so rather than lose the report
            return f"unknown ({type(exc).__name__})"
        state = self.container.attrs.get("State", {})
        if state.get("Status") == "running":
            return "running"
        return f"{state.get('Status', 'unknown')} (exit code {state.get('ExitCode', '?')})"

    def logs(self, lines: int = LOG_TAIL_LINES, max_bytes: int = LOG_MAX_BYTES) -> tuple[str, bool]:
        """The last `lines` lines of stdout and stderr, at most `max_bytes`; (text, whether cut)."""
        try:
            raw: bytes = self.container.logs(stdout=True, stderr=True, tail=lines)
        except Exception as exc:
            return f"(the container's logs could not be read: {type(exc).__name__}: {exc})", False
        cut = len(raw) > max_bytes
        if cut:
            raw = raw[-max_bytes:]
        text = raw.decode("utf-8", "replace")
        return text, cut or text.count("\n") >= lines

    def info(self) -> ContainerInfo:
        """The container's state now and the tail of its logs, for the run record."""
        text, truncated = self.logs()
        return ContainerInfo(
            image=self.image.name,
            port=self.port,
            status=self.status(),
            logs=text,
            logs_truncated=truncated,
            logs_limit=f"last {LOG_TAIL_LINES} lines, at most {LOG_MAX_BYTES // 1024} KiB",
        )


# --- the engine -----------------------------------------------------------------------------------


def connect() -> Any:
    """A client for the local Docker engine (DOCKER_HOST or the default socket), or a clear UsageError."""
    import docker
    from docker.errors import DockerException

    where = os.environ.get("DOCKER_HOST") or "the default socket (unix:///var/run/docker.sock)"
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except DockerException as exc:
        raise UsageError(
            f"no Docker engine reachable at {where}: {_short(exc)}; start Docker or set DOCKER_HOST"
        ) from None
    except requests.RequestException as exc:
        raise UsageError(f"no Docker engine reachable at {where}: {_short(exc)}") from None
    return client


def find_image(client: Any, ref: str, progress: Progress) -> Any:
    """The local image; pulled only when absent (it fails clearly when no registry is reachable)."""
    from docker.errors import APIError, ImageNotFound
    from docker.utils import parse_repository_tag

    try:
        return client.images.get(ref)
    except ImageNotFound:
        pass
    except APIError as exc:
        raise UsageError(f"image {ref!r}: {_short(exc)}") from None
    progress(f"image {ref} is not on this Docker engine; pulling it")
    repository, tag = parse_repository_tag(ref)
    try:
        if tag and tag.startswith("sha256:"):
            return client.images.pull(f"{repository}@{tag}")
        return client.images.pull(repository, tag=tag or "latest")
    except (APIError, requests.RequestException) as exc:
        raise UsageError(
            f"image {ref!r} not found: it is not on this Docker engine and pulling it failed ({_short(exc)})"
        ) from None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_port_free(port: int) -> None:
    """With host networking the container shares our ports: refuse one that something already holds."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed socket in TIME_WAIT is no owner
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise UsageError(
                f"port {port} is already in use on this machine ({exc.strerror}); the container runs with host "
                "networking, so choose a free port with --port (or leave --port out to get one)"
            ) from None


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "explanation", None) or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _last_lines(running: RunningContainer, lines: int = ERROR_LOG_LINES) -> str:
    text, _ = running.logs(lines=lines, max_bytes=8 * 1024)
    text = text.rstrip("\n")
    return "\n".join(f"  | {line}" for line in text.splitlines()) if text else "  (no output)"


# --- readiness ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadyProbe:
    """What answering means: a URL and the statuses that count."""

    url: str
    what: str
    ok: Callable[[int], bool]


def readiness_probe(
    spec_url: str | None, document: dict[str, Any] | None, base_url: str | None, origin: str
) -> ReadyProbe:
    """The container's own spec when it serves it; else the declared health endpoint; else any answer."""
    if spec_url is not None:
        return ReadyProbe(spec_url, "its OpenAPI document", lambda status: 200 <= status < 300)
    base = base_url or (container_base_url(origin, document) if document else origin)
    health = declared_health_path(document) if document else None
    if health is not None:
        return ReadyProbe(base + health, "its declared health endpoint", lambda status: status < 500)
    return ReadyProbe(base + "/", "its base URL", lambda status: True)


def declared_health_path(document: dict[str, Any]) -> str | None:
    """The path of the GET operation the x-conformance declaration names as the health endpoint."""
    try:
        health = read_declaration(document).health
    except (DeclarationError, KeyError, TypeError, ValueError):
        return None
    for path, item in (document.get("paths") or {}).items():
        operation = item.get("get") if isinstance(item, dict) else None
        if isinstance(operation, dict) and operation.get("operationId") == health and "{" not in path:
            return str(path)
    return None


def container_base_url(origin: str, document: dict[str, Any]) -> str:
    """The container's origin plus the path of the document's first server: its declared host is elsewhere."""
    declared = declared_server(document)
    return origin + (urlsplit(declared).path if declared else "").rstrip("/")


def wait_ready(
    running: RunningContainer,
    probe: ReadyProbe,
    verify: bool | str,
    headers: dict[str, str],
    timeout: float,
    progress: Progress,
) -> None:
    """Poll until the probe answers; stop early, with the container's last log lines, when it exits."""
    progress(f"waiting up to {timeout:g}s for the container to answer at {probe.url} ({probe.what})")
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while True:
        status = running.status()
        if status != "running":
            raise UsageError(
                f"the container exited before it was ready: {status}; image {running.image.name}, "
                f"its last log lines:\n{_last_lines(running)}"
            )
        try:
            response = requests.get(probe.url, headers=headers, verify=verify, timeout=2, allow_redirects=False)
            response.close()
            if probe.ok(response.status_code):
                return
            last = f"HTTP {response.status_code}"
        except requests.exceptions.SSLError as exc:
            hint = "give its CA with --ca-bundle" if "certificate" in str(exc).lower() else "use --image-scheme http"
            if "wrong version number" in str(exc).lower() or "record layer" in str(exc).lower():
                hint = "it seems to serve plain HTTP: use --image-scheme http"
            raise UsageError(f"the container answers at {probe.url} but TLS failed ({hint}): {_short(exc)}") from None
        except requests.RequestException as exc:
            last = type(exc).__name__
        if time.monotonic() >= deadline:
            raise UsageError(
                f"the container was not ready within {timeout:g}s (--ready-timeout): {probe.url} gave {last}; "
                f"its last log lines:\n{_last_lines(running)}"
            )
        time.sleep(0.25)


# --- the lifecycle --------------------------------------------------------------------------------


@contextlib.contextmanager
def shielded_from_signals() -> Iterator[None]:
    """Clean-up must finish even when Ctrl-C or SIGTERM comes again."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def remove(container: Any, progress: Progress) -> None:
    """Kill and remove; a container that is already gone is fine."""
    from docker.errors import APIError, NotFound

    with shielded_from_signals():
        try:
            container.remove(force=True)
            progress(f"container {container.short_id} removed")
        except NotFound:
            pass
        except (APIError, requests.RequestException) as exc:
            progress(f"warning: container {container.short_id} could not be removed: {_short(exc)}")


@contextlib.contextmanager
def run_container(
    request: ContainerRequest,
    *,
    serves_spec: bool,
    document: dict[str, Any] | None,
    base_url: str | None,
    verify: bool | str,
    headers: dict[str, str],
    progress: Progress,
) -> Iterator[RunningContainer]:
    """Start the image, wait until it answers, yield it, and always remove it (also on Ctrl-C and SIGTERM).

    Without --spec the container serves its own document at `request.spec_path` (`serves_spec`), and answering
    there means ready; with `--spec FILE` (`document`), its declared health endpoint must answer.
    """
    from docker.errors import APIError, ImageNotFound

    if request.scheme not in ("http", "https"):
        raise UsageError("--image-scheme must be http or https")
    if not request.spec_path.startswith("/"):
        raise UsageError("--spec-path must start with /")
    port = request.port if request.port is not None else free_port()
    environment = request.environment(port)
    client = connect()
    progress.at(stage="starting the container")
    try:
        image = find_image(client, request.image, progress)
        info = image_info(request.image, image.attrs)
        check_port_free(port)
        progress(f"starting {request.image} ({info.id[:19]}) on port {port} with host networking")
        try:
            container = client.containers.run(
                info.id,  # by id: exactly the image whose digest is recorded
                detach=True,
                network_mode="host",
                environment=environment,
                labels={LABEL: "1", f"{LABEL}.image": request.image},
                name=f"conformance-{port}-{os.getpid()}-{int(time.time())}",
            )
        except (APIError, ImageNotFound) as exc:
            raise UsageError(f"the container could not be started from {request.image!r}: {_short(exc)}") from None
        try:
            origin = f"{request.scheme}://127.0.0.1:{port}"
            running = RunningContainer(container, info, port, origin)
            served = origin + request.spec_path if serves_spec else None
            probe = readiness_probe(served, document, base_url, origin)
            wait_ready(running, probe, verify, headers, request.ready_timeout, progress)
            progress(f"container {container.short_id} is ready")
            yield running
        finally:
            remove(container, progress)
    finally:
        client.close()
