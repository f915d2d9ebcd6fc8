"""pyqtgraph charts: live HR with zone shading and a cadence strip, session charts with crosshair.

Every curve uses peak downsampling and clip-to-view (`configure_curve`), so a 10-hour session
draws only what is on screen, at about one point per pixel column. Every chart has a legend
(click an entry to hide or show that series), lap marks and a "No samples" note when empty.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtGui import QColor, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QWidget

from . import theme as th
from .chart_parts import (
    EmptyNote,
    LapMarks,
    TimeAxis,
    ZoneBands,
    clock,
    hr_range,
    legend,
    pen,
    style_plot,
)

pg.setConfigOptions(antialias=False, useOpenGL=False, background=None)

#: The live chart shows this many seconds; older data stays in memory but is clipped.
LIVE_WINDOW_S = 300.0
#: What the live chart says before the first sample.
LIVE_EMPTY = "No samples yet: press Start (F5) to record"


def configure_curve(item: pg.PlotDataItem) -> pg.PlotDataItem:
    """The settings every long series gets: peak downsampling, clip to view, NaN as a gap."""
    item.setDownsampling(auto=True, method="peak")
    item.setClipToView(True)
    item.opts["connect"] = "finite"
    return item


def _visible(t: np.ndarray, y: np.ndarray, start: float) -> np.ndarray:
    return y[int(np.searchsorted(t, start)) :] if len(t) else y


class LiveChart(pg.GraphicsLayoutWidget):  # type: ignore[misc]  # pyqtgraph has no type hints
    """Last minutes of HR over the zone bands (axis fitted to the data), cadence in a strip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot: pg.PlotItem = self.addPlot(
            row=0, col=0, axisItems={"bottom": TimeAxis("bottom")}
        )
        self.cadence_plot: pg.PlotItem = pg.PlotItem(axisItems={"bottom": TimeAxis("bottom")})
        for p in (self.plot, self.cadence_plot):
            p.setMenuEnabled(False)
            p.setMouseEnabled(x=False, y=False)
            p.hideButtons()
            p.getAxis("left").setWidth(56)
        self.plot.setLabel("left", "HR", units="bpm")
        self.cadence_plot.setLabel("left", "Cad", units="/min")
        self.cadence_plot.setXLink(self.plot)
        self.hr_curve = configure_curve(self.plot.plot([], []))
        self.cadence_curve = configure_curve(self.cadence_plot.plot([], []))
        self.legend = legend(self.plot, th.LIGHT)
        self.legend.addItem(self.hr_curve, "HR (bpm)")
        self.bands = ZoneBands(self.plot)
        self.laps = LapMarks([self.plot, self.cadence_plot], self.plot)
        self.empty = EmptyNote(self, LIVE_EMPTY)
        self.window_s = LIVE_WINDOW_S
        self.repaints = 0
        self._range = (0.0, 0.0)
        self._y = (0.0, 0.0)
        self._cad_y = (0.0, 0.0)
        self._floors: tuple[float, ...] = (100.0, 120.0, 140.0, 160.0, 180.0)
        self._theme = th.LIGHT
        self._strip = False
        self._fit_y(np.empty(0))
        self.empty.show()

    # Series ---------------------------------------------------------------------------

    @property
    def series(self) -> dict[str, pg.PlotDataItem]:
        return {"hr": self.hr_curve, "cadence": self.cadence_curve}

    def set_series_visible(self, name: str, visible: bool) -> None:
        """Hide or show a series (what a click on its legend entry does)."""
        self.series[name].setVisible(visible)

    def _show_strip(self, on: bool) -> None:
        """The cadence strip under the HR plot, only while there is cadence."""
        if on == self._strip:
            return
        self._strip = on
        if on:
            self.addItem(self.cadence_plot, row=1, col=0)
            self.ci.layout.setRowStretchFactor(0, 3)
            self.ci.layout.setRowStretchFactor(1, 1)
            self.plot.hideAxis("bottom")
            self.legend.addItem(self.cadence_curve, "Cadence (/min)")
        else:
            self.removeItem(self.cadence_plot)
            self.plot.showAxis("bottom")
            self.legend.removeItem(self.cadence_curve)

    # Theme and data -------------------------------------------------------------------

    def apply_theme(self, t: th.Theme, floors: tuple[float, ...]) -> None:
        self._theme, self._floors = t, floors
        self.setBackground(QColor(t.chart_bg))
        for p in (self.plot, self.cadence_plot):
            style_plot(p, t, grid=False)  # the zone bands are the reference lines
        self.hr_curve.setPen(pen(t.text if t.name != "light" else "#c62828", 3))
        self.cadence_curve.setPen(pen(t.cadence, 2))
        self.legend.setLabelTextColor(QColor(t.text))
        for _sample, label in self.legend.items:
            label.setText(label.text, color=QColor(t.text))  # re-render in the new colour
        bg = QColor(t.panel)
        bg.setAlpha(200)
        self.legend.setBrush(bg)
        self.legend.setPen(pen(t.border, 1))
        self.bands.set(floors, t)
        x, y = self.hr_curve.getData()
        self._y = (0.0, 0.0)
        self._fit_y(np.empty(0) if y is None else _visible(x, y, self._range[0]))
        if self.laps.lines:
            self.laps.set(self.laps.at, t, force=True)  # recolour the lap marks

    def _fit_y(self, hr: np.ndarray) -> None:
        y = hr_range(hr, self._floors)
        if y != self._y:
            self._y = y
            self.plot.setYRange(*y, padding=0)

    def _fit_cadence(self, cad: np.ndarray) -> None:
        finite = cad[np.isfinite(cad)] if len(cad) else cad
        hi = float(np.ceil((finite.max() + 10) / 20) * 20) if len(finite) else 200.0
        lo = float(max(0.0, np.floor((finite.min() - 10) / 20) * 20)) if len(finite) else 0.0
        if (lo, hi) != self._cad_y:
            self._cad_y = (lo, hi)
            self.cadence_plot.setYRange(lo, max(hi, lo + 40), padding=0)

    def set_laps(self, starts_s: Sequence[float]) -> None:
        """Mark where laps 2, 3… began (seconds since the start)."""
        self.laps.set(starts_s, self._theme)

    def set_data(
        self, t: np.ndarray, hr: np.ndarray, cadence: np.ndarray | None, now_s: float
    ) -> None:
        """Show the series; x range is the last `window_s` seconds ending at `now_s`."""
        self.hr_curve.setData(t, hr, connect="finite")
        has_cadence = cadence is not None and len(cadence) > 0
        self._show_strip(has_cadence)
        if has_cadence:
            self.cadence_curve.setData(t, cadence, connect="finite")
        empty = not len(t)
        if empty != self.empty.isVisible():
            self.empty.setVisible(empty)
            self.empty.cover()
        # Scroll in whole seconds: the axes (the costly part of a frame) are only regenerated
        # when the range moves, i.e. once a second rather than with every sample.
        end = float(np.ceil(now_s))
        start = max(0.0, end - self.window_s)
        moved = (start, end) != self._range
        if moved:
            self._range = (start, end)
            self.plot.setXRange(start, max(start + 30.0, end), padding=0)
        latest = hr[-1] if len(hr) else np.nan
        if moved or (np.isfinite(latest) and not self._y[0] <= latest <= self._y[1]):
            self._fit_y(_visible(t, hr, start))
            if has_cadence:
                assert cadence is not None
                self._fit_cadence(_visible(t, cadence, start))
        self.repaints += 1

    def resizeEvent(self, ev: QResizeEvent) -> None:
        super().resizeEvent(ev)
        if hasattr(self, "empty"):
            self.empty.cover()

    def paintEvent(self, ev: QPaintEvent) -> None:
        super().paintEvent(ev)
        if self.on_painted is not None:
            self.on_painted()

    on_painted: Callable[[], None] | None = None  # set by benchmarks/tests to time sample -> pixels


class SessionCharts(pg.GraphicsLayoutWidget):  # type: ignore[misc]  # pyqtgraph: no type hints
    """Stacked HR / cadence / power / speed plots with a shared zoomable x and a crosshair."""

    LABELS = {"hr": ("HR", "bpm"), "cadence": ("Cadence", "/min"), "power": ("Power", "W"),
              "speed": ("Speed", "m/s")}  # fmt: skip
    #: Decimals shown in the crosshair readout.
    DECIMALS = {"hr": 0, "cadence": 0, "power": 0, "speed": 1}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.legends: dict[str, pg.LegendItem] = {}
        self.lines: list[pg.InfiniteLine] = []
        self.laps: LapMarks | None = None
        self.readout = pg.LabelItem(justify="right")
        self.readout_text = ""
        self.empty = EmptyNote(self, "No samples in this session")
        self._t = np.empty(0)
        self._channels: dict[str, np.ndarray] = {}
        self._units: dict[str, str] = {}
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
        laps_s: Sequence[float] = (),
    ) -> None:
        self.clear()
        self.plots.clear()
        self.curves.clear()
        self.legends.clear()
        self.lines.clear()
        self._theme = theme
        self.setBackground(QColor(theme.chart_bg))
        self.addItem(self.readout, row=0, col=0)
        self._t = t
        self._channels = {k: (v * speed_factor if k == "speed" else v) for k, v in channels.items()}
        self._units = {k: (speed_unit if k == "speed" else u) for k, (_l, u) in self.LABELS.items()}
        colours = {"hr": theme.zones[5], "cadence": theme.cadence, "power": theme.zones[4],
                   "speed": theme.zones[1]}  # fmt: skip
        first: pg.PlotItem | None = None
        row = 1
        for name in ("hr", "cadence", "power", "speed"):
            if name not in self._channels:
                continue
            plot = self.addPlot(row=row, col=0, axisItems={"bottom": TimeAxis("bottom")})
            row += 1
            label, _unit = self.LABELS[name]
            unit = self._units[name]
            plot.getAxis("left").setWidth(64)  # aligned plots: one x for all of them
            plot.setLabel("left", label, units=unit)
            style_plot(plot, theme)
            plot.setMouseEnabled(x=True, y=False)
            curve = configure_curve(plot.plot(t, self._channels[name], connect="finite"))
            curve.setPen(pen(colours[name], 2))
            self.legends[name] = legend(plot, theme)
            self.legends[name].addItem(curve, f"{label} ({unit})")
            if name == "hr":
                ZoneBands(plot).set(floors, theme)
                plot.setYRange(*hr_range(self._channels[name], floors, 5), padding=0)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            line = pg.InfiniteLine(angle=90, movable=False, pen=pen(theme.muted, 1))
            line.hide()
            plot.addItem(line, ignoreBounds=True)
            self.lines.append(line)
            self.plots[name] = plot
            self.curves[name] = curve
        # One time axis, under the last plot: the others share it (and skip its paint cost).
        for plot in list(self.plots.values())[:-1]:
            plot.hideAxis("bottom")
        self.laps = LapMarks(self.plots.values(), first)
        self.laps.set(laps_s, theme)
        if first is not None and len(t):
            first.setXRange(float(t[0]), float(t[-1]), padding=0.01)
        self.empty.setVisible(not self.plots)
        if hasattr(self, "empty"):
            self.empty.cover()
        self.clear_crosshair()

    def set_series_visible(self, name: str, visible: bool) -> None:
        """Hide or show a series (what a click on its legend entry does)."""
        self.curves[name].setVisible(visible)

    def _moved(self, event: tuple[QPointF]) -> None:
        """SignalProxy hands on the scene's `sigMouseMoved` arguments: (scene position,)."""
        if not self.plots:
            return
        pos = event[0]
        for plot in self.plots.values():
            if plot.sceneBoundingRect().contains(pos):
                x = plot.vb.mapSceneToView(pos).x()
                self.set_crosshair(x)
                return
        self.clear_crosshair()

    def set_crosshair(self, x: float) -> str:
        """Move the crosshair to `x` seconds and show the values there, with units."""
        for line in self.lines:
            line.setPos(x)
            line.show()
        if not len(self._t):
            return ""
        i = int(np.clip(np.searchsorted(self._t, x), 0, len(self._t) - 1))
        parts = [clock(float(self._t[i]))]
        for name, y in self._channels.items():
            if np.isfinite(y[i]) and self.curves.get(name, None) is not None:
                label, _unit = self.LABELS[name]
                parts.append(f"{label} {y[i]:.{self.DECIMALS[name]}f} {self._units[name]}")
        text = "   ".join(parts)
        self.readout_text = text
        self.readout.setText(text, color=self._theme.text, size="12pt")
        return text

    def clear_crosshair(self) -> None:
        """No readout and no line once the mouse has left the plots."""
        for line in self.lines:
            line.hide()
        self.readout_text = ""
        self.readout.setText(" ", size="12pt")

    def leaveEvent(self, ev: QEvent) -> None:
        super().leaveEvent(ev)
        self.clear_crosshair()

    def resizeEvent(self, ev: QResizeEvent) -> None:
        super().resizeEvent(ev)
        if hasattr(self, "empty"):
            self.empty.cover()


__all__ = ["LIVE_EMPTY", "LiveChart", "SessionCharts", "TimeAxis", "configure_curve"]
