"""Settings' "Data lake id" box: the athlete's lake id, shown, and settable for your own.

One person, one id: give a desktop and an edge box the same id so a coach sees one client.
Reads and writes go through `ctx.services.coach` on the worker thread (sync.lake.push
.set_athlete_ref refuses an id in use or one that would orphan pushed sessions).
"""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from ..context import AppContext

NOT_YET = "assigned on the first push"
HELP = (
    "Use the same id on every device of this athlete (desktop, edge box) so a coach sees one "
    "client. Letters, digits and _.- only."
)


class LakeIdPanel(QGroupBox):
    """The current athlete's lake id; editable unless they are a pulled client."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__("Data lake id")
        self.ctx = ctx
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(NOT_YET)
        self.edit.setAccessibleName("Lake athlete id")
        self.edit.returnPressed.connect(self.save)
        self.save_btn = QPushButton("Set id")
        self.save_btn.clicked.connect(self.save)
        row.addWidget(self.edit, 1)
        row.addWidget(self.save_btn)
        layout.addLayout(row)
        self.note = QLabel(HELP)
        self.note.setProperty("role", "muted")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.feedback = QLabel("")
        self.feedback.setWordWrap(True)
        layout.addWidget(self.feedback)
        self.shown_id: str | None = None
        ctx.athleteChanged.connect(lambda _a: self.reload())
        self.reload()

    def reload(self) -> None:
        athlete = self.ctx.athlete
        coach = self.ctx.services.coach

        def done(ref: str | None) -> None:
            if athlete.id != self.ctx.athlete.id:
                return
            self.shown_id = ref
            self.edit.setText(ref or "")
            writable = not athlete.read_only and not self.ctx.read_only
            self.edit.setReadOnly(not writable)
            self.save_btn.setEnabled(writable)
            self.note.setText(HELP if writable else "A client pulled from the lake: their id.")

        self.feedback.clear()
        self.ctx.bridge.run(lambda: coach.lake_id(athlete.id), done)

    def save(self) -> None:
        """Give the current athlete the typed id (refused with the reason under the box)."""
        ref = self.edit.text().strip()
        if not ref or ref == self.shown_id:
            return
        athlete, coach = self.ctx.athlete, self.ctx.services.coach
        self.save_btn.setEnabled(False)

        def done(saved: str) -> None:
            self.shown_id = saved
            self.save_btn.setEnabled(True)
            self.feedback.setText(f"{athlete.name} pushes to the lake as {saved}.")

        def failed(exc: BaseException) -> None:
            self.save_btn.setEnabled(True)
            self.feedback.setText(f"Not changed: {exc}")

        self.ctx.bridge.run(lambda: coach.set_lake_id(athlete.id, ref), done, failed)


__all__ = ["LakeIdPanel"]
