"""What the window shows about the data folder itself: unreadable, or read-only.

`LoadFailedPage` replaces the content when the database cannot be opened (corrupt, not a
Pulsedeck database, newer schema, no permission): the reason in words and ways forward. The
file operations ("start fresh" moves the broken file aside) run on the bridge's worker thread.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from . import theme as th
from .window_startup import WindowMixin

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.store.repo import Store

    from .bridge import Bridge
    from .services import Services

#: What the content area says until the store is open (the window's first paint).
OPENING_TEXT = "Opening your data…"

log = logging.getLogger("app.ui.window")

#: The database file in a data folder (app.store.db.DB_FILENAME; not imported at start-up).
DB_FILE = "pulsedeck.db"
#: The banner over every screen when the data folder cannot be written.
READ_ONLY_TEXT = (
    "Read-only: Pulsedeck cannot write to {folder}. You can look at your data; recording, "
    "editing and settings are off. Make the folder writable, or start Pulsedeck with "
    "--data-dir pointing at a folder you can write, then restart."
)


def is_user_facing(exc: BaseException) -> bool:
    """A classified storage condition (the user must act), not a bug: no traceback logged."""
    from app.store.errors import StoreError

    return isinstance(exc, StoreError)


def set_aside(data_dir: Path) -> Path | None:
    """Move the database (and its WAL/SHM files) aside so a fresh one is created; the new name
    of the main file, or None when there was none. Worker thread only."""
    db = data_dir / DB_FILE
    stamp = time.strftime("%Y%m%d-%H%M%S")
    moved = None
    for suffix in ("", "-wal", "-shm"):
        src = data_dir / f"{DB_FILE}{suffix}"
        if src.exists():
            dst = data_dir / f"{DB_FILE}.broken-{stamp}{suffix}"
            src.rename(dst)
            if src.name == db.name:
                moved = dst
    return moved


class LoadFailedPage(QWidget):
    """Why the data could not be opened and what to do: open the folder, use another one,
    or start fresh with the broken file kept aside."""

    useFolder = Signal(object)  # Path: open this data folder instead
    startFresh = Signal()

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        box = QVBoxLayout(self)
        box.setContentsMargins(24, 24, 24, 24)
        title = QLabel("Your data could not be opened")
        title.setProperty("role", "title")
        box.addWidget(title)
        self.reason = QLabel("")
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reason.setStyleSheet("font-size: 17px;")
        box.addWidget(self.reason)
        self.where = QLabel("")
        self.where.setWordWrap(True)
        self.where.setProperty("role", "muted")
        box.addWidget(self.where)
        row = QHBoxLayout()
        self.open_btn = QPushButton("Open folder")
        self.open_btn.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.data_dir)))
        )
        self.other_btn = QPushButton("Use another folder…")
        self.other_btn.clicked.connect(self._pick)
        self.fresh_btn = QPushButton("Start fresh (keep the broken file aside)")
        self.fresh_btn.setProperty("role", "danger")
        self.fresh_btn.clicked.connect(self.startFresh)
        for b in (self.open_btn, self.other_btn, self.fresh_btn):
            row.addWidget(b)
        row.addStretch(1)
        box.addLayout(row)
        box.addStretch(1)

    def show_error(self, exc: BaseException, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.reason.setText(str(exc))
        self.where.setText(
            f"Data folder: {data_dir}. Start fresh renames {DB_FILE} to "
            f"{DB_FILE}.broken-<date> in that folder (nothing is deleted) and opens a new one."
        )

    def _pick(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Use another data folder")
        if folder:
            self.useFolder.emit(Path(folder))


class DataStateActions(WindowMixin):
    """MainWindow's part for the data folder: the failure page, retrying, the read-only banner."""

    data_dir: Path
    store: Store | None
    failed_page: LoadFailedPage | None
    load_error: BaseException | None
    loadFailed: Signal
    _given_services: Services | None
    _open_store: Callable[[], Store] | None
    _loading: bool
    _theme: th.Theme
    _placeholder: QLabel
    stack: QStackedWidget
    banner: QLabel
    bridge: Bridge

    if TYPE_CHECKING:  # MainWindow's and QMainWindow's: declared for the type checker only

        def start_loading(self) -> None: ...

    def _load_failed(self, exc: BaseException) -> None:
        # A classified condition (corrupt, not a database, newer schema) is one line; a bug
        # keeps its traceback.
        if is_user_facing(exc):
            log.error("could not open the data: %s", exc)
        else:
            log.error("could not open the data: %s", exc, exc_info=exc)
        self.load_error = exc
        self._placeholder.setText(f"Could not open your data: {exc}")
        if self.failed_page is None:
            self.failed_page = LoadFailedPage(self.data_dir)
            self.failed_page.useFolder.connect(self.open_folder)
            self.failed_page.startFresh.connect(self.start_fresh)
            self.stack.addWidget(self.failed_page)
        self.failed_page.show_error(exc, self.data_dir)
        self.stack.setCurrentWidget(self.failed_page)
        self.loadFailed.emit(exc)

    def _retry(self, data_dir: Path) -> None:
        from app.store.repo import Store

        self.data_dir = data_dir
        self.store = None
        self._given_services = None
        self._open_store = lambda: Store.open(data_dir)
        self.load_error = None
        self._loading = False
        self.stack.setCurrentWidget(self._placeholder)
        self._placeholder.setText(OPENING_TEXT)
        self.start_loading()

    def open_folder(self, data_dir: Path) -> None:
        """Open another data folder after a failed start."""
        self._retry(Path(data_dir))

    def start_fresh(self) -> None:
        """Move the broken database aside (worker thread), then open a new one."""
        data_dir = self.data_dir

        def moved(path: Path | None) -> None:
            self.statusBar().showMessage(f"The old database was kept as {path}", 15000)
            self._retry(data_dir)

        self.bridge.run(lambda: set_aside(data_dir), moved, self._load_failed)

    def _show_read_only(self, read_only: bool) -> None:
        t = self._theme
        self.banner.setText(READ_ONLY_TEXT.format(folder=self.data_dir))
        self.banner.setStyleSheet(
            f"QLabel#banner {{ background: {t.panel}; color: {t.text}; border: 2px solid "
            f"{t.danger}; border-radius: 8px; padding: 8px 12px; font-weight: 600; }}"
        )
        self.banner.setVisible(read_only)


__all__ = ["DataStateActions", "LoadFailedPage", "READ_ONLY_TEXT", "is_user_facing", "set_aside"]
