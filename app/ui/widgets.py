"""Small reusable widgets: metric tiles, the zone band, a card frame."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from . import theme as th
from . import viewmodels as vm


def card(parent: QWidget | None = None) -> QFrame:
    frame = QFrame(parent)
    frame.setObjectName("card")
    return frame


class MetricTile(QFrame):
    """A name above a large value, readable from a distance."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.setSpacing(0)
        self.name = QLabel(name.upper())
        self.name.setProperty("role", "metricname")
        self.value = QLabel("-")
        self.value.setProperty("role", "metric")
        self.value.setTextFormat(Qt.TextFormat.RichText)
        # Long values must not widen the window: the tile clips instead.
        self.value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.value.setMinimumWidth(60)
        layout.addWidget(self.name)
        layout.addWidget(self.value)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set(self, text: str, name: str | None = None) -> None:
        """Show `text`; a trailing unit ("10.8 km/h") is drawn smaller than the number."""
        number, _, unit = text.rpartition(" ")
        if number and unit and unit[0].isalpha():
            text = f"{number}<span style='font-size:15px; font-weight:600'> {unit}</span>"
        if self.value.text() != text:
            self.value.setText(text)
        if name is not None and self.name.text() != name.upper():
            self.name.setText(name.upper())


class ZoneBand(QWidget):
    """Five zone segments with the time spent in each; the current zone is outlined."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zone_s: tuple[float | None, ...] = (0.0,) * 5
        self.current = 0
        self.theme = th.LIGHT
        self.setMinimumHeight(64)

    def set(self, zone_s: tuple[float | None, ...], current: int, theme: th.Theme) -> None:
        if (zone_s, current, theme) != (self.zone_s, self.current, self.theme):
            self.zone_s, self.current, self.theme = zone_s, current, theme
            self.update()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        gap = 6
        w = (self.width() - gap * 4) / 5
        h = self.height()
        narrow = w < 120  # two lines ("Z1" over the time) when a segment is narrow
        font = QFont(self.font())
        font.setPixelSize(max(12, min(int(h * (0.26 if narrow else 0.3)), int(w / 4.5))))
        font.setBold(True)
        p.setFont(font)
        total = sum(z or 0.0 for z in self.zone_s) or 1.0
        for i in range(5):
            zone = i + 1
            rect = QRectF(i * (w + gap), 0, w, h)
            colour = QColor(th.zone_color(self.theme, zone))
            faded = QColor(colour)
            faded.setAlpha(60 if zone != self.current else 255)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(faded)
            p.drawRoundedRect(rect, 8, 8)
            share = (self.zone_s[i] or 0.0) / total
            if share > 0 and zone != self.current:
                fill = QRectF(rect.x(), rect.y() + h * 0.82, rect.width() * share, h * 0.18)
                p.setBrush(colour)
                p.drawRoundedRect(fill, 4, 4)
            if zone == self.current:
                p.setPen(QPen(QColor(self.theme.text), 3))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRoundedRect(rect.adjusted(1.5, 1.5, -1.5, -1.5), 8, 8)
                p.setPen(QColor("#000000" if self.theme.name != "dark" else "#000000"))
            else:
                p.setPen(QColor(self.theme.text))
            sep = "\n" if narrow else "  "
            text = f"Z{zone}{sep}{vm.hms(self.zone_s[i] or 0.0)}"
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        p.end()
