"""Team view tiles: one painted widget per athlete, laid out in a grid that fills the screen.

Each tile is drawn in one `paintEvent` (no child labels, no style sheet) with fonts sized from
the tile's height, so 60 of them repaint in a few milliseconds and a tile on a gym's TV is
readable from across the room: the heart rate takes ~40 % of the tile's height and the whole
tile is filled with the zone's colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import QWidget

from app.domain.team import TileView

from . import theme as th
from . import viewmodels as vm

#: Gap between tiles (px); tiles aim at this width / height ratio when choosing the grid.
GAP = 8
TILE_ASPECT = 1.45
NO_SIGNAL = "No signal"


def grid_shape(count: int, width: int, height: int, aspect: float = TILE_ASPECT) -> tuple[int, int]:
    """(columns, rows) giving `count` tiles the largest area in `width` x `height`."""
    if count <= 0:
        return (0, 0)
    best, best_size = (1, count), -1.0
    for cols in range(1, count + 1):
        rows = math.ceil(count / cols)
        w = (width - GAP * (cols - 1)) / cols
        h = (height - GAP * (rows - 1)) / rows
        if w <= 0 or h <= 0:
            continue
        # The tile drawn is the largest box of `aspect` fitting the cell.
        size = min(w, h * aspect) * min(w / aspect, h)
        if size > best_size:
            best, best_size = (cols, rows), size
    return best


def _font(px: int, bold: bool) -> QFont:
    font = QFont()
    font.setPixelSize(max(8, px))
    font.setBold(bold)
    return font


class TeamTile(QWidget):
    """One athlete: name, heart rate, % of max and zone, elapsed time, or "No signal"."""

    def __init__(self, view: TileView, theme: th.Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.theme = theme
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._fonts: tuple[QFont, QFont, QFont] | None = None
        self._shown: tuple[object, ...] = ()

    def set_view(self, view: TileView) -> None:
        """Show `view`; repaints only when what is drawn changes."""
        self.view = view
        drawn = self._drawn(view)
        if drawn != self._shown:
            self._shown = drawn
            self.update()

    @staticmethod
    def _drawn(v: TileView) -> tuple[object, ...]:
        return (v.name, v.hr, v.percent_max, v.zone, int(v.elapsed_s), v.signal, v.sample_t_ms)

    def set_theme(self, theme: th.Theme) -> None:
        self.theme = theme
        self.update()

    def background(self) -> str:
        """The tile's fill: the zone's colour while there is a signal, else the panel."""
        v = self.view
        return th.zone_color(self.theme, v.zone) if v.signal else self.theme.panel

    def texts(self) -> tuple[str, str, str, str]:
        """(name, heart rate, % max and zone, elapsed) as drawn (tests, accessibility)."""
        v = self.view
        elapsed = vm.hms(v.elapsed_s) if v.elapsed_s else ""
        if not v.signal:
            return (v.name, NO_SIGNAL, "" if v.hr is None else f"last {v.hr} bpm", elapsed)
        detail = f"Z{v.zone}" if v.zone else "rest"
        if v.percent_max is not None:
            detail = f"{v.percent_max}% · {detail}"
        return (v.name, str(v.hr), detail, elapsed)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        h = event.size().height()
        self._fonts = (_font(int(h * 0.14), True), _font(int(h * 0.42), True),
                       _font(int(h * 0.13), True))  # fmt: skip
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        t = self.theme
        v = self.view
        fill = self.background()
        ink = th.on_colour(t, fill) if v.signal else t.muted
        name, hr, detail, elapsed = self.texts()
        small, big, foot = self._fonts or (_font(14, True), _font(40, True), _font(13, True))
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(t.window))
        box = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        p.setBrush(QColor(fill))
        pen = QPen(QColor(t.border if v.signal else t.muted), 2)
        if not v.signal:
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawRoundedRect(box, 10, 10)
        p.setPen(QColor(ink if v.signal else t.text))
        pad = max(6, self.height() // 16)
        inner = self.rect().adjusted(pad, pad // 2, -pad, -pad // 2)
        p.setFont(small)
        top = QFontMetrics(small).height()
        line = QFontMetrics(small).elidedText(name, Qt.TextElideMode.ElideRight, inner.width())
        p.drawText(QRect(inner.left(), inner.top(), inner.width(), top),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)  # fmt: skip
        bottom = QFontMetrics(foot).height()
        middle = QRect(inner.left(), inner.top() + top, inner.width(),
                       inner.height() - top - bottom)  # fmt: skip
        p.setPen(QColor(ink))
        if v.signal:
            p.setFont(big)
        else:
            p.setFont(small)
        p.drawText(middle, Qt.AlignmentFlag.AlignCenter, hr)
        p.setFont(foot)
        row = QRect(inner.left(), inner.bottom() - bottom, inner.width(), bottom)
        p.drawText(row, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, detail)
        p.drawText(row, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, elapsed)
        p.end()


class TileGrid(QWidget):
    """Places tiles in reading order on a grid sized to the widget (no layout manager)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.order: list[TeamTile] = []

    def arrange(self, tiles: Sequence[TeamTile]) -> None:
        """Show `tiles` in this order (hiding none: every athlete has a tile)."""
        self.order = list(tiles)
        for tile in self.order:
            if tile.parent() is not self:
                tile.setParent(self)
            tile.show()
        self._place()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._place()

    def _place(self) -> None:
        cols, rows = grid_shape(len(self.order), self.width(), self.height())
        if not cols:
            return
        w = (self.width() - GAP * (cols - 1)) // cols
        h = (self.height() - GAP * (rows - 1)) // rows
        # Keep tiles near their aspect so a few athletes are not stretched across the screen.
        w, h = min(w, int(h * TILE_ASPECT * 1.6)), min(h, int(w / TILE_ASPECT * 1.6))
        for i, tile in enumerate(self.order):
            r, c = divmod(i, cols)
            tile.setGeometry(c * (w + GAP), r * (h + GAP), w, h)
