"""Run a command and time it; the benchmark's only clock."""

import subprocess
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Timed:
    seconds: float
    returncode: int
    stdout: str
    stderr: str


def timed(command: list[str], timeout: float = 1800) -> Timed:
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    return Timed(time.perf_counter() - started, proc.returncode, proc.stdout, proc.stderr)
