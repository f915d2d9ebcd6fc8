"""Pieces shared by the live and session charts: time ticks, zone bands, legends, lap marks.

Pure helpers (`human_step`, `hr_range`, `clock`) are tested without a chart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QWidget

from . import theme as th

#: Tick steps people read: 1/2/5/10/15/30 s, 1/2/5/10/15/30 min, 1/2/3/6/12 h.
HUMAN_STEPS_S: tuple[int, ...] = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
)  # fmt: skip
#: Room one time label needs on the axis, in pixels ("1:00:00" plus a gap).
TICK_PX = 90
#: The HR axis moves in steps of this many bpm (fewer axis redraws, tidy labels).
HR_STEP = 10
#: The HR axis never spans less than this (a steady HR does not fill the chart with noise).
HR_MIN_SPAN = 40
#: Text of an empty chart.
NO_SAMPLES = "No samples"


def human_step(span_s: float, max_ticks: int) -> int:
    """The smallest human step (s) giving at most `max_ticks` ticks over `span_s` seconds."""
    max_ticks = max(1, max_ticks)
    for step in HUMAN_STEPS_S:
        if span_s / step <= max_ticks:
            return step
    return HUMAN_STEPS_S[-1] * math.ceil(span_s / max_ticks / HUMAN_STEPS_S[-1])


def clock(seconds: float) -> str:
    """Seconds since the start as m:ss or h:mm:ss (whole seconds)."""
    s = int(round(seconds))
    sign = "-" if s < 0 else ""
    s = abs(s)
    h, rem = divmod(s, 3600)
    return f"{sign}{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{sign}{rem // 60}:{rem % 60:02d}"


def hr_range(hr: np.ndarray, floors: Sequence[float], step: int = HR_STEP) -> tuple[float, float]:
    """The HR axis for these values: all of them, in whole `step`s, at least HR_MIN_SPAN.

    With no values it shows the zones (rest to zone 5). Quantised, so it only moves when the
    data leaves it, not with every sample.
    """
    finite = hr[np.isfinite(hr)] if len(hr) else hr
    if len(finite):
        lo, hi = float(finite.min()) - 5, float(finite.max()) + 5
    else:
        lo, hi = float(floors[0]) - 20, float(floors[-1]) + 20
    lo = math.floor(lo / step) * step
    hi = math.ceil(hi / step) * step
    if hi - lo < HR_MIN_SPAN:
        mid = (hi + lo) / 2
        lo = math.floor((mid - HR_MIN_SPAN / 2) / step) * step
        hi = lo + HR_MIN_SPAN
    return float(max(0, lo)), float(hi)


class TimeAxis(pg.AxisItem):  # type: ignore[misc]  # pyqtgraph has no type hints: Any
    """Seconds since the start as m:ss or h:mm:ss, at human steps, every label once."""

    def tickSpacing(  # noqa: N802 - pyqtgraph's name
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, float]]:
        span = max(1e-9, maxVal - minVal)
        step = human_step(span, int(size // TICK_PX) if size else 5)
        return [(float(step), 0.0)]  # one level: no minor ticks repeating a major label

    def tickStrings(  # noqa: N802 - pyqtgraph's name
        self, values: list[float], scale: float, spacing: float
    ) -> list[str]:
        out: list[str] = []
        seen: set[str] = set()
        for v in values:
            text = clock(v * scale)
            out.append("" if text in seen else text)
            seen.add(text)
        return out


def pen(colour: str, width: float = 2.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    p: QPen = pg.mkPen(QColor(colour), width=width)
    p.setStyle(style)
    return p


def style_plot(plot: pg.PlotItem, t: th.Theme, grid: bool = True) -> None:
    for name in ("left", "bottom", "right"):
        axis = plot.getAxis(name)
        axis.setPen(pen(t.muted, 1))
        axis.setTextPen(pen(t.text, 1))
    # Grid lines are drawn by the axes and cost ~15 ms a frame: only on static charts.
    plot.showGrid(x=grid, y=grid, alpha=0.25)


def legend(plot: pg.PlotItem, t: th.Theme) -> pg.LegendItem:
    """A legend in the plot's top right; clicking an entry hides or shows its series."""
    item = plot.addLegend(offset=(-8, 4), colCount=4, labelTextColor=QColor(t.text))
    bg = QColor(t.panel)
    bg.setAlpha(200)
    item.setBrush(QBrush(bg))
    item.setPen(pen(t.border, 1))
    return item


class ZoneBands:
    """Horizontal bands behind the HR curve: below zone 1 (rest), then one per zone.

    Plain QGraphicsRectItems (painted in C++), not LinearRegionItems: region items cost
    several milliseconds per frame in Python, which a scrolling chart pays 30 times a second.
    """

    #: Bands span this many seconds either side of zero: wider than any session.
    SPAN_S = 1e6

    def __init__(self, plot: pg.PlotItem) -> None:
        self._plot = plot
        self._items: list[QGraphicsRectItem] = []
        self.rest: QGraphicsRectItem | None = None

    def set(self, floors: tuple[float, ...], t: th.Theme, top: float = 260.0) -> None:
        for item in (*self._items, *([self.rest] if self.rest is not None else [])):
            self._plot.removeItem(item)
        self._items.clear()
        edges = [*floors, max(top, floors[-1] + 10)]
        alpha = 70 if t.name == "high_contrast" else 40
        self.rest = self._band(0.0, floors[0], t.zones[0], 25 if t.name != "high_contrast" else 40)
        for zone, (lo, hi) in enumerate(zip(edges, edges[1:], strict=False), start=1):
            self._items.append(self._band(lo, hi, th.zone_color(t, zone), alpha))

    def _band(self, lo: float, hi: float, colour: str, alpha: int) -> QGraphicsRectItem:
        c = QColor(colour)
        c.setAlpha(alpha)
        band = QGraphicsRectItem(QRectF(-self.SPAN_S, lo, 2 * self.SPAN_S, hi - lo))
        band.setBrush(QBrush(c))
        band.setPen(QPen(Qt.PenStyle.NoPen))
        band.setZValue(-10)
        self._plot.addItem(band, ignoreBounds=True)
        return band


class LapMarks:
    """Dashed vertical lines labelled "Lap 2", "Lap 3"… at the lap starts (seconds)."""

    def __init__(self, plots: Iterable[pg.PlotItem], label_on: pg.PlotItem | None) -> None:
        self._plots = list(plots)
        self._label_on = label_on
        self.lines: list[pg.InfiniteLine] = []
        self.at: tuple[float, ...] = ()

    def set(self, starts_s: Sequence[float], t: th.Theme, force: bool = False) -> None:
        starts = tuple(float(s) for s in starts_s)
        if starts == self.at and not force:
            return
        for line in self.lines:
            for plot in self._plots:
                if line in plot.items:
                    plot.removeItem(line)
        self.lines.clear()
        self.at = starts
        for n, x in enumerate(starts, start=2):
            for plot in self._plots:
                label = f"Lap {n}" if plot is self._label_on else None
                line = pg.InfiniteLine(
                    x, angle=90, movable=False, pen=pen(t.text, 1, Qt.PenStyle.DashLine),
                    label=label, labelOpts={"position": 0.95, "color": QColor(t.text),
                                            "anchors": [(0, 0), (0, 0)]},
                )  # fmt: skip
                plot.addItem(line, ignoreBounds=True)
                self.lines.append(line)


class EmptyNote(QLabel):
    """A centred "No samples" note over an empty chart (a widget: free while hidden)."""

    def __init__(self, parent: QWidget, text: str = NO_SAMPLES) -> None:
        super().__init__(text, parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setProperty("role", "muted")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet("font-size: 18px; background: transparent;")
        self.hide()

    def cover(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
            self.raise_()


__all__ = [
    "EmptyNote", "HUMAN_STEPS_S", "LapMarks", "NO_SAMPLES", "TimeAxis", "ZoneBands", "clock",
    "human_step", "hr_range", "legend", "pen", "style_plot",
]  # fmt: skip
