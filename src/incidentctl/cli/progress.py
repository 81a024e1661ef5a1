"""A progress indicator on stderr for work that takes longer than a second."""

from __future__ import annotations

import sys
import time
from types import TracebackType


class Progress:
    """Call with (done, total); shows nothing for the first second, then a counter.

    On a terminal the counter is redrawn in place; elsewhere (CI logs) a line is
    written at most every ten seconds.
    """

    def __init__(self, label: str, delay: float = 1.0) -> None:
        self.label = label
        self.delay = delay
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.started < self.delay:
            return
        if not self.tty and self.shown and now - self.last < 10:
            return
        self.last = now
        self.shown = True
        text = f"{self.label}: {done}/{total} commits"
        if self.tty:
            sys.stderr.write(f"\r{text}")
        else:
            sys.stderr.write(f"{text}\n")
        sys.stderr.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.shown and self.tty:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
