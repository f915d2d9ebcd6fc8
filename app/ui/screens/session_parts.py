"""Parts of the session detail screen: export formats and an eliding heading."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel

#: Export formats offered (sync.exports.session), as (format, file-dialog filter).
EXPORT_FORMATS = (
    ("tcx", "TCX: Garmin, Strava, TrainingPeaks (*.tcx)"),
    ("gpx", "GPX: track with heart rate, needs GPS (*.gpx)"),
    ("csv", "CSV: every sample (*.csv)"),
    ("parquet", "Parquet: every sample, for analysis (*.parquet)"),
    ("xlsx", "Excel workbook: summary and sets (*.xlsx)"),
)
#: Progress units per format: CSV counts samples, the others count stages.
_UNITS = {"csv": "samples"}
#: Why GPX is not offered for a session without GPS positions.
NO_POSITIONS = "GPX needs GPS positions, and this session has none"


def format_for(path: Path, chosen_filter: str = "") -> str:
    """The format of the typed extension, else the dialog's chosen filter, else TCX."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix in dict(EXPORT_FORMATS):
        return suffix
    return next((fmt for fmt, filt in EXPORT_FORMATS if filt == chosen_filter), "tcx")


class ElidedLabel(QLabel):
    """A one-line heading that ends in "…" when too long (full text in the tooltip)."""

    def __init__(self) -> None:
        super().__init__("")
        self._full = ""

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(0, self.contentsRect().width())
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width)
        super().setText(shown)


__all__ = ["EXPORT_FORMATS", "NO_POSITIONS", "ElidedLabel", "format_for"]
