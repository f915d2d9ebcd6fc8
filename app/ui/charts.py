"""pyqtgraph charts: live HR with zone shading and cadence, session charts with crosshair.

Every curve uses peak downsampling and clip-to-view (`configure_curve`), so a 10-hour session
draws only what is on screen, at about one point per pixel column.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from . import theme as th

pg.setConfigOptions(antialias=False, useOpenGL=False, background=None)

#: The live chart shows this many seconds; older data stays in memory but is clipped.
LIVE_WINDOW_S = 300.0


def configure_curve(item: pg.PlotDataItem) -> pg.PlotDataItem:
    """The settings every long series gets: peak downsampling, clip to view, NaN as a gap."""
    item.setDownsampling(auto=True, method="peak")
    item.setClipToView(True)
    item.opts["connect"] = "finite"
    return item


class TimeAxis(pg.AxisItem):
    """Seconds since the start shown as m:ss or h:mm:ss."""

    def tickStrings(self, values, scale, spacing):
        out = []
        for v in values:
            s = int(round(v * scale))
            sign = "-" if s < 0 else ""
            s = abs(s)
            h, rem = divmod(s, 3600)
            out.append(
                f"{sign}{h}:{rem // 60:02d}:{rem % 60:02d}"
                if h
                else f"{sign}{rem // 60}:{rem % 60:02d}"
            )
        return out


def _pen(colour: str, width: float = 2.0) -> pg.mkPen:
    return pg.mkPen(QColor(colour), width=width)


def _style_plot(plot: pg.PlotItem, t: th.Theme, grid: bool = True) -> None:
    for name in ("left", "bottom", "right"):
        axis = plot.getAxis(name)
        axis.setPen(_pen(t.muted, 1))
        axis.setTextPen(_pen(t.text, 1))
    # Grid lines are drawn by the axes and cost ~15 ms a frame: only on static charts.
    plot.showGrid(x=grid, y=grid, alpha=0.25)


class ZoneBands:
    """Horizontal bands behind the HR curve, one per zone, in the zone colours.

    Plain QGraphicsRectItems (painted in C++), not LinearRegionItems: five region items cost
    several milliseconds per frame in Python, which a scrolling chart pays 30 times a second.
    """

    #: Bands span this many seconds either side of zero: wider than any session.
    SPAN_S = 1e6

    def __init__(self, plot: pg.PlotItem) -> None:
        self._plot = plot
        self._items: list[QGraphicsRectItem] = []

    def set(self, floors: tuple[float, ...], t: th.Theme, top: float = 230.0) -> None:
        for item in self._items:
            self._plot.removeItem(item)
        self._items.clear()
        edges = [*floors, max(top, floors[-1] + 10)]
        alpha = 70 if t.name == "high_contrast" else 40
        for zone, (lo, hi) in enumerate(zip(edges, edges[1:], strict=False), start=1):
            colour = QColor(th.zone_color(t, zone))
            colour.setAlpha(alpha)
            band = QGraphicsRectItem(QRectF(-self.SPAN_S, lo, 2 * self.SPAN_S, hi - lo))
            band.setBrush(QBrush(colour))
            band.setPen(QPen(Qt.PenStyle.NoPen))
            band.setZValue(-10)
            self._plot.addItem(band, ignoreBounds=True)
            self._items.append(band)


class LiveChart(pg.GraphicsLayoutWidget):
    """Last minutes of HR (left axis, zone shading) and cadence (right axis)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plot: pg.PlotItem = self.addPlot(axisItems={"bottom": TimeAxis("bottom")})
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("left", "HR", units="bpm")
        self.plot.showAxis("right")
        self.plot.setLabel("right", "cadence", units="/min")
        self.cadence_view = pg.ViewBox()
        self.plot.scene().addItem(self.cadence_view)
        self.plot.getAxis("right").linkToView(self.cadence_view)
        self.cadence_view.setXLink(self.plot)
        self.plot.vb.sigResized.connect(self._sync_views)
        self.hr_curve = configure_curve(self.plot.plot([], []))
        self.cadence_curve = configure_curve(pg.PlotDataItem([], []))
        self.cadence_view.addItem(self.cadence_curve)
        self.cadence_view.setYRange(0, 220, padding=0)
        self.plot.setYRange(50, 200, padding=0)
        self.bands = ZoneBands(self.plot)
        self.window_s = LIVE_WINDOW_S
        self.repaints = 0
        self._range = (0.0, 0.0)

    def _sync_views(self) -> None:
        self.cadence_view.setGeometry(self.plot.vb.sceneBoundingRect())

    def apply_theme(self, t: th.Theme, floors: tuple[float, ...]) -> None:
        self.setBackground(QColor(t.chart_bg))
        _style_plot(self.plot, t, grid=False)  # the zone bands are the reference lines
        self.hr_curve.setPen(_pen(t.text if t.name != "light" else "#c62828", 3))
        self.cadence_curve.setPen(_pen(t.cadence, 2))
        self.bands.set(floors, t)
        self.plot.setYRange(max(40, floors[0] - 30), max(200, floors[-1] + 20), padding=0)

    def set_data(
        self, t: np.ndarray, hr: np.ndarray, cadence: np.ndarray | None, now_s: float
    ) -> None:
        """Show the series; x range is the last `window_s` seconds ending at `now_s`."""
        self.hr_curve.setData(t, hr, connect="finite")
        if cadence is not None:
            self.cadence_curve.setData(t, cadence, connect="finite")
        # Scroll in whole seconds: the axes (the costly part of a frame) are only regenerated
        # when the range moves, i.e. once a second rather than with every sample.
        end = float(np.ceil(now_s))
        start = max(0.0, end - self.window_s)
        if (start, end) != self._range:
            self._range = (start, end)
            self.plot.setXRange(start, max(start + 30.0, end), padding=0)
        self.repaints += 1

    def paintEvent(self, ev) -> None:
        super().paintEvent(ev)
        if self.on_painted is not None:
            self.on_painted()

    on_painted = None  # set by benchmarks/tests to time sample -> pixels


class SessionCharts(pg.GraphicsLayoutWidget):
    """Stacked HR / cadence / power / speed plots with a shared zoomable x and a crosshair."""

    LABELS = {"hr": ("HR", "bpm"), "cadence": ("Cadence", "/min"), "power": ("Power", "W"),
              "speed": ("Speed", "m/s")}  # fmt: skip

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.lines: list[pg.InfiniteLine] = []
        self.readout = pg.LabelItem(justify="right")
        self._t = np.empty(0)
        self._channels: dict[str, np.ndarray] = {}
        self._theme = th.LIGHT
        self.proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=30, slot=self._moved)

    def show_session(
        self,
        t: np.ndarray,
        channels: dict[str, np.ndarray],
        floors: tuple[float, ...],
        theme: th.Theme,
        speed_factor: float = 1.0,
        speed_unit: str = "m/s",
    ) -> None:
        self.clear()
        self.plots.clear()
        self.curves.clear()
        self.lines.clear()
        self._theme = theme
        self.setBackground(QColor(theme.chart_bg))
        self.addItem(self.readout, row=0, col=0)
        self._t = t
        self._channels = {k: (v * speed_factor if k == "speed" else v) for k, v in channels.items()}
        colours = {"hr": theme.zones[5], "cadence": theme.cadence, "power": theme.zones[4],
                   "speed": theme.zones[1]}  # fmt: skip
        first: pg.PlotItem | None = None
        row = 1
        for name in ("hr", "cadence", "power", "speed"):
            if name not in self._channels:
                continue
            plot = self.addPlot(row=row, col=0, axisItems={"bottom": TimeAxis("bottom")})
            row += 1
            label, unit = self.LABELS[name]
            plot.getAxis("left").setWidth(64)  # aligned plots: one x for all of them
            plot.setLabel("left", label, units=speed_unit if name == "speed" else unit)
            _style_plot(plot, theme)
            plot.setMouseEnabled(x=True, y=False)
            curve = configure_curve(plot.plot(t, self._channels[name], connect="finite"))
            curve.setPen(_pen(colours[name], 2))
            if name == "hr":
                ZoneBands(plot).set(floors, theme)
                finite = self._channels[name][np.isfinite(self._channels[name])]
                if len(finite):
                    plot.setYRange(min(finite.min(), floors[0]) - 5, finite.max() + 5)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            line = pg.InfiniteLine(angle=90, movable=False, pen=_pen(theme.muted, 1))
            plot.addItem(line, ignoreBounds=True)
            self.lines.append(line)
            self.plots[name] = plot
            self.curves[name] = curve
        # One time axis, under the last plot: the others share it (and skip its paint cost).
        for plot in list(self.plots.values())[:-1]:
            plot.hideAxis("bottom")
        if first is not None and len(t):
            first.setXRange(float(t[0]), float(t[-1]), padding=0.01)

    def _moved(self, event) -> None:
        if not self.plots:
            return
        pos = event[0]
        for plot in self.plots.values():
            if plot.sceneBoundingRect().contains(pos):
                x = plot.vb.mapSceneToView(pos).x()
                self.set_crosshair(x)
                return

    def set_crosshair(self, x: float) -> str:
        """Move the crosshair to `x` seconds and show the values there; returns the text."""
        for line in self.lines:
            line.setPos(x)
        if not len(self._t):
            return ""
        i = int(np.clip(np.searchsorted(self._t, x), 0, len(self._t) - 1))
        parts = [TimeAxis("bottom").tickStrings([self._t[i]], 1, 1)[0]]
        for name, y in self._channels.items():
            if np.isfinite(y[i]):
                label, _unit = self.LABELS[name]
                parts.append(f"{label} {y[i]:.0f}" if name != "speed" else f"{label} {y[i]:.1f}")
        text = "   ".join(parts)
        self.readout.setText(text, color=self._theme.text, size="12pt")
        return text


__all__ = ["LiveChart", "SessionCharts", "configure_curve"]
