"""Team view tiles: one painted widget per athlete, laid out in a grid that fills the screen.

Each tile is drawn in one `paintEvent` (no child labels, no style sheet) with fonts sized from
the tile's height, so 60 of them repaint in a few milliseconds and a tile on a gym's TV is
readable from across the room: the heart rate takes ~40 % of the tile's height and the whole
tile is filled with the zone's colour.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QPixmapCache,
    QResizeEvent,
)
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


def big_text(text: str, font: QFont, colour: str, ratio: float) -> QPixmap:
    """`text` drawn once into a pixmap, then reused from Qt's pixmap cache.

    Qt's raster engine caches glyphs only below ~64 px; a tile's heart rate is larger, and
    drawing it as paths costs ~0.4 ms (60 tiles: 25 ms a frame). Blitting a cached pixmap of
    the few hundred values in use costs a few microseconds.
    """
    key = f"pulsedeck-team:{text}:{font.pixelSize()}:{colour}:{ratio}"
    # The stub lists no `find(key) -> QPixmap | None`, what PySide6 does at run time.
    found: QPixmap | None = QPixmapCache.find(key)  # type: ignore[call-overload]
    if found is not None:
        return found
    metrics = QFontMetrics(font)
    w, h = metrics.horizontalAdvance(text) + 4, metrics.height()
    pixmap = QPixmap(max(1, round(w * ratio)), max(1, round(h * ratio)))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    p.setFont(font)
    p.setPen(QColor(colour))
    p.drawText(QRect(0, 0, w, h), Qt.AlignmentFlag.AlignCenter, text)
    p.end()
    QPixmapCache.insert(key, pixmap)
    return pixmap


def _font(px: int, bold: bool) -> QFont:
    font = QFont()
    font.setPixelSize(max(8, px))
    font.setBold(bold)
    return font


@functools.lru_cache(maxsize=64)
def _ink(theme: th.Theme, fill: str) -> str:
    """The text colour with the most contrast on a tile's fill (computed once per colour)."""
    return th.on_colour(theme, fill)


@dataclass(frozen=True, slots=True)
class _Geometry:
    """Fonts and boxes of one tile size, computed on resize (paints only look them up)."""

    name_font: QFont
    big_font: QFont
    foot_font: QFont
    name_box: QRect
    middle: QRect
    foot_box: QRect

    @classmethod
    def of(cls, w: int, h: int) -> _Geometry:
        name_font, big_font, foot_font = (
            _font(int(h * 0.14), True), _font(int(h * 0.42), True), _font(int(h * 0.13), True)
        )  # fmt: skip
        pad = max(6, h // 16)
        inner = QRect(0, 0, w, h).adjusted(pad, pad // 2, -pad, -pad // 2)
        top = QFontMetrics(name_font).height()
        bottom = QFontMetrics(foot_font).height()
        return cls(
            name_font,
            big_font,
            foot_font,
            QRect(inner.left(), inner.top(), inner.width(), top),
            QRect(inner.left(), inner.top() + top, inner.width(), inner.height() - top - bottom),
            QRect(inner.left(), inner.bottom() - bottom, inner.width(), bottom),
        )


class TeamTile(QWidget):
    """One athlete: name, heart rate, % of max and zone, elapsed time, or "No signal".

    A paint blits two cached pixmaps (the tile with its name; the heart rate) and draws two
    short lines of small text: what changes four times a second is all that is drawn.
    """

    def __init__(self, view: TileView, theme: th.Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.theme = theme
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._geometry = _Geometry.of(max(1, self.width()), max(1, self.height()))
        self._shown: tuple[object, ...] = ()
        self._face_key: tuple[object, ...] = ()
        self._face = QPixmap()

    def set_view(self, view: TileView) -> None:
        """Show `view`; repaints only when what is drawn changes."""
        self.view = view
        drawn = self._drawn(view)
        if drawn != self._shown:
            self._shown = drawn
            self.update()

    @staticmethod
    def _drawn(v: TileView) -> tuple[object, ...]:
        """What the paint shows: a new sample with the same heart rate repaints nothing (at
        4 Hz about two samples in three repeat the last whole bpm)."""
        return (v.name, v.hr, v.percent_max, v.zone, int(v.elapsed_s), v.signal)

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
        size = event.size()
        self._geometry = _Geometry.of(size.width(), size.height())
        self._face_key = ()
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        self.draw(p)
        p.end()

    def _face_pixmap(self, fill: str, ink: str) -> QPixmap:
        """The tile's background, border and name: redrawn only when one of them changes."""
        t, v, ratio = self.theme, self.view, self.devicePixelRatioF()
        key = (t.name, fill, v.signal, v.name, self.width(), self.height(), ratio)
        if key == self._face_key:
            return self._face
        g = self._geometry
        face = QPixmap(max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio)))
        face.setDevicePixelRatio(ratio)
        face.fill(QColor(t.window))
        p = QPainter(face)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setBrush(QColor(fill))
        pen = QPen(QColor(t.border if v.signal else t.muted), 2)
        if not v.signal:
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawRoundedRect(QRectF(0, 0, self.width(), self.height()).adjusted(1, 1, -1, -1), 10, 10)
        p.setPen(QColor(ink if v.signal else t.text))
        p.setFont(g.name_font)
        line = QFontMetrics(g.name_font).elidedText(
            v.name, Qt.TextElideMode.ElideRight, g.name_box.width()
        )
        p.drawText(g.name_box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)
        p.end()
        self._face_key, self._face = key, face
        return face

    def draw(self, p: QPainter) -> None:
        """Draw the tile with `p` (a painter on this widget, or on an image of its size)."""
        t, v, g = self.theme, self.view, self._geometry
        fill = self.background()
        ink = _ink(t, fill) if v.signal else t.muted
        _, hr, detail, elapsed = self.texts()
        p.drawPixmap(0, 0, self._face_pixmap(fill, ink))
        p.setPen(QColor(ink))
        if v.signal:
            number = big_text(hr, g.big_font, ink, self.devicePixelRatioF())
            size = number.deviceIndependentSize().toSize()
            at = g.middle.center() - QPoint(size.width() // 2, size.height() // 2)
            p.drawPixmap(at, number)
        else:
            p.setFont(g.name_font)
            p.drawText(g.middle, Qt.AlignmentFlag.AlignCenter, hr)
        p.setFont(g.foot_font)
        p.drawText(g.foot_box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, detail)
        p.drawText(g.foot_box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, elapsed)


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
