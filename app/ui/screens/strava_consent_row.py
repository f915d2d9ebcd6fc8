"""The selected child's consent under the Strava account list: watch copies, and control."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QWidget

if TYPE_CHECKING:  # only its type is needed here
    from sync.strava.consent import Consent


class ChildConsentRow(QWidget):
    """Shown while a child is selected; the panel sends the clicks to app.services.strava."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.watch_box = QCheckBox("Copy watch activities to this child")
        self.watch_box.setToolTip(
            "Activities that reach your Strava from elsewhere (a watch, the website) and name "
            "this child are copied to it only when this is ticked. Sessions Pulsedeck records "
            "are always copied."
        )
        self.control_btn = QPushButton("I control this account")
        self.control_btn.setToolTip(
            "Confirm that this child account is yours to manage (your child's or your pet's)"
        )
        row.addWidget(self.watch_box)
        row.addWidget(self.control_btn)
        row.addStretch(1)
        self.hide()

    def show_consent(self, c: Consent | None) -> None:
        """The selected account's consent; hidden for an owner (it has none)."""
        self.setVisible(c is not None)
        if c is not None:
            self.watch_box.setChecked(c.copy_watch)
            self.watch_box.setEnabled(True)
            self.control_btn.setVisible(c.controlled_ms is None)
            self.control_btn.setEnabled(True)
