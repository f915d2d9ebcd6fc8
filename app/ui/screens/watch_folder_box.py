"""Settings' "Watched folder" box: the `import.watch_dir` setting, as `import --watch` reads it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from ..context import AppContext
from ..imports import start_watch

NOT_WATCHING = "No folder is watched."


class WatchFolderBox(QGroupBox):
    """Choose or stop the watched folder; the window's watcher restarts on each change."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__("Watched folder")
        self.ctx = ctx
        layout = QVBoxLayout(self)
        self.folder = QLabel(NOT_WATCHING)
        self.folder.setWordWrap(True)
        layout.addWidget(self.folder)
        row = QHBoxLayout()
        self.choose_btn = QPushButton("Choose folder…")
        self.choose_btn.clicked.connect(self._choose)
        self.stop_btn = QPushButton("Stop watching")
        self.stop_btn.clicked.connect(lambda: self.set_folder(None))
        row.addWidget(self.choose_btn)
        row.addWidget(self.stop_btn)
        row.addStretch(1)
        layout.addLayout(row)
        note = QLabel(
            "New FIT, TCX and GPX files there (a synced folder, a mounted watch) are imported "
            "for you as they appear; duplicates are skipped. Same as pulsedeck import --watch."
        )
        note.setProperty("role", "muted")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.feedback = QLabel("")
        self.feedback.setWordWrap(True)
        layout.addWidget(self.feedback)
        writable = not ctx.read_only
        self.choose_btn.setEnabled(writable)
        self.stop_btn.setEnabled(False)
        self.reload()

    def reload(self) -> None:
        """Show the stored folder (read off the GUI thread)."""
        imports = self.ctx.services.imports
        self.ctx.bridge.run(imports.watch_dir, self._show)

    def _show(self, folder: Path | None) -> None:
        self.folder.setText(str(folder) if folder is not None else NOT_WATCHING)
        self.stop_btn.setEnabled(folder is not None and not self.ctx.read_only)

    def _choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Watch a folder for activity files")
        if folder:
            self.set_folder(Path(folder))

    def set_folder(self, folder: Path | None) -> None:
        """Store the folder (None: stop), then restart the watcher from the setting."""
        imports = self.ctx.services.imports

        def done(stored: Path | None) -> None:
            self._show(stored)
            self.feedback.setText(
                "Watching: files already there are imported now, new ones as they appear."
                if stored is not None else "Stopped watching."
            )  # fmt: skip
            start_watch(self.ctx)

        def failed(exc: BaseException) -> None:
            self.feedback.setText(f"Not changed: {exc}")

        self.ctx.bridge.run(lambda: imports.set_watch_dir(folder), done, failed)
