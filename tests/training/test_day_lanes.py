"""The numpy day maths (app.domain.day_lanes) gives the figures of the list maths it replaced
(tests/training/days_reference.py) within 1e-9 relative, on random overlapping sessions."""

from __future__ import annotations

import math
from dataclasses import astuple
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.days import summarize_days
from app.domain.pieces import Row, Track, track_from_rows, track_from_summary
from app.domain.profile import Profile, Sex
from app.domain.summary import Pause
from app.training.zones import zones_for

from .days_reference import as_lists
from .days_reference import summarize_days as reference

PARIS = ZoneInfo("Europe/Paris")
T0 = 1_780_000_000_000  # 2026-05-28, late evening in Paris: sessions cross midnight
SOURCES = ("ble", "feed", "import", "lake")
SPORTS = ("run", "ride", "walk", "other")

ROW = st.tuples(
    st.sampled_from([0, 500, 1000, 1000, 1000, 2000, 7000]),  # gap to the previous sample
    st.one_of(st.none(), st.integers(40, 200), st.floats(40, 200)),  # hr
    st.one_of(st.none(), st.floats(0, 120)),  # cadence
    st.one_of(st.none(), st.floats(0, 6)),  # speed
    st.one_of(st.none(), st.integers(0, 4)),  # steps increment
    st.one_of(st.none(), st.floats(0, 12)),  # met
)


@st.composite
def tracks(draw: st.DrawFn, sid: int) -> Track:
    source, sport = draw(st.sampled_from(SOURCES)), draw(st.sampled_from(SPORTS))
    start = T0 + draw(st.integers(-3_600_000, 6 * 3_600_000))
    if draw(st.booleans()) and sid % 3 == 0:  # a session stored without samples
        return track_from_summary(
            sid, source, sport, start, start + draw(st.integers(1, 7_200_000)),
            avg_hr=draw(st.one_of(st.none(), st.floats(60, 180))),
            max_hr=draw(st.one_of(st.none(), st.floats(60, 200))),
            moving_s=draw(st.one_of(st.none(), st.floats(0, 7200))),
            steps=draw(st.one_of(st.none(), st.floats(0, 9000))),
            distance_m=draw(st.one_of(st.none(), st.floats(0, 20_000))),
        )  # fmt: skip
    odometer = draw(st.booleans())
    t, steps, dist = start, 0, 0.0
    rows: list[Row] = []
    for gap, hr, cad, spd, inc, met in draw(st.lists(ROW, min_size=1, max_size=80)):
        t += gap
        dist += 2.5
        if inc is not None:
            steps += inc
        rows.append(
            (t, hr, cad, spd, dist if odometer else None, None if inc is None else steps, met)
        )
    ended = t + draw(st.integers(-1500, 6000))
    pauses = []
    if draw(st.booleans()):
        p0 = draw(st.integers(start, max(start, t)))
        pauses.append(Pause(p0, draw(st.one_of(st.none(), st.integers(p0, p0 + 60_000)))))
    return track_from_rows(sid, source, sport, start, ended, rows, pauses)


def _close(a: object, b: object) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_the_numpy_day_maths_equals_the_list_maths(data: st.DataObject) -> None:
    n = data.draw(st.integers(0, 4))
    made = [data.draw(tracks(sid)) for sid in range(1, n + 1)]
    first = date(2026, 5, 27)
    days = [first + timedelta(days=k) for k in range(5) if data.draw(st.booleans()) or k == 2]
    profile = Profile(
        birth_year=data.draw(st.sampled_from([None, 1990])),
        sex=data.draw(st.sampled_from([None, Sex.MALE, Sex.FEMALE])),
        weight_kg=data.draw(st.sampled_from([None, 70.0])),
        resting_hr=60,
        max_hr=180,
    )
    zones = zones_for(profile, "karvonen", 2026)
    got = summarize_days(made, days, PARIS, profile, zones)
    want = reference([as_lists(t) for t in made], days, PARIS, profile, zones)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert _close(astuple(g), astuple(w)), (g, w)
