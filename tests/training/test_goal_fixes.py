"""Issue 18 goal fixes: weight goals judged from the weight before them and reached once per
run at the target, no credit before a goal existed, reps goals; with property tests."""

from __future__ import annotations

import json
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli import main
from app.store.repo import Store
from app.training.body import add_metric
from app.training.goals import GoalEngine

from .helpers import PARIS, athlete, ms, session


@pytest.fixture
def run(data_dir, capsys):
    def go(*argv: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return go


def _engine(store: Store, at: int) -> GoalEngine:
    return GoalEngine(store, clock=lambda: at)


# 1. a weight goal is judged from the weight before it ------------------------------------


def test_weight_goal_below_the_profile_weight_is_met_by_a_lighter_weigh_in(run, data_dir) -> None:
    s = Store.open(data_dir)
    athlete(s)  # profile weight 80 kg, no weigh-in yet
    s.close()
    assert run("goals", "add", "weight", "79")[0] == 0
    assert run("body", "add", "--weight", "78.5")[0] == 0
    code, out, _ = run("goals", "progress", "--json")
    g = json.loads(out)["goals"][0]
    assert code == 0 and g["met"] and g["fraction"] == 1.0 and g["value"] == 78.5
    assert len(json.loads(out)["new_achievements"]) == 1


def test_a_goal_to_gain_weight_works_too(store) -> None:
    a = athlete(store)
    store.update_profile(a, weight_kg=60.0)
    e = _engine(store, ms(2026, 6, 1, 12))
    goal = e.add(a, "weight", "daily", 62)
    add_metric(store, a, "weight_kg", 61.0, ms(2026, 6, 2, 7))
    p = _engine(store, ms(2026, 6, 2, 12)).progress(a)[0]
    assert not p.met and p.fraction == pytest.approx(0.5)
    add_metric(store, a, "weight_kg", 62.3, ms(2026, 6, 3, 7))
    new = _engine(store, ms(2026, 6, 3, 12)).evaluate(a)
    assert [(x.goal_id, x.period_start) for x in new] == [(goal.id, date(2026, 6, 3))]


# 2. reached once, not every day; again only after it was lost ----------------------------


def test_weight_goal_is_reached_once_until_lost(store) -> None:
    a = athlete(store)
    goal = _engine(store, ms(2026, 6, 1, 12)).add(a, "weight", "daily", 79)
    add_metric(store, a, "weight_kg", 78.5, ms(2026, 6, 2, 7))
    first = _engine(store, ms(2026, 6, 2, 12)).evaluate(a)
    assert [x.period_start for x in first] == [date(2026, 6, 2)]
    for day in (3, 4, 5):  # still at the target, weighed or not: nothing new
        add_metric(store, a, "weight_kg", 78.8, ms(2026, 6, day, 7))
        assert _engine(store, ms(2026, 6, day, 12)).evaluate(a) == []
    add_metric(store, a, "weight_kg", 79.6, ms(2026, 6, 6, 7))  # lost
    assert _engine(store, ms(2026, 6, 6, 12)).evaluate(a) == []
    add_metric(store, a, "weight_kg", 78.9, ms(2026, 6, 8, 7))  # reached again
    again = _engine(store, ms(2026, 6, 9, 12)).evaluate(a)
    assert [(x.goal_id, x.period_start) for x in again] == [(goal.id, date(2026, 6, 8))]
    p = _engine(store, ms(2026, 6, 9, 12)).progress(a)[0]
    assert p.met and p.achieved_ms is not None


# 3. a goal counts from its creation --------------------------------------------------------


def test_a_new_goal_is_not_credited_for_yesterday(run, data_dir) -> None:
    s = Store.open(data_dir)
    a = athlete(s)
    yesterday = datetime.now(PARIS).date() - timedelta(days=1)
    t0 = int(datetime.combine(yesterday, time(8), PARIS).timestamp() * 1000)
    session(s, a, t0, 600, steps_per_s=2)  # 1198 steps yesterday, none today
    s.close()
    assert run("goals", "add", "steps", "1000")[0] == 0
    code, out, _ = run("goals", "progress", "--json")
    assert code == 0 and json.loads(out)["new_achievements"] == []


def test_weekly_goal_is_not_credited_for_last_week(store) -> None:
    a = athlete(store)
    session(store, a, ms(2026, 5, 27, 8), 600, steps_per_s=2)  # last week
    _engine(store, ms(2026, 6, 3, 12)).add(a, "steps", "weekly", 1000)
    assert _engine(store, ms(2026, 6, 3, 12)).evaluate(a) == []


# 9. reps goals -----------------------------------------------------------------------------


def test_reps_goal_from_logged_sets(run, data_dir) -> None:
    s = Store.open(data_dir)
    athlete(s)
    s.close()
    code, out, err = run("goals", "add", "reps", "50", "--exercise", "push up", "--json")
    assert code == 0, err
    assert json.loads(out)["description"] == "50 reps of Push-up daily"
    assert run("goals", "add", "reps", "50", "--exercise", "zzqx")[0] in (2, 4)
    for reps in ("20", "20"):
        assert run("sets", "add", "push-up", reps)[0] == 0
    assert run("sets", "add", "bench press", "10", "60")[0] == 0  # another exercise
    g = json.loads(run("goals", "progress", "--json")[1])["goals"][0]
    assert g["value"] == 40 and not g["met"] and g["unit"] == "reps"
    assert run("sets", "add", "push-up", "10")[0] == 0
    data = json.loads(run("goals", "progress", "--json")[1])
    assert data["goals"][0]["met"] and len(data["new_achievements"]) == 1


# Properties --------------------------------------------------------------------------------

DAYS = [date(2026, 6, 1) + timedelta(days=i) for i in range(8)]


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    steps=st.lists(st.sampled_from([0, 300, 600]), min_size=8, max_size=8),
    checks=st.lists(st.integers(0, 7), min_size=1, max_size=12),
)
def test_property_summed_goal_is_achieved_at_most_once_per_period(steps, checks) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp))
        try:
            a = athlete(store)
            goal = _engine(store, ms(2026, 6, 1, 0, 30)).add(a, "steps", "daily", 1000)
            for day, n in zip(DAYS, steps, strict=True):
                if n:
                    session(store, a, ms(day.year, day.month, day.day, 8), n, steps_per_s=2)
            got: list[date] = []
            for i in sorted(checks):  # time moves forward, checks repeat
                d = DAYS[i]
                got += [x.period_start for x in _engine(store, ms(2026, 6, d.day, 23)).evaluate(a)]
            assert len(got) == len(set(got))
            checked = {DAYS[i] for i in checks} | {DAYS[i] - timedelta(days=1) for i in checks}
            met = {d for d, n in zip(DAYS, steps, strict=True) if n * 2 - 2 >= 1000}
            assert set(got) == met & checked and all(d >= DAYS[0] for d in got)
            stored = _engine(store, ms(2026, 6, 8, 23)).achievements(a)
            assert sorted(x.period_start for x in stored) == sorted(got)
            assert {x.goal_id for x in stored} <= {goal.id}
        finally:
            store.close()


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(weights=st.lists(st.sampled_from([78.0, 79.0, 80.0, 81.0]), min_size=1, max_size=8))
def test_property_weight_goal_is_achieved_once_per_run(weights) -> None:
    from app.domain.goals import weight_runs

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp))
        try:
            a = athlete(store)  # profile 80 kg: a goal of 79 is a goal to lose
            _engine(store, ms(2026, 6, 1, 0, 30)).add(a, "weight", "weekly", 79)
            got: list[date] = []
            for d, w in zip(DAYS, weights, strict=False):
                at = ms(2026, 6, d.day, 7)
                add_metric(store, a, "weight_kg", w, at)
                for _ in range(2):  # evaluating twice changes nothing
                    new = _engine(store, ms(2026, 6, d.day, 12)).evaluate(a)
                    got += [x.period_start for x in new]
            runs = weight_runs([(i, w) for i, w in enumerate(weights)], 79, 80.0)
            assert len(got) == len(set(got)) == len(runs)
        finally:
            store.close()
