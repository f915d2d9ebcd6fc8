"""The live model: the stored summary's figures, gaps, pauses, sensor states."""

from __future__ import annotations

import math

import numpy as np

from app.domain.profile import Profile, Sex
from app.domain.samples import Sample
from app.domain.summary import Pause, summarize
from app.ui.live import IDLE, PAUSED, RECORDING, LiveSession
from device.simulator import SimulatedStrap

T0 = 1_764_000_000_000
PROFILE = Profile(birth_year=1990, sex=Sex.MALE, weight_kg=75.0, resting_hr=55, max_hr=185)


def test_live_totals_match_the_stored_summary() -> None:
    samples = list(SimulatedStrap(seed=3, start_ms=T0, realtime=False).generate(900))
    live = LiveSession(PROFILE, T0, sport="run")
    for i in range(0, len(samples), 7):  # arrives in uneven batches
        live.add(samples[i : i + 7])
    end = samples[-1].t_ms + 1000
    view = live.view(end)
    rr = [r for s in samples for r in s.rr]
    summary = summarize(samples, T0, end, PROFILE, "run", rr_ms=rr)
    assert view.summary == summary  # one set of rules: identical, not merely close
    assert view.zone_s == summary.zone_s
    assert view.moving_s == summary.moving_s
    assert view.kcal == summary.kcal
    assert view.elapsed_s == summary.duration_s
    assert view.distance_m == summary.distance_m
    assert view.hr == samples[-1].hr
    assert view.zone == live.zones.zone_of(samples[-1].hr)
    assert view.samples == 900


def test_a_dropout_is_a_gap_in_the_chart_and_the_sensor_reconnects() -> None:
    live = LiveSession(PROFILE, T0)
    live.register_source("strap", "Chest strap", "hr", T0)
    live.add([Sample(T0 + i * 1000, hr=120, source="strap") for i in range(5)])
    assert live.view(T0 + 5000).sensors[0].state == "connected"
    assert live.view(T0 + 15_000).sensors[0].state == "reconnecting"
    assert live.view(T0 + 60_000).sensors[0].state == "lost"
    live.add([Sample(T0 + 60_000, hr=125, source="strap")])
    x, hr = live.series("hr")
    assert np.isnan(hr).sum() == 1  # one break between the two stretches
    assert x[np.isnan(hr)][0] < 60  # placed right after the last sample before the gap
    assert live.view(T0 + 60_500).sensors[0].state == "connected"


def test_pause_excludes_time_and_lap_restarts_lap_clock() -> None:
    live = LiveSession(PROFILE, T0)
    live.add([Sample(T0 + i * 1000, hr=150) for i in range(10)])
    live.pause(T0 + 10_000)
    assert live.state == PAUSED
    live.add([Sample(T0 + 10_000 + i * 1000, hr=150) for i in range(10)])
    live.resume(T0 + 20_000)
    live.lap(T0 + 20_000)
    view = live.view(T0 + 25_000)
    assert view.state == RECORDING
    # Elapsed is the saved duration (pauses included); the paused readings count nowhere.
    assert math.isclose(view.elapsed_s, 25.0)
    assert math.isclose(sum(view.zone_s), 10.0) and math.isclose(view.moving_s, 10.0)
    saved = summarize(
        [Sample(T0 + i * 1000, hr=150) for i in range(20)], T0, T0 + 25_000, PROFILE, "run",
        pauses=[Pause(T0 + 10_000, T0 + 20_000)],
    )  # fmt: skip
    assert view.summary == saved
    assert view.lap_no == 2 and math.isclose(view.lap_s, 5.0)
    assert IDLE != view.state


def test_series_grow_without_copies_per_sample() -> None:
    live = LiveSession(PROFILE, T0)
    live.add([Sample(T0 + i * 250, hr=100 + i % 50, cadence=80.0) for i in range(20_000)])
    x, hr = live.series("hr")
    _, cad = live.series("cadence")
    assert len(x) == len(hr) == len(cad) == 20_000
    assert x[-1] == (20_000 - 1) * 0.25
    assert live.has_channel("cadence") and not live.has_channel("power")
