"""Roster: the coach's clients, one row each (as `pulsedeck clients`), and the lake pull.

Rows come from `ctx.services.coach.roster()` (app.services.roster) on the worker thread;
sorting and filtering use the same `sort_rows` / `filter_rows` as the CLI. "Pull from lake"
runs as a long task (progress, Cancel); the schedule is the setting `lake.pull_interval_h`,
run by the background sync. A double click switches to the client and opens their Trends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.services.roster import (
    RATIO_HIGH,
    RATIO_LOW,
    RosterRow,
    filter_rows,
    goals_text,
    readiness_text,
    sort_rows,
)

from .. import viewmodels as vm
from ..context import AppContext, Navigator
from ..live import IDLE
from ..tasks import Task, TaskRunner, TaskStrip
from ..widgets import row_table

if TYPE_CHECKING:
    from app.services.coach import CoachState
    from sync.lake.pull import PullReport

#: (header, app.services.roster.SORTS key or None when the column does not sort).
COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("Client", "name"),
    ("Last session", "last"),
    ("Days", "days"),
    ("Week", None),
    ("4-wk avg", None),
    ("Ratio", "ratio"),
    ("Readiness", "readiness"),
    ("Goals", "goals"),
    ("Last pull", "sync"),
)
#: What each header means (its tooltip).
HEADER_TIPS = (
    "Click a header to sort; again to reverse",
    "Start of the newest session",
    "Days since the last session",
    "Mean daily training load (TRIMP) over the last 7 days",
    "Mean daily training load over the last 28 days",
    "Week over the 4-week average; ▲ above {hi}, ▼ below {lo}",
    "Latest morning reading (last 3 days): HRV (RMSSD), resting HR, and a flag outside the "
    "normal band",
    "Goals on track for this period / goals",
    "When this client was last pulled from the lake",
)
#: Dates in the table: short, the year is rarely in doubt for a roster.
WHEN = "%d %b %H:%M"
RATIO_COL = 5
#: The schedule choices: label -> hours (None: off).
SCHEDULES: dict[str, int | None] = {
    "No scheduled pull": None, "Pull every hour": 1, "Pull every 3 h": 3,
    "Pull every 6 h": 6, "Pull every 12 h": 12, "Pull every 24 h": 24,
}  # fmt: skip
NO_LAKE = (
    "No data lake is configured. Set one up with\n"
    "pulsedeck lake configure --bucket NAME [--endpoint-url URL] [--access-key-id KEY]"
)
READ_ONLY = "The data folder is read-only: nothing can be pulled into it."
RATIO_TIP = (
    "This week's mean daily load over the 4-week mean: above {hi} a fast ramp-up, below {lo} "
    "detraining or a client who stopped recording."
)
_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


class RosterTable(QAbstractTableModel):
    """A table model over RosterRow (no queries here); flagged ratios in colour."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RosterRow] = []
        self.high = "#c62828"
        self.low = "#1f6feb"

    def set_rows(self, rows: list[RosterRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> object:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section].format(hi=RATIO_HIGH, lo=RATIO_LOW)
        return None

    @staticmethod
    def text(r: RosterRow, col: int) -> str:
        """The cell's words, as `pulsedeck clients` prints them."""
        if col == 0:
            return r.name
        if col == 1:
            return "-" if r.last_session_ms is None else vm.local_time(r.last_session_ms, fmt=WHEN)
        if col == 2:
            return "-" if r.days_since is None else str(r.days_since)
        if col == 3:
            return f"{r.acute:.1f}"
        if col == 4:
            return f"{r.chronic:.1f}"
        if col == 5:
            mark = {"high": " ▲", "low": " ▼"}.get(r.load_flag or "", "")
            return "-" if r.ratio is None else f"{r.ratio:.2f}{mark}"
        if col == 6:
            return readiness_text(r)
        if col == 7:
            return goals_text(r)
        return "never" if r.last_sync_ms is None else vm.local_time(r.last_sync_ms, fmt=WHEN)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        r, col = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(r, col)
        if role == Qt.ItemDataRole.UserRole:
            return r.athlete_id
        if col == RATIO_COL and r.load_flag:
            if role == Qt.ItemDataRole.ForegroundRole:
                return QColor(self.high if r.load_flag == "high" else self.low)
            if role == Qt.ItemDataRole.ToolTipRole:
                return RATIO_TIP.format(hi=RATIO_HIGH, lo=RATIO_LOW)
        if role == Qt.ItemDataRole.TextAlignmentRole and 2 <= col <= 5:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class RosterScreen(QWidget):
    """One row per client; sort by a header click, filter above; pull from the lake."""

    #: The rows on screen changed (loaded, sorted or filtered).
    shown = Signal()

    def __init__(self, ctx: AppContext, window: Navigator) -> None:
        super().__init__()
        self.ctx = ctx
        self.navigator = window
        self.all_rows: list[RosterRow] = []
        self.state: CoachState | None = None
        self.sort_key, self.descending = "name", False
        self._generation = 0
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter clients by name…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self._show_rows())
        bar.addWidget(self.search, 1)
        self.flagged = QCheckBox("Flagged only")
        self.flagged.setToolTip("Clients with a load ratio or HRV flag")
        self.flagged.toggled.connect(lambda _on: self._show_rows())
        bar.addWidget(self.flagged)
        idle = QLabel("Idle for")
        idle.setProperty("role", "muted")
        bar.addWidget(idle)
        self.inactive = QSpinBox()
        self.inactive.setRange(0, 365)
        self.inactive.setSpecialValueText("any")
        self.inactive.setSuffix(" days+")
        self.inactive.setAccessibleName("Idle for at least")
        self.inactive.valueChanged.connect(lambda _v: self._show_rows())
        bar.addWidget(self.inactive)
        root.addLayout(bar)
        self.model = RosterTable()
        self.table = row_table(self.model)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        header.sectionClicked.connect(self.sort_by_column)
        self.table.doubleClicked.connect(lambda idx: self.open_row(idx.row()))
        self.table.activated.connect(lambda idx: self.open_row(idx.row()))
        root.addWidget(self.table, 1)
        self.tasks = TaskRunner(ctx.bridge, self)
        root.addWidget(TaskStrip(self.tasks))
        self.tasks.started.connect(lambda _t: self._buttons())
        self.tasks.finished.connect(self._pull_finished)
        foot = QHBoxLayout()
        self.count = QLabel("")
        self.count.setProperty("role", "muted")
        foot.addWidget(self.count, 1)
        self.schedule = QComboBox()
        self.schedule.addItems(list(SCHEDULES))
        self.schedule.setAccessibleName("Pull on a schedule")
        self.schedule.setToolTip("While the app is open; a missed pull runs when it opens")
        self.schedule.activated.connect(lambda _i: self.set_schedule(self.schedule.currentText()))
        foot.addWidget(self.schedule)
        self.pull_btn = QPushButton("Pull from lake")
        self.pull_btn.setEnabled(False)
        self.pull_btn.setToolTip(NO_LAKE)
        self.pull_btn.clicked.connect(self.pull)
        foot.addWidget(self.pull_btn)
        self.trends_btn = QPushButton("Trends")
        self.trends_btn.setToolTip("Switch to the selected client and open their trends")
        self.trends_btn.clicked.connect(lambda: self.open_row(self._selected(), "trends"))
        foot.addWidget(self.trends_btn)
        self.history_btn = QPushButton("History")
        self.history_btn.setToolTip("Switch to the selected client and open their sessions")
        self.history_btn.setProperty("role", "primary")
        self.history_btn.clicked.connect(lambda: self.open_row(self._selected(), "history"))
        foot.addWidget(self.history_btn)
        root.addLayout(foot)
        ctx.syncRan.connect(lambda _r: self.reload())  # a scheduled pull changed the clients
        ctx.historyChanged.connect(self.reload)
        ctx.themeChanged.connect(lambda _t: self._colours())
        self._colours()
        self.reload()

    def activate(self) -> None:
        self.reload()

    # Loading -------------------------------------------------------------------------

    def reload(self) -> None:
        """Rows and the lake's state from the worker thread; a newer answer wins."""
        self._generation += 1
        generation, coach = self._generation, self.ctx.services.coach

        def done(result: tuple[list[RosterRow], CoachState]) -> None:
            if generation != self._generation:
                return
            self.all_rows, self.state = result
            hours = self.state.pull_hours
            label = next((k for k, v in SCHEDULES.items() if v == hours), f"Pull every {hours} h")
            if self.schedule.findText(label) < 0:
                self.schedule.addItem(label)
            self.schedule.setCurrentText(label)
            self._buttons()
            self._show_rows()

        self.ctx.bridge.run(lambda: (coach.roster(), coach.state()), done)

    def _colours(self) -> None:
        t = self.ctx.theme
        self.model.high, self.model.low = t.danger, t.accent
        self.model.layoutChanged.emit()

    def _show_rows(self) -> None:
        rows = filter_rows(
            self.all_rows,
            name=self.search.text().strip() or None,
            flagged=self.flagged.isChecked(),
            inactive_days=self.inactive.value() or None,
        )
        self.model.set_rows(sort_rows(rows, self.sort_key, self.descending))
        self.count.setText(f"{len(rows)} of {len(self.all_rows)} clients")
        self.shown.emit()

    def sort_by_column(self, col: int) -> None:
        """A header click sorts by that column; a second click reverses."""
        key = COLUMNS[col][1]
        header = self.table.horizontalHeader()
        if key is None:  # keep the indicator where the order really comes from
            current = next(i for i, (_h, k) in enumerate(COLUMNS) if k == self.sort_key)
            order = Qt.SortOrder.DescendingOrder if self.descending else Qt.SortOrder.AscendingOrder
            header.setSortIndicator(current, order)
            return
        self.descending = not self.descending if key == self.sort_key else False
        self.sort_key = key
        order = Qt.SortOrder.DescendingOrder if self.descending else Qt.SortOrder.AscendingOrder
        header.setSortIndicator(col, order)
        self._show_rows()

    # Opening a client ----------------------------------------------------------------

    def _selected(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else 0

    def open_row(self, row: int, screen: str = "trends") -> None:
        """Switch to the row's client, then show their Trends (or History)."""
        if not 0 <= row < len(self.model.rows):
            return
        if self.ctx.state != IDLE:
            self.ctx.message.emit("Stop the recording before switching athlete.")
            return
        athlete_id = self.model.rows[row].athlete_id
        athletes = self.ctx.services.athletes

        def done(items: list[vm.AthleteItem]) -> None:
            item = next((a for a in items if a.id == athlete_id), None)
            if item is None:
                return
            if item.id != self.ctx.athlete.id:
                self.ctx.set_athlete(item)
            self.navigator.show_screen(screen)

        self.ctx.bridge.run(athletes.roster, done)

    # The lake pull -------------------------------------------------------------------

    def _buttons(self) -> None:
        lake = self.state.lake if self.state is not None else None
        writable = not self.ctx.read_only  # a pull writes the clients into the database
        self.pull_btn.setEnabled(lake is not None and writable and not self.tasks.running)
        self.pull_btn.setToolTip(
            READ_ONLY if not writable
            else NO_LAKE if lake is None
            else f"Every client's news from {lake}"
        )  # fmt: skip
        self.schedule.setEnabled(lake is not None and writable)

    def pull(self) -> Task | None:
        """Pull every client from the lake, athlete by athlete, with progress and Cancel."""
        coach = self.ctx.services.coach

        def done(report: PullReport) -> str:
            text = (
                f"Pulled {len(report.athletes)} client(s): {report.imported} new, "
                f"{report.replaced} updated, {report.removed} removed"
            )
            if report.failed:
                text += f", {report.failed} failed ({report.errors[0]})"
            return text

        return self.tasks.start(
            "Pulling from the data lake",
            lambda progress, cancel: coach.pull(progress=progress, cancel=cancel),
            done,
            unit="clients",
            on_error=lambda exc: f"Lake pull failed: {exc}",
        )

    def _pull_finished(self, _outcome: str, message: str) -> None:
        self._buttons()
        self.ctx.message.emit(message)
        self.navigator.reload_athletes()  # new clients join the switcher
        self.ctx.historyChanged.emit()  # reloads this screen too (a cancel keeps the imported)

    def set_schedule(self, label: str) -> None:
        """Store the pull schedule and apply it to the running background sync."""
        hours = SCHEDULES.get(label)
        sync = self.ctx.services.sync
        self.ctx.bridge.run(
            sync.set_pull_hours(hours),
            lambda _r: self.ctx.message.emit(
                "Scheduled pull off" if hours is None else f"{label} from the lake"
            ),
        )


__all__ = ["COLUMNS", "SCHEDULES", "RosterScreen", "RosterTable"]
