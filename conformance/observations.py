"""What responses say besides their contract: leaked internals, rate limits, HSTS, the API version.

Both the fuzzer (on every response it sees) and the network checks (on the responses they provoke) read
responses through these functions, so a leak or a usable 429 means the same thing to both.
"""

import email.utils
import re
from collections.abc import Mapping

LEAK_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a Python stack trace", re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")),
    ("a Java stack trace", re.compile(r"\bat [\w$.]+\([\w$]+\.java:\d+\)|Exception in thread \"")),
    ("a .NET stack trace", re.compile(r"\bat [\w.`<>]+\(.*\) in .+:line \d+|System\.\w+Exception")),
    ("a JavaScript stack trace", re.compile(r"\bat .+ \(.+\.(?:js|ts|mjs):\d+:\d+\)")),
    ("a Go panic", re.compile(r"goroutine \d+ \[running\]|\bpanic: ")),
    ("a PHP stack trace", re.compile(r"#\d+ .+\.php\(\d+\)|PHP (?:Fatal|Parse) error")),
    ("a Ruby stack trace", re.compile(r"\.rb:\d+:in `")),
    (
        "a framework banner",
        re.compile(r"Werkzeug|Django|Whitelabel Error Page|Apache Tomcat/|Laravel"),
    ),
    (
        "an internal file path",
        re.compile(
            r"(?:/usr/(?:lib|local|share|src)/|/home/\w|/var/www/|/opt/\w|/srv/\w|site-packages|node_modules"
            r"|[A-Za-z]:\\(?:Users|inetpub|Program Files|Windows)\\)"
        ),
    ),
)
BANNER_HEADERS = ("x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-generator")
VERSIONED_PRODUCT = re.compile(r"[A-Za-z][\w.-]*/\d")
# Headers that carry the API's own version: API-Version, X-API-Version, X-GitHub-Api-Version, Accept-Version,
# Version. Never a banner that happens to say "version" (X-AspNet-Version names the server's software).
API_VERSION_HEADER = re.compile(r"^(?:x-)?(?:(?:[a-z0-9]+-)?api-version|(?:accept-)?version)$", re.I)


def find_leaks(text: str) -> list[str]:
    """What a response body gives away, as short phrases with the matching text."""
    found = []
    for what, pattern in LEAK_PATTERNS:
        match = pattern.search(text)
        if match:
            found.append(f"{what} ({match.group(0)[:60]!r})")
    return found


def banner_leaks(headers: Mapping[str, str]) -> list[str]:
    """Headers that name the software and its version."""
    lowered = {k.lower(): v for k, v in headers.items()}
    found = [f"{name}: {lowered[name]}" for name in BANNER_HEADERS if lowered.get(name)]
    server = lowered.get("server", "")
    if VERSIONED_PRODUCT.search(server):
        found.append(f"Server: {server}")
    return found


def api_version_headers(headers: Mapping[str, str]) -> list[str]:
    """The names of headers that carry an API version (with a value); banners never match."""
    return [name for name, value in headers.items() if API_VERSION_HEADER.match(name) and value.strip()]


def hsts_max_age(value: str | None) -> int | None:
    """The max-age of a Strict-Transport-Security value, or None when absent or malformed."""
    match = re.search(r"(?:^|;)\s*max-age\s*=\s*\"?(\d+)\"?", value or "", re.I)
    return int(match.group(1)) if match else None


def valid_retry_after(value: str | None) -> bool:
    """Retry-After is delay-seconds or an HTTP-date (RFC 9110 10.2.3)."""
    value = (value or "").strip()
    if value.isdigit():
        return True
    try:
        return email.utils.parsedate_to_datetime(value) is not None
    except (TypeError, ValueError):
        return False


def rate_limit_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Retry-After and every RateLimit / X-RateLimit header a response carries."""
    return {
        k.lower(): v
        for k, v in headers.items()
        if k.lower() == "retry-after" or k.lower().startswith(("ratelimit", "x-ratelimit"))
    }


def tells_when_to_retry(headers: Mapping[str, str]) -> bool:
    """A 429 is usable when it has a valid Retry-After or any RateLimit header."""
    found = rate_limit_headers(headers)
    return valid_retry_after(found.get("retry-after")) or any(k != "retry-after" for k in found)
