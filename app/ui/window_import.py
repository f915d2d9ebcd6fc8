"""The main window's way in for activity files: File → Import…, drag and drop, watched folder.

A mixin of MainWindow (kept apart so each module reads in one sitting); the work is
app.ui.imports' `ImportController`, on the bridge's worker thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QWidget

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
    importer: ImportController | None = None

    def _main(self) -> QMainWindow:
        return cast("QMainWindow", self)

    def _file_menu(self) -> None:
        """The menu bar's File menu (Ctrl+I imports files, as most apps with an import do)."""
        me = self._main()
        menu = me.menuBar().addMenu("&File")
        self.import_action = QAction("&Import…", me)
        self.import_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_action.setStatusTip("FIT, TCX and GPX files, .zip/.gz archives, Strava exports")
        self.import_action.triggered.connect(self.choose_import)
        self.import_folder_action = QAction("Import a &folder…", me)
        self.import_folder_action.setStatusTip("Every activity file in a folder and its subfolders")
        self.import_folder_action.triggered.connect(self.choose_import_folder)
        menu.addAction(self.import_action)
        menu.addAction(self.import_folder_action)
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
