"""Body entries (weight, body fat, resting HR, HRV) as a list to correct, beside the trends.

Edits and deletes go through app.services.training_log, as `pulsedeck body edit|delete`: the
value is checked like a new one, and weight-goal achievements it no longer supports are
withdrawn. Afterwards the trends and goals are re-read. Times are shown and typed in the
athlete's time zone (named beside the editor), not the computer's: a coach abroad sees a
client's weigh-in at the client's hour, and saving an unchanged time keeps it to the ms.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from PySide6.QtCore import QDate, QDateTime, QTime, QTimeZone
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.calendar import wall_clock, wall_ms
from app.domain.goals import Achievement
from app.services.training_log import BodyEdit
from app.training.body import Metric

from .. import viewmodels as vm
from ..context import AppContext
from .set_editing import withdrawn_text

#: How the list names each measure, and its unit (metric; weight follows the units).
KIND_LABELS: dict[str, tuple[str, str]] = {
    "weight_kg": ("Weight", "kg"),
    "body_fat_pct": ("Body fat", "%"),
    "resting_hr": ("Resting HR", "bpm"),
    "rmssd": ("RMSSD", "ms"),
    "sdnn": ("SDNN", "ms"),
}


def shown_value(kind: str, value: float, units: str) -> tuple[float, str]:
    """A stored value as the athlete reads it: (number, unit); weight in lb for imperial."""
    unit = KIND_LABELS.get(kind, (kind, ""))[1]
    if kind == "weight_kg" and units == vm.IMPERIAL:
        return value * vm.LB_PER_KG, "lb"
    return value, unit


class BodyEntriesPanel(QWidget):
    """Every measurement, newest first; pick one, change its value or time, or delete it."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.entries: list[Metric] = []
        self.zone: tzinfo = UTC  # the athlete's, read with the entries
        root = QVBoxLayout(self)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["When", "Measure", "Value", "From"])
        self._when_header = QTableWidgetItem("When")  # named with the athlete's zone in _show
        self.table.setHorizontalHeaderItem(0, self._when_header)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        # "When (Pacific/Auckland)" whole, at 1024 px too; the other columns share the rest.
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._picked)
        root.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.value = QDoubleSpinBox()
        self.value.setRange(0, 1000)
        self.value.setDecimals(1)
        self.value.setAccessibleName("Value")
        self.when = QDateTimeEdit()
        # A wall time in the athlete's zone, held as UTC so Qt never shifts it by the
        # computer's zone (app.domain.calendar converts).
        self.when.setTimeZone(QTimeZone(QTimeZone.Initialization.UTC))
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.zone_label = QLabel("")
        self.zone_label.setProperty("role", "muted")
        self.when.setAccessibleName("When")
        self.save_btn = QPushButton("Save")
        self.save_btn.setProperty("role", "primary")
        self.save_btn.clicked.connect(self.save)
        self.delete_btn = QPushButton("Delete…")
        self.delete_btn.clicked.connect(self.ask_delete)
        self.status = QLabel("")
        self.status.setProperty("role", "muted")
        for label, w in (("Value", self.value), ("When", self.when)):
            row.addWidget(QLabel(label))
            row.addWidget(w)
        row.addWidget(self.zone_label)
        row.addWidget(self.save_btn)
        row.addWidget(self.delete_btn)
        row.addWidget(self.status, 1)
        root.addLayout(row)
        ctx.athleteChanged.connect(lambda _a: self.reload())
        ctx.unitsChanged.connect(lambda _u: self._show())
        self._picked()

    def reload(self) -> None:
        athlete_id, log = self.ctx.athlete.id, self.ctx.services.training_log

        def done(got: tuple[list[Metric], tzinfo]) -> None:
            if athlete_id == self.ctx.athlete.id:
                self.entries, self.zone = got
                self._show()

        self.ctx.bridge.run(lambda: (log.body_entries(athlete_id), log.zone(athlete_id)), done)

    def _show(self) -> None:
        units, zone = self.ctx.units, vm.zone_name(self.zone)
        self._when_header.setText(f"When ({zone})")
        self.zone_label.setText(zone)
        self.zone_label.setToolTip(f"Times are the athlete's: {zone}")
        self.table.setRowCount(len(self.entries))
        for i, e in enumerate(self.entries):
            value, unit = shown_value(e.kind, e.value, units)
            cells = [vm.wall_time(e.measured_ms, self.zone), KIND_LABELS.get(e.kind, (e.kind,))[0],
                     f"{value:.1f} {unit}", e.source]  # fmt: skip
            for col, text in enumerate(cells):
                self.table.setItem(i, col, QTableWidgetItem(text))
        if not self.entries:
            self.status.setText("No body entries yet: `pulsedeck body add --weight 72.5`.")
        self._picked()

    def current(self) -> Metric | None:
        i = self.table.currentRow()
        picked = self.table.selectionModel().hasSelection()
        return self.entries[i] if picked and 0 <= i < len(self.entries) else None

    def _picked(self) -> None:
        e = self.current()
        writable = not self.ctx.read_only and not self.ctx.athlete.read_only
        for w in (self.value, self.when, self.save_btn, self.delete_btn):
            w.setEnabled(e is not None and writable)
        if e is not None:
            value, unit = shown_value(e.kind, e.value, self.ctx.units)
            self.value.setSuffix(f" {unit}")
            self.value.setValue(value)
            self.when.setDateTime(self._wall(e.measured_ms))

    def _wall(self, ms: int) -> QDateTime:
        """The instant as the athlete's clock shows it, for the editor (to the minute)."""
        w = wall_clock(ms, self.zone)
        return QDateTime(
            QDate(w.year, w.month, w.day), QTime(w.hour, w.minute),
            QTimeZone(QTimeZone.Initialization.UTC),
        )  # fmt: skip

    def save(self) -> None:
        e = self.current()
        if e is None:
            return
        value = self.value.value()
        if e.kind == "weight_kg":
            value = vm.weight_to_kg(value, self.ctx.units)
        edited = self.when.dateTime()
        day, clock = edited.date(), edited.time()
        wall = datetime(day.year(), day.month(), day.day(), clock.hour(), clock.minute())
        shown, _ = shown_value(e.kind, e.value, self.ctx.units)
        changed_value = None if abs(self.value.value() - shown) < 0.05 else value
        # Shown to the minute: the same minute keeps the stored instant exactly.
        same = wall == wall_clock(e.measured_ms, self.zone).replace(second=0, microsecond=0)
        changed_at = None if same else wall_ms(wall, self.zone)
        athlete_id, log, eid = self.ctx.athlete.id, self.ctx.services.training_log, e.id

        def done(edit: BodyEdit) -> None:
            self._after("Entry saved" + withdrawn_text(edit.withdrawn))

        self.ctx.bridge.run(
            lambda: log.edit_body(athlete_id, eid, value=changed_value, measured_ms=changed_at),
            done, lambda exc: self.status.setText(f"Not saved: {exc}"),
        )  # fmt: skip

    def ask_delete(self) -> None:
        e = self.current()
        if e is None:
            return
        value, unit = shown_value(e.kind, e.value, self.ctx.units)
        answer = QMessageBox.question(
            self, "Delete body entry",
            f"Delete the {KIND_LABELS.get(e.kind, (e.kind,))[0]} entry {value:.1f} {unit} of "
            f"{vm.wall_time(e.measured_ms, self.zone)}? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )  # fmt: skip
        if answer == QMessageBox.StandardButton.Yes:
            self.delete(e.id)

    def delete(self, entry_id: int) -> None:
        athlete_id, log = self.ctx.athlete.id, self.ctx.services.training_log

        def done(gone: tuple[Achievement, ...]) -> None:
            self._after("Entry deleted" + withdrawn_text(gone))

        self.ctx.bridge.run(
            lambda: log.delete_body(athlete_id, entry_id), done,
            lambda exc: self.status.setText(f"Not deleted: {exc}"),
        )  # fmt: skip

    def _after(self, text: str) -> None:
        self.status.setText(text)
        self.ctx.message.emit(text)
        self.reload()
        self.ctx.refresh_goals()
        self.ctx.historyChanged.emit()  # the weight, resting HR and HRV charts re-read
