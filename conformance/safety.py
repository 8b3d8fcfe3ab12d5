"""Do no damage, and do not be hurt: the limits every request the harness sends is held to.

One policy serves both senders: the fuzzer (through a Schemathesis `before_call` hook and its config)
and the direct checks (through ApiClient), so a live system sees the same ceiling from both.
"""

import ipaddress
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ProtocolError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_MAX_RPS = 20.0
DEFAULT_REQUEST_TIMEOUT = 10.0
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


class RateLimitBasis(StrEnum):
    """Why a run's rate limit is what it is (the run record keeps it)."""

    OPTION = "--max-rps"
    LOOPBACK = "loopback target"
    TRUSTED = "--trusted-target"
    DEFAULT = "default for a remote target"


def rate_limit(explicit: float | None, base_url: str, trusted: bool) -> tuple[float, RateLimitBasis]:
    """Requests per second for a run (0: no limit), and why.

    A given --max-rps always wins. Otherwise a system we may not own is spared (DEFAULT_MAX_RPS), but a
    target on this machine (127.0.0.0/8, ::1, localhost) or one the user vouches for (--trusted-target) is
    not: throttling our own test server only makes the run slower.
    """
    if explicit is not None:
        return explicit, RateLimitBasis.OPTION
    if is_loopback(base_url):
        return 0.0, RateLimitBasis.LOOPBACK
    if trusted:
        return 0.0, RateLimitBasis.TRUSTED
    return DEFAULT_MAX_RPS, RateLimitBasis.DEFAULT


def is_loopback(url: str) -> bool:
    """Whether `url` names this machine by a loopback address or `localhost`."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ReadOnlyRefusal(Exception):
    """A check wanted to send a write in a --read-only run; the requirement is not applicable."""


class TimeBudgetExhausted(Exception):
    """The run reached --max-time; what was not decided is reported as not tested."""


class ResponseCut(ProtocolError):
    """A response body was too large or too slow; raised while reading so no more is buffered."""


def cut_reason(exc: BaseException) -> str | None:
    """The ResponseCut message buried in a requests/urllib3 exception chain, if a cap caused it."""
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ResponseCut):
            return str(current)
        pending.extend([current.__cause__, current.__context__, *current.args])
    return None


@dataclass
class Safety:
    """Limits for one run. `max_rps` and `max_time` of 0 or None mean no limit."""

    read_only: bool = False
    max_rps: float | None = DEFAULT_MAX_RPS
    max_time: float | None = None
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _next_slot: float = 0.0

    def remaining(self) -> float | None:
        """Seconds left of --max-time, or None without a limit."""
        if not self.max_time:
            return None
        return max(0.0, self.max_time - (time.monotonic() - self.started))

    def check_budget(self) -> None:
        remaining = self.remaining()
        if remaining is not None and remaining <= 0:
            raise TimeBudgetExhausted(f"not tested: the run reached its time limit (--max-time {self.max_time:g})")

    def allow(self, method: str) -> None:
        if self.read_only and method.upper() not in SAFE_METHODS:
            raise ReadOnlyRefusal(f"needs {method.upper()} requests, and this is a --read-only run")

    def pace(self) -> None:
        """Block until the next request may go, keeping under max_rps across threads."""
        if not self.max_rps:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1.0 / self.max_rps
        if slot > now:
            time.sleep(slot - now)

    def response_hook(self) -> Any:
        """A requests response hook that cuts bodies over max_body_bytes or slower than request_timeout."""

        def cap(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
            raw = response.raw
            if raw is None or not hasattr(raw, "stream"):
                return response
            original = raw.stream
            limit, timeout = self.max_body_bytes, self.request_timeout

            def capped(*stream_args: Any, **stream_kwargs: Any) -> Any:
                received, deadline = 0, time.monotonic() + timeout
                for chunk in original(*stream_args, **stream_kwargs):
                    received += len(chunk)
                    if received > limit:
                        raise ResponseCut(f"response body larger than {limit} bytes; stopped reading")
                    if time.monotonic() > deadline:
                        raise ResponseCut(f"response body still arriving after {timeout:g} s; stopped reading")
                    yield chunk

            raw.stream = capped
            return response

        return cap
