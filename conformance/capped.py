"""Read a local file or a streamed HTTP response without trusting its size: never more than a cap."""

from pathlib import Path

import requests


class TooLarge(ValueError):
    """The file or response holds more than the cap allows."""


def read_capped(path: Path, cap: int) -> bytes:
    """At most `cap` bytes of `path`; TooLarge when there are more. OSError passes through to the caller."""
    with path.open("rb") as handle:
        data = handle.read(cap + 1)
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
