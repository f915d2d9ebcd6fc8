"""Small reusable widgets: metric tiles, the zone band, a card frame, a read-only row table."""

from __future__ import annotations

import html

from PySide6.QtCore import QAbstractItemModel, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from . import theme as th
from . import viewmodels as vm


def card(parent: QWidget | None = None) -> QFrame:
    frame = QFrame(parent)
    frame.setObjectName("card")
    return frame


def row_table(model: QAbstractItemModel) -> QTableView:
    """A read-only list of rows (History, Roster): one row selected, tall rows, fitted columns."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(38)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


#: Pixel sizes of a tile's number and unit (the style sheet's `metric` role uses the first).
METRIC_PX, UNIT_PX = 28, 15
#: A value never shrinks below this share of its size to fit its tile.
MIN_FIT_SCALE = 0.55


def fit_scale(number: str, unit: str, width: float, base: QFont) -> float:
    """How much a tile's value must shrink (≤ 1) so that "number unit" fits in `width` px."""
    big = QFont(base)
    big.setPixelSize(METRIC_PX)
    big.setWeight(QFont.Weight.Bold)
    small = QFont(base)
    small.setPixelSize(UNIT_PX)
    small.setWeight(QFont.Weight.DemiBold)
    need = QFontMetricsF(big).horizontalAdvance(number)
    if unit:
        need += QFontMetricsF(small).horizontalAdvance(f" {unit}")
    need += 2  # anti-aliasing overhang of the last glyph
    if width <= 0 or need <= width:
        return 1.0
    return max(MIN_FIT_SCALE, width / need)


class _ValueLabel(QLabel):
    """The tile's value; tells the tile when its width changes so the value can refit."""

    def __init__(self, tile: MetricTile) -> None:
        super().__init__("-", tile)
        self._tile = tile

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._tile._fit()


class MetricTile(QFrame):
    """A name above a large value, readable from a distance; a long value shrinks to fit."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.setSpacing(0)
        self.name = QLabel(name.upper())
        self.name.setProperty("role", "metricname")
        self._number, self._unit = "-", ""
        self._px = METRIC_PX
        self.value = _ValueLabel(self)
        self.value.setProperty("role", "metric")
        self.value.setTextFormat(Qt.TextFormat.RichText)
        # Long values must not widen the window: the value shrinks, then the tile clips.
        self.value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.value.setMinimumWidth(60)
        layout.addWidget(self.name)
        layout.addWidget(self.value)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set(self, text: str, name: str | None = None) -> None:
        """Show `text`; a trailing unit ("10.8 km/h") is drawn smaller than the number."""
        number, _, unit = text.rpartition(" ")
        if not (number and unit and unit[0].isalpha()):
            number, unit = text, ""
        if (number, unit) != (self._number, self._unit):
            self._number, self._unit = number, unit
            self._fit()
        if name is not None and self.name.text() != name.upper():
            self.name.setText(name.upper())

    def _fit(self) -> None:
        """Render the value at the largest size (up to the theme's) that fits the tile."""
        width = self.value.contentsRect().width()
        scale = fit_scale(self._number, self._unit, width, self.value.font())
        px, unit_px = round(METRIC_PX * scale), round(UNIT_PX * scale)
        if px != self._px:
            self._px = px
            # A widget's own style sheet wins over the application's `metric` font size.
            self.value.setStyleSheet("" if px == METRIC_PX else f"font-size: {px}px;")
        text = html.escape(self._number)
        if self._unit:
            unit = html.escape(self._unit)
            text += f"<span style='font-size:{unit_px}px; font-weight:600'> {unit}</span>"
        if self.value.text() != text:
            self.value.setText(text)


class ZoneBand(QWidget):
    """Rest (below zone 1) and five zone segments with the time in each; current outlined.

    `current` is the zone of the latest HR (0 = rest, below zone 1), or -1 for none.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zone_s: tuple[float | None, ...] = (0.0,) * 5
        self.rest_s: float | None = 0.0
        self.current = -1
        self.theme = th.LIGHT
        self.setMinimumHeight(64)

    def set(
        self,
        zone_s: tuple[float | None, ...],
        current: int,
        theme: th.Theme,
        rest_s: float | None = 0.0,
    ) -> None:
        state = (zone_s, current, theme, rest_s)
        if state != (self.zone_s, self.current, self.theme, self.rest_s):
            self.zone_s, self.current, self.theme, self.rest_s = state
            self.update()

    def segments(self) -> list[tuple[int, str, float]]:
        """(zone, label, seconds) per segment, rest (zone 0) first."""
        out = [(0, "Rest", self.rest_s or 0.0)]
        out += [(z, f"Z{z}", self.zone_s[z - 1] or 0.0) for z in range(1, 6)]
        return out

    def texts(self) -> list[str]:
        return [f"{label} {vm.hms(sec)}" for _z, label, sec in self.segments()]

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        segments = self.segments()
        n = len(segments)
        gap = 6
        w = (self.width() - gap * (n - 1)) / n
        h = self.height()
        narrow = w < 120  # two lines ("Z1" over the time) when a segment is narrow
        font = QFont(self.font())
        font.setPixelSize(max(12, min(int(h * (0.26 if narrow else 0.3)), int(w / 4.5))))
        font.setBold(True)
        p.setFont(font)
        total = sum(sec for _z, _l, sec in segments) or 1.0
        for i, (zone, label, sec) in enumerate(segments):
            rect = QRectF(i * (w + gap), 0, w, h)
            colour = QColor(th.zone_color(self.theme, zone))
            faded = QColor(colour)
            faded.setAlpha(60 if zone != self.current else 255)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(faded)
            p.drawRoundedRect(rect, 8, 8)
            share = sec / total
            if share > 0 and zone != self.current:
                fill = QRectF(rect.x(), rect.y() + h * 0.82, rect.width() * share, h * 0.18)
                p.setBrush(colour)
                p.drawRoundedRect(fill, 4, 4)
            if zone == self.current:
                p.setPen(QPen(QColor(self.theme.text), 3))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRoundedRect(rect.adjusted(1.5, 1.5, -1.5, -1.5), 8, 8)
                p.setPen(QColor("#000000"))
            else:
                p.setPen(QColor(self.theme.text))
            sep = "\n" if narrow else "  "
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{label}{sep}{vm.hms(sec)}")
        p.end()


def all_below_note(zone_s: tuple[float | None, ...], rest_s: float | None, floor1: float) -> str:
    """Why every zone reads 0:00 when the time was all below zone 1; "" otherwise."""
    if not rest_s or any(z for z in zone_s):
        return ""
    return (
        f"All of the heart rate so far is below zone 1 (under {floor1:.0f} bpm), counted as "
        "Rest. Zones start from your max and resting HR: check them in Settings."
    )
