"""Correcting logged sets from a table (Gym, session detail): edit in a dialog, delete on Yes.

The change goes through app.services.training_log, as `pulsedeck sets edit|delete` does;
afterwards the records, goals and trends are re-read (records are replayed by the service).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QWidget,
)

from app.domain.edits import KEEP
from app.domain.goals import Achievement

from .. import viewmodels as vm
from ..context import AppContext

#: How the set dialog shows an RPE of 0: the set has none.
NO_RPE = "no RPE"


@dataclass(frozen=True, slots=True)
class SetChange:
    """What the edit dialog asks for: exercise None keeps it; weight 0 is bodyweight; RPE
    None is "no RPE" (a wrongly entered one is cleared)."""

    exercise: str | None
    reps: int
    weight_kg: float
    rpe: float | None


def withdrawn_text(gone: Sequence[Achievement]) -> str:
    """The status-bar tail after an edit that took back goal achievements."""
    if not gone:
        return ""
    n = len(gone)
    return f" · {n} goal achievement{'' if n == 1 else 's'} withdrawn (no longer true)"


class SetDialog(QDialog):
    """Exercise, reps, weight (in the athlete's units) and RPE of one logged set."""

    def __init__(self, parent: QWidget | None, row: vm.SetRow, units: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit set")
        self.row, self.units = row, units
        form = QFormLayout(self)
        self.exercise = QLineEdit(row.exercise)
        self.exercise.setToolTip("Another exercise by name (it must match one surely)")
        self.reps = QSpinBox()
        self.reps.setRange(1, 1000)
        self.reps.setValue(row.reps or 1)
        self.weight = QDoubleSpinBox()
        self.weight.setRange(0, 2000)
        self.weight.setSingleStep(2.5)
        self.weight.setDecimals(1)
        self.weight.setSpecialValueText("bodyweight")
        factor = vm.LB_PER_KG if units == vm.IMPERIAL else 1.0
        self.weight.setValue(round((row.weight_kg or 0.0) * factor, 1))
        self.rpe = QDoubleSpinBox()
        self.rpe.setRange(0, 10)
        self.rpe.setSingleStep(0.5)
        self.rpe.setDecimals(1)
        self.rpe.setSpecialValueText(NO_RPE)  # 0: the set has none (saving clears one)
        self.rpe.setValue(row.rpe or 0.0)
        self.rpe.setToolTip("Rate of perceived exertion 1-10; down to 'no RPE' to clear it")
        form.addRow("Exercise", self.exercise)
        form.addRow("Reps", self.reps)
        form.addRow("Weight (lb)" if units == vm.IMPERIAL else "Weight (kg)", self.weight)
        form.addRow("RPE", self.rpe)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def change(self) -> SetChange:
        name = self.exercise.text().strip()
        return SetChange(
            exercise=None if not name or name == self.row.exercise else name,
            reps=self.reps.value(),
            weight_kg=vm.weight_to_kg(self.weight.value(), self.units),
            rpe=self.rpe.value() or None,
        )


#: Whose sets a table lists and whether they are read-only; None: nothing listed yet.
Owner = Callable[[], "tuple[int, bool] | None"]


class SetEditing(QObject):
    """Edit / Delete buttons for a table of sets; `rows()` are the sets it shows, in order.

    `owner` says whose sets they are (the session detail may show a client's); by default
    the current athlete's (Gym).
    """

    def __init__(
        self,
        ctx: AppContext,
        table: QTableWidget,
        rows: Callable[[], Sequence[vm.SetRow]],
        changed: Callable[[], None],
        owner: Owner | None = None,
    ) -> None:
        super().__init__(table)
        self.ctx, self.table, self.rows, self.changed = ctx, table, rows, changed
        self.owner = owner or (lambda: (ctx.athlete.id, ctx.athlete.read_only))
        self.bar = QWidget()
        lay = QHBoxLayout(self.bar)
        lay.setContentsMargins(0, 0, 0, 0)
        self.edit_btn = QPushButton("Edit set…")
        self.edit_btn.clicked.connect(self.edit_selected)
        self.delete_btn = QPushButton("Delete set…")
        self.delete_btn.clicked.connect(self.delete_selected)
        lay.addStretch(1)
        lay.addWidget(self.edit_btn)
        lay.addWidget(self.delete_btn)
        table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.itemSelectionChanged.connect(self.update_buttons)
        table.cellDoubleClicked.connect(lambda _r, _c: self.edit_selected())
        ctx.athleteChanged.connect(lambda _a: self.update_buttons())
        self.update_buttons()

    def selected(self) -> vm.SetRow | None:
        rows = self.rows()
        i = self.table.currentRow()
        picked = (
            self.table.selectionModel().hasSelection() if self.table.selectionModel() else False
        )
        return rows[i] if picked and 0 <= i < len(rows) else None

    def update_buttons(self) -> None:
        owner = self.owner()
        writable = owner is not None and not owner[1] and not self.ctx.read_only
        some = self.selected() is not None
        for b in (self.edit_btn, self.delete_btn):
            b.setEnabled(writable and some)
            b.setToolTip("" if writable else "Read-only: sets cannot be changed here.")

    def edit_selected(self) -> None:
        row = self.selected()
        if row is None or not self.edit_btn.isEnabled():
            return
        dialog = SetDialog(self.table.window(), row, self.ctx.units)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.apply(row.id, dialog.change())

    def apply(self, set_id: int, change: SetChange) -> None:
        """Store the change (off the GUI thread), then re-read what depends on it."""
        athlete_id, log = self._athlete(), self.ctx.services.training_log

        exercise = KEEP if change.exercise is None else change.exercise

        def work() -> tuple[Achievement, ...]:
            return log.edit_set(
                athlete_id, set_id, exercise=exercise, reps=change.reps,
                weight_kg=change.weight_kg, rpe=change.rpe,
            ).withdrawn  # fmt: skip

        def done(gone: tuple[Achievement, ...]) -> None:
            self._after("Set changed; records recomputed" + withdrawn_text(gone))

        self.ctx.bridge.run(work, done, lambda e: self.ctx.message.emit(f"Set not changed: {e}"))

    def delete_selected(self) -> None:
        row = self.selected()
        if row is None or not self.delete_btn.isEnabled():
            return
        load = vm.weight(row.weight_kg, self.ctx.units)
        answer = QMessageBox.question(
            self.table.window(), "Delete set",
            f"Delete the set {row.exercise} {row.reps}×{load}? Records and goals are "
            "recomputed; this cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )  # fmt: skip
        if answer == QMessageBox.StandardButton.Yes:
            self.delete(row.id)

    def delete(self, set_id: int) -> None:
        athlete_id, log = self._athlete(), self.ctx.services.training_log

        def done(gone: tuple[Achievement, ...]) -> None:
            self._after("Set deleted; records recomputed" + withdrawn_text(gone))

        self.ctx.bridge.run(
            lambda: log.delete_set(athlete_id, set_id), done,
            lambda e: self.ctx.message.emit(f"Set not deleted: {e}"),
        )  # fmt: skip

    def _athlete(self) -> int:
        owner = self.owner()
        return self.ctx.athlete.id if owner is None else owner[0]

    def _after(self, text: str) -> None:
        self.ctx.message.emit(text)
        self.changed()
        self.ctx.refresh_goals()
        self.ctx.historyChanged.emit()  # trends (e1RM, load) and history re-read
        self.update_buttons()
