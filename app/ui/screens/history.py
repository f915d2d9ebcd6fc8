"""History: sessions of the current athlete (or everyone) with search, filter and undo delete."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .. import viewmodels as vm
from ..context import AppContext, Navigator
from ..tasks import Task, TaskRunner, TaskStrip
from ..widgets import row_table

if TYPE_CHECKING:  # the lake stack loads only when a push runs
    from sync.lake.push import PushReport

COLUMNS = ("Date", "Athlete", "Sport", "Title", "Duration", "Distance", "Avg HR", "kcal", "Sync")
KCAL_COL = COLUMNS.index("kcal")
#: Why a session has no kcal (History's tooltip on "-").
KCAL_MISSING = (
    "No kcal: the athlete's weight, birth year or sex was not set. Complete the profile in "
    "Settings and this session gets its kcal."
)
#: How long "Undo delete" stays offered after a delete.
UNDO_MS = 15_000
#: The "Push to data lake" tooltip when no lake is configured.
LAKE_HOWTO = (
    "No data lake is configured. Set one up with\n"
    "pulsedeck lake configure --bucket NAME [--endpoint-url URL] [--access-key-id KEY]"
)

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


class SessionTable(QAbstractTableModel):
    """A table model over SessionRow view models (no queries here)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[vm.SessionRow] = []
        self.units = vm.METRIC

    def set_rows(self, rows: list[vm.SessionRow], units: str) -> None:
        self.beginResetModel()
        self.rows = rows
        self.units = units
        self.endResetModel()

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def text(self, row: vm.SessionRow, col: int) -> str:
        u = self.units
        return [
            vm.local_time(row.started_ms, row.timezone),
            row.athlete,
            row.sport,
            (row.title or "") + (" (recording)" if row.status == "recording" else ""),
            vm.hms(row.duration_s),
            vm.distance(row.distance_m, u),
            vm.number(row.avg_hr),
            vm.number(row.kcal),
            row.sync,
        ][col]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(row, index.column())
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == KCAL_COL and row.kcal is None:
            return KCAL_MISSING
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() >= 4:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class HistoryScreen(QWidget):
    def __init__(self, ctx: AppContext, window: Navigator) -> None:
        super().__init__()
        self.ctx = ctx
        self.navigator = window
        self.all_rows: list[vm.SessionRow] = []
        self._deleted: int | None = None
        self._pending_open_latest = False
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search title, sport, athlete…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        bar.addWidget(self.search, 1)
        self.sport = QComboBox()
        self.sport.addItem("All sports", "")
        for s in vm.SPORTS:
            self.sport.addItem(s, s)
        self.sport.currentIndexChanged.connect(self._filter)
        bar.addWidget(self.sport)
        self.everyone = QCheckBox("All athletes")
        self.everyone.toggled.connect(lambda _on: self.reload())
        bar.addWidget(self.everyone)
        root.addLayout(bar)
        self.model = SessionTable()
        self.table = row_table(self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda idx: self.open_row(idx.row()))
        self.table.activated.connect(lambda idx: self.open_row(idx.row()))
        root.addWidget(self.table, 1)
        self.tasks = TaskRunner(ctx.bridge, self)
        self.task_strip = TaskStrip(self.tasks)
        root.addWidget(self.task_strip)
        self.tasks.started.connect(lambda _t: self._task_buttons())
        self.tasks.finished.connect(self._task_finished)
        self.lake_location: str | None = None
        foot = QHBoxLayout()
        self.count = QLabel("")
        self.count.setProperty("role", "muted")
        foot.addWidget(self.count, 1)
        self.undo = QPushButton("Undo delete")
        self.undo.hide()
        self.undo.clicked.connect(self.undo_delete)
        foot.addWidget(self.undo)
        self.export_all_btn = QPushButton("Export all my data…")
        self.export_all_btn.setToolTip(
            "Everything stored about this athlete as a zip of CSV files (no passwords or keys)"
        )
        self.export_all_btn.clicked.connect(self._export_all)
        foot.addWidget(self.export_all_btn)
        self.lake_btn = QPushButton("Push to data lake")
        self.lake_btn.setEnabled(False)
        self.lake_btn.setToolTip(LAKE_HOWTO)
        self.lake_btn.clicked.connect(self.push_lake)
        foot.addWidget(self.lake_btn)
        self.open_btn = QPushButton("Open")
        self.open_btn.setProperty("role", "primary")
        self.open_btn.clicked.connect(self._open_selected)
        foot.addWidget(self.open_btn)
        root.addLayout(foot)
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.timeout.connect(self.undo.hide)
        ctx.historyChanged.connect(self.reload)
        ctx.sessionDeleted.connect(self.deleted)
        ctx.syncRan.connect(lambda _report: self.reload())  # the Sync column changed
        ctx.athleteChanged.connect(lambda _a: self.reload())
        ctx.athleteChanged.connect(lambda _a: self._task_buttons())
        ctx.unitsChanged.connect(lambda _u: self._filter())
        self.loaded = False
        self._generation = 0
        self.reload()
        self.check_lake()

    def activate(self) -> None:
        self.reload()
        self.check_lake()
        self._offer_undo()

    def reload(self) -> None:
        athlete_id = None if self.everyone.isChecked() else self.ctx.athlete.id
        history = self.ctx.services.history
        self._generation += 1
        generation = self._generation

        def done(rows: list[vm.SessionRow]) -> None:
            if generation != self._generation:
                return  # an older, slower answer must not overwrite a newer one
            self.all_rows = rows
            self.loaded = True
            self._filter()
            if self._pending_open_latest:
                self._pending_open_latest = False
                self.open_latest()

        self.ctx.bridge.run(lambda: history.rows(athlete_id), done)

    def _filter(self) -> None:
        text = self.search.text()
        sport = self.sport.currentData()
        rows = [r for r in self.all_rows if r.matches(text) and (not sport or r.sport == sport)]
        self.model.set_rows(rows, self.ctx.units)
        self.count.setText(f"{len(rows)} of {len(self.all_rows)} sessions")

    def open_row(self, row: int) -> None:
        if 0 <= row < len(self.model.rows):
            self.navigator.open_session(self.model.rows[row].id)

    def _open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.open_row(rows[0].row() if rows else 0)

    def open_latest(self) -> None:
        """Open the newest session (used by `pulsedeck screenshot --screen session`)."""
        if not self.loaded:
            self._pending_open_latest = True
            return
        finished = [r for r in self.model.rows if r.status != "recording"]
        if finished:
            self.navigator.open_session(finished[0].id)

    def deleted(self, _session_id: int) -> None:
        """After a delete or a discard (ctx.sessionDeleted): offer undo for a while."""
        self._offer_undo()
        self.reload()

    def _offer_undo(self) -> None:
        offer = self.ctx.undo_offer(UNDO_MS / 1000)
        if offer is None:
            return
        self._deleted, left_s = offer
        self.undo.setText(f"Undo delete of {self.deleted_label(self._deleted)}")
        self.undo.show()
        self._undo_timer.start(int(left_s * 1000))

    def deleted_label(self, sid: int) -> str:
        """How the undo button names a deleted session: its title (or sport) and date."""
        known = self.ctx.deleted_labels.get(sid)
        if known:
            return known
        row = next((r for r in self.all_rows if r.id == sid), None)
        if row is None:
            return "the session"
        title = row.title or row.sport.replace("_", " ").capitalize()
        return f"“{title}” of {vm.local_time(row.started_ms, row.timezone)}"

    def undo_delete(self) -> None:
        sid = self._deleted
        if sid is None:
            return
        self._deleted = None
        self.ctx.last_deleted = None
        self.undo.hide()
        history = self.ctx.services.history
        self.ctx.bridge.run(
            lambda: history.undelete(sid), lambda _r: self.ctx.historyChanged.emit()
        )

    # Long tasks: the GDPR zip and the lake push (app.ui.tasks) ------------------------

    def check_lake(self) -> None:
        """Enable "Push to data lake" only when a lake is configured (asked off the GUI)."""
        self.ctx.bridge.run(self.ctx.services.exports.lake_destination, self._lake_checked)

    def _lake_checked(self, location: str | None) -> None:
        self.lake_location = location
        self._task_buttons()

    def _task_buttons(self) -> None:
        idle = not self.tasks.running
        self.export_all_btn.setEnabled(idle)
        self.lake_btn.setEnabled(idle and self.lake_location is not None)
        if self.lake_location is None:
            self.lake_btn.setToolTip(LAKE_HOWTO)
        else:
            self.lake_btn.setToolTip(
                f"Upload {self.ctx.athlete.name}'s finished sessions to {self.lake_location}"
            )

    def _task_finished(self, outcome: str, message: str) -> None:
        self._task_buttons()
        self.ctx.message.emit(message)
        if outcome != "failed":
            self.reload()  # the sync column changed

    def export_all_to(self, path: Path) -> Task | None:
        """The current athlete's GDPR export (zip) in the background, with progress."""
        athlete = self.ctx.athlete
        exports = self.ctx.services.exports
        return self.tasks.start(
            f"Exporting all data of {athlete.name}",
            lambda progress, cancel: exports.everything(
                athlete.id, path, progress=progress, cancel=cancel
            ),
            lambda p: f"All data of {athlete.name} exported to {p}",
            unit="rows",
            on_error=lambda exc: f"Not exported: {exc}",
        )

    def _export_all(self) -> None:
        if self.tasks.running:
            return
        athlete = self.ctx.athlete
        slug = re.sub(r"[^A-Za-z0-9]+", "-", athlete.name).strip("-").lower() or "athlete"
        name, _ = QFileDialog.getSaveFileName(
            self, f"Export all data of {athlete.name}", f"pulsedeck-{slug}-data.zip",
            "Zip archive (*.zip)",
        )  # fmt: skip
        if name:
            path = Path(name)
            self.export_all_to(path if path.suffix.lower() == ".zip" else Path(f"{name}.zip"))

    def push_lake(self) -> Task | None:
        """Push the current athlete's finished sessions to the lake, session by session."""
        if self.lake_location is None:
            self.ctx.message.emit(LAKE_HOWTO.replace("\n", " "))
            return None
        athlete = self.ctx.athlete
        exports = self.ctx.services.exports
        where = self.lake_location

        def done(report: PushReport) -> str:
            text = f"Lake {where}: {report.done} pushed"
            if report.pending or report.dead:
                text += f", {report.pending} waiting to retry, {report.dead} failed"
            if report.errors:
                text += f" ({report.errors[0]})"
            return text

        return self.tasks.start(
            "Pushing to the data lake",
            lambda progress, cancel: exports.push_lake(
                athlete.id, progress=progress, cancel=cancel
            ),
            done,
            unit="sessions",
            on_error=lambda exc: f"Lake push failed: {exc}",
        )
