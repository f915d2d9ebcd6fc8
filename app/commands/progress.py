"""A terminal progress line for long CLI work, fed by `sync.progress` callbacks.

`terminal_progress("export", "rows")` gives a `progress(done, total)` callback that redraws one
line on standard error (`export [########            ] 40/100 rows  12.5/s  ETA 0:05`), or
None when standard error is not a terminal: scripts, pipes and tests see nothing new, and the
work runs without a callback. The line is drawn at most ten times a second and erased when the
work ends, so the command's own output starts on a clean line.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

_WIDTH = 20  # cells of the bar


def _eta(seconds: float) -> str:
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


class TerminalProgress:
    """`progress(done, total)` drawing a bar with the rate and the time left on `stream`."""

    def __init__(
        self,
        label: str,
        unit: str = "",
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval_s: float = 0.1,  # ten redraws a second: smooth, and cheap on a slow terminal
    ) -> None:
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self._interval = interval_s
        self._start = clock()
        self._last_draw: float | None = None
        self._drawn = 0  # width of the line on screen (0: nothing drawn)

    def line(self, done: int, total: int) -> str:
        total = max(1, total)
        cells = round(_WIDTH * min(done, total) / total)
        elapsed = self._clock() - self._start
        text = f"{self.label} [{'#' * cells:{_WIDTH}}] {done}/{total}"
        text += f" {self.unit}" if self.unit else ""
        if done > 0 and elapsed > 0:
            rate = done / elapsed
            text += f"  {rate:.1f}/s"
            if done < total:
                text += f"  ETA {_eta((total - done) / rate)}"
        return text

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        final = done >= total
        if not final and self._last_draw is not None and now - self._last_draw < self._interval:
            return
        self._last_draw = now
        text = self.line(done, total)
        pad = max(0, self._drawn - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._drawn = len(text)

    def clear(self) -> None:
        """Erase the line (before printing something else, and at the end)."""
        if self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self.stream.flush()
            self._drawn = 0
            self._last_draw = None  # redraw at the next report


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


@contextmanager
def terminal_progress(label: str, unit: str = "") -> Iterator[TerminalProgress | None]:
    """A progress line on standard error while the block runs; None when it is no terminal."""
    if not is_terminal(sys.stderr):
        yield None
        return
    bar = TerminalProgress(label, unit)
    try:
        yield bar
    finally:
        bar.clear()


__all__ = ["TerminalProgress", "is_terminal", "terminal_progress"]
