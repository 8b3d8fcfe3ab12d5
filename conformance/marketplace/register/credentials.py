"""Credential references: where a product's credential is kept (an environment variable or a file), never the
credential itself. The register, its records and its output hold only the reference; the value is read at
run time, by the process that runs the product, and goes nowhere but into that run's request headers.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.errors import UsageError

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
KINDS = ("header", "peer-header")
MAX_SECRET_BYTES = 16 * 1024


@dataclass(frozen=True)
class CredentialRef:
    """`Name: <value of the reference>` sent as a run's --header (or --peer-header)."""

    kind: str  # "header" or "peer-header"
    header: str
    source: str  # "env" or "file"
    location: str  # the variable's name or the file's absolute path

    @property
    def reference(self) -> str:
        return f"{self.source}:{self.location}"

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "header": self.header, "source": self.source, "location": self.location}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CredentialRef":
        return cls(data["kind"], data["header"], data["source"], data["location"])

    def resolve(self) -> str:
        """The header line the run sends; UsageError naming the reference (never a value) when it is missing."""
        if self.source == "env":
            value = os.environ.get(self.location)
            if not value:
                raise UsageError(f"the credential reference {self.reference} for {self.header}: the variable is unset")
        else:
            try:
                with open(self.location, "rb") as handle:
                    raw = handle.read(MAX_SECRET_BYTES + 1)
            except OSError as exc:
                raise UsageError(f"cannot read the credential file {self.location}: {exc.strerror or exc}") from None
            if len(raw) > MAX_SECRET_BYTES:
                raise UsageError(f"the credential file {self.location} is larger than {MAX_SECRET_BYTES} bytes")
            value = raw.decode("utf-8", "replace").strip()
        if not value or "\n" in value or "\r" in value:
            raise UsageError(f"the credential at {self.reference} for {self.header} is empty or spans several lines")
        return f"{self.header}: {value}"


def parse_reference(kind: str, text: str) -> CredentialRef:
    """`Header=env:VARIABLE` or `Header=file:/absolute/path`; anything else is refused without echoing it."""
    option = f"--{kind}-ref"
    header, sep, reference = text.partition("=")
    header = header.strip()
    if not sep or not HEADER_NAME.match(header):
        raise UsageError(f"{option} takes HEADER=env:VARIABLE or HEADER=file:/absolute/path")
    source, sep, location = reference.strip().partition(":")
    if sep and source == "env" and ENV_NAME.match(location):
        return CredentialRef(kind, header, "env", location)
    if sep and source == "file" and Path(location).is_absolute() and "\n" not in location:
        return CredentialRef(kind, header, "file", location)
    # The value is not shown: what was typed here may well be the secret itself.
    raise UsageError(
        f"{option} {header}=…: the value is not a reference. The register keeps where a credential is "
        "(env:VARIABLE or file:/absolute/path), never the credential itself; put the secret in an environment "
        "variable or a file readable by the machine that re-validates"
    )
