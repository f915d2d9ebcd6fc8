"""Daily summary maths against hand-computed values: DST days, overlapping sources, kcal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.calendar import day_bounds, local_date
from app.domain.days import summarize_days
from app.domain.pieces import Row, track_from_rows, track_from_summary
from app.domain.profile import Profile, Sex
from app.domain.samples import Sample
from app.domain.summary import summarize
from app.training.zones import zones_for

PARIS = ZoneInfo("Europe/Paris")
MALE = Profile(birth_year=1990, sex=Sex.MALE, weight_kg=80, resting_hr=60, max_hr=180)
ZONES = zones_for(MALE, "karvonen")  # floors 120, 132, 144, 156, 168


def ms(*args: int, tz: ZoneInfo = PARIS, fold: int = 0) -> int:
    return int(datetime(*args, tzinfo=tz, fold=fold).timestamp() * 1000)


def rows(
    t0: int,
    n: int,
    *,
    hr: float | None = 130,
    steps_per_s: int | None = None,
    speed: float | None = None,
    met: float | None = None,
    step_ms: int = 1000,
) -> list[Row]:
    out: list[Row] = []
    for i in range(n):
        steps = None if steps_per_s is None else i * steps_per_s
        out.append((t0 + i * step_ms, hr, None, speed, None, steps, met))
    return out


def track(sid: int, source: str, r: list[Row], sport: str = "run", end_pad: int = 1000):
    return track_from_rows(sid, source, sport, r[0][0], r[-1][0] + end_pad, r)


def one(tracks, day: date, profile: Profile = MALE, tz=PARIS):
    return summarize_days(tracks, [day], tz, profile, zones_for(profile, "karvonen"))[0]


# Calendar ---------------------------------------------------------------------------------


def test_dst_days_are_23_and_25_hours_long() -> None:
    spring = day_bounds(date(2026, 3, 29), PARIS)
    autumn = day_bounds(date(2026, 10, 25), PARIS)
    normal = day_bounds(date(2026, 6, 1), PARIS)
    assert spring[1] - spring[0] == 23 * 3_600_000
    assert autumn[1] - autumn[0] == 25 * 3_600_000
    assert normal[1] - normal[0] == 24 * 3_600_000
    # 2026-03-29 00:00 CET = 2026-03-28 23:00 UTC
    assert spring[0] == int(datetime(2026, 3, 28, 23, tzinfo=UTC).timestamp() * 1000)


def test_skipped_midnight_starts_the_day_after_the_gap() -> None:
    # Santiago skipped 2022-09-11 00:00-00:59 (-04 -> -03): the day starts at 01:00 -03.
    tz = ZoneInfo("America/Santiago")
    start, end = day_bounds(date(2022, 9, 11), tz)
    assert start == int(datetime(2022, 9, 11, 4, tzinfo=UTC).timestamp() * 1000)
    assert end - start == 23 * 3_600_000
    assert local_date(start, tz) == date(2022, 9, 11)
    assert local_date(start - 1, tz) == date(2022, 9, 10)


# One source -------------------------------------------------------------------------------


def test_single_session_by_hand() -> None:
    # 600 samples at 1 Hz, HR 130 (zone 1: 120 <= 130 < 132), 2 steps/s, held 1 s each
    t0 = ms(2026, 6, 1, 10, 0)
    d = one([track(1, "ble", rows(t0, 600, steps_per_s=2))], date(2026, 6, 1))
    assert d.steps == 1198  # cumulative 0 -> 1198
    assert d.active_s == pytest.approx(600.0)
    assert d.hr_s == pytest.approx(600.0)
    assert (d.avg_hr, d.max_hr) == (130.0, 130)
    assert d.zone_s == pytest.approx((600.0, 0, 0, 0, 0))
    assert d.sessions == 1 and d.session_ids == (1,)
    # Keytel male 80 kg, 36 y, 130 bpm: (-55.0969 + 0.6309*130 + 0.1988*80 + 0.2017*36) kJ/min
    gross = (-55.0969 + 0.6309 * 130 + 0.1988 * 80 + 0.2017 * 36) / 4.184  # 11.9707 kcal/min
    resting = 80 / 60  # 1 MET = 1 kcal/kg/h -> 1.3333 kcal/min
    assert d.kcal == pytest.approx((gross - resting) * 10, rel=1e-9)
    assert d.kcal_methods == ("keytel2005",)
    # Banister male: 10 min x HRr 0.5833 x 0.64 x e^(1.92 x 0.5833)
    hrr = (130 - 60) / 120
    assert d.trimp == pytest.approx(10 * hrr * 0.64 * 2.718281828459045 ** (1.92 * hrr))


def test_met_kcal_without_sex_and_sport_met_without_hr() -> None:
    p = Profile(weight_kg=70)  # no sex or age: Keytel is impossible
    t0 = ms(2026, 6, 1, 10)
    met_day = one([track(1, "feed", rows(t0, 600, hr=None, met=6.0))], date(2026, 6, 1), p)
    assert met_day.kcal == pytest.approx((6.0 - 1.0) * 70 * 600 / 3600)  # 58.33 kcal
    assert met_day.kcal_methods == ("met",)
    hr_only = one([track(2, "ble", rows(t0, 600))], date(2026, 6, 1), p)
    # run = 9.8 MET (Compendium): (9.8 - 1) x 70 kg x 1/6 h
    assert hr_only.kcal == pytest.approx(8.8 * 70 / 6)
    assert hr_only.kcal_methods == ("met_sport",)
    assert one([track(3, "ble", rows(t0, 60))], date(2026, 6, 1), Profile()).kcal is None


def test_met_below_three_is_not_active() -> None:
    t0 = ms(2026, 6, 1, 10)
    d = one([track(1, "feed", rows(t0, 600, hr=None, met=1.5))], date(2026, 6, 1))
    assert d.active_s == 0.0


def test_stopped_speed_is_not_active_and_distance_integrates_speed() -> None:
    t0 = ms(2026, 6, 1, 10)
    moving = rows(t0, 300, speed=3.0)
    stopped = rows(t0 + 300_000, 300, speed=0.0)
    d = one([track(1, "ble", moving + stopped)], date(2026, 6, 1))
    assert d.active_s == pytest.approx(300.0)
    assert d.distance_m == pytest.approx(900.0)  # 3 m/s x 300 s


def test_drop_out_longer_than_five_seconds_is_not_counted() -> None:
    t0 = ms(2026, 6, 1, 10)
    r = rows(t0, 10) + rows(t0 + 60_000, 10)  # 50 s gap: the 10th sample holds only 5 s
    d = one([track(1, "ble", r)], date(2026, 6, 1))
    assert d.hr_s == pytest.approx(9 + 5 + 10)


# DST --------------------------------------------------------------------------------------


def test_session_across_midnight_before_spring_change() -> None:
    # 23:30 CET on 28 March to 00:30 on 29 March: 30 min each side.
    t0 = ms(2026, 3, 28, 23, 30)
    tr = track(1, "ble", rows(t0, 3600, steps_per_s=1), end_pad=1000)
    d28, d29 = summarize_days([tr], [date(2026, 3, 28), date(2026, 3, 29)], PARIS, MALE, ZONES)
    assert d28.active_s == pytest.approx(1800.0)
    assert d29.active_s == pytest.approx(1800.0)
    assert d28.steps + d29.steps == 3599
    assert d28.sessions == 1 and d29.sessions == 0  # counted on the day it started


def test_session_through_the_skipped_hour_is_one_real_hour() -> None:
    # 01:30 CET -> 03:30 CEST on 29 March is one real hour (02:00-03:00 does not exist).
    t0 = ms(2026, 3, 29, 1, 30)
    assert ms(2026, 3, 29, 3, 30) - t0 == 3_600_000
    d = one([track(1, "ble", rows(t0, 3600))], date(2026, 3, 29))
    assert d.active_s == pytest.approx(3600.0)
    assert d.end_ms - d.start_ms == 23 * 3_600_000


def test_repeated_hour_in_autumn_counts_twice_on_the_same_day() -> None:
    # 02:30 CEST (first) -> 02:30 CET (second) on 25 October is one real hour, all on the 25th.
    first = ms(2026, 10, 25, 2, 30, fold=0)
    second = ms(2026, 10, 25, 2, 30, fold=1)
    assert second - first == 3_600_000
    d24, d25 = summarize_days(
        [track(1, "ble", rows(first, 3600))],
        [date(2026, 10, 24), date(2026, 10, 25)],
        PARIS,
        MALE,
        ZONES,
    )
    assert (d24.active_s, d25.active_s) == (0.0, pytest.approx(3600.0))


def test_late_evening_session_lands_on_local_day_not_utc_day() -> None:
    # 23:30-23:50 in Los Angeles on 1 July is 06:30-06:50 UTC on 2 July.
    la = ZoneInfo("America/Los_Angeles")
    t0 = ms(2026, 7, 1, 23, 30, tz=la)
    tr = track(1, "ble", rows(t0, 1200))
    d1, d2 = summarize_days([tr], [date(2026, 7, 1), date(2026, 7, 2)], la, MALE, ZONES)
    assert (d1.active_s, d2.active_s) == (pytest.approx(1200.0), 0.0)


# Overlapping sources ----------------------------------------------------------------------


def test_same_activity_from_two_sources_is_counted_once() -> None:
    t0 = ms(2026, 6, 1, 10)
    strap = track(1, "ble", rows(t0, 600, steps_per_s=2))
    feed = track(2, "feed", rows(t0, 600, steps_per_s=2))
    alone = one([strap], date(2026, 6, 1))
    both = one([strap, feed], date(2026, 6, 1))
    assert both.steps == alone.steps == 1198
    assert both.active_s == alone.active_s
    assert both.kcal == pytest.approx(alone.kcal)
    assert both.sessions == 1 and both.session_ids == (1, 2)


def test_partial_overlap_takes_the_better_source_and_fills_gaps() -> None:
    # strap HR 130 over [0, 60 s), feed HR 100 over [30, 90 s): 60 s of 130 + 30 s of 100
    t0 = ms(2026, 6, 1, 10)
    strap = track(1, "ble", rows(t0, 60, hr=130))
    feed = track(2, "feed", rows(t0 + 30_000, 60, hr=100))
    d = one([strap, feed], date(2026, 6, 1))
    assert d.hr_s == pytest.approx(90.0)
    assert d.avg_hr == pytest.approx((60 * 130 + 30 * 100) / 90)  # 120
    assert d.max_hr == 130


def test_overlapping_step_counters_are_prorated_not_added() -> None:
    # feed: 1 step/s over [0, 600 s); strap: 2 steps/s over [300, 900 s).
    # strap wins [300, 900): 1198 steps; feed keeps [0, 300): 300 steps.
    t0 = ms(2026, 6, 1, 10)
    feed = track(2, "feed", rows(t0, 601, hr=None, steps_per_s=1), end_pad=0)
    strap = track(1, "ble", rows(t0 + 300_000, 600, hr=None, steps_per_s=2), end_pad=0)
    d = one([feed, strap], date(2026, 6, 1))
    assert d.steps == 300 + 1198


def test_heart_rate_from_one_source_and_steps_from_another_are_both_kept() -> None:
    t0 = ms(2026, 6, 1, 10)
    strap = track(1, "ble", rows(t0, 600, hr=140))
    feed = track(2, "feed", rows(t0, 600, hr=None, steps_per_s=1))
    d = one([strap, feed], date(2026, 6, 1))
    assert d.steps == 599 and d.avg_hr == 140.0 and d.hr_s == pytest.approx(600.0)


def test_summary_only_session_is_spread_over_its_span() -> None:
    t0 = ms(2026, 6, 1, 23, 0)
    tr = track_from_summary(
        7,
        "lake",
        "run",
        t0,
        t0 + 7_200_000,
        avg_hr=150,
        max_hr=171,
        moving_s=3600,
        steps=8000,
        distance_m=12_000,
    )
    d1, d2 = summarize_days([tr], [date(2026, 6, 1), date(2026, 6, 2)], PARIS, MALE, ZONES)
    assert (d1.steps, d2.steps) == (4000, 4000)
    assert d1.distance_m == pytest.approx(6000)
    assert d1.active_s == pytest.approx(1800)  # half of the span, moving half of the time
    assert d1.max_hr == 171 and d1.zone_s[2] == pytest.approx(3600)  # 150 is zone 3


# Properties -------------------------------------------------------------------------------

SESSION = st.tuples(
    st.integers(min_value=0, max_value=47),  # start, in half hours after 1 June 00:00 local
    st.integers(min_value=2, max_value=240),  # samples
    st.integers(min_value=60, max_value=190),  # HR
    st.integers(min_value=0, max_value=3),  # steps per sample
)


@settings(max_examples=40, deadline=None)
@given(st.lists(SESSION, min_size=1, max_size=5))
def test_day_totals_equal_session_totals_and_duplicates_change_nothing(sessions) -> None:
    base = ms(2026, 6, 1, 0, 0)
    tracks, summaries = [], []
    cursor = base
    for i, (start, n, hr, spm) in enumerate(sessions):
        t0 = max(cursor, base + start * 1_800_000)
        r = rows(t0, n, hr=hr, steps_per_s=spm)
        ended = r[-1][0] + 1000
        cursor = ended + 1000  # keep sessions apart so each is one source
        tracks.append(track_from_rows(i + 1, "ble", "run", t0, ended, r))
        samples = [Sample(t_ms=x[0], hr=int(x[1]), steps=x[5]) for x in r]
        summaries.append(summarize(samples, t0, ended, MALE, "run"))
    days = [date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3), date(2026, 6, 4)]
    result = summarize_days(tracks, days, PARIS, MALE, ZONES)
    assert sum(d.active_s for d in result) == pytest.approx(sum(s.moving_s for s in summaries))
    for z in range(5):
        assert sum(d.zone_s[z] for d in result) == pytest.approx(
            sum(s.zone_s[z] for s in summaries)
        )
    assert sum(d.trimp for d in result) == pytest.approx(sum(s.trimp or 0 for s in summaries))
    total_steps = sum(s.steps or 0 for s in summaries)
    assert abs(sum(d.steps for d in result) - total_steps) <= len(days) / 2
    assert sum(d.sessions for d in result) == len(sessions)
    # the same sessions again from a feed: nothing may change
    copies = [
        track_from_rows(
            100 + t.session_id,
            "feed",
            "run",
            t.started_ms,
            t.ended_ms,
            rows(t.started_ms, n, hr=hr, steps_per_s=spm),
        )
        for t, (_, n, hr, spm) in zip(tracks, sessions, strict=True)
    ]
    doubled = summarize_days(tracks + copies, days, PARIS, MALE, ZONES)
    for a, b in zip(result, doubled, strict=True):
        assert (a.steps, a.sessions) == (b.steps, b.sessions)
        assert a.active_s == pytest.approx(b.active_s)
        assert a.hr_s == pytest.approx(b.hr_s)
        assert (a.kcal or 0) == pytest.approx(b.kcal or 0)


ROW = st.tuples(
    st.integers(min_value=0, max_value=8000),  # gap to the previous sample, ms
    st.one_of(st.none(), st.integers(min_value=40, max_value=200)),  # hr
    st.one_of(st.none(), st.floats(min_value=0, max_value=120)),  # cadence
    st.one_of(st.none(), st.floats(min_value=0, max_value=6)),  # speed
    st.one_of(st.none(), st.integers(min_value=0, max_value=4)),  # steps increment
    st.one_of(st.none(), st.floats(min_value=0, max_value=12)),  # met
)


@settings(max_examples=150, deadline=None)
@given(st.lists(ROW, max_size=60), st.booleans())
def test_live_builder_and_batch_pieces_agree(spec, odometer) -> None:
    from app.domain.lanes import pieces_from_rows
    from app.domain.pieces import PieceBuilder, Track, coalesce
    from app.training import track_store

    t, steps, dist = 1_000_000, 0, 0.0
    built: list[Row] = []
    for gap, hr, cad, spd, inc, met in spec:
        t += gap
        step_value = None
        if inc is not None:
            steps += inc
            step_value = steps
        dist += 3.0
        built.append((t, hr, cad, spd, dist if odometer else None, step_value, met))
    ended = t + 2000
    builder = PieceBuilder(distance_from_speed=not (odometer and len(built) >= 2), switch=False)
    for r in built:
        builder.add(r)
    builder.finish(ended)
    live = tuple(coalesce(p) for p in builder.pieces)
    lanes = pieces_from_rows(built, ended)
    batch = tuple(coalesce(lane.pieces()) for lane in lanes)
    assert live == batch  # the same floating-point operations: equal bit for bit
    # and the stored form (session_tracks) gives them back exactly
    track = Track(1, "ble", "run", built[0][0] if built else 0, ended, lanes)
    stored = track_store.decode(track_store.encode(track)).pieces
    assert all(a.same(b) for a, b in zip(stored, lanes, strict=True))


def test_wall_clock_and_back_in_the_athletes_zone() -> None:
    from app.domain.calendar import wall_clock, wall_ms

    auckland = ZoneInfo("Pacific/Auckland")
    ms = int(datetime(2026, 5, 31, 19, 30, 17, tzinfo=UTC).timestamp() * 1000) + 345
    assert wall_clock(ms, auckland) == datetime(2026, 6, 1, 7, 30, 17, 345_000)
    assert wall_ms(wall_clock(ms, auckland), auckland) == ms
    # Paris skips 02:00-03:00 on 29 March 2026: a time in the gap maps past it (03:30).
    gap = wall_ms(datetime(2026, 3, 29, 2, 30), PARIS)
    assert gap == int(datetime(2026, 3, 29, 1, 30, tzinfo=UTC).timestamp() * 1000)
