"""The Strava link form, and the authorize address shown while a link waits for the browser.

A child's consent rows appear once child names are typed: what will be copied, "I control this
account" (required for a child) and the opt-in to copies of watch activities.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sync.strava.children import parse_names

from .strava_labels import copies_text


class LinkForm(QWidget):
    """Shown by "Link Strava…"; the panel starts the link from `authorize_btn`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.client_id = QLineEdit()
        self.client_id.setPlaceholderText("from strava.com/settings/api")
        self.client_secret = QLineEdit()
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.client_secret.setPlaceholderText("kept in the system keyring only")
        self.child_names = QLineEdit()
        self.child_names.setPlaceholderText("empty for you; a child: Max, Maxi")
        form.addRow("Client ID", self.client_id)
        form.addRow("Client secret", self.client_secret)
        form.addRow("Child names", self.child_names)
        # A child's consent, shown once child names are typed.
        self.child_consent = QWidget()
        consent = QVBoxLayout(self.child_consent)
        consent.setContentsMargins(0, 0, 0, 0)
        self.controlled = QCheckBox("I control this account (a child or a pet)")
        self.controlled.setToolTip("Required to link a child: only accounts you control")
        self.copy_watch = QCheckBox("Copy watch activities (not recorded by Pulsedeck)")
        self.copies = QLabel("")
        self.copies.setWordWrap(True)
        self.copies.setProperty("role", "muted")
        consent.addWidget(self.copies)
        consent.addWidget(self.controlled)
        consent.addWidget(self.copy_watch)
        form.addRow(self.child_consent)
        self._form = form
        self.child_names.textChanged.connect(lambda _t: self._child_consent())
        self.copy_watch.toggled.connect(lambda _on: self._child_consent())
        self._child_consent()
        go = QHBoxLayout()
        self.authorize_btn = QPushButton("Authorize in browser")
        self.authorize_btn.setProperty("role", "primary")
        close = QPushButton("Close")
        close.clicked.connect(self.hide)
        go.addWidget(self.authorize_btn)
        go.addWidget(close)
        go.addStretch(1)
        form.addRow(go)
        self.hide()

    def _child_consent(self) -> None:
        """The consent rows follow the child names: what will be copied, and the boxes."""
        names = self.names()
        self._form.setRowVisible(self.child_consent, bool(names))
        self.copies.setText(copies_text(names, self.copy_watch.isChecked()) if names else "")

    def names(self) -> list[str]:
        return parse_names(self.child_names.text())

    def open(self, has_owner: bool) -> None:
        """Show the form; a child can be linked only under an owner already linked."""
        self.show()
        self.child_names.setEnabled(has_owner)
        if not has_owner:
            self.child_names.clear()
        self.client_id.setFocus()

    def reset(self) -> None:
        """After a link: forget the secret and the child's answers, and close."""
        self.client_secret.clear()
        self.child_names.clear()
        self.controlled.setChecked(False)
        self.copy_watch.setChecked(False)
        self.hide()


class AuthorizeAddress(QWidget):
    """The authorize address, for when no browser opened (a line: copyable, never wider)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        hint = QLabel("Authorize Pulsedeck in your browser. If none opened, open this address:")
        hint.setWordWrap(True)
        hint.setProperty("role", "muted")
        self.line = QLineEdit()
        self.line.setReadOnly(True)
        layout.addWidget(hint)
        layout.addWidget(self.line)
        self.hide()

    def show_url(self, url: str) -> None:
        self.line.setText(url)
        self.line.setCursorPosition(0)
        self.show()
