"""File → Import…, drag and drop, and the watched folder: activity files in, off the GUI thread.

`ImportController.import_paths(paths)` runs `services.imports.import_paths` for the athlete
shown (as `pulsedeck import --athlete` would) through a `TaskRunner`: progress per file,
Cancel between files or inside a long one (that file is not kept), one line per file as it
is done, and the report at the end. `start_watch(ctx)` (re)starts the watched folder from
its setting; files found there are imported for yourself, as `import --watch` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .tasks import CANCELLING, ProgressShown, TaskRunner

if TYPE_CHECKING:
    from sync.imports import FileResult, ImportReport

    from .context import AppContext

#: The file dialog's filter: what the readers take (the content decides, not the name).
FILE_FILTER = (
    "Activity files (*.fit *.tcx *.gpx *.zip *.gz *.bz2 *.xz *.FIT *.TCX *.GPX *.ZIP);;"
    "All files (*)"
)
#: What each outcome looks like in the report's list (a sign readable without colour).
MARKS = {"imported": "✓", "duplicate": "=", "refused": "✗", "skipped": "–"}


def result_line(r: FileResult, full: bool = False) -> str:
    """One file of the report, as the CLI prints it (the file's name; `full`: its path)."""
    name = r.label if full else Path(r.label).name
    if r.outcome.value == "imported":
        note = f" ({r.reason})" if r.reason else ""
        return f"{name}: session {r.session_id}, {r.samples:,} samples, {r.rr:,} RR{note}"
    return f"{name}: {r.reason}"


def report_text(report: ImportReport) -> str:
    """The final line: imported, duplicates skipped, refused (and cancelled)."""
    return report.summary()[:1].upper() + report.summary()[1:]


class ImportDialog(ProgressShown, QDialog):
    """Progress, Cancel, every file's outcome as it is done, and the report at the end."""

    #: "Show in History" was pressed.
    showHistory = Signal()

    def __init__(self, runner: TaskRunner, athlete: str, parent: QWidget | None = None,
                 danger: str = "#c62828") -> None:  # fmt: skip
        super().__init__(parent)
        self.runner = runner
        self.athlete = athlete
        self._danger = QColor(danger)
        self.setWindowTitle("Import activities")
        self.setMinimumSize(620, 420)
        root = QVBoxLayout(self)
        self.heading = QLabel(f"Importing for {athlete}")
        self.heading.setStyleSheet("font-size: 17px; font-weight: 700;")
        root.addWidget(self.heading)
        row = QHBoxLayout()
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setRange(0, 0)
        self.detail = QLabel("looking for activity files…")
        self.detail.setProperty("role", "muted")
        row.addWidget(self.bar, 1)
        row.addWidget(self.detail)
        root.addLayout(row)
        self.results = QListWidget()
        self.results.setWordWrap(True)
        self.results.setAccessibleName("Files")
        root.addWidget(self.results, 1)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-weight: 600;")
        root.addWidget(self.summary)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.history_btn = QPushButton("Show in History")
        self.history_btn.hide()
        self.history_btn.clicked.connect(self._show_history)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setToolTip("Stop after this file; a file half-read is not kept")
        self.cancel_btn.clicked.connect(self._cancel_or_close)
        width = self.cancel_btn.fontMetrics().horizontalAdvance(CANCELLING)
        self.cancel_btn.setMinimumWidth(width + 32)  # the same width as "Cancelling…"
        buttons.addWidget(self.history_btn)
        buttons.addWidget(self.cancel_btn)
        root.addLayout(buttons)
        self.report: ImportReport | None = None
        runner.progressed.connect(self._progressed)
        runner.cancelling.connect(self._cancelling)

    def add_result(self, r: FileResult) -> None:
        """One file done (GUI thread): its line, marked by outcome; refusals say why."""
        item = QListWidgetItem(f"{MARKS.get(r.outcome.value, '·')}  {result_line(r)}")
        item.setData(Qt.ItemDataRole.UserRole, r.outcome.value)
        item.setToolTip(f"{r.outcome.value}: {result_line(r, full=True)}")
        if r.outcome.value == "refused":
            item.setForeground(self._danger)
        self.results.addItem(item)
        self.results.scrollToBottom()

    def finish(self, report: ImportReport | None, error: str | None = None) -> None:
        """The import ended: the report (or why it stopped); Cancel becomes Close."""
        from sync.imports import Outcome

        self.report = report
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        if report is not None:
            verb = "Import stopped" if report.cancelled else "Imported"
            self.heading.setText(f"{verb} for {self.athlete}")
            self.summary.setText(report_text(report) + ".")
            self.detail.setText(f"{len(report.results):,} files")
            self.history_btn.setVisible(report.count(Outcome.IMPORTED) > 0)
        if error is not None:
            self.summary.setText(error)
        self.cancel_btn.setEnabled(True)
        self.cancel_btn.setText("Close")

    def _cancel_or_close(self) -> None:
        if self.cancel_btn.text() == "Close":
            self.accept()
        else:
            self.runner.cancel()

    def _show_history(self) -> None:
        self.showHistory.emit()
        self.accept()

    def reject(self) -> None:  # Esc or the title bar's close: cancel first, like the button
        if self.cancel_btn.text() == "Close":
            super().reject()
        else:
            self.runner.cancel()


class ImportController(QObject):
    """One import at a time for the window; the dialog shows it."""

    #: The import ended; its report (None when it failed before reading any file).
    finished = Signal(object)

    def __init__(self, ctx: AppContext, show_history: Callable[[], object],
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.ctx = ctx
        self.runner = TaskRunner(ctx.bridge, self)
        self.dialog: ImportDialog | None = None
        self._show_history = show_history
        self.runner.finished.connect(lambda _outcome, line: ctx.message.emit(line))

    def refusal(self) -> str | None:
        """Why nothing can be imported now (a read-only store or athlete), else None."""
        if self.ctx.read_only:
            return "The data folder is read-only: nothing can be imported."
        if self.ctx.athlete.read_only:
            return (
                f"{self.ctx.athlete.name} is an imported client (read-only): switch to "
                "yourself or another client to import."
            )
        if self.runner.running:
            return "An import is already running."
        return None

    def import_paths(self, paths: Sequence[Path], parent: QWidget | None = None) -> bool:
        """Start importing `paths` for the athlete shown; False (and why, said) if not."""
        problem = self.refusal()
        if problem is not None:
            self.ctx.message.emit(problem)
            return False
        ctx, athlete = self.ctx, self.ctx.athlete
        imports = ctx.services.imports
        dialog = ImportDialog(self.runner, athlete.name, parent, ctx.theme.danger)
        dialog.showHistory.connect(self._show_history)
        self.dialog = dialog

        def on_result(r: FileResult) -> None:  # the worker thread: hand it to the GUI
            ctx.bridge.call_soon_in_gui(lambda: dialog.add_result(r))

        def done(report: ImportReport) -> str:  # after every per-file line (queued before it)
            self._done(dialog, report)
            return f"Import for {athlete.name}: {report.summary()}"

        def failed(exc: BaseException) -> str:
            text = f"Not imported: {exc}"
            dialog.finish(None, text)
            self.finished.emit(None)
            return text

        task = self.runner.start(
            f"Importing for {athlete.name}",
            lambda progress, cancel: imports.import_paths(
                athlete.id, list(paths), progress=progress, cancel=cancel, on_result=on_result
            ),
            done,
            unit="files",
            on_error=failed,
        )
        if task is None:
            return False
        dialog.show()
        return True

    def _done(self, dialog: ImportDialog, report: ImportReport) -> None:
        """The report in the dialog; History and the goals see the new sessions."""
        from sync.imports import Outcome

        dialog.finish(report)
        if report.count(Outcome.IMPORTED):
            self.ctx.historyChanged.emit()
            self.ctx.refresh_goals()
        self.finished.emit(report)


def start_watch(ctx: AppContext, on_started: Callable[[Path | None], None] | None = None) -> None:
    """(Re)start watching the folder the setting names, off the GUI thread (None: stopped)."""
    imports, bridge = ctx.services.imports, ctx.bridge
    if ctx.read_only:
        return

    def result(r: FileResult) -> None:  # the watcher's thread
        bridge.call_soon_in_gui(lambda: _watched(ctx, r))

    def failed(exc: BaseException) -> None:
        bridge.call_soon_in_gui(lambda: ctx.message.emit(f"Watched folder stopped: {exc}"))

    def work() -> Path | None:
        folder = imports.watch_dir()
        if folder is None or not folder.is_dir():
            imports.watcher.stop()
            return None
        me = imports.writable_athlete(None)
        imports.watcher.start(me, folder, result, on_error=failed)
        return folder

    bridge.run(work, on_started)


def _watched(ctx: AppContext, r: FileResult) -> None:
    """A file from the watched folder: imported or refused, said in the status bar."""
    name = Path(r.label).name
    if r.outcome.value == "imported":
        ctx.message.emit(f"Imported {name} from the watched folder (session {r.session_id})")
        ctx.historyChanged.emit()
        ctx.refresh_goals()
    elif r.outcome.value == "refused":
        ctx.message.emit(f"Not imported from the watched folder: {name}: {r.reason}")
