"""The daily summaries and morning readings kept in the database (app.training.day_cache,
session_readings): reused by a new process, equal to freshly computed ones, and dropped by
every kind of write (issue 20: trends cold; issue 22: the roster)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from app.domain.days import DaySummary
from app.domain.samples import Sample
from app.services.history import HistoryService
from app.store.repo import Store
from app.training import day_cache
from app.training.daily import DailyService, set_zone_model
from app.training.readiness import ReadinessService
from sync.imports import Outcome, import_paths

from .helpers import athlete, fresh_days, ms, session

JUNE1, JUNE10 = date(2026, 6, 1), date(2026, 6, 10)


def _ten_days(store: Store) -> tuple[int, list[int]]:
    a = athlete(store)
    ids = [session(store, a, ms(2026, 6, day, 8), 120, hr=120 + day) for day in range(1, 11)]
    return a, ids


def test_a_new_service_reuses_the_stored_days_and_they_equal_fresh_ones(store) -> None:
    a, _ = _ten_days(store)
    first = DailyService(store).days(a, JUNE1, JUNE10)
    again = DailyService(store)  # a new process: nothing in memory
    assert again.days(a, JUNE1, JUNE10) == first
    assert again.recomputed_days == 0
    assert fresh_days(store, a, JUNE1, JUNE10) == first


def test_encode_decode_round_trip_keeps_every_field() -> None:
    s = DaySummary(
        day=JUNE1, start_ms=1, end_ms=2, steps=3, distance_m=4.5, active_s=6.25, avg_hr=130.5,
        max_hr=171, hr_s=7.0, zone_s=(1.0, 2.0, 3.0, 4.0, 5.5), kcal=None,
        kcal_methods=("hr", "met"), trimp=8.125, sessions=2, session_ids=(4, 9),
    )  # fmt: skip
    assert day_cache.decode(day_cache.encode(s)) == s


def test_changed_samples_with_the_same_count_recompute_the_day(store) -> None:
    """Before per-session revisions the stamp (id, end, status, count) missed this edit."""
    a, ids = _ten_days(store)
    svc = DailyService(store)
    before = svc.days(a, JUNE1, JUNE10)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE samples SET hr = 170 WHERE session_id = ?", (ids[4],))
    after = svc.days(a, JUNE1, JUNE10)
    assert after[4].avg_hr == pytest.approx(170) and after[4].max_hr == 170
    assert after[:4] == before[:4] and after[5:] == before[5:]
    assert (
        DailyService(store).days(a, JUNE1, JUNE10) == after == fresh_days(store, a, JUNE1, JUNE10)
    )


def test_edits_and_deletes_through_the_app_recompute_only_their_days(store) -> None:
    a, ids = _ten_days(store)
    DailyService(store).days(a, JUNE1, JUNE10)
    history = HistoryService(store)
    history.rename(ids[1], "Tempo")
    history.change_sport(ids[2], "ride")
    history.delete(ids[3])
    svc = DailyService(store)
    days = svc.days(a, JUNE1, JUNE10)
    assert svc.recomputed_days == 3  # 2, 3 and 4 June
    assert days[3].sessions == 0 and days[3].active_s == 0
    assert days == fresh_days(store, a, JUNE1, JUNE10)
    history.undelete(ids[3])
    assert DailyService(store).day(a, date(2026, 6, 4)).sessions == 1


def test_a_pause_marker_recomputes_the_day(store) -> None:
    a, ids = _ten_days(store)
    assert DailyService(store).day(a, JUNE1).active_s == pytest.approx(120)
    store.add_marker(ids[0], "pause", ms(2026, 6, 1, 8, 1))
    store.add_marker(ids[0], "resume", ms(2026, 6, 1, 8, 1, 30))
    svc = DailyService(store)
    assert svc.day(a, JUNE1).active_s < 100  # the 30-s pause (and its held edges) removed
    assert svc.recomputed_days == 1
    assert [svc.day(a, JUNE1)] == fresh_days(store, a, JUNE1, JUNE1)


def test_an_import_is_counted_by_a_new_process(store, tmp_path: Path) -> None:
    a, _ = _ten_days(store)
    DailyService(store).days(a, JUNE1, JUNE10)
    gpx = tmp_path / "ride.gpx"
    points = "".join(
        f'<trkpt lat="47.0" lon="8.0"><time>2026-06-06T15:00:{s:02d}Z</time></trkpt>'
        for s in range(0, 60, 5)
    )
    gpx.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="t" '
        f'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{points}</trkseg></trk></gpx>'
    )
    [result] = import_paths(store, a, [gpx]).results
    assert result.outcome is Outcome.IMPORTED
    svc = DailyService(store)
    day = svc.day(a, date(2026, 6, 6))
    assert day.sessions == 2 and svc.recomputed_days == 1
    assert [day] == fresh_days(store, a, date(2026, 6, 6), date(2026, 6, 6))


def test_a_reused_session_id_is_not_taken_for_the_old_session(store) -> None:
    """SQLite hands the highest id out again after a hard delete (a lake pull's replace)."""
    a, ids = _ten_days(store)
    old = DailyService(store).day(a, JUNE10)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sessions WHERE id = ?", (ids[-1],))
    again = session(store, a, ms(2026, 6, 10, 8), 120, hr=150)
    assert again == ids[-1]  # the same id, start, end and sample count
    new = DailyService(store).day(a, JUNE10)
    assert new.avg_hr == pytest.approx(150) != old.avg_hr


def test_a_profile_or_zone_change_recomputes_every_day(store) -> None:
    a, _ = _ten_days(store)
    DailyService(store).days(a, JUNE1, JUNE10)
    store.update_profile(a, weight_kg=90.0)
    svc = DailyService(store)
    days = svc.days(a, JUNE1, JUNE10)
    assert svc.recomputed_days == 10 and days == fresh_days(store, a, JUNE1, JUNE10)
    set_zone_model(store, a, "percent_max")
    svc = DailyService(store)
    assert svc.days(a, JUNE1, JUNE10) == fresh_days(store, a, JUNE1, JUNE10)
    assert svc.recomputed_days == 10


def test_a_recording_day_is_not_stored(store) -> None:
    a = athlete(store)
    session(store, a, ms(2026, 6, 2, 8), 60, finish=False)
    DailyService(store).days(a, JUNE1, JUNE1 + timedelta(days=1))
    with store.engine.connect() as conn:
        stored = {r[0] for r in conn.exec_driver_sql("SELECT day FROM day_summaries").all()}
    assert stored == {"2026-06-01"}  # 2 June is still recording


def test_a_database_that_cannot_be_written_still_gives_the_days(store) -> None:
    a, _ = _ten_days(store)
    with store.engine.begin() as conn:  # the cache table is unusable: writes fail
        conn.exec_driver_sql(
            "CREATE TRIGGER no_cache BEFORE INSERT ON day_summaries "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    svc = DailyService(store)
    assert svc.days(a, JUNE1, JUNE10) == fresh_days(store, a, JUNE1, JUNE10)


def _rr_session(s: Store, a: int, t0: int, n: int, *, sport: str, hr: int, rr: float) -> int:
    sid = s.create_session(a, sport=sport, source="ble", started_ms=t0)
    s.insert_samples(
        sid, [Sample(t_ms=t0 + i * 1000, hr=hr, rr=(rr + (i % 2) * 20,)) for i in range(n)]
    )
    s.finish_session(sid, t0 + n * 1000)
    return sid


def test_morning_readings_are_stored_reused_and_follow_an_rr_edit(
    store, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = athlete(store)
    morning = _rr_session(store, a, ms(2026, 6, 1, 7), 150, sport="readiness", hr=55, rr=1090.0)
    _rr_session(store, a, ms(2026, 6, 2, 8), 600, sport="run", hr=70, rr=850.0)  # calm start
    _rr_session(store, a, ms(2026, 6, 3, 8), 600, sport="run", hr=150, rr=400.0)  # not at rest
    first = ReadinessService(store).readings(a, JUNE1, JUNE10)
    assert set(first) == {JUNE1, date(2026, 6, 2)}
    assert first[JUNE1].rmssd_ms == pytest.approx(20.0)

    def no_analysis(*_args: object) -> None:
        raise AssertionError("a stored reading was analysed again")

    with monkeypatch.context() as mp:  # a new process reads them back
        mp.setattr(ReadinessService, "_analyse", no_analysis)
        assert ReadinessService(store).readings(a, JUNE1, JUNE10) == first

    with store.engine.begin() as conn:  # every other RR 40 ms apart instead of 20
        conn.exec_driver_sql(
            "UPDATE rr_intervals SET rr_ms = 1130 WHERE session_id = ? AND rr_ms = 1110",
            (morning,),
        )
    after = ReadinessService(store).readings(a, JUNE1, JUNE10)
    assert after[JUNE1].rmssd_ms == pytest.approx(40.0)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM session_readings")
    assert ReadinessService(store).readings(a, JUNE1, JUNE10) == after  # equal to fresh ones
