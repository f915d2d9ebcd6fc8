"""Trends: weeks or months over a chosen range — training load (fitness / fatigue / form),
time in zones, volume by sport, resting HR, ln(RMSSD) with the normal band, body weight,
estimated 1RM per lift, goal streaks — and a calendar month grid that opens sessions.

Everything comes from one `ctx.services.analysis.trends(...)` call on the worker thread.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.analysis import Period

from .. import theme as th
from .. import viewmodels as vm
from ..analysis_charts import SPORT_COLOURS, StaticPlot, day_x
from ..chart_parts import pen
from ..context import AppContext, Navigator
from .body_entries import BodyEntriesPanel
from .calendar import CalendarView, month_grid

if TYPE_CHECKING:
    from app.services.analysis import Bucket, CalendarEntry, Trends

#: Range choices: label -> days back from today.
RANGES: dict[str, int] = {"3 months": 91, "6 months": 182, "1 year": 365, "2 years": 730}
DEFAULT_RANGE = "6 months"
PERIODS: dict[str, Period] = {"Weeks": Period.WEEK, "Months": Period.MONTH}
#: Height of one row of charts (two charts side by side).
ROW_PX = 270
NO_DATA = "No sessions, morning readings, weighings or sets for {who} in this range."
EMPTY = {
    "load": "No training load yet: record or import sessions",
    "zones": "No heart-rate time in zones in this range",
    "sports": "No sessions in this range",
    "resting": "No resting HR readings (morning readings or body metrics)",
    "hrv": "No morning HRV readings: record --readiness or body measure",
    "weight": "No weighings in this range",
    "e1rm": "No weighted sets in this range",
    "streak": "No sessions in this range",
}


def _hours(minutes: float) -> float:
    return minutes / 60.0


class TrendsScreen(QWidget):
    """Charts and a calendar of one athlete over a range; reload on athlete/theme change."""

    #: Emitted after the charts (or the calendar) show a newly loaded result.
    shown = Signal()

    def __init__(self, ctx: AppContext, window: Navigator) -> None:
        super().__init__()
        self.ctx = ctx
        self.navigator = window
        self.trends: Trends | None = None
        self.error = ""
        self.load_ms: float | None = None  # last service call, wall clock on the worker
        self._token = 0
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.period_box = QComboBox()
        self.period_box.addItems(list(PERIODS))
        self.period_box.setAccessibleName("Group by")
        self.range_box = QComboBox()
        self.range_box.addItems(list(RANGES))
        self.range_box.setCurrentText(DEFAULT_RANGE)
        self.range_box.setAccessibleName("Range")
        self.lift_box = QComboBox()
        self.lift_box.setAccessibleName("Lift")
        self.lift_box.setMinimumWidth(160)
        for label, w in (("Per", self.period_box), ("Range", self.range_box),
                         ("Lift", self.lift_box)):  # fmt: skip
            name = QLabel(label)
            name.setProperty("role", "muted")
            bar.addWidget(name)
            bar.addWidget(w)
            bar.addSpacing(12)
        self.status = QLabel("")
        self.status.setProperty("role", "muted")
        bar.addWidget(self.status, 1)
        root.addLayout(bar)
        self.tabs = QTabWidget()
        self.chart_area = QScrollArea()
        self.chart_area.setWidgetResizable(True)
        self.charts = pg.GraphicsLayoutWidget()
        self.charts.setMinimumHeight(4 * ROW_PX)
        self.chart_area.setWidget(self.charts)
        self.tabs.addTab(self.chart_area, "Charts")
        self.calendar = CalendarView()
        self.tabs.addTab(self.calendar, "Calendar")
        self.body_entries = BodyEntriesPanel(ctx)  # the weighings and readings, to correct
        self.tabs.addTab(self.body_entries, "Body entries")
        self.tabs.currentChanged.connect(
            lambda i: (
                self.body_entries.reload() if self.tabs.widget(i) is self.body_entries else None
            )
        )
        root.addWidget(self.tabs, 1)
        lay = self.charts.ci
        self.plots: dict[str, StaticPlot] = {
            "load": StaticPlot(lay, 0, 0, "Training load: fitness, fatigue, form", "Load", "/day"),
            "zones": StaticPlot(lay, 0, 1, "Time in heart-rate zones", "Time", "h"),
            "sports": StaticPlot(lay, 1, 0, "Volume by sport", "Time", "h"),
            "resting": StaticPlot(lay, 1, 1, "Resting heart rate", "Resting HR", "bpm"),
            "hrv": StaticPlot(
                lay, 2, 0, "Morning HRV: ln(RMSSD) and normal band", "ln(RMSSD)", "ln ms"
            ),  # fmt: skip
            "weight": StaticPlot(lay, 2, 1, "Body weight", "Weight", "kg"),
            "e1rm": StaticPlot(lay, 3, 0, "Estimated 1RM (Epley)", "1RM", "kg"),
            "streak": StaticPlot(
                lay, 3, 1, "Goal streak: weeks in a row with a session", "Streak", "weeks"
            ),  # fmt: skip
        }
        for p in self.plots.values():
            p.plot.getAxis("left").enableAutoSIPrefix(False)
        self.period_box.currentTextChanged.connect(lambda _t: self._draw())
        self.range_box.currentTextChanged.connect(lambda _t: self.reload())
        self.lift_box.currentTextChanged.connect(lambda _t: self._draw_e1rm())
        self.calendar.sessionClicked.connect(window.open_session)
        self.calendar.monthChanged.connect(self._month_changed)
        ctx.athleteChanged.connect(lambda _a: self.reload())
        ctx.historyChanged.connect(self.reload)
        ctx.unitsChanged.connect(lambda _u: self._draw())
        ctx.themeChanged.connect(lambda _t: self._draw())

    # Loading -------------------------------------------------------------------------

    @property
    def period(self) -> Period:
        return PERIODS[self.period_box.currentText()]

    def activate(self, range_label: str | None = None, period: str | None = None) -> None:
        if period is not None:
            self.period_box.blockSignals(True)
            self.period_box.setCurrentText(period)
            self.period_box.blockSignals(False)
        if range_label is not None and range_label != self.range_box.currentText():
            self.range_box.setCurrentText(range_label)  # reloads
            return
        self.reload()

    def reload(self) -> None:
        """Ask the worker for the athlete's trends over the chosen range."""
        self._token += 1
        token, aid = self._token, self.ctx.athlete.id
        days = RANGES[self.range_box.currentText()]
        analysis = self.ctx.services.analysis
        self.status.setText("Loading…")

        def work() -> tuple[Trends, float]:
            t0 = time.perf_counter()
            last = analysis.today(aid)
            first = last - timedelta(days=days - 1)
            result = analysis.trends(aid, first, last)
            return result, (time.perf_counter() - t0) * 1000

        def done(result: tuple[Trends, float]) -> None:
            if token == self._token:
                same = not self.error and result[0] == self.trends
                self.trends, self.load_ms = result
                self.error = ""
                if same:  # the charts already show it (settings changes redraw at once)
                    self._show_status(result[0])
                else:
                    self._draw()
                self._show_month(result[0].last.replace(day=1))
                self.shown.emit()

        def failed(exc: BaseException) -> None:
            if token == self._token:
                self.error = f"Could not load the trends: {exc}"
                self.status.setText(self.error)
                self.shown.emit()

        self.ctx.bridge.run(work, done, failed)

    # Charts --------------------------------------------------------------------------

    def _draw(self) -> None:
        tr = self.trends
        t = self.ctx.theme
        self.charts.setBackground(QColor(t.chart_bg))
        for p in self.plots.values():
            p.clear(t)
        if tr is None:
            return
        self._show_status(tr)
        buckets = tr.buckets(self.period)
        width = 7 * 0.8 if self.period is Period.WEEK else 30 * 0.8
        centre = [day_x(b.start) + (3.5 if self.period is Period.WEEK else 15) for b in buckets]
        lo, hi = day_x(tr.first) - 1, day_x(tr.last) + 1
        for p in self.plots.values():
            p.plot.setXRange(lo, hi, padding=0.01)
        self._draw_load(tr, t)
        self._draw_zones(buckets, centre, width, t)
        self._draw_sports(buckets, centre, width, t)
        self._draw_readiness(tr, t)
        self._draw_weight(tr, t)
        self._fill_lifts(tr)
        self._draw_e1rm()
        self._draw_streak(tr, t)

    def _show_status(self, tr: Trends) -> None:
        who = self.ctx.athlete.name
        span = f"{tr.first:%d %b %Y} – {tr.last:%d %b %Y}"
        self.status.setText(NO_DATA.format(who=who) if tr.empty else f"{who} · {span}")

    def _draw_load(self, tr: Trends, t: th.Theme) -> None:
        p = self.plots["load"]
        if not any(f.load for f in tr.fitness) and not any(f.ctl for f in tr.fitness):
            p.show_empty(EMPTY["load"], t)
            return
        x = [day_x(f.day) for f in tr.fitness]
        p.plot.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen(t.muted, width=1)))
        p.line("Fitness (CTL)", x, [f.ctl for f in tr.fitness], t.accent, 2.5)
        p.line("Fatigue (ATL)", x, [f.atl for f in tr.fitness], t.zones[5], 1.5)
        p.line("Form (TSB)", x, [f.tsb for f in tr.fitness], t.zones[2], 1.5)
        p.plot.enableAutoRange(axis="y")

    def _draw_zones(self, buckets: list[Bucket], x: list[float], w: float, t: th.Theme) -> None:
        p = self.plots["zones"]
        if not any(sum(b.zone_min) for b in buckets):
            p.show_empty(EMPTY["zones"], t)
            return
        layers = [(f"Zone {z + 1}", [_hours(b.zone_min[z]) for b in buckets], t.zones[z + 1])
                  for z in range(5)]  # fmt: skip
        p.stacked_bars(x, w, layers)

    def sport_colours(self) -> dict[str, str]:
        """One colour per sport of the loaded range (the volume chart and the calendar)."""
        sports: list[str] = []
        for e in self.trends.sessions if self.trends else []:
            if e.sport not in sports:
                sports.append(e.sport)
        return {s: SPORT_COLOURS[i % len(SPORT_COLOURS)] for i, s in enumerate(sorted(sports))}

    def _draw_sports(self, buckets: list[Bucket], x: list[float], w: float, t: th.Theme) -> None:
        p = self.plots["sports"]
        colours = self.sport_colours()
        if not colours:
            p.show_empty(EMPTY["sports"], t)
            return
        layers = [(s.replace("_", " ").capitalize(), [_hours(b.sport_min.get(s, 0.0))
                   for b in buckets], c) for s, c in colours.items()]  # fmt: skip
        p.stacked_bars(x, w, layers)

    def _draw_readiness(self, tr: Trends, t: th.Theme) -> None:
        x = [day_x(r.day) for r in tr.readiness]
        p = self.plots["resting"]
        if not any(r.resting_hr is not None for r in tr.readiness):
            p.show_empty(EMPTY["resting"], t)
        else:
            item = p.line("Morning reading", x, [r.resting_hr for r in tr.readiness], t.zones[5],
                          0, symbol="o")  # fmt: skip
            item.setPen(None)
            p.line("7-day mean", x, [r.resting_hr_7 for r in tr.readiness], t.text, 2)
            p.line("60-day mean", x, [r.resting_hr_60 for r in tr.readiness], t.muted, 1.5)
            p.plot.enableAutoRange(axis="y")
        p = self.plots["hrv"]
        if not any(r.ln_rmssd is not None for r in tr.readiness):
            p.show_empty(EMPTY["hrv"], t)
            return
        p.band("Normal band", x, [r.band_low for r in tr.readiness],
               [r.band_high for r in tr.readiness], t.zones[2])  # fmt: skip
        item = p.line("ln(RMSSD)", x, [r.ln_rmssd for r in tr.readiness], t.accent, 0,
                      symbol="o")  # fmt: skip
        item.setPen(None)
        p.line("7-day mean", x, [r.mean7 for r in tr.readiness], t.text, 2)
        p.plot.enableAutoRange(axis="y")

    def _draw_weight(self, tr: Trends, t: th.Theme) -> None:
        p = self.plots["weight"]
        imperial = self.ctx.units == vm.IMPERIAL
        unit = "lb" if imperial else "kg"
        p.plot.setLabel("left", "Weight", units=unit)
        if not tr.weight:
            p.show_empty(EMPTY["weight"], t)
            return
        f = vm.LB_PER_KG if imperial else 1.0
        p.line(f"Weight ({unit})", [day_x(d) for d, _ in tr.weight], [v * f for _, v in tr.weight],
               t.accent, 2, symbol="o")  # fmt: skip
        p.plot.enableAutoRange(axis="y")

    def _fill_lifts(self, tr: Trends) -> None:
        wanted = self.lift_box.currentText()
        self.lift_box.blockSignals(True)
        self.lift_box.clear()
        self.lift_box.addItems(list(tr.e1rm))
        if wanted in tr.e1rm:
            self.lift_box.setCurrentText(wanted)
        self.lift_box.setEnabled(bool(tr.e1rm))
        self.lift_box.blockSignals(False)

    def _draw_e1rm(self) -> None:
        tr, t = self.trends, self.ctx.theme
        if tr is None:
            return
        p = self.plots["e1rm"]
        p.clear(t)
        p.plot.setXRange(day_x(tr.first) - 1, day_x(tr.last) + 1, padding=0.01)
        lift = self.lift_box.currentText()
        imperial = self.ctx.units == vm.IMPERIAL
        unit = "lb" if imperial else "kg"
        p.plot.setLabel("left", "1RM", units=unit)
        points = tr.e1rm.get(lift, [])
        if not points:
            p.show_empty(EMPTY["e1rm"], t)
            return
        f = vm.LB_PER_KG if imperial else 1.0
        p.line(f"{lift} ({unit})", [day_x(d) for d, _ in points], [v * f for _, v in points],
               t.zones[4], 2, symbol="o")  # fmt: skip
        p.plot.enableAutoRange(axis="y")

    def _draw_streak(self, tr: Trends, t: th.Theme) -> None:
        p = self.plots["streak"]
        weeks = tr.streaks()
        if not any(n for _, n in weeks):
            p.show_empty(EMPTY["streak"], t)
            return
        x = [day_x(w) + 3.5 for w, _ in weeks]
        p.stacked_bars(x, 7 * 0.8, [("Weeks in a row", [float(n) for _, n in weeks], t.zones[2])])
        for target in tr.streak_targets:
            dashed = pen(t.danger, 2, Qt.PenStyle.DashLine)
            line = pg.InfiniteLine(target, angle=0, pen=dashed)
            p.add(f"Goal: {target:g} weeks", line, sample=dashed)
        top = max([n for _, n in weeks] + list(tr.streak_targets))
        p.plot.setYRange(0, float(np.ceil(top * 1.15 + 0.5)), padding=0)

    # Calendar ------------------------------------------------------------------------

    def _month_changed(self, month: date) -> None:
        self._show_month(month)

    def _show_month(self, month: date) -> None:
        tr = self.trends
        grid = month_grid(month)
        if tr is not None and tr.first <= grid[0] and grid[-1] <= tr.last + timedelta(days=42):
            self._month_loaded(month, [e for e in tr.sessions if grid[0] <= e.day <= grid[-1]])
            return
        aid, analysis = self.ctx.athlete.id, self.ctx.services.analysis
        self.ctx.bridge.run(
            lambda: analysis.calendar(aid, grid[0], grid[-1]),
            lambda entries: self._month_loaded(month, entries),
        )

    def _month_loaded(self, month: date, entries: list[CalendarEntry]) -> None:
        colours = self.sport_colours()
        for i, e in enumerate(sorted({e.sport for e in entries} - set(colours))):
            colours[e] = SPORT_COLOURS[(len(colours) + i) % len(SPORT_COLOURS)]
        self.calendar.set_month(month, entries, self.ctx.theme, colours)


__all__ = ["RANGES", "TrendsScreen"]
