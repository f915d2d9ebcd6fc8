"""Progress and cancellation for long work (exports, lake push), with no Qt and no threads.

The work takes two optional keyword arguments: `progress(done, total)`, called between units,
and `cancel`, checked between units. `cancel` is a `CancelToken` (the GUI's task runner sets
it from the Cancel button on another thread) or any callable returning True once the user
cancelled. A cancelled check raises `Cancelled`; the work then leaves nothing partial behind
(exports write a temporary file renamed only on success; a lake push stops between sessions).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

#: `progress(done, total)`: `done` of `total` units are finished (total >= 1).
Progress = Callable[[int, int], None]


class Cancelled(Exception):
    """The user cancelled the task; nothing partial was kept."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)


class CancelToken:
    """Thread-safe 'stop at the next unit' flag: set on the GUI thread, read by the work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise `Cancelled` once `cancel()` was called (from any thread)."""
        if self._event.is_set():
            raise Cancelled()

    def __call__(self) -> bool:
        return self._event.is_set()


CancelCheck = CancelToken | Callable[[], bool]


class Steps:
    """One piece of work's reporter: `step(n)` advances, checks for cancel, and reports."""

    def __init__(
        self, total: int, progress: Progress | None = None, cancel: CancelCheck | None = None
    ) -> None:
        self.total = max(1, int(total))
        self.done = 0
        self._progress = progress
        self._cancel = cancel

    def check(self) -> None:
        """Raise `Cancelled` if the user asked to stop (cheap; call between units)."""
        if self._cancel is not None and self._cancel():
            raise Cancelled()

    def step(self, n: int = 1) -> None:
        """`n` more units are done: report them, then check for cancel before the next."""
        self.done = min(self.total, self.done + n)
        if self._progress is not None:
            self._progress(self.done, self.total)
        self.check()

    def grow(self, total: int) -> None:
        """The work found more units than first counted (never shrinks)."""
        self.total = max(self.total, int(total))

    def start(self) -> None:
        """Report 0 of total (so a bar can show its range), then check for cancel."""
        if self._progress is not None:
            self._progress(self.done, self.total)
        self.check()

    def finish(self) -> None:
        """Report total of total (the last unit may have been smaller than a chunk)."""
        self.done = self.total
        if self._progress is not None:
            self._progress(self.total, self.total)
