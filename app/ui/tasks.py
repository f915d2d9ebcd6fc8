"""Long tasks (export, GDPR zip, lake push) with progress and Cancel, never blocking the GUI.

`TaskRunner.start(title, work, ...)` runs `work(progress, cancel)` in the bridge's worker
threads. The work calls `progress(done, total)` between units and passes `cancel` (a
thread-safe `CancelToken`) to code that checks it between units and raises `Cancelled`.
Progress reaches the GUI thread through the bridge, at most `MAX_REPORTS_HZ` times a second
(the last report is deferred, never dropped). `TaskStrip` is the inline bar a screen shows:
title, progress bar, "n of N unit" and a Cancel button; it does not block the event loop and
the rest of the screen stays usable.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from sync.progress import Cancelled, CancelToken

from .bridge import Bridge

log = logging.getLogger(__name__)

#: Progress reaches the GUI at most this often: a bar needs no more, and a tight loop of
#: reports must not flood the event queue.
MAX_REPORTS_HZ = 10.0

#: What the strip says between Cancel and the work's next check.
STOPPING = "stopping at the next safe point…"
CANCELLING = "Cancelling…"

#: `work(progress, cancel)`: the blocking function a task runs in a worker thread.
Work = Callable[[Callable[[int, int], None], CancelToken], Any]

__all__ = ["Cancelled", "CancelToken", "Progress", "Task", "TaskRunner", "TaskStrip"]


@dataclass(frozen=True, slots=True)
class Progress:
    """What the bar shows: `done` of `total` units, and a line of text."""

    done: int
    total: int
    label: str


class Task:
    """One running task: its cancel token and its throttled progress reporter."""

    def __init__(self, title: str, bridge: Bridge, deliver: Callable[[Progress], None],
                 unit: str = "") -> None:  # fmt: skip
        self.title = title
        self.unit = unit
        self.token = CancelToken()
        self._bridge = bridge
        self._deliver = deliver
        self._lock = threading.Lock()
        self._latest: Progress | None = None
        self._pending = False
        self._last_sent = 0.0
        self.reports = 0  # how many reports reached the GUI (tests check the throttle)

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def cancel(self) -> None:
        """Ask the work to stop at its next check (any thread)."""
        self.token.cancel()

    def label(self, done: int, total: int) -> str:
        if not self.unit:
            return f"{round(100 * done / max(1, total))} %"
        return f"{done:,} of {total:,} {self.unit}"

    def progress(self, done: int, total: int, label: str | None = None) -> None:
        """Called by the work in its thread; cheap, never blocks on the GUI."""
        value = Progress(done, total, label or self.label(done, total))
        with self._lock:
            self._latest = value
            if self._pending:
                return  # a delivery is scheduled; it will carry this newer value
            self._pending = True
            wait = 1.0 / MAX_REPORTS_HZ - (time.monotonic() - self._last_sent)
        self._bridge.call_soon_in_gui(lambda: self._schedule(max(0.0, wait)))

    def _schedule(self, wait_s: float) -> None:
        if wait_s <= 0:
            self._flush()
        else:
            QTimer.singleShot(int(wait_s * 1000) + 1, self._flush)

    def flush(self) -> None:
        """Deliver the latest report now (the task ended: its last value must not trail)."""
        self._flush()

    def _flush(self) -> None:
        with self._lock:
            value, self._latest = self._latest, None
            self._pending = False
            self._last_sent = time.monotonic()
        if value is not None:
            self.reports += 1
            self._deliver(value)


class TaskRunner(QObject):
    """Runs one long task at a time for a screen; signals drive a `TaskStrip`."""

    #: A task started: its title.
    started = Signal(str)
    #: Throttled progress of the running task.
    progressed = Signal(object)  # Progress
    #: Cancel was pressed; the work stops at its next check.
    cancelling = Signal()
    #: The task ended: "done", "cancelled" or "failed", with a line for the status bar.
    finished = Signal(str, str)

    def __init__(self, bridge: Bridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.task: Task | None = None
        app = QCoreApplication.instance()
        if app is not None:  # quitting mid-task: let the work stop at its next check
            app.aboutToQuit.connect(self.cancel)

    @property
    def running(self) -> bool:
        return self.task is not None

    def start(
        self,
        title: str,
        work: Work,
        on_done: Callable[[Any], str | None],
        *,
        unit: str = "",
        on_error: Callable[[BaseException], str] | None = None,
    ) -> Task | None:
        """Run `work(progress, cancel)`; None if a task is already running here.

        `on_done(result)` returns the status line ("Exported to …"); a `Cancelled` from the
        work ends the task as cancelled; other errors give `on_error(exc)` or their message.
        """
        if self.task is not None:
            return None
        task = Task(title, self.bridge, self.progressed.emit, unit)
        self.task = task

        def done(result: Any) -> None:
            self._end(task, "done", on_done(result) or f"{title}: done")

        def failed(exc: BaseException) -> None:
            if isinstance(exc, Cancelled):
                detail = str(exc) if str(exc) != "cancelled" else "nothing was kept"
                self._end(task, "cancelled", f"{title}: cancelled ({detail})")
                return
            if not isinstance(exc, (OSError, ValueError, LookupError)):
                log.error("%s failed", title, exc_info=exc)
            text = on_error(exc) if on_error is not None else f"{title} failed: {exc}"
            self._end(task, "failed", text)

        future = self.bridge.run(lambda: work(task.progress, task.token), done, failed)
        if future is None:  # the window is closing
            self.task = None
            return None
        self.started.emit(title)
        return task

    def cancel(self) -> None:
        """Cancel the running task (it stops at its next check; a no-op when idle)."""
        task = self.task
        if task is not None and not task.cancelled:
            task.cancel()
            self.cancelling.emit()

    def _end(self, task: Task, outcome: str, message: str) -> None:
        task.flush()  # a deferred report arrives before `finished`, never after it
        if self.task is task:
            self.task = None
        self.finished.emit(outcome, message)


class ProgressShown:
    """What a task's progress view does with a report and a cancel (the strip, the import)."""

    bar: QProgressBar
    detail: QLabel
    cancel_btn: QPushButton

    def _progressed(self, p: Progress) -> None:
        self.bar.setRange(0, max(1, p.total))
        self.bar.setValue(min(p.done, p.total))
        if self.cancel_btn.isEnabled():
            self.detail.setText(p.label)

    def _cancelling(self) -> None:
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.setText(CANCELLING)
        self.detail.setText(STOPPING)


class TaskStrip(ProgressShown, QFrame):
    """An inline bar under a screen's content: title, progress, "n of N", Cancel.

    Hidden while idle. Not modal: the screen stays usable and the event loop never waits.
    """

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.runner = runner
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 10, 8)
        layout.setSpacing(12)
        self.title = QLabel("")
        self.title.setStyleSheet("font-weight: 600;")
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setMinimumWidth(200)
        self.detail = QLabel("")
        self.detail.setProperty("role", "muted")

        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setToolTip("Stop at the next safe point; nothing half-done is kept")
        self.cancel_btn.clicked.connect(runner.cancel)
        layout.addWidget(self.title)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.cancel_btn)
        runner.started.connect(self._started)
        runner.progressed.connect(self._progressed)
        runner.cancelling.connect(self._cancelling)
        runner.finished.connect(lambda _o, _m: self.hide())
        self.hide()

    def _fit(self) -> None:
        """Size the label and button for their longest texts (with the style sheet's font), so
        the bar does not jump when "Cancel" becomes "Cancelling…"."""
        self.detail.ensurePolished()
        self.detail.setFixedWidth(self.detail.fontMetrics().horizontalAdvance(STOPPING) + 12)
        self.cancel_btn.ensurePolished()
        self.cancel_btn.setText(CANCELLING)
        self.cancel_btn.setMinimumWidth(self.cancel_btn.sizeHint().width())

    def _started(self, title: str) -> None:
        self._fit()
        self.title.setText(title)
        self.bar.setRange(0, 0)  # busy until the first report says how much there is
        self.detail.setText("starting…")
        self.cancel_btn.setEnabled(True)
        self.cancel_btn.setText("Cancel")
        self.show()
