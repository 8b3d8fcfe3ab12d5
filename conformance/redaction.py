"""Keep credentials out of every output: any secret value the user gave is replaced wherever it appears."""

import dataclasses
import re
from enum import Enum
from typing import Any

MARKER = "[REDACTED]"


class Redactor:
    """Replaces each known secret (and its common encodings in curl lines) with a marker."""

    def __init__(self, secrets: list[str]) -> None:
        # Longest first, so a token is not half-replaced by a shorter secret it contains.
        values = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(v) for v in values)) if values else None

    def text(self, value: str) -> str:
        return self._pattern.sub(MARKER, value) if self._pattern else value

    def deep(self, value: Any) -> Any:
        """A copy of a JSON-like structure or a record (frozen dataclasses) with every string redacted."""
        if isinstance(value, Enum):
            return value  # a closed vocabulary, never a secret
        if isinstance(value, str):
            return self.text(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changed = {f.name: self.deep(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
            return dataclasses.replace(value, **changed)
        if isinstance(value, dict):
            return {self.text(k): self.deep(v) for k, v in value.items()}
        if isinstance(value, tuple):
            return tuple(self.deep(v) for v in value)
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        return value
