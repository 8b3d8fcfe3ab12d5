"""HTTP and file plumbing shared by every reader: size-capped reads, and GETs that never leave their origin.

Nothing here trusts a size, a redirect or an error message from the other side: files and responses are read
to a cap, redirects are followed only within the first URL's origin, and errors are cut to one line.
"""

from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from conformance.errors import UsageError

FETCH_TIMEOUT = 15.0
MAX_REDIRECTS = 5


class TooLarge(ValueError):
    """The file or response holds more than the cap allows."""


class RedirectRefused(UsageError):
    """A GET was redirected off its origin, or too often."""


def read_past_cap(path: Path, cap: int) -> bytes:
    """At most `cap` + 1 bytes of `path`: enough for its parser to tell that it is too large, never more.

    OSError passes through to the caller.
    """
    with path.open("rb") as handle:
        return handle.read(cap + 1)


def read_capped(path: Path, cap: int) -> bytes:
    """At most `cap` bytes of `path`; TooLarge when there are more. OSError passes through to the caller."""
    data = read_past_cap(path, cap)
    if len(data) > cap:
        raise TooLarge(f"{path} is larger than {cap} bytes")
    return data


def read_response_capped(response: requests.Response, cap: int) -> bytes:
    """The body of a streamed response, stopping as soon as it passes `cap` bytes (TooLarge)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(65536):
        size += len(chunk)
        if size > cap:
            raise TooLarge(f"{response.url} is larger than {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def origin_of(url: str) -> str:
    """scheme://host:port, with the scheme's default port made explicit."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"


def get_following_same_origin(url: str, headers: dict[str, str], verify: bool | str) -> requests.Response:
    """A streamed GET, following at most MAX_REDIRECTS redirects and never one that leaves the URL's origin."""
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        response = requests.get(
            current, headers=headers, timeout=FETCH_TIMEOUT, stream=True, verify=verify, allow_redirects=False
        )
        location = response.headers.get("Location")
        if not response.is_redirect or not location:
            return response
        response.close()
        following = urljoin(current, location)
        if origin_of(following) != origin_of(url):
            raise RedirectRefused(f"fetching {url} was redirected to another host ({following}); not following it")
        current = following
    raise RedirectRefused(f"fetching {url} was redirected more than {MAX_REDIRECTS} times")


def innermost_reason(exc: BaseException) -> str:
    """The innermost cause's message: requests wraps the useful part several layers deep."""
    while exc.__context__ is not None and exc.__context__ is not exc:
        exc = exc.__context__
    return str(exc).split("\n")[0][:200] or type(exc).__name__
