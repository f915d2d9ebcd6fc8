"""The training-log service the CLI and the GUI both call: edits replay records, withdraw
achievements the data no longer supports, and never touch an imported client."""

from __future__ import annotations

import pytest

from app.services.training_log import TrainingLogService
from app.store.repo import now_ms
from app.training import body as body_mod
from app.training import catalog, strength
from app.training.goals import GoalEngine

from .helpers import athlete


def test_editing_a_set_below_a_reps_goal_withdraws_its_achievement(store) -> None:
    me = athlete(store)
    engine = GoalEngine(store)
    goal = engine.add(me, "reps", "daily", 20)
    first = strength.log_set(store, me, "bench press", 12, 60.0, now_ms())
    strength.log_set(store, me, "bench press", 10, 60.0, now_ms())
    assert [a.goal_id for a in engine.evaluate(me)] == [goal.id]

    edit = TrainingLogService(store).edit_set(me, first.id, reps=5, rpe=8.0)
    assert (edit.saved.reps, edit.saved.rpe) == (5, 8.0)
    assert [a.goal_id for a in edit.withdrawn] == [goal.id]
    assert engine.achievements(me) == []


def test_deleting_the_record_set_replays_the_records(store) -> None:
    me = athlete(store)
    log = TrainingLogService(store)
    strength.log_set(store, me, "squat", 5, 100.0, now_ms() - 60_000)
    top = strength.log_set(store, me, "squat", 5, 120.0, now_ms())
    assert top.is_pr
    assert log.delete_set(me, top.id) == ()
    best = strength.current_records(strength.pr_history(store, me))
    assert {(r.kind, r.reps): r.value for r in best}[("weight_for_reps", 5)] == 100.0


def test_body_entries_newest_first_edit_checked_delete(store) -> None:
    me = athlete(store)
    log = TrainingLogService(store)
    old = body_mod.add_metric(store, me, "weight_kg", 80.0, now_ms() - 86_400_000)
    new = body_mod.add_metric(store, me, "weight_kg", 79.0, now_ms())
    assert [e.id for e in log.body_entries(me)] == [new.id, old.id]
    assert log.edit_body(me, new.id, value=78.2).entry.value == 78.2
    with pytest.raises(body_mod.MetricError):
        log.edit_body(me, new.id, value=2.0)
    log.delete_body(me, old.id)
    assert [e.id for e in log.body_entries(me)] == [new.id]


def test_own_exercises_only_and_read_only_clients_are_refused(store) -> None:
    me = athlete(store)
    log = TrainingLogService(store)
    mine = catalog.add_custom(store, me, "Zottman Curl")
    assert [e.name for e in log.own_exercises(me)] == ["Zottman Curl"]
    assert log.edit_exercise(me, mine.id, name="Zottman curl (slow)").name == "Zottman curl (slow)"
    assert log.edit_exercise(me, mine.id, equipment="dumbbell").equipment == "dumbbell"
    assert log.edit_exercise(me, mine.id, equipment=" ").equipment is None  # emptied: none
    bench = catalog.lookup(store, me, "bench press")
    with pytest.raises(catalog.CatalogError, match="built in"):
        log.delete_exercise(me, bench.id)
    log.delete_exercise(me, mine.id)
    assert log.own_exercises(me) == []

    client = athlete(store, "Sam")
    goal = GoalEngine(store).add(client, "steps", "daily", 5000)
    store.update_profile(client, read_only=True)
    with pytest.raises(PermissionError):
        log.edit_goal(client, goal.id, 6000)
    with pytest.raises(LookupError):
        log.remove_goal(me, goal.id)  # not mine


def test_a_wrong_rpe_is_cleared_with_none_and_kept_when_left_out(store) -> None:
    me = athlete(store)
    log = TrainingLogService(store)
    logged = strength.log_set(store, me, "squat", 5, 100.0, now_ms(), rpe=8.0)
    assert log.edit_set(me, logged.id, reps=6).saved.rpe == 8.0  # left out: kept
    cleared = log.edit_set(me, logged.id, rpe=None).saved
    assert cleared.rpe is None and (cleared.reps, cleared.weight_kg) == (6, 100.0)
    assert strength.sets(store, me)[0].rpe is None
    assert log.edit_set(me, logged.id, weight_kg=None).saved.weight_kg is None  # bodyweight


def test_gym_choices_pick_only_a_sure_match_and_an_added_name_becomes_one(store) -> None:
    from app.services.gym import GymService

    me = athlete(store)
    gym, log = GymService(store), TrainingLogService(store)
    typo = gym.choices(me, "bench prss")
    assert typo.sure is not None and typo.matches[0] == typo.sure
    assert typo.sure.name == "Bench Press"
    unknown = gym.choices(me, "  Zottman Curl ")
    assert unknown.sure is None and unknown.query == "Zottman Curl"
    assert "Zottman Curl" not in [m.name for m in unknown.matches]  # look-alikes only
    made = log.add_exercise(me, unknown.query, equipment="")
    assert made.athlete_id == me and made.equipment is None and made.kind == "strength"
    known = gym.choices(me, "zottman curl")
    assert known.sure is not None and known.sure.exercise_id == made.id
    with pytest.raises(catalog.CatalogError, match="already exists"):
        log.add_exercise(me, "Bench Press")
    client = athlete(store, "Sam")
    store.update_profile(client, read_only=True)
    with pytest.raises(PermissionError):
        log.add_exercise(client, "Zottman Curl")
