"""Compare: two to six athletes, or one athlete's two periods, on the same trends charts.

One `ctx.services.analysis.trends(...)` per line (the Trends screen's service and chart
class, `StaticPlot`), all on the worker thread in one call; each chart draws one line per
athlete or period in its own colour. Periods are laid over each other by day of the period.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.services.analysis import Period

from .. import viewmodels as vm
from ..analysis_charts import SPORT_COLOURS, StaticPlot, day_x
from ..context import AppContext, Navigator
from .trends import RANGES

if TYPE_CHECKING:
    from app.services.analysis import Trends

MIN_LINES, MAX_LINES = 2, 6
MODES = ("Athletes", "Periods")
#: Periods mode: the range now against the one right before it, or a year earlier.
OTHER_PERIOD: dict[str, int] = {"vs the period before": 0, "vs a year earlier": 365}
ROW_PX = 260


@dataclass(frozen=True, slots=True)
class Line:
    """One compared series: whose trends, over which days, and its legend name."""

    label: str
    athlete_id: int
    first: date
    last: date


#: Charts: key -> (title, y label, unit, the values of one Trends as (day, value) points).
Points = Callable[["Trends"], list[tuple[date, float | None]]]


def _weekly(tr: Trends, value: Callable[[object], float]) -> list[tuple[date, float | None]]:
    return [(b.start + timedelta(days=3), value(b)) for b in tr.buckets(Period.WEEK)]


CHARTS: dict[str, tuple[str, str, str, Points]] = {
    "fitness": ("Fitness (CTL)", "CTL", "/day", lambda tr: [(f.day, f.ctl) for f in tr.fitness]),
    "form": ("Form (TSB)", "TSB", "/day", lambda tr: [(f.day, f.tsb) for f in tr.fitness]),
    "hours": (
        "Training time per week", "Time", "h",
        lambda tr: _weekly(tr, lambda b: b.active_min / 60.0),  # type: ignore[attr-defined]
    ),
    "load": (
        "Training load per week", "Load", "",
        lambda tr: _weekly(tr, lambda b: b.load),  # type: ignore[attr-defined]
    ),
    "resting": (
        "Resting HR (7-day mean)", "Resting HR", "bpm",
        lambda tr: [(r.day, r.resting_hr_7) for r in tr.readiness],
    ),
    "hrv": (
        "Morning HRV: ln(RMSSD), 7-day mean", "ln(RMSSD)", "ln ms",
        lambda tr: [(r.day, r.mean7) for r in tr.readiness],
    ),
}  # fmt: skip


def period_lines(athlete: vm.AthleteItem, last: date, days: int, back: int) -> list[Line]:
    """This range and the other one (right before it, or `back` days earlier)."""
    first = last - timedelta(days=days - 1)
    shift = timedelta(days=back or days)
    fmt = "%d %b %Y"
    other = (first - shift, last - shift)
    return [
        Line(f"{first:{fmt}} – {last:{fmt}}", athlete.id, first, last),
        Line(f"{other[0]:{fmt}} – {other[1]:{fmt}}", athlete.id, *other),
    ]


class CompareScreen(QWidget):
    """Pick athletes (or periods) on the left; the charts on the right, one line each."""

    #: Emitted after the charts show a newly loaded comparison (or say why there is none).
    shown = Signal()

    def __init__(self, ctx: AppContext, window: Navigator) -> None:
        super().__init__()
        self.ctx = ctx
        self.navigator = window
        self.results: list[tuple[Line, Trends]] = []
        self.error = ""
        self._token = 0
        root = QHBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        side = QVBoxLayout()
        self.mode = QComboBox()
        self.mode.addItems(list(MODES))
        self.mode.setAccessibleName("Compare")
        self.mode.currentTextChanged.connect(lambda _t: self._mode_changed())
        self.range_box = QComboBox()
        self.range_box.addItems(list(RANGES))
        self.range_box.setCurrentText("3 months")
        self.range_box.setAccessibleName("Range")
        self.other = QComboBox()
        self.other.addItems(list(OTHER_PERIOD))
        self.other.setAccessibleName("Other period")
        for label, w in (("Compare", self.mode), ("Range", self.range_box),
                         ("Against", self.other)):  # fmt: skip
            name = QLabel(label)
            name.setProperty("role", "muted")
            side.addWidget(name)
            side.addWidget(w)
        self.people_label = QLabel(f"Athletes ({MIN_LINES} to {MAX_LINES})")
        self.people_label.setProperty("role", "muted")
        side.addWidget(self.people_label)
        self.people = QListWidget()
        self.people.setAccessibleName("Athletes to compare")
        self.people.itemChanged.connect(lambda _i: self._picked())
        side.addWidget(self.people, 1)
        self.compare_btn = QPushButton("Compare")
        self.compare_btn.setProperty("role", "primary")
        self.compare_btn.clicked.connect(self.reload)
        side.addWidget(self.compare_btn)
        side_box = QWidget()
        side_box.setLayout(side)
        side_box.setFixedWidth(230)
        root.addWidget(side_box)
        right = QVBoxLayout()
        self.status = QLabel("")
        self.status.setProperty("role", "muted")
        self.status.setWordWrap(True)
        right.addWidget(self.status)
        area = QScrollArea()
        area.setWidgetResizable(True)
        self.charts = pg.GraphicsLayoutWidget()
        self.charts.setMinimumHeight(3 * ROW_PX)
        area.setWidget(self.charts)
        right.addWidget(area, 1)
        root.addLayout(right, 1)
        self.plots: dict[str, StaticPlot] = {}
        self._build_plots(dates=True)
        self.range_box.currentTextChanged.connect(lambda _t: self.reload())
        self.other.currentTextChanged.connect(lambda _t: self.reload())
        ctx.themeChanged.connect(lambda _t: self._draw())
        ctx.athleteChanged.connect(lambda _a: self.reload() if self.periods else None)
        self._mode_changed()
        self.fill_athletes()

    @property
    def periods(self) -> bool:
        return self.mode.currentText() == "Periods"

    def activate(self, athlete_ids: Sequence[int] | None = None) -> None:
        """Refresh the athlete list (and tick `athlete_ids`), then compare."""
        self.fill_athletes(athlete_ids)

    def _build_plots(self, dates: bool) -> None:
        self.charts.ci.clear()
        x_label = None if dates else "Day of the period"
        for i, (key, (title, y, unit, _f)) in enumerate(CHARTS.items()):
            row, col = divmod(i, 2)
            p = StaticPlot(self.charts.ci, row, col, title, y, unit, dates=dates, x_label=x_label)
            p.plot.getAxis("left").enableAutoSIPrefix(False)
            self.plots[key] = p

    def _mode_changed(self) -> None:
        self.other.setEnabled(self.periods)
        self.people.setEnabled(not self.periods)
        self._build_plots(dates=not self.periods)
        self._picked()
        if self.periods:
            self.reload()

    # Picking -------------------------------------------------------------------------

    def fill_athletes(self, ticked: Sequence[int] | None = None) -> None:
        """The athletes to tick (worker thread); the first two are ticked at first."""
        athletes = self.ctx.services.athletes

        def done(items: list[vm.AthleteItem]) -> None:
            was = set(ticked) if ticked is not None else set(self.checked_ids())
            if not was:
                was = {a.id for a in items[:MIN_LINES]}
            self.people.blockSignals(True)
            self.people.clear()
            for a in items:
                item = QListWidgetItem(a.name + (" (you)" if a.is_self else ""))
                item.setData(Qt.ItemDataRole.UserRole, a.id)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                on = a.id in was
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                self.people.addItem(item)
            self.people.blockSignals(False)
            self._picked()
            self.reload()

        self.ctx.bridge.run(athletes.roster, done)

    def checked_ids(self) -> list[int]:
        out = []
        for i in range(self.people.count()):
            item = self.people.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(int(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def _picked(self) -> None:
        n = len(self.checked_ids())
        ok = self.periods or MIN_LINES <= n <= MAX_LINES
        self.compare_btn.setEnabled(ok)
        if not self.periods and not ok:
            self.status.setText(f"Tick {MIN_LINES} to {MAX_LINES} athletes ({n} ticked).")

    def lines(self) -> Callable[[date], list[Line]]:
        """What to compare, read from the controls here (GUI thread); dated on the worker."""
        days = RANGES[self.range_box.currentText()]
        athlete = self.ctx.athlete
        if self.periods:
            back = OTHER_PERIOD[self.other.currentText()]
            return lambda today: period_lines(athlete, today, days, back)
        names = {}
        for i in range(self.people.count()):
            item = self.people.item(i)
            names[int(item.data(Qt.ItemDataRole.UserRole))] = item.text()
        picked = [(a, names[a]) for a in self.checked_ids()]

        def dated(today: date) -> list[Line]:
            first = today - timedelta(days=days - 1)
            return [Line(name, a, first, today) for a, name in picked]

        return dated

    # Loading -------------------------------------------------------------------------

    def reload(self) -> None:
        """Every line's trends in one worker call; a newer request wins."""
        n = len(self.checked_ids())
        if not self.periods and not MIN_LINES <= n <= MAX_LINES:
            self._picked()
            self.shown.emit()
            return
        self._token += 1
        token, analysis = self._token, self.ctx.services.analysis
        aid, make_lines = self.ctx.athlete.id, self.lines()
        self.status.setText("Loading…")

        def work() -> list[tuple[Line, Trends]]:
            lines = make_lines(analysis.today(aid))  # the time zone is a DB read
            return [(ln, analysis.trends(ln.athlete_id, ln.first, ln.last)) for ln in lines]

        def done(result: list[tuple[Line, Trends]]) -> None:
            if token == self._token:
                self.results, self.error = result, ""
                self._draw()
                self.shown.emit()

        def failed(exc: BaseException) -> None:
            if token == self._token:
                self.error = f"Could not load the comparison: {exc}"
                self.status.setText(self.error)
                self.shown.emit()

        self.ctx.bridge.run(work, done, failed)

    # Charts --------------------------------------------------------------------------

    def _draw(self) -> None:
        t = self.ctx.theme
        self.charts.setBackground(QColor(t.chart_bg))
        for p in self.plots.values():
            p.clear(t)
        if not self.results:
            return
        empty = [ln.label for ln, tr in self.results if tr.empty]
        what = "periods" if self.periods else "athletes"
        text = f"{len(self.results)} {what} · {self.range_box.currentText()}"
        if empty:
            text += f" · no data for {', '.join(empty)}"
        self.status.setText(text)
        first, last = self.results[0][0].first, self.results[0][0].last
        lo, hi = (0.0, float((last - first).days)) if self.periods else (day_x(first), day_x(last))
        for key, (_title, _y, _unit, points) in CHARTS.items():
            p = self.plots[key]
            drawn = 0
            for i, (ln, tr) in enumerate(self.results):
                if tr.empty:  # said in the status line; a flat zero line would mislead
                    continue
                pts = [(d, v) for d, v in points(tr) if v is not None]
                if not pts:
                    continue
                if self.periods:
                    x = [float((d - ln.first).days) for d, _v in pts]
                else:
                    x = [day_x(d) for d, _v in pts]
                colour = SPORT_COLOURS[i % len(SPORT_COLOURS)]
                p.line(ln.label, x, [v for _d, v in pts], colour, 2.0)
                drawn += 1
            if not drawn:
                p.show_empty("Nothing to compare in this range", t)
            else:
                p.plot.setXRange(lo - 1, hi + 1, padding=0.01)
                p.plot.enableAutoRange(axis="y")


__all__ = ["CHARTS", "CompareScreen", "Line", "period_lines"]
