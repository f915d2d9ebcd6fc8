"""The main window's way in for activity files: File → Import…, drag and drop, watched folder.

A mixin of MainWindow (kept apart so each module reads in one sitting); the work is
app.ui.imports' `ImportController`, on the bridge's worker thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QMainWindow, QMenu, QToolButton, QWidget

from .imports import FILE_FILTER, ImportController

if TYPE_CHECKING:
    from PySide6.QtCore import QMimeData

    from .context import AppContext


def local_paths(mime: QMimeData) -> list[Path]:
    """The local files and folders a drag carries (nothing when any of it is not local)."""
    if not mime.hasUrls():
        return []
    urls = mime.urls()
    if not urls or not all(u.isLocalFile() for u in urls):
        return []
    return [Path(u.toLocalFile()) for u in urls]


class ImportActions:
    """File → Import… / Import a folder…, and files dropped anywhere on the window."""

    ctx: AppContext | None
    header: QHBoxLayout
    importer: ImportController | None = None

    def _main(self) -> QMainWindow:
        return cast("QMainWindow", self)

    def _file_menu(self) -> None:
        """A File menu in the header row (Ctrl+I imports files, as most apps with an import do).

        A button in the header, not a menu bar: a menu bar takes 23 px from the screens, and
        the live dashboard at 1280x800 then missed its 50 ms responsiveness budget
        (tests/ui/test_responsiveness.py, 5 runs of 6, 61-125 ms p99).
        """
        me = self._main()
        menu = QMenu("&File", me)
        self.file_button = QToolButton()
        self.file_button.setText("File ▾")
        self.file_button.setStyleSheet(
            "QToolButton { padding: 5px 14px; } QToolButton::menu-indicator { image: none; }"
        )
        self.file_button.setAccessibleName("File menu")
        self.file_button.setToolTip("Import activity files (Ctrl+I), or drop them on the window")
        self.file_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.file_button.setMenu(menu)
        self.header.insertWidget(2, self.file_button)  # after the title and its stretch
        self.header.insertSpacing(3, 16)
        self.import_action = QAction("&Import…", me)
        self.import_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_action.setStatusTip("FIT, TCX and GPX files, .zip/.gz archives, Strava exports")
        self.import_action.triggered.connect(self.choose_import)
        self.import_folder_action = QAction("Import a &folder…", me)
        self.import_folder_action.setStatusTip("Every activity file in a folder and its subfolders")
        self.import_folder_action.triggered.connect(self.choose_import_folder)
        menu.addAction(self.import_action)
        menu.addAction(self.import_folder_action)
        me.addAction(self.import_action)  # Ctrl+I anywhere in the window, menu closed
        me.addAction(self.import_folder_action)
        me.setAcceptDrops(True)

    def choose_import(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            cast("QWidget", self), "Import activities", "", FILE_FILTER
        )
        if names:
            self.import_files([Path(n) for n in names])

    def choose_import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(cast("QWidget", self), "Import a folder")
        if folder:
            self.import_files([Path(folder)])

    def import_files(self, paths: list[Path]) -> bool:
        """Import `paths` for the athlete shown (progress dialog, report); False if refused."""
        if self.ctx is None or not paths:
            return False
        if self.importer is None:
            self.importer = ImportController(
                self.ctx, lambda: self.show_screen("history"), self._main()
            )
        return self.importer.import_paths(paths, cast("QWidget", self))

    # Drag and drop (Qt's names) ----------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self.ctx is not None and local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if self.ctx is not None and local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = local_paths(event.mimeData())
        if paths and self.import_files(paths):
            event.acceptProposedAction()
        else:
            event.ignore()

    if TYPE_CHECKING:  # MainWindow's: declared for the type checker only

        def show_screen(self, name: str, **kwargs: object) -> QWidget: ...


__all__ = ["ImportActions", "local_paths"]
