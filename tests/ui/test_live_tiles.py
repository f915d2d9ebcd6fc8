"""The dashboard's live DFA α1 and 3 s / 30 s / lap power tiles, driven through the real window.

A `BurstStrap` (the simulated strap, with its power meter) delivers a stretch of recording at
once, so α1's first 2-minute window is reached in a second; the test then computes the same
figures with the domain functions over the very samples it delivered.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from app.domain.dfa import MAX_ARTEFACT_SHARE, Alpha1Tracker, Alpha1Window
from app.domain.power import power_grid, rolling_mean
from app.domain.samples import Sample
from app.recorder.controller import WriterOptions
from app.ui.live import RECORDING
from app.ui.live_analysis import Alpha1State, LiveAnalysis, LiveAnalysisView
from app.ui.screens.live_tiles import alpha1_colour
from app.ui.services import Services
from device.simulator import SimulatedStrap

pytestmark = pytest.mark.gui

#: Seconds of recording each burst delivers: past the first α1 window (120 s) and a few steps.
BURST_S = 200


class BurstStrap:
    """The simulated strap delivering `BURST_S` s of samples at once per release, then waiting."""

    kind = "simulator"
    key = "default"
    name = "Simulated strap"

    def __init__(self, *, power: bool = True, rr: bool = True, bursts: int = 1) -> None:
        self.power, self.rr = power, rr
        self.bursts = bursts
        self.release = [threading.Event() for _ in range(bursts)]
        self.release[0].set()
        self.sent: list[list[Sample]] = []

    async def samples(self) -> AsyncIterator[Sample]:
        import time

        strap = SimulatedStrap(
            seed=5, realtime=False, start_ms=int(time.time() * 1000),
            power_w=300.0 if self.power else None,
        )  # fmt: skip
        gen = strap.generate(10**9)
        for release in self.release:
            while not release.is_set():
                await asyncio.sleep(0.01)
            sent: list[Sample] = []
            self.sent.append(sent)
            for i in range(BURST_S):
                s = next(gen)
                s = s if self.rr else replace(s, rr=())
                sent.append(s)
                yield s
                if i % 20 == 0:
                    await asyncio.sleep(0.001)  # let the loop breathe, as a radio would
        while True:
            await asyncio.sleep(1.0)


@pytest.fixture
def burst_window(make_window, store, data_dir):
    def make(strap: BurstStrap):
        services = Services.build(
            store, data_dir, sources=lambda _a: [strap],
            writer=WriterOptions(flush_interval_s=0.05),
        )  # fmt: skip
        return make_window(services)

    return make


def _record(qtbot, window, strap: BurstStrap, burst: int = 0):
    """Start (first burst) and wait until the burst's samples are all in the live analysis."""
    ctx = window.ctx
    if burst == 0:
        with qtbot.waitSignal(ctx.stateChanged, timeout=20_000) as blocker:
            ctx.start("ride")
        assert blocker.args == [RECORDING]
    else:
        strap.release[burst].set()
    qtbot.waitUntil(lambda: len(strap.sent) > burst and len(strap.sent[burst]) == BURST_S,
                    timeout=20_000)  # fmt: skip
    sent = [s for part in strap.sent for s in part]
    qtbot.waitUntil(lambda: ctx.last_view.samples == len(sent), timeout=20_000)
    return sent


def _reference_alpha1(samples: list[Sample]) -> Alpha1Window | None:
    tracker = Alpha1Tracker()
    for s in samples:  # as the recorder's listener hands them over: one sample's RR at a time
        if s.rr:
            tracker.add(s.rr)
    return tracker.latest


def _watts(text: str) -> str:
    return text.split("<", 1)[0]  # the number, without the smaller unit's markup


def test_alpha1_and_power_tiles_show_the_domain_figures(qtbot, burst_window) -> None:
    strap = BurstStrap(bursts=2)
    window = burst_window(strap)
    dash = window.show_screen("dashboard")
    tiles = dash.live_tiles
    assert tiles.visible() == [t.name.text() for t in dash.tiles.values()]  # idle: no live row
    sent = _record(qtbot, window, strap)

    # α1: the tracker's newest window over the same RR, in the threshold's colour.
    ref = _reference_alpha1(sent)
    assert ref is not None and ref.alpha1 is not None and ref.end_s >= 120
    qtbot.waitUntil(lambda: window.ctx.analysis_view().window == ref, timeout=10_000)
    window.ctx._emit_live()
    a = window.ctx.analysis_view()
    assert _watts(tiles.alpha1.value.text()) == f"{ref.alpha1:.2f}"
    assert f"{ref.artefact_share:.1%}" in tiles.alpha1.detail.text()
    colour = alpha1_colour(a.alpha1_state, window.ctx.theme)
    assert colour is not None and f"color: {colour}" in tiles.alpha1.styleSheet()
    assert tiles.alpha1.isVisible()

    # 3 s / 30 s power: rolling_mean(power_grid(...)) over the samples delivered.
    points = [(s.t_ms, s.power) for s in sent if s.power is not None]
    grid = power_grid(points)
    assert _watts(tiles.power_3s.value.text()) == f"{rolling_mean(grid, 3)[-1]:.0f}"
    assert _watts(tiles.power_30s.value.text()) == f"{rolling_mean(grid, 30)[-1]:.0f}"
    assert a.power_3s == pytest.approx(rolling_mean(grid, 3)[-1], rel=1e-12)
    assert a.power_30s == pytest.approx(rolling_mean(grid, 30)[-1], rel=1e-12)
    assert _watts(tiles.lap.value.text()) == f"{grid.mean():.0f}"
    assert tiles.lap.name.text() == "LAP 1 AVG" and tiles.lap.detail.text() == ""
    assert tiles.visible()[-4:] == ["DFA α1", "3 S POWER", "30 S POWER", "LAP 1 AVG"]

    # The α1 tracker and the power sums are fed on the recorder's loop thread, never the GUI's.
    fed_on: set[int] = set()
    analysis = window.ctx.analysis
    feed = analysis.feed

    def spy(sample: Sample) -> None:
        fed_on.add(threading.get_ident())
        feed(sample)

    analysis.feed = spy  # type: ignore[method-assign]

    # A lap: the average starts again from the next reading; the closed lap's is kept.
    window.ctx.lap()
    qtbot.waitUntil(lambda: window.ctx.last_view.lap_no == 2, timeout=15_000)
    second = _record(qtbot, window, strap, burst=1)[BURST_S:]
    window.ctx._emit_live()
    lap2 = power_grid([(s.t_ms, s.power) for s in second if s.power is not None])
    assert window.ctx.analysis_view().lap_avg_w == pytest.approx(float(lap2.mean()), rel=1e-12)
    assert _watts(tiles.lap.value.text()) == f"{lap2.mean():.0f}"
    assert tiles.lap.name.text() == "LAP 2 AVG"
    assert tiles.lap.detail.text() == f"lap 1: {grid.mean():.0f} W"
    assert fed_on == {window.bridge.loop.thread.ident} != {threading.get_ident()}
    # The rolling powers run on across the lap, over the whole ride.
    whole = power_grid([(s.t_ms, s.power) for s in sent + second if s.power is not None])
    assert _watts(tiles.power_30s.value.text()) == f"{rolling_mean(whole, 30)[-1]:.0f}"

    with qtbot.waitSignal(window.ctx.recordingStopped, timeout=20_000):
        window.ctx.stop()
    assert not any(t.isVisible() for t in tiles.tiles)  # idle again: the live row is gone


def test_no_rr_no_alpha1_tile_and_no_power_no_power_tiles(qtbot, burst_window) -> None:
    strap = BurstStrap(power=False, rr=False)
    window = burst_window(strap)
    dash = window.show_screen("dashboard")
    _record(qtbot, window, strap)
    window.ctx._emit_live()
    assert window.ctx.analysis_view().alpha1_state == Alpha1State.NO_RR
    assert dash.live_tiles.visible() == [t.name.text() for t in dash.tiles.values()]
    assert not any(t.isVisible() for t in dash.live_tiles.tiles)
    assert dash.tiles["moving"].isVisible()
    with qtbot.waitSignal(window.ctx.recordingStopped, timeout=20_000):
        window.ctx.stop()


def _window(alpha1: float | None, artefacts: int = 0, beats: int = 200) -> Alpha1Window:
    return Alpha1Window(300.0, alpha1, beats, artefacts, 150.0)


@pytest.mark.parametrize(
    ("alpha1", "artefacts", "state", "zone"),
    [
        (0.92, 0, Alpha1State.AEROBIC, 2),
        (0.75, 0, Alpha1State.THRESHOLD, 4),  # at the aerobic threshold: no longer above it
        (0.62, 0, Alpha1State.THRESHOLD, 4),
        (0.5, 0, Alpha1State.THRESHOLD, 4),
        (0.41, 0, Alpha1State.ANAEROBIC, 5),
        (0.92, 12, Alpha1State.UNRELIABLE, None),  # 6 % artefacts
    ],
)
def test_the_alpha1_tile_colours_by_the_thresholds(
    qtbot, window, alpha1: float, artefacts: int, state: Alpha1State, zone: int | None
) -> None:
    dash = window.show_screen("dashboard")
    t = window.ctx.theme
    view = LiveAnalysisView(rr_count=500, rr_s=300.0, window=_window(alpha1, artefacts))
    assert view.alpha1_state == state
    dash.live_tiles.show(view, 1, t, big=False, short=False)
    tile = dash.live_tiles.alpha1
    assert tile.isVisible() and _watts(tile.value.text()) == f"{alpha1:.2f}"
    colour = t.zones[zone] if zone is not None else t.muted
    assert f"color: {colour}" in tile.styleSheet()
    if state == Alpha1State.UNRELIABLE:
        assert artefacts / 200 > MAX_ARTEFACT_SHARE
        assert tile.detail.text().startswith("unreliable")


def test_warming_up_until_the_first_window_then_the_value(qtbot, window) -> None:
    dash = window.show_screen("dashboard")
    t = window.ctx.theme
    dash.live_tiles.show(LiveAnalysisView(rr_count=80, rr_s=40.0), 1, t, big=False, short=False)
    tile = dash.live_tiles.alpha1
    assert tile.isVisible() and _watts(tile.value.text()) == "-"
    assert tile.detail.text().startswith("warming up · 1:20")
    assert tile.styleSheet() == ""  # no threshold colour before there is a value
    dash.live_tiles.show(
        LiveAnalysisView(rr_count=250, rr_s=121.0, window=_window(0.8)), 1, t, big=False,
        short=False,
    )  # fmt: skip
    assert _watts(tile.value.text()) == "0.80"
    # Big mode (F11): Elapsed only, live tiles too.
    dash.live_tiles.show(LiveAnalysisView(rr_count=250, window=_window(0.8)), 1, t, big=True,
                         short=False)  # fmt: skip
    assert dash.live_tiles.visible() == ["ELAPSED"] and not tile.isVisible()


def test_at_1024x640_the_live_tiles_replace_others_and_the_window_fits(qtbot, window) -> None:
    dash = window.show_screen("dashboard")
    window.resize(1024, 640)
    qtbot.waitUntil(lambda: dash._short, timeout=5_000)
    view = LiveAnalysisView(
        rr_count=500, rr_s=300.0, window=_window(0.6), power_3s=250.0, power_30s=240.0,
        lap_avg_w=230.0,
    )  # fmt: skip
    window.ctx.analysis_view = lambda: view  # type: ignore[method-assign]
    dash.show_view(window.ctx.last_view)
    shown = dash.live_tiles.visible()
    assert len(shown) == 8 and shown[-4:] == ["DFA α1", "3 S POWER", "30 S POWER", "LAP 1 AVG"]
    assert not dash.tiles["moving"].isVisible() and not dash.tiles["kcal"].isVisible()
    qtbot.waitUntil(lambda: dash.chart.height() >= 200, timeout=5_000)  # as when idle
    assert window.height() == 640 and window.minimumSizeHint().height() <= 640
    # A tall window has room for a third row: every tile shows.
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: not dash._short, timeout=5_000)
    dash.show_view(window.ctx.last_view)
    assert len(dash.live_tiles.visible()) == 12 and dash.tiles["moving"].isVisible()


def test_live_analysis_is_the_tracker_and_the_rolling_power() -> None:
    """The hook itself, without Qt: fed sample by sample, as the recorder's listener does."""
    samples = list(SimulatedStrap(seed=2, realtime=False, start_ms=0, power_w=250).generate(400))
    live = LiveAnalysis()
    assert live.view() == LiveAnalysisView() and live.view().alpha1_state == Alpha1State.NO_RR
    states = []
    for s in samples:
        live.feed(s)
        states.append(live.view().alpha1_state)
    assert states[0] == Alpha1State.WARMING_UP and states[-1] not in (
        Alpha1State.WARMING_UP, Alpha1State.NO_RR
    )  # fmt: skip
    assert live.view().window == _reference_alpha1(samples)
    points = [(s.t_ms, s.power) for s in samples if s.power is not None]
    assert live.view().power_3s == pytest.approx(rolling_mean(power_grid(points), 3)[-1])
    live.lap()
    assert live.view().lap_avg_w is None
    assert live.view().last_lap_avg_w == pytest.approx(float(power_grid(points).mean()))
