"""Goals: periods, progress, history, and "achieved" exactly once across restarts and processes."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest

from app.domain.goals import GoalKind, Period, period_of, streak, weight_fraction, weight_met
from app.store.repo import Store
from app.training.body import add_metric
from app.training.goals import GoalEngine, GoalError
from app.training.live import GoalTracker

from .helpers import athlete, ms, samples, session

NOON_3_JUNE = ms(2026, 6, 3, 12)  # a Wednesday


def engine(store: Store, at: int = NOON_3_JUNE) -> GoalEngine:
    return GoalEngine(store, clock=lambda: at)


def test_periods() -> None:
    from app.domain.goals import Goal

    def g(period: str, **kw) -> Goal:
        return Goal(
            1, 1, GoalKind.STEPS, Period(period), 1, None, kw.get("s"), kw.get("e"), True, 0
        )

    wed = date(2026, 6, 3)
    assert period_of(g("daily"), wed) == (wed, wed)
    assert period_of(g("weekly"), wed) == (date(2026, 6, 1), date(2026, 6, 7))
    assert period_of(g("monthly"), date(2026, 2, 14)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_of(g("monthly"), date(2028, 2, 14)) == (date(2028, 2, 1), date(2028, 2, 29))
    rng = g("range", s=date(2026, 5, 1), e=date(2026, 7, 1))
    assert period_of(rng, wed) == (date(2026, 5, 1), date(2026, 7, 1))


def test_streak_and_weight_rules() -> None:
    mondays = [date(2026, 5, 11), date(2026, 5, 18), date(2026, 5, 25)]
    assert streak(mondays, date(2026, 6, 1)) == (3, date(2026, 5, 11))  # this week still open
    assert streak([*mondays, date(2026, 6, 1)], date(2026, 6, 1)) == (4, date(2026, 5, 11))
    assert streak(mondays, date(2026, 6, 8)) == (0, None)  # a whole week missed
    assert weight_met(71.9, 72, baseline=80) and not weight_met(72.1, 72, baseline=80)
    assert weight_met(65.0, 65, baseline=60) and not weight_met(64.0, 65, baseline=60)
    assert weight_fraction(76.0, 72, baseline=80) == pytest.approx(0.5)


def test_validation(store) -> None:
    a = athlete(store)
    e = engine(store)
    with pytest.raises(GoalError):
        e.add(a, "steps", "daily", 0)
    with pytest.raises(GoalError):
        e.add(a, "zone_min", "weekly", 30)  # no zone
    with pytest.raises(GoalError):
        e.add(a, "distance", "range", 100, start=date(2026, 7, 1), end=date(2026, 6, 1))
    with pytest.raises(GoalError):
        e.add(a, "jumps", "daily", 3)
    assert e.add(a, "streak", "daily", 4).period is Period.WEEKLY


def test_progress_from_the_store(store) -> None:
    a = athlete(store)
    e = engine(store)
    session(store, a, ms(2026, 6, 1, 8), 1800, steps_per_s=2, speed=3.0)  # Monday
    session(store, a, ms(2026, 6, 3, 8), 600, steps_per_s=2, hr=150, speed=3.0)  # today
    steps = e.add(a, "steps", "daily", 1000)
    week_km = e.add(a, "distance", "weekly", 6)
    z3 = e.add(a, "zone_min", "weekly", 10, zone=3)  # 150 bpm is zone 3 (144-156)
    sessions = e.add(a, "sessions", "monthly", 3)
    by_id = {p.goal.id: p for p in e.progress(a)}
    assert by_id[steps.id].value == 1198 and by_id[steps.id].met
    assert by_id[week_km.id].value == pytest.approx((1800 + 600) * 3 / 1000)  # 7.2 km
    assert by_id[z3.id].value == pytest.approx(10.0) and by_id[z3.id].met
    assert by_id[sessions.id].value == 2 and not by_id[sessions.id].met
    assert by_id[sessions.id].fraction == pytest.approx(2 / 3)


def test_achieved_exactly_once_across_a_restart(store, data_dir: Path) -> None:
    a = athlete(store)
    session(store, a, ms(2026, 6, 3, 8), 600, steps_per_s=2)
    goal = engine(store).add(a, "steps", "daily", 1000)
    first = engine(store).evaluate(a)
    assert [(x.goal_id, x.period_start) for x in first] == [(goal.id, date(2026, 6, 3))]
    assert engine(store).evaluate(a) == []
    store.close()
    reopened = Store.open(data_dir)  # a restart: new engine, new connection, same file
    try:
        assert engine(reopened).evaluate(a) == []
        pending = engine(reopened).achievements(a, pending_only=True)
        assert [p.goal_id for p in pending] == [goal.id]
        engine(reopened).mark_notified([p.id for p in pending])
        assert engine(reopened).achievements(a, pending_only=True) == []
        # the next day is a new period: achieved again, once
        session(reopened, a, ms(2026, 6, 4, 8), 600, steps_per_s=2)
        nxt = engine(reopened, ms(2026, 6, 4, 12)).evaluate(a)
        assert [x.period_start for x in nxt] == [date(2026, 6, 4)]
    finally:
        reopened.close()


def test_concurrent_evaluations_on_separate_connections_notify_once(store, data_dir) -> None:
    # Separate Store objects = separate SQLite connections, as two processes would have.
    a = athlete(store)
    session(store, a, ms(2026, 6, 3, 8), 600, steps_per_s=2)
    engine(store).add(a, "steps", "daily", 1000)
    stores = [Store.open(data_dir) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    results: list[int] = []

    def run(s: Store) -> None:
        e = engine(s)
        e.daily.days(a, date(2026, 6, 3), date(2026, 6, 3))  # warm up before the race
        barrier.wait(timeout=30)
        results.append(len(e.evaluate(a)))

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in stores:
        s.close()
    assert sorted(results) == [0, 0, 0, 1]


def test_history_of_past_periods(store) -> None:
    a = athlete(store)
    for day, n in ((1, 600), (2, 100), (3, 700)):
        session(store, a, ms(2026, 6, day, 8), n, steps_per_s=2)
    e = engine(store)
    goal = e.add(a, "steps", "daily", 1000)
    e.evaluate(a)  # today's and yesterday's periods only
    hist = e.history(goal.id, periods=4)
    assert [h.period_start for h in hist] == [date(2026, 6, d) for d in (3, 2, 1)] + [
        date(2026, 5, 31)
    ]
    assert [h.value for h in hist] == [1398, 198, 1198, 0]
    assert [h.met for h in hist] == [True, False, True, False]
    assert [h.achieved_ms is not None for h in hist] == [True, False, False, False]


def test_streak_goal_is_achieved_once_per_run(store) -> None:
    a = athlete(store)
    for day in (18, 26):  # Monday 18 May and Tuesday 26 May
        session(store, a, ms(2026, 5, day, 8), 60)
    goal = engine(store).add(a, "streak", "weekly", 3)
    assert engine(store).progress(a)[0].value == 2  # this week has nothing yet
    session(store, a, ms(2026, 6, 2, 8), 60)
    new = engine(store).evaluate(a)
    assert [(x.goal_id, x.period_start) for x in new] == [(goal.id, date(2026, 5, 18))]
    session(store, a, ms(2026, 6, 9, 8), 60)
    assert engine(store, ms(2026, 6, 10, 12)).evaluate(a) == []  # same run, 4 weeks now


def test_weight_goal(store) -> None:
    a = athlete(store)
    add_metric(store, a, "weight_kg", 80.0, ms(2026, 5, 1, 7))
    # set on 1 May at noon: the baseline is that morning's 80 kg
    goal = engine(store, ms(2026, 5, 1, 12)).add(
        a, "weight", "range", 75, start=date(2026, 5, 1), end=date(2026, 8, 31)
    )
    add_metric(store, a, "weight_kg", 77.0, ms(2026, 6, 1, 7))
    p = engine(store).progress(a)[0]
    assert p.value == 77.0 and p.fraction == pytest.approx(0.6) and not p.met
    add_metric(store, a, "weight_kg", 74.8, ms(2026, 6, 3, 7))
    assert [x.goal_id for x in engine(store).evaluate(a)] == [goal.id]


def test_removed_goal_is_kept_but_not_tracked(store) -> None:
    a = athlete(store)
    e = engine(store)
    goal = e.add(a, "kcal", "daily", 500)
    assert e.remove(goal.id) and not e.remove(12345)
    assert e.goals(a) == [] and e.goals(a, include_inactive=True)[0].id == goal.id


# Live -------------------------------------------------------------------------------------


def test_live_tracker_reports_once_and_matches_the_stored_value(store) -> None:
    a = athlete(store)
    session(store, a, ms(2026, 6, 3, 8), 300, steps_per_s=2)  # 598 steps earlier today
    e = engine(store, ms(2026, 6, 3, 18))
    goal = e.add(a, "steps", "daily", 1000)
    e.add(a, "active_min", "weekly", 60)
    t0 = ms(2026, 6, 3, 18)
    sid = store.create_session(a, sport="run", source="ble", started_ms=t0)
    tracker = GoalTracker(e, a, session_id=sid, sport="run", started_ms=t0)
    events = []
    live = samples(t0, 400, steps_per_s=2)  # 798 more steps: crosses 1000 at ~t0+202 s
    for i in range(0, len(live), 50):
        batch = live[i : i + 50]
        store.insert_samples(sid, batch)  # the recorder writes while the tracker reads
        for smp in batch:
            events.extend(tracker.feed(smp))
    assert [x.goal_id for x in events] == [goal.id]
    steps_live = tracker.progress()[0].value
    store.finish_session(sid, t0 + 400_000)
    stored = {p.goal.id: p for p in e.progress(a)}
    assert stored[goal.id].value == 598 + 798
    assert steps_live == pytest.approx(598 + 798)
    assert stored[goal.id].achieved_ms is not None
    assert e.evaluate(a) == []  # already recorded live: no second event
    assert len(tracker.check()) == 0


def test_live_streak_counts_this_session_for_this_week(store) -> None:
    a = athlete(store)
    for day in (18, 25):  # Mondays 18 and 25 May: two weeks in a row so far
        session(store, a, ms(2026, 5, day, 8), 60)
    e = engine(store, ms(2026, 6, 3, 18))
    goal = e.add(a, "streak", "weekly", 3)
    t0 = ms(2026, 6, 3, 18)
    sid = store.create_session(a, sport="run", source="ble", started_ms=t0)
    tracker = GoalTracker(e, a, session_id=sid, started_ms=t0)
    assert tracker.progress()[0].value == 2
    events = [ev for smp in samples(t0, 10) for ev in tracker.feed(smp)]
    assert [(ev.goal_id, ev.period_start) for ev in events] == [(goal.id, date(2026, 5, 18))]
    assert tracker.progress()[0].value == 3 and tracker.check() == []
