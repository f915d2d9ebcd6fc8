"""Chart pieces for the Trends screen and the session HRV panel: a calendar-date axis,
stacked bars, shaded bands and small static plots with a legend and units.

x on the date charts is the day number (`day_x`: days since 1970-01-01), so a week bar is 7
wide and the axis labels whole days, weeks, months or years, whichever fits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPicture, QTransform
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

from . import theme as th
from .chart_parts import EmptyNote, legend, pen, style_plot

EPOCH = date(1970, 1, 1)
#: Room one date label needs on the axis, in pixels ("Mar 2026" plus a gap).
DATE_TICK_PX = 80
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Colours of sports in the volume chart, in order of first appearance (theme-independent
#: hues that read on light and dark backgrounds).
SPORT_COLOURS = ("#3d8bd9", "#e8740c", "#2e9e5b", "#9c4fd6", "#d4a017", "#d62d20", "#00a3a3",
                 "#8d6e63")  # fmt: skip


def day_x(d: date) -> float:
    return float((d - EPOCH).days)


def x_day(x: float) -> date:
    return EPOCH + timedelta(days=int(round(x)))


def _month_ticks(lo: date, hi: date, every: int) -> list[float]:
    out: list[float] = []
    y, m = lo.year, lo.month
    while True:
        d = date(y, m, 1)
        if d > hi:
            return out
        if (m - 1) % every == 0 and d >= lo:
            out.append(day_x(d))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


#: Transforms that only shift (no scaling, e.g. high-DPI): pixels map one to one.
_SHIFT_ONLY = QTransform.TransformationType.TxTranslate.value
#: A grid line of an axis: its colour (translucent) and its two ends in axis coordinates.
GridLine = tuple[QColor, QPointF, QPointF]


class GridAxis(pg.AxisItem):  # type: ignore[misc]  # pyqtgraph has no type hints: Any
    """An axis whose grid lines are painted as 1-pixel rectangles: the same pixels as
    pyqtgraph's translucent lines, 6x faster in a micro-benchmark (Qt blends a translucent
    cosmetic line pixel by pixel, a rectangle span by span); the grid lines were about half
    of the time a Trends repaint took."""

    #: (the axis picture they belong to, grid lines, tick labels), recorded with the picture.
    _parts: tuple[QPicture, list[GridLine], QPicture] | None = None

    def paint(self, p: QPainter, opt: QStyleOptionGraphicsItem, widget: QWidget | None) -> None:
        if self.grid is False or p.deviceTransform().type().value > _SHIFT_ONLY:
            super().paint(p, opt, widget)  # no grid, or scaled (high DPI): Qt's lines
            return
        if self._parts is None or self._parts[0] is not self.picture:
            self._parts = self._record()
        picture, lines, labels = self._parts
        picture.play(p)  # the axis line and any other tick, as pyqtgraph draws them
        shift = p.deviceTransform()
        dx, dy = shift.dx(), shift.dy()
        for colour, p1, p2 in lines:  # a line covers the pixels its ends floor to, inclusive
            x0, x1 = sorted((math.floor(p1.x() + dx), math.floor(p2.x() + dx)))
            y0, y1 = sorted((math.floor(p1.y() + dy), math.floor(p2.y() + dy)))
            p.fillRect(QRectF(x0 - dx, y0 - dy, x1 - x0 + 1, y1 - y0 + 1), colour)
        labels.play(p)

    def _record(self) -> tuple[QPicture, list[GridLine], QPicture]:
        """What `AxisItem.paint` records, in drawing order: axis line and ticks that are not
        grid lines, the grid lines (kept apart), the tick labels."""
        picture, labels = QPicture(), QPicture()
        lines: list[GridLine] = []
        painter = QPainter(picture)
        if self.style["tickFont"]:
            painter.setFont(self.style["tickFont"])
        specs = self.generateDrawSpecs(painter)
        texts = []
        if specs is not None:
            axis, ticks, texts = specs
            other = []
            for tick_pen, p1, p2 in ticks:
                if _hairline(tick_pen) and (p1.x() == p2.x() or p1.y() == p2.y()):
                    lines.append((QColor(tick_pen.color()), QPointF(p1), QPointF(p2)))
                else:
                    other.append((tick_pen, p1, p2))
            self.drawPicture(painter, axis, other, [])
        painter.end()
        painter = QPainter(labels)  # as AxisItem.drawPicture draws them
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        if self.style["tickFont"] is not None:
            painter.setFont(self.style["tickFont"])
        painter.setPen(self.textPen())
        painter.setClipRect(self.boundingRect().toAlignedRect())
        for rect, flags, text in texts:
            painter.drawText(rect, int(flags), text)
        painter.end()
        self.picture = picture
        return picture, lines, labels


def _hairline(p: QPen) -> bool:
    """A solid 1-pixel cosmetic pen (what pyqtgraph draws grid lines with)."""
    return (
        p.style() == Qt.PenStyle.SolidLine
        and p.brush().style() == Qt.BrushStyle.SolidPattern
        and p.isCosmetic()
        and p.widthF() <= 1.0
    )


class DateAxis(GridAxis):
    """Calendar dates at steps people read: days, Mondays, month starts, years."""

    def tickValues(  # noqa: N802 - pyqtgraph's name
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, list[float]]]:
        span = max(1.0, maxVal - minVal)
        most = max(2, int(size // DATE_TICK_PX) if size else 6)
        lo, hi = x_day(np.ceil(minVal)), x_day(np.floor(maxVal))
        if span / 1 <= most:
            return [(1.0, [day_x(lo + timedelta(days=i)) for i in range((hi - lo).days + 1)])]
        for weeks in (1, 2):
            if span / (7 * weeks) <= most:
                first = lo + timedelta(days=(7 - lo.weekday()) % 7)
                n = (hi - first).days // (7 * weeks) + 1
                return [
                    (7.0 * weeks, [day_x(first + timedelta(weeks=weeks * i)) for i in range(n)])
                ]
        for months in (1, 2, 3, 6, 12):
            if span / (30.44 * months) <= most:
                return [(30.0 * months, _month_ticks(lo, hi, months))]
        years = int(np.ceil(span / 365.25 / most))
        ticks = [day_x(date(y, 1, 1)) for y in range(lo.year + 1, hi.year + 1) if y % years == 0]
        return [(365.0 * years, ticks)]

    def tickStrings(  # noqa: N802 - pyqtgraph's name
        self, values: list[float], scale: float, spacing: float
    ) -> list[str]:
        out: list[str] = []
        for v in values:
            d = x_day(v)
            if spacing < 28:
                out.append(f"{d.day} {_MONTHS[d.month - 1]}")
            elif spacing < 360:
                out.append(f"{_MONTHS[d.month - 1]} {d.year}" if d.month == 1 or spacing >= 90
                           else _MONTHS[d.month - 1])  # fmt: skip
            else:
                out.append(str(d.year))
        return out


class StaticPlot:
    """One plot of a GraphicsLayoutWidget: title, axis labels with units, a legend, an empty
    note drawn in the plot, fixed (no mouse) so a scroll wheel scrolls the screen."""

    def __init__(
        self,
        layout: pg.GraphicsLayout,
        row: int,
        col: int,
        title: str,
        y_label: str,
        y_unit: str,
        *,
        dates: bool = True,
        x_label: str | None = None,
    ) -> None:
        axes = {"bottom": DateAxis("bottom") if dates else GridAxis("bottom"),
                "left": GridAxis("left")}  # fmt: skip
        self.plot: pg.PlotItem = layout.addPlot(row=row, col=col, axisItems=axes)
        self.plot.setTitle(title)
        self.title = title
        self.plot.setLabel("left", y_label, units=y_unit)
        if x_label:
            self.plot.setLabel("bottom", x_label)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.getAxis("left").setWidth(60)
        self.legend: pg.LegendItem = legend(self.plot, th.LIGHT)
        self.series: dict[str, pg.GraphicsObject] = {}
        self.empty_text = ""
        self._note = pg.TextItem("", anchor=(0.5, 0.5))
        self._note.setZValue(10)

    def clear(self, t: th.Theme) -> None:
        self.plot.clear()
        self.legend.clear()
        self.series.clear()
        self.empty_text = ""
        style_plot(self.plot, t)
        self.plot.setTitle(self.title, color=t.text, size="11pt")
        self.legend.setLabelTextColor(QColor(t.text))
        bg = QColor(t.panel)
        bg.setAlpha(200)
        self.legend.setBrush(bg)
        self.legend.setPen(pen(t.border, 1))
        self.show_values()

    def add(
        self, name: str, item: pg.GraphicsObject, legend: bool = True, sample: QPen | None = None
    ) -> pg.GraphicsObject:
        """Plot `item` as series `name`; items the legend cannot draw (fills, infinite lines)
        get a line `sample` in the legend instead."""
        self.plot.addItem(item)
        self.series[name] = item
        if legend:
            shown = item if sample is None else pg.PlotDataItem([], [], pen=sample)
            self.legend.addItem(shown, name)
        return item

    def line(self, name: str, x: Sequence[float], y: Sequence[float | None], colour: str,
             width: float = 2.0, symbol: str | None = None) -> pg.PlotDataItem:  # fmt: skip
        ys = np.array([np.nan if v is None else v for v in y], dtype=float)
        item = pg.PlotDataItem(np.asarray(x, float), ys, pen=pen(colour, width), connect="finite",
                               symbol=symbol, symbolSize=5, symbolBrush=colour, symbolPen=None,
                               dynamicRangeLimit=None)  # fmt: skip
        return self.add(name, item)

    def stacked_bars(self, x: Sequence[float], width: float,
                     layers: Sequence[tuple[str, Sequence[float], str]]) -> None:  # fmt: skip
        """Bars at `x`, one layer per (name, heights, colour) stacked in order."""
        base = np.zeros(len(x))
        for name, heights, colour in layers:
            h = np.asarray(heights, float)
            if not h.any():
                continue
            bars = pg.BarGraphItem(
                x=np.asarray(x, float), height=h, y0=base.copy(), width=width,
                brush=QColor(colour), pen=pen(colour, 0.5),
            )  # fmt: skip
            self.add(name, bars)
            base += h
        if len(x):
            self.plot.setYRange(0, max(1.0, float(base.max()) * 1.15), padding=0)

    def band(self, name: str, x: Sequence[float], low: Sequence[float | None],
             high: Sequence[float | None], colour: str) -> None:  # fmt: skip
        """A shaded band between two lines (gaps where either is missing)."""
        lo = np.array([np.nan if v is None else v for v in low], dtype=float)
        hi = np.array([np.nan if v is None else v for v in high], dtype=float)
        if not np.isfinite(lo).any():
            return
        xs = np.asarray(x, float)
        c = QColor(colour)
        edge = pen(colour, 1)
        a = pg.PlotDataItem(xs, lo, pen=edge, connect="finite", dynamicRangeLimit=None)
        b = pg.PlotDataItem(xs, hi, pen=edge, connect="finite", dynamicRangeLimit=None)
        self.plot.addItem(a)
        self.plot.addItem(b)
        c.setAlpha(60)
        fill = pg.FillBetweenItem(a, b, brush=c)
        c.setAlpha(140)
        self.add(name, fill, sample=pen(c.name(QColor.NameFormat.HexArgb), 8))

    def show_empty(self, text: str, t: th.Theme) -> None:
        """Say why there is nothing to draw, in the middle of the plot."""
        self.empty_text = text
        self._note.setText(text, color=t.muted)
        self.plot.addItem(self._note, ignoreBounds=True)
        self.plot.setXRange(0, 1, padding=0)
        self.plot.setYRange(0, 1, padding=0)
        self._note.setPos(0.5, 0.5)
        self.plot.getAxis("bottom").setStyle(showValues=False)
        self.plot.getAxis("left").setStyle(showValues=False)

    def show_values(self) -> None:
        self.plot.getAxis("bottom").setStyle(showValues=True)
        self.plot.getAxis("left").setStyle(showValues=True)


__all__ = ["DateAxis", "EmptyNote", "StaticPlot", "day_x", "x_day"]
