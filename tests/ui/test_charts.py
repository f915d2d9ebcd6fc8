"""Issue 21 #1-#4: charts people can read (axis, legends, ticks, laps, crosshair, empty, rest)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt

from app.ui import theme as th
from app.ui.chart_parts import HUMAN_STEPS_S, TimeAxis, human_step
from app.ui.charts import LIVE_EMPTY, LiveChart, SessionCharts

FLOORS = (120.0, 135.0, 150.0, 165.0, 180.0)


@pytest.fixture
def live(qtbot):
    chart = LiveChart()
    qtbot.addWidget(chart)
    chart.resize(900, 300)
    chart.show()
    chart.apply_theme(th.LIGHT, FLOORS)
    return chart


def test_live_hr_axis_fits_the_data_and_holds_a_60_bpm_sample(live) -> None:
    t = np.arange(0, 120, 1.0)
    hr = np.linspace(60, 75, len(t))
    live.set_data(t, hr, None, 120.0)
    low, high = live.plot.viewRange()[1]
    assert low <= 60 and high >= 75
    assert high - low < 100  # fitted to the data, not fixed to ~92-200 bpm
    # The rest band (below zone 1) sits under the zone bands, so a warm-up is on grey.
    assert live.bands.rest is not None and live.bands.rest.rect().bottom() == FLOORS[0]


def test_live_cadence_has_its_own_strip_and_every_series_a_legend_entry(live) -> None:
    t = np.arange(0, 60, 1.0)
    live.set_data(t, np.full(len(t), 150.0), np.full(len(t), 170.0), 60.0)
    # Cadence is not drawn over the HR zone bands: a plot (and axis) of its own.
    assert live.cadence_curve.getViewBox() is not live.plot.vb
    assert live.cadence_plot.scene() is live.scene()
    names = [label.text for _sample, label in live.legend.items]
    assert names == ["HR (bpm)", "Cadence (/min)"]


def test_clicking_a_legend_entry_hides_the_series(live, qtbot) -> None:
    t = np.arange(0, 60, 1.0)
    live.set_data(t, np.full(len(t), 150.0), np.full(len(t), 170.0), 60.0)
    sample, _label = live.legend.items[1]

    class Click:
        def button(self):
            return Qt.MouseButton.LeftButton

        def accept(self) -> None:
            pass

    sample.mouseClickEvent(Click())
    assert not live.cadence_curve.isVisible()
    live.set_series_visible("cadence", True)
    assert live.cadence_curve.isVisible()


def test_time_ticks_use_human_steps_and_never_repeat_a_label(live) -> None:
    axis = TimeAxis("bottom")
    for span, px in ((3000, 900), (7200, 900), (40, 900), (1.5, 900), (36000, 1200)):
        (step, _offset), *more = axis.tickSpacing(0, span, px)
        assert step in HUMAN_STEPS_S and not more
    assert human_step(3000, 10) == 300  # 5 min, not 8:20
    values = [0.0, 0.3, 0.6, 1.0]
    labels = [s for s in axis.tickStrings(values, 1, 0.3) if s]
    assert len(labels) == len(set(labels))
    live.set_data(np.empty(0), np.empty(0), None, 0.0)  # an idle chart: 0..30 s
    ticks = live.plot.getAxis("bottom").tickValues(0, 30, 800)
    assert all(spacing >= 1 for spacing, _v in ticks)


def test_empty_charts_say_no_samples(live, qtbot) -> None:
    assert live.empty.isVisible() and live.empty.text() == LIVE_EMPTY
    t = np.arange(0, 5, 1.0)
    live.set_data(t, np.full(5, 100.0), None, 5.0)
    assert not live.empty.isVisible()
    charts = SessionCharts()
    qtbot.addWidget(charts)
    charts.show()
    charts.show_session(np.empty(0), {}, FLOORS, th.DARK)
    assert charts.empty.isVisible() and "No samples" in charts.empty.text()


def test_session_crosshair_shows_units_and_clears_on_leave(qtbot) -> None:
    charts = SessionCharts()
    qtbot.addWidget(charts)
    charts.resize(900, 600)
    charts.show()
    t = np.arange(0, 600, 1.0)
    channels = {"hr": np.full(600, 142.0), "cadence": np.full(600, 170.0),
                "speed": np.full(600, 3.0)}  # fmt: skip
    charts.show_session(t, channels, FLOORS, th.LIGHT, 3.6, "km/h", laps_s=[200.0, 400.0])
    text = charts.set_crosshair(300)
    assert "HR 142 bpm" in text and "Cadence 170 /min" in text and "Speed 10.8 km/h" in text
    assert all(line.isVisible() for line in charts.lines)
    charts.leaveEvent(QEvent(QEvent.Type.Leave))
    assert charts.readout_text == "" and not any(line.isVisible() for line in charts.lines)
    # A move outside every plot clears it too.
    charts.set_crosshair(300)
    charts._moved((QPointF(-50, -50),))
    assert charts.readout_text == ""
    # Lap marks on every plot, labelled on the first; a legend per plot.
    assert charts.laps is not None and charts.laps.at == (200.0, 400.0)
    assert len(charts.laps.lines) == 2 * len(charts.plots)
    assert set(charts.legends) == {"hr", "cadence", "speed"}
