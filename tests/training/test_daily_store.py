"""DailyService on a real SQLite store: time zones, caching and revalidation."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from app.store import models as m
from app.training.daily import DailyService, UnknownAthlete, find_athlete, set_zone_model

from .helpers import athlete, ms, session


def test_days_from_store_use_the_athletes_time_zone(store) -> None:
    a = athlete(store, tz="America/New_York")
    # 22:00-22:10 in New York on 1 June = 02:00 UTC on 2 June
    session(store, a, ms(2026, 6, 1, 22, 0, tz=ZoneInfo("America/New_York")), 600)
    d1, d2 = DailyService(store).days(a, date(2026, 6, 1), date(2026, 6, 2))
    assert d1.active_s == pytest.approx(600) and d1.sessions == 1
    assert d2.active_s == 0


def test_cache_reuses_days_and_recomputes_only_what_a_new_session_touches(store) -> None:
    a = athlete(store)
    for day in range(1, 11):
        session(store, a, ms(2026, 6, day, 8), 120)
    svc = DailyService(store)
    first = svc.days(a, date(2026, 6, 1), date(2026, 6, 10))
    assert svc.recomputed_days == 10
    again = svc.days(a, date(2026, 6, 1), date(2026, 6, 10))
    assert again == first and svc.recomputed_days == 10  # all from cache
    session(store, a, ms(2026, 6, 5, 18), 300)
    after = svc.days(a, date(2026, 6, 1), date(2026, 6, 10))
    assert svc.recomputed_days == 11  # only 5 June
    assert after[4].sessions == 2 and after[4].active_s == pytest.approx(420)
    assert after[:4] == first[:4] and after[5:] == first[5:]


def test_deleting_a_session_or_changing_the_profile_invalidates(store) -> None:
    a = athlete(store)
    sid = session(store, a, ms(2026, 6, 1, 8), 120)
    svc = DailyService(store)
    assert svc.day(a, date(2026, 6, 1)).sessions == 1
    with store.engine.begin() as conn:
        conn.execute(update(m.Session).where(m.Session.id == sid).values(deleted_ms=1))
    assert svc.day(a, date(2026, 6, 1)).sessions == 0
    session(store, a, ms(2026, 6, 1, 9), 120, hr=125)
    assert svc.day(a, date(2026, 6, 1)).zone_s[0] == pytest.approx(120)  # Karvonen: 125 is Z1
    set_zone_model(store, a, "percent_max")  # 90, 108, 126, 144, 162: 125 is zone 2
    assert svc.day(a, date(2026, 6, 1)).zone_s[1] == pytest.approx(120)
    set_zone_model(store, a, "custom", [100, 110, 120, 124, 150])  # 125 is zone 4
    assert svc.day(a, date(2026, 6, 1)).zone_s[3] == pytest.approx(120)


def test_a_recording_session_counts_but_is_never_cached(store) -> None:
    a = athlete(store)
    sid = session(store, a, ms(2026, 6, 1, 8), 60, finish=False)
    svc = DailyService(store)
    assert svc.day(a, date(2026, 6, 1)).active_s == pytest.approx(59)  # last sample not held
    from app.domain.samples import Sample

    store.insert_samples(
        sid, [Sample(t_ms=ms(2026, 6, 1, 8) + 60_000 + i * 1000, hr=130) for i in range(60)]
    )
    assert svc.day(a, date(2026, 6, 1)).active_s == pytest.approx(119)


def test_overlapping_sources_in_the_store_are_not_double_counted(store) -> None:
    a = athlete(store)
    session(store, a, ms(2026, 6, 1, 8), 600, source="ble")
    session(store, a, ms(2026, 6, 1, 8), 600, source="feed")
    d = DailyService(store).day(a, date(2026, 6, 1))
    assert d.sessions == 1 and d.steps == 599 and d.active_s == pytest.approx(600)


def test_exclude_session_leaves_it_out(store) -> None:
    a = athlete(store)
    session(store, a, ms(2026, 6, 1, 8), 100)
    sid = session(store, a, ms(2026, 6, 1, 9), 200)
    svc = DailyService(store)
    assert svc.day(a, date(2026, 6, 1)).active_s == pytest.approx(300)
    without = svc.days(a, date(2026, 6, 1), date(2026, 6, 1), exclude_session=sid)[0]
    assert without.active_s == pytest.approx(100)
    assert svc.day(a, date(2026, 6, 1)).active_s == pytest.approx(300)


def test_unknown_athlete(store) -> None:
    with pytest.raises(UnknownAthlete):
        find_athlete(store, "Nobody")
    with pytest.raises(UnknownAthlete):
        DailyService(store).day(999, date(2026, 6, 1))


def test_a_recording_session_across_midnight_reaches_today(store) -> None:
    a = athlete(store)
    sid = session(store, a, ms(2026, 6, 1, 23, 59), 120, finish=False)  # 23:59 -> 00:01
    d1, d2 = DailyService(store).days(a, date(2026, 6, 1), date(2026, 6, 2))
    assert d1.active_s == pytest.approx(60) and d2.active_s == pytest.approx(59)
    assert sid in d2.session_ids
