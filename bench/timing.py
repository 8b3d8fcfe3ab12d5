"""Run a command and time it; the benchmark's only clock."""

import resource
import subprocess
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timed:
    seconds: float
    cpu_seconds: float  # the child's user + system time: the work, without time spent waiting
    returncode: int
    stdout: str
    stderr: str


def timed(command: list[str], timeout: float = 1800, **run: Any) -> Timed:
    """`run`: further subprocess.run arguments (env, cwd)."""
    before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **run)
    seconds = time.perf_counter() - started
    return Timed(seconds, _children_cpu() - before, proc.returncode, proc.stdout, proc.stderr)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
