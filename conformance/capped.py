"""Read a local file without trusting its size: never more than a cap, however large it has grown."""

from pathlib import Path


class TooLarge(ValueError):
    """The file holds more than the cap allows."""


def read_capped(path: Path, cap: int) -> bytes:
    """At most `cap` bytes of `path`; TooLarge when there are more. OSError passes through to the caller."""
    with path.open("rb") as handle:
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise TooLarge(f"{path} is larger than {cap} bytes")
    return data
