"""Where a run is, said often enough that a long run never looks stuck.

One Progress per run takes two kinds of news: lines (what happened: "fuzzing: coverage phase", "NET-04:
pass") and the position (stage, phase, operation, how much of how much is done, cases, findings). A
display shows them: timestamped plain lines for logs and CI, or a live bar on a terminal. Between news, a
heartbeat says the position again after a few quiet seconds and names the request the run is waiting on.
"""

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

QUIET_SECONDS = 3.0  # a plain display repeats the position after this long without a line
TICK_SECONDS = 1.0
SLOW_REQUEST_SECONDS = 2.0  # a request still unanswered after this long is named


@dataclass(frozen=True)
class Position:
    """What the run is doing now; `done` of `total` units of the current stage, counted from `base`."""

    stage: str = "starting"
    phase: str = ""
    operation: str = ""
    done: int = 0
    total: int = 0
    cases: int = 0
    findings: int = 0
    base: int = 0  # `done` when the stage began: the estimate uses this stage's pace only
    stage_started: float = field(default_factory=time.monotonic)

    def left_seconds(self, now: float) -> float | None:
        """An estimate of the seconds left in this stage at its pace so far, or None before there is a pace."""
        finished = self.done - self.base
        if finished <= 0 or self.total <= 0:
            return None
        return max(0.0, (now - self.stage_started) / finished * (self.total - self.done))

    def brief(self, now: float) -> str:
        """'fuzzing, stateful phase, GET /items, 12 of 40, 340 cases, 2 findings, about 1m20s left'."""
        parts = [self.stage]
        if self.phase:
            parts.append(f"{self.phase} phase")
        if self.operation:
            parts.append(self.operation)
        if self.total:
            parts.append(f"{min(self.done, self.total)} of {self.total}")
        if self.cases:
            parts.append(f"{self.cases} cases, {self.findings} findings")
        left = self.left_seconds(now)
        if left is not None:
            parts.append(f"about {duration(left)} left")
        return ", ".join(parts)


def duration(seconds: float) -> str:
    """'45s', '3m05s': short enough for a status line."""
    whole = round(seconds)
    return f"{whole}s" if whole < 60 else f"{whole // 60}m{whole % 60:02d}s"


class Waits:
    """Requests in flight, one per thread, so a slow one can be named while the run waits on it.

    Process-wide like Schemathesis's hooks: the engine's workers and the direct checks both register here.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[int, tuple[str, float, float]] = {}  # thread id -> (request, started, timeout)

    def begin(self, request: str, timeout: float) -> None:
        with self._lock:
            self._open[threading.get_ident()] = (request, time.monotonic(), timeout)

    def end(self) -> None:
        with self._lock:
            self._open.pop(threading.get_ident(), None)

    def clear(self) -> None:
        with self._lock:
            self._open.clear()

    @contextmanager
    def on(self, request: str, timeout: float) -> Iterator[None]:
        self.begin(request, timeout)
        try:
            yield
        finally:
            self.end()

    def slowest(self, now: float) -> str:
        """'waiting 8s for GET /slow (--request-timeout 10s)', or '' when nothing has waited long."""
        with self._lock:
            waits = list(self._open.values())
        if not waits:
            return ""
        request, started, timeout = min(waits, key=lambda wait: wait[1])
        if now - started < SLOW_REQUEST_SECONDS:
            return ""
        return f"waiting {duration(now - started)} for {request} (--request-timeout {timeout:g}s)"


WAITS = Waits()


class Display(Protocol):
    """How progress reaches a person: every line, and (for a live display) the position at each tick."""

    live: bool

    def line(self, elapsed: float, text: str) -> None: ...

    def show(self, elapsed: float, position: Position, waiting: str) -> None: ...

    def close(self) -> None: ...


class PlainLines:
    """'[  12.3s] text' lines through `write`: for logs, CI and pytest's terminal."""

    live = False

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write

    def line(self, elapsed: float, text: str) -> None:
        self.write(f"[{elapsed:6.1f}s] {text}")

    def show(self, elapsed: float, position: Position, waiting: str) -> None:
        """A plain display has nothing to redraw; the heartbeat writes a line instead."""

    def close(self) -> None:
        """Nothing to tear down."""


class Progress:
    """The one progress channel of a run: `progress(line)`, `progress.at(position changes)`, and a heartbeat.

    Without a display it is silent (a run nobody watches). Used as a context manager it runs the heartbeat.
    """

    def __init__(self, display: Display | None = None) -> None:
        self.display = display
        self.started = time.monotonic()
        self.position = Position()
        self._last_line = self.started
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._beating: threading.Thread | None = None

    @property
    def silent(self) -> bool:
        return self.display is None

    def __call__(self, message: str) -> None:
        if self.display is None:
            return
        with self._lock:
            now = time.monotonic()
            self._last_line = now
            self.display.line(now - self.started, message)

    def at(self, **changes: str | int) -> None:
        """Move the position; a new stage restarts the estimate's clock."""
        with self._lock:
            position = self.position
            if "stage" in changes and changes["stage"] != position.stage:
                changes = {"phase": "", "operation": "", **changes}
                changes |= {"base": int(changes.get("done", position.done)), "stage_started": time.monotonic()}
            self.position = dataclasses.replace(position, **changes)  # type: ignore[arg-type]

    def estimate(self) -> str:
        """'12 of 40 done, about 30s left' for this stage, or '' before there is a pace."""
        position, now = self.position, time.monotonic()
        if not position.total:
            return ""
        left = position.left_seconds(now)
        done = f"{min(position.done, position.total)} of {position.total} done"
        return done if left is None else f"{done}, about {duration(left)} left"

    def tick(self) -> None:
        """One heartbeat: redraw a live display; repeat the position on a plain one that has been quiet."""
        if self.display is None:
            return
        with self._lock:
            now = time.monotonic()
            waiting = WAITS.slowest(now)
            if self.display.live:
                self.display.show(now - self.started, self.position, waiting)
            elif now - self._last_line >= QUIET_SECONDS:
                text = "still working: " + self.position.brief(now) + (f"; {waiting}" if waiting else "")
                self(text)

    def __enter__(self) -> "Progress":
        if self.display is not None and self._beating is None:
            self._beating = threading.Thread(target=self._beat, name="progress-heartbeat", daemon=True)
            self._beating.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._beating is not None:
            self._beating.join()
            self._beating = None
        if self.display is not None:
            self.display.close()

    def _beat(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            self.tick()
