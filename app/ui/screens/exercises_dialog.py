"""Your own exercises (from `exercises add`, `sets add --create` or here): add, edit, delete.

Built-in exercises never change. The change goes through app.services.training_log, as
`pulsedeck exercises add|edit|delete` does: a new name must be new to the catalog, a renamed
one is carried to the exercise's sets, and one still used by sets or goals is not deleted.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.training.catalog import KINDS, ExerciseInfo

from ..context import AppContext


def split_list(text: str) -> list[str]:
    """ "biceps, forearms" -> ["biceps", "forearms"] (blanks dropped)."""
    return [part.strip() for part in text.split(",") if part.strip()]


class ExercisesDialog(QDialog):
    """The athlete's own exercises: pick one, change its fields, Save or Delete."""

    def __init__(
        self, ctx: AppContext, parent: QWidget | None, changed: Callable[[], None]
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your exercises")
        self.ctx, self.changed = ctx, changed
        self.items: list[ExerciseInfo] = []
        self.creating = False  # New… pressed: Save adds rather than changes
        root = QHBoxLayout(self)
        self.list = QListWidget()
        self.list.setMinimumWidth(220)
        self.list.currentRowChanged.connect(self._picked)
        root.addWidget(self.list, 1)
        right = QVBoxLayout()
        form = QFormLayout()
        self.name = QLineEdit()
        self.aliases = QLineEdit()
        self.aliases.setPlaceholderText("other names, comma-separated")
        self.muscles = QLineEdit()
        self.muscles.setPlaceholderText("e.g. biceps, forearms")
        self.equipment = QLineEdit()
        self.equipment.setPlaceholderText("e.g. dumbbell")
        self.kind = QComboBox()
        self.kind.addItems(list(KINDS))
        form.addRow("Name", self.name)
        form.addRow("Aliases", self.aliases)
        form.addRow("Muscles", self.muscles)
        form.addRow("Equipment", self.equipment)
        form.addRow("Kind", self.kind)
        right.addLayout(form)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setProperty("role", "muted")
        right.addWidget(self.status)
        buttons = QHBoxLayout()
        self.new_btn = QPushButton("New…")
        self.new_btn.setToolTip("Add an exercise of your own (its name must be new)")
        self.new_btn.clicked.connect(self.new)
        self.new_btn.setEnabled(not ctx.read_only and not ctx.athlete.read_only)
        self.save_btn = QPushButton("Save")
        self.save_btn.setProperty("role", "primary")
        self.save_btn.clicked.connect(self.save)
        self.delete_btn = QPushButton("Delete…")
        self.delete_btn.clicked.connect(self.ask_delete)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        for b in (self.new_btn, self.save_btn, self.delete_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        right.addStretch(1)
        right.addLayout(buttons)
        root.addLayout(right, 2)
        self.resize(640, 320)
        self.reload()

    def reload(self, select: int | None = None) -> None:
        athlete_id, log = self.ctx.athlete.id, self.ctx.services.training_log

        def done(items: list[ExerciseInfo]) -> None:
            self.items = items
            self.list.clear()
            self.list.addItems([e.name for e in items])
            ids = [e.id for e in items]
            self.list.setCurrentRow(ids.index(select) if select in ids else 0 if items else -1)
            if not items:
                self.status.setText(
                    "No exercises of your own yet (built-in ones cannot change): New… adds one."
                )
            self._picked(self.list.currentRow())

        self.ctx.bridge.run(lambda: log.own_exercises(athlete_id), done)

    def current(self) -> ExerciseInfo | None:
        i = self.list.currentRow()
        return self.items[i] if 0 <= i < len(self.items) else None

    def new(self) -> None:
        """Empty the form for a new exercise; Save adds it."""
        self.creating = True
        self.list.setCurrentRow(-1)  # a click on any exercise leaves "new"
        for field in (self.name, self.aliases, self.muscles, self.equipment):
            field.clear()
            field.setEnabled(True)
        self.kind.setCurrentText(KINDS[0])
        for widget in (self.kind, self.save_btn):
            widget.setEnabled(True)
        self.delete_btn.setEnabled(False)
        self.status.setText("New exercise: give it a name (the rest is optional) and Save.")
        self.name.setFocus()

    def _picked(self, row: int) -> None:
        if row >= 0:
            self.creating = False
        if self.creating:
            return
        e = self.current()
        writable = e is not None and not self.ctx.read_only and not self.ctx.athlete.read_only
        for w in (self.name, self.aliases, self.muscles, self.equipment, self.kind,
                  self.save_btn, self.delete_btn):  # fmt: skip
            w.setEnabled(writable)
        if e is None:
            return
        self.name.setText(e.name)
        self.aliases.setText(", ".join(e.aliases))
        self.muscles.setText(", ".join(e.muscle_groups))
        self.equipment.setText(e.equipment or "")
        self.kind.setCurrentText(e.kind)

    def save(self) -> None:
        e = None if self.creating else self.current()
        if not self.creating and (e is None or e.id is None):
            return
        athlete_id, log = self.ctx.athlete.id, self.ctx.services.training_log
        eid = None if e is None else e.id
        name, aliases = self.name.text().strip(), split_list(self.aliases.text())
        muscles, kind = split_list(self.muscles.text()), self.kind.currentText()
        equipment = self.equipment.text().strip()

        def work() -> ExerciseInfo:
            if eid is None:
                return log.add_exercise(
                    athlete_id, name, aliases=aliases, muscle_groups=muscles,
                    equipment=equipment, kind=kind,
                )  # fmt: skip
            return log.edit_exercise(
                athlete_id, eid, name=name, aliases=aliases, muscle_groups=muscles,
                equipment=equipment, kind=kind,
            )  # fmt: skip

        def done(saved: ExerciseInfo) -> None:
            self.creating = False
            self.status.setText(
                f"Added {saved.name!r}: Gym finds it by name."
                if eid is None
                else f"Saved {saved.name!r}; its sets follow the new name."
            )
            self.changed()
            self.reload(select=saved.id)

        self.ctx.bridge.run(work, done, lambda exc: self.status.setText(f"Not saved: {exc}"))

    def ask_delete(self) -> None:
        e = self.current()
        if e is None:
            return
        answer = QMessageBox.question(
            self, "Delete exercise", f"Delete your exercise {e.name!r}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )  # fmt: skip
        if answer == QMessageBox.StandardButton.Yes:
            self.delete()

    def delete(self) -> None:
        e = self.current()
        if e is None or e.id is None:
            return
        athlete_id, log, eid, name = (
            self.ctx.athlete.id,
            self.ctx.services.training_log,
            e.id,
            e.name,
        )

        def done(_r: object) -> None:
            self.status.setText(f"Deleted {name!r}.")
            self.changed()
            self.reload()

        self.ctx.bridge.run(
            lambda: log.delete_exercise(athlete_id, eid), done,
            lambda exc: self.status.setText(f"Not deleted: {exc}"),
        )  # fmt: skip


def exercises_button(ctx: AppContext, parent: QWidget, changed: Callable[[], None]) -> QPushButton:
    """ "Your exercises…": opens the dialog; `changed` runs after each save or delete."""
    button = QPushButton("Your exercises…")
    button.setToolTip("Add, rename or delete your own exercises (built-in ones never change)")
    button.clicked.connect(lambda: ExercisesDialog(ctx, parent, changed).exec())
    return button
