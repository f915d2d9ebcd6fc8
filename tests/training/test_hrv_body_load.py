"""HRV with artefacts, body-metric trends, zone models and training load, by hand."""

from __future__ import annotations

import math
import statistics
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from app.domain.body import lowest_window_mean, trend
from app.domain.hrv_analysis import analyse, correct
from app.domain.load import load_series
from app.domain.profile import Profile
from app.domain.samples import Sample
from app.training import body
from app.training.zones import custom, percent_of_max, zones_for

from .helpers import athlete, ms

CLEAN = [800, 810, 790, 820, 805, 800, 815]


def test_rmssd_and_sdnn_without_artefacts() -> None:
    r = analyse(CLEAN)
    # diffs 10, -20, 30, -15, -5, 15: squares 100+400+900+225+25+225 = 1875, /6 = 312.5
    assert r.rmssd_ms == pytest.approx(math.sqrt(312.5))
    mean = sum(CLEAN) / 7  # 805.714
    assert r.sdnn_ms == pytest.approx(math.sqrt(sum((x - mean) ** 2 for x in CLEAN) / 6))
    assert (r.missed, r.ectopic, r.out_of_range) == (0, 0, 0)


def test_ectopic_pair_is_interpolated() -> None:
    # premature beat 400 and compensatory pause 1220 between 810 and 805:
    # replaced by 810 + (805 - 810) x 1/3 = 808.33 and x 2/3 = 806.67
    nn, missed, ectopic, bad = correct([800, 810, 400, 1220, 805, 800, 815])
    assert nn == pytest.approx([800, 810, 808.3333, 806.6667, 805, 800, 815], abs=1e-3)
    assert (missed, ectopic, bad) == (0, 2, 0)
    r = analyse([800, 810, 400, 1220, 805, 800, 815])
    diffs = [10, -5 / 3, -5 / 3, -5 / 3, -5, 15]
    assert r.rmssd_ms == pytest.approx(math.sqrt(sum(d * d for d in diffs) / 6), abs=1e-3)
    assert r.sdnn_ms == pytest.approx(statistics.stdev(nn))


def test_missed_beat_is_split_in_two() -> None:
    nn, missed, ectopic, bad = correct([800, 810, 1620, 805, 800, 815])
    assert nn == [800, 810, 810, 810, 805, 800, 815]
    assert (missed, ectopic, bad) == (1, 0, 0)


def test_out_of_range_values_are_replaced() -> None:
    nn, missed, ectopic, bad = correct([800, 810, 2500, 820, 805])
    assert nn[2] == pytest.approx(815)  # between 810 and 820
    assert bad == 1
    assert analyse([800, 2500]).rmssd_ms is None  # too short to say anything


def test_reliability_flag() -> None:
    steady = [1000 + (i % 5) * 10 for i in range(60)]
    assert analyse(steady).reliable
    noisy = [x if i % 3 else 450 for i, x in enumerate(steady)]
    assert not analyse(noisy).reliable  # a third of the beats corrected


def test_zone_models_by_hand() -> None:
    assert percent_of_max(180).floors_bpm == pytest.approx((90, 108, 126, 144, 162))
    p = Profile(resting_hr=50, max_hr=190)  # reserve 140: 50 + 0.5*140 = 120, 134, 148, ...
    assert zones_for(p, "karvonen").floors_bpm == pytest.approx((120, 134, 148, 162, 176))
    assert zones_for(p, "percent_max").floors_bpm == pytest.approx((95, 114, 133, 152, 171))
    z = zones_for(p, "custom", custom_floors=[100, 120, 140, 160, 175])
    assert [z.zone_of(h) for h in (99, 100, 139.9, 140, 176)] == [0, 1, 2, 3, 5]
    assert zones_for(p, "custom").floors_bpm == zones_for(p, "karvonen").floors_bpm
    for bad in ([100, 120, 140, 160], [100, 90, 140, 160, 175], [0, 1, 2, 3, 4]):
        with pytest.raises(ValueError):
            custom(bad)


def test_trend_averages_by_hand() -> None:
    tz = ZoneInfo("Europe/Paris")
    pts = [(ms(2026, 6, d, 7), v) for d, v in ((1, 60), (2, 58), (2, 56), (5, 62), (20, 50))]
    t = trend(pts, tz)
    assert [p.day for p in t] == [date(2026, 6, d) for d in (1, 2, 5, 20)]
    assert t[1].value == 57  # mean of the two readings on the 2nd
    assert t[2].avg7 == pytest.approx((60 + 57 + 62) / 3)
    assert t[3].avg7 == 50  # the 14th-20th only has the 20th
    assert t[3].avg28 == pytest.approx((60 + 57 + 62 + 50) / 4)
    assert t[3].drift == pytest.approx(50 - 57.25)


def test_lowest_window_mean() -> None:
    # 3 minutes at 1 Hz: 70, then 55, then 65 bpm; the quietest minute is 55
    pts = [(i * 1000, 70.0 if i < 60 else 55.0 if i < 120 else 65.0) for i in range(180)]
    assert lowest_window_mean(pts) == pytest.approx(55.0)
    assert lowest_window_mean(pts[:30]) is None  # shorter than a minute


def test_metrics_validation_and_morning_measurement(store) -> None:
    a = athlete(store)
    with pytest.raises(body.MetricError):
        body.add_metric(store, a, "weight_kg", 700, ms(2026, 6, 1, 7))
    with pytest.raises(body.MetricError):
        body.add_metric(store, a, "height", 180, ms(2026, 6, 1, 7))
    t0 = ms(2026, 6, 2, 7)
    sid = store.create_session(a, sport="other", source="ble", started_ms=t0)
    rr = [1000.0 + (i % 4) * 20 for i in range(120)]  # 1000, 1020, 1040, 1060, ...
    rr[50] = 500.0  # one ectopic beat
    store.insert_samples(
        sid,
        [
            Sample(t_ms=t0 + i * 1000, hr=58 if 30 <= i < 90 else 62, rr=(rr[i],))
            for i in range(120)
        ],
    )
    store.finish_session(sid, t0 + 120_000)
    reading = body.measure_session(store, sid)
    assert reading.resting_hr == pytest.approx(58.0)
    assert reading.hrv.ectopic == 1 and reading.hrv.reliable
    # after correction the series is the clean 4-beat cycle: diffs 20, 20, 20, -60 repeating
    assert reading.hrv.rmssd_ms == pytest.approx(math.sqrt((3 * 400 + 3600) / 4), rel=0.02)
    kinds = {m.kind for m in body.metrics(store, a)}
    assert kinds == {"resting_hr", "rmssd", "sdnn"}
    assert list(body.trends(store, a)) == ["resting_hr", "rmssd", "sdnn"]


def test_acute_chronic_load_by_hand() -> None:
    # 100 TRIMP every day for 28 days, then 200 for 7 days
    start = date(2026, 5, 1)
    series = [
        (date.fromordinal(start.toordinal() + i), 100.0 if i < 28 else 200.0) for i in range(35)
    ]
    points = load_series(series, date(2026, 6, 4))  # the 35th day
    last = points[-1]
    assert last.acute == pytest.approx(200.0)
    assert last.chronic == pytest.approx((21 * 100 + 7 * 200) / 28)  # 125
    assert last.ratio == pytest.approx(1.6)
    assert load_series([], date(2026, 6, 1)) == []
