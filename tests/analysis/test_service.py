"""app.services.analysis on a real store: the one place GUI and CLI read analysis data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.services.analysis import AnalysisService, NothingToAnalyse, Period, SessionNotFound
from app.store.repo import Store

from .trend_data import fill_history, hrv_session

END = date(2026, 6, 28)  # a Sunday


def test_trends_sum_days_into_weeks_and_months(store: Store) -> None:
    aid = fill_history(store, 6, end=END, hz=0.05)
    svc = AnalysisService(store)
    first = END - timedelta(weeks=6) + timedelta(days=1)
    tr = svc.trends(aid, first, END)
    assert not tr.empty and len(tr.fitness) == len(tr.readiness) == len(tr.days) == 42
    weeks = tr.buckets(Period.WEEK)
    assert [b.start.weekday() for b in weeks] == [0] * 6
    assert sum(b.sessions for b in weeks) == len(tr.sessions) == sum(d.sessions for d in tr.days)
    for b, row in zip(weeks, tr.weeks, strict=True):  # the CLI's weekly rows agree
        assert b.start == row.week_start and b.trimp == pytest.approx(row.trimp)
        assert b.zone_min == pytest.approx(row.zone_min)
        assert sum(b.sport_min.values()) == pytest.approx(
            sum(e.minutes for e in tr.sessions if b.start <= e.day < b.start + timedelta(7))
        )
    months = tr.buckets(Period.MONTH)
    assert [m.start for m in months] == [date(2026, 5, 1), date(2026, 6, 1)]
    assert sum(m.sessions for m in months) == len(tr.sessions)
    assert {e.sport for e in tr.sessions} == {"run", "ride", "strength"}
    assert all(e.load is not None and e.load > 0 for e in tr.sessions)
    assert tr.weight and all(first <= d <= END for d, _ in tr.weight)
    assert set(tr.e1rm) == {"Back Squat", "Bench Press"}
    assert tr.streak_targets == (8.0,)
    streaks = tr.streaks()
    assert streaks[-1][1] >= 5 and [n for _, n in streaks] == sorted(n for _, n in streaks)
    assert svc.calendar(aid, first, END) == tr.sessions


def test_empty_athlete(store: Store) -> None:
    a = store.ensure_athlete("Nobody", is_self=True)
    tr = AnalysisService(store).trends(a.id, END - timedelta(days=90), END)
    assert tr.empty and not tr.sessions and all(b.sessions == 0 for b in tr.buckets(Period.WEEK))


def test_hrv_and_power_errors(store: Store) -> None:
    a = store.ensure_athlete("Me", is_self=True)
    t0 = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp() * 1000)
    with_rr = hrv_session(store, a.id, t0, beats=800)
    without = hrv_session(store, a.id, t0 + 3_600_000, beats=800, with_rr=False)
    svc = AnalysisService(store)
    assert len(svc.hrv(with_rr).report.corrected.kinds) == 800
    assert svc.power(with_rr).summary.np_w > 0
    with pytest.raises(NothingToAnalyse, match="no RR"):
        svc.hrv(without)
    with pytest.raises(SessionNotFound):
        svc.hrv(9999)
    with pytest.raises(ValueError):
        svc.trends(a.id, END, END - timedelta(days=1))
