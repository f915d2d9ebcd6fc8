"""Trends screen on a real SQLite file: every chart has its series, legend and axis labels;
weeks/months and ranges; the calendar opens sessions; empty states for an athlete without data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.analysis.trend_data import fill_history


class _Nav:
    def __init__(self) -> None:
        self.opened: list[int] = []

    def show_screen(self, name: str, **kwargs: object) -> None:
        return None

    def open_session(self, session_id: int) -> None:
        self.opened.append(session_id)

    def reload_athletes(self, select_id: int | None = None) -> None:
        return None

    def confirm_stop(self) -> None:
        return None


@pytest.fixture
def make_ctx(qtbot, store, data_dir):
    """An AppContext on the test store with its own bridge (no main window needed)."""
    from PySide6.QtWidgets import QWidget

    from app.ui.bridge import Bridge, LoopThread
    from app.ui.context import AppContext
    from app.ui.services import Services

    loops, hosts = [], []

    def make(theme: str = "light"):
        services = Services.build(store, data_dir)
        loop = LoopThread().start()
        loops.append(loop)
        host = QWidget()
        hosts.append(host)  # the context's parent: alive for the whole test
        bridge = Bridge(loop, host)
        return AppContext(bridge, services, None, services.athletes.current(), theme, host)

    yield make
    for loop in loops:
        loop.stop()


def _screen(qtbot, ctx):
    from app.ui.screens.trends import TrendsScreen

    nav = _Nav()
    screen = TrendsScreen(ctx, nav)
    qtbot.addWidget(screen)
    screen.resize(1100, 1100)
    screen.show()
    with qtbot.waitSignal(screen.shown, timeout=30_000):
        screen.activate()
    return screen, nav


def test_trends_charts_have_series_legends_and_units(qtbot, store, make_ctx) -> None:
    fill_history(store, 8, hz=0.05, end=datetime.now(UTC).date())
    screen, _nav = _screen(qtbot, make_ctx())
    tr = screen.trends
    assert tr is not None and not tr.empty and screen.load_ms is not None
    p = screen.plots
    assert set(p["load"].series) == {"Fitness (CTL)", "Fatigue (ATL)", "Form (TSB)"}
    assert {"Zone 1", "Zone 2"} <= set(p["zones"].series)
    assert {"Run", "Ride", "Strength"} == set(p["sports"].series)
    assert {"Morning reading", "7-day mean"} <= set(p["resting"].series)
    assert {"Normal band", "ln(RMSSD)"} <= set(p["hrv"].series)
    assert "Weight (kg)" in p["weight"].series
    assert screen.lift_box.count() == 2 and screen.lift_box.currentText() in tr.e1rm
    assert "Goal: 8 weeks" in p["streak"].series
    for plot in p.values():
        assert not plot.empty_text, plot.title
        assert len(plot.legend.items) == len(plot.series) > 0, plot.title
        assert plot.plot.getAxis("left").labelText, plot.title
    assert p["zones"].plot.getAxis("left").labelUnits == "h"
    assert p["resting"].plot.getAxis("left").labelUnits == "bpm"
    # a date axis: month names or day numbers, never raw day numbers since 1970
    axis = p["load"].plot.getAxis("bottom")
    lo, hi = p["load"].plot.viewRange()[0]
    ticks = axis.tickValues(lo, hi, 500)
    labels = axis.tickStrings(ticks[0][1], 1.0, ticks[0][0])
    assert labels and all(
        any(c.isalpha() for c in s) or s.isdigit() and len(s) == 4 for s in labels
    )


def test_months_and_range_and_lift(qtbot, store, make_ctx) -> None:
    fill_history(store, 8, hz=0.05)
    screen, _nav = _screen(qtbot, make_ctx())
    weeks = len(screen.trends.buckets(screen.period))
    screen.period_box.setCurrentText("Months")
    months = screen.trends.buckets(screen.period)
    assert len(months) < weeks and all(b.start.day == 1 for b in months)
    other = [screen.lift_box.itemText(i) for i in range(2) if i != screen.lift_box.currentIndex()]
    screen.lift_box.setCurrentText(other[0])
    assert f"{other[0]} (kg)" in screen.plots["e1rm"].series
    with qtbot.waitSignal(screen.shown, timeout=30_000):
        screen.range_box.setCurrentText("1 year")
    assert (screen.trends.last - screen.trends.first).days == 364


def test_calendar_opens_a_session(qtbot, store, make_ctx) -> None:
    fill_history(store, 4, hz=0.05)
    screen, nav = _screen(qtbot, make_ctx())
    screen.tabs.setCurrentIndex(1)
    cal = screen.calendar
    in_grid = [e for e in screen.trends.sessions if e.day in cal.cells]
    assert in_grid and set(cal.buttons) <= {e.session_id for e in in_grid}
    sid, button = next(iter(cal.buttons.items()))
    assert "′" in button.text()
    button.click()
    assert nav.opened == [sid]
    month = cal.month
    cal.step(-1)
    qtbot.waitUntil(lambda: cal.month != month and cal.title.text() != "", timeout=10_000)
    assert cal.buttons  # the month before has sessions too


def test_empty_athlete(qtbot, store, make_ctx) -> None:
    store.ensure_athlete("Me", is_self=True)
    screen, _nav = _screen(qtbot, make_ctx("dark"))
    assert screen.trends is not None and screen.trends.empty
    assert "No sessions" in screen.status.text()
    for plot in screen.plots.values():
        assert plot.empty_text, plot.title
        assert not plot.series
    assert screen.calendar.summary.text() == "No sessions this month"


def test_hidden_calendar_is_built_when_shown(qtbot, store, make_ctx) -> None:
    fill_history(store, 4, hz=0.05, end=datetime.now(UTC).date())
    screen, nav = _screen(qtbot, make_ctx())
    cal = screen.calendar
    assert screen.tabs.currentWidget() is screen.chart_area
    assert cal.summary.text() and cal.entries and not cal.cells  # the cells: not yet
    screen.tabs.setCurrentIndex(1)
    assert len(cal.cells) == 42 and cal.buttons
    assert all(cell.isVisible() for cell in cal.cells.values())
    next(iter(cal.buttons.values())).click()
    assert len(nav.opened) == 1


def test_reopening_with_the_same_data_keeps_the_charts(qtbot, store, make_ctx) -> None:
    from app.training.body import add_metric

    today = datetime.now(UTC).date()
    aid = fill_history(store, 4, hz=0.05, end=today)
    screen, _nav = _screen(qtbot, make_ctx())
    drawn = {name: list(p.series.values()) for name, p in screen.plots.items()}
    with qtbot.waitSignal(screen.shown, timeout=30_000):
        screen.activate()  # what opening the screen again does
    for name, p in screen.plots.items():
        assert all(a is b for a, b in zip(p.series.values(), drawn[name], strict=True)), name
    assert screen.status.text().startswith("Me · ")
    add_metric(store, aid, "weight_kg", 70.0, int(datetime.now(UTC).timestamp() * 1000))
    with qtbot.waitSignal(screen.shown, timeout=30_000):
        screen.activate()
    weight = screen.plots["weight"].series["Weight (kg)"]
    assert weight is not drawn["weight"][0] and 70.0 in weight.getData()[1]


def test_a_new_y_range_does_not_rebuild_the_series(qtbot, store, make_ctx) -> None:
    """pyqtgraph re-sets a PlotDataItem's points on every y-range change unless its dynamic
    range limit is off: the autorange after each series was added paid that on every open."""
    fill_history(store, 4, hz=0.05, end=datetime.now(UTC).date())
    screen, _nav = _screen(qtbot, make_ctx())
    hrv = screen.plots["hrv"]
    items = [i for i in hrv.plot.listDataItems() if hasattr(i, "updateItems")]
    assert len(items) >= 4  # the band's two edges, the readings, the 7-day mean
    rebuilt: list[object] = []
    for item in items:
        item.updateItems = lambda *a, _i=item, **k: rebuilt.append(_i)
    hrv.plot.setYRange(3.0, 5.0, padding=0)
    assert not rebuilt
