"""Databases that already hold every built-in exercise twice (before 07b4a3c two first uses of
the catalog at once stored them all twice) are merged back to one row per built-in."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import event, select

from app.services.gym import GymService
from app.store import models as m
from app.store.repo import Store
from app.training import catalog, strength
from app.training.goals import GoalEngine

from .helpers import athlete, ms


def _store_twice(store: Store) -> dict[str, int]:
    """Store the built-ins, then a second copy of each the way the bug did; copy ids by name."""
    catalog.exercises(store, None)
    copies = {}
    with store.orm() as s, s.begin():
        for e in catalog.load_builtin():
            row = m.Exercise(
                athlete_id=None,
                name=e.name,
                aliases=list(e.aliases),
                muscle_groups=list(e.muscle_groups),
                equipment=e.equipment,
                kind=e.kind,
            )
            s.add(row)
            s.flush()
            copies[e.name] = row.id
    return copies


def _row(store: Store, exercise_id: int) -> catalog.ExerciseInfo:
    """An exercise as the GUI held it (by id), without going through the catalog."""
    with store.orm() as s:
        row = s.get(m.Exercise, exercise_id)
        assert row is not None
        return catalog.ExerciseInfo(
            row.id, row.name, (), (), row.equipment, row.kind, row.athlete_id
        )


def _ids(store: Store) -> dict[str, int]:
    """The stored built-ins by name; each name must be stored once."""
    with store.orm() as s:
        rows = list(
            s.execute(select(m.Exercise.name, m.Exercise.id).where(m.Exercise.athlete_id.is_(None)))
        )
    ids = dict(rows)
    assert len(ids) == len(rows), "a built-in is stored more than once"
    return ids


def _snapshot(store: Store) -> list[object]:
    """Every row of the tables the repair touches."""
    out: list[object] = []
    with store.orm() as s:
        for model in (m.Exercise, m.ExerciseSet, m.PersonalRecord, m.Goal):
            table = model.__table__
            out.extend(tuple(r) for r in s.execute(select(table).order_by(table.c.id)))
    return out


@pytest.fixture
def split(store: Store) -> tuple[Store, int, dict[str, int], dict[str, int]]:
    """A database with the duplicates and a Bench Press history split between the copies."""
    me = athlete(store)
    copies = _store_twice(store)
    with store.orm() as s:
        kept = {
            r.name: r.id
            for r in s.scalars(select(m.Exercise).where(m.Exercise.athlete_id.is_(None)))
            if r.id != copies[r.name]
        }
    assert len(kept) == len(copies) == len(catalog.load_builtin())
    bench_a, bench_b = _row(store, kept["Bench Press"]), _row(store, copies["Bench Press"])
    # heavier on copy B first, lighter later on copy A: both were "records" of their own id
    strength.log_set(store, me, bench_b, 5, 100.0, ms(2026, 11, 2, 18))
    strength.log_set(store, me, bench_a, 5, 80.0, ms(2026, 11, 9, 18))
    strength.log_set(store, me, _row(store, copies["Back Squat"]), 5, 120.0, ms(2026, 11, 3, 18))
    GoalEngine(store).add(me, "reps", "weekly", 50, exercise_id=copies["Bench Press"])
    return store, me, kept, copies


def test_the_catalog_merges_each_built_in_into_its_lowest_id(split, caplog) -> None:
    store, me, kept, copies = split
    with caplog.at_level(logging.WARNING, logger="app.training.catalog_repair"):
        listed = catalog.exercises(store, me)
    assert len(listed) == len(catalog.load_builtin())
    assert _ids(store) == kept  # the lower id of each pair stays
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "merged 79 built-in exercises" in lines[0]
    assert f"Bench Press ({copies['Bench Press']} -> {kept['Bench Press']})" in lines[0]

    bench = kept["Bench Press"]
    done = strength.sets(store, me)
    assert [(s.exercise_id, s.weight_kg) for s in done] == [
        (bench, 100.0),
        (kept["Back Squat"], 120.0),
        (bench, 80.0),
    ]
    with store.orm() as s:
        prs = list(s.scalars(select(m.PersonalRecord)))
        assert {p.exercise_id for p in prs} == {bench, kept["Back Squat"]}
        lighter = next(r for r in s.scalars(select(m.ExerciseSet)) if r.weight_kg == 80.0)
        assert not lighter.is_pr  # 80 x 5 after 100 x 5 of the same exercise is no record
        assert all(p.set_id != lighter.id for p in prs)
        goal = s.scalar(select(m.Goal))
        assert goal is not None and goal.exercise_id == bench
    history = strength.pr_history(store, me, _row(store, bench))
    assert [p.value for p in history if p.kind == "weight_for_reps"] == [100.0]


def test_gym_lists_each_suggestion_once_and_a_typo_is_sure_again(split) -> None:
    store, me, kept, _copies = split
    gym = GymService(store)
    names = [hit.name for hit in gym.search(me, "bench")]
    assert len(names) == len(set(names)) and "Bench Press" in names
    choice = gym.choices(me, "bech pres")
    assert choice.sure is not None and choice.sure.exercise_id == kept["Bench Press"]
    found = catalog.resolve(store, me, "bnech press")
    assert found is not None and found.id == kept["Bench Press"]


def test_the_repair_runs_once(split) -> None:
    store, me, kept, _copies = split
    catalog.exercises(store, me)
    assert _ids(store) == kept
    before = _snapshot(store)
    assert catalog.sync_builtin(store) == 0
    catalog.exercises(store, me)
    assert _snapshot(store) == before


def test_an_athletes_own_exercise_is_never_merged_with_a_built_in(store) -> None:
    """A custom exercise whose name a later catalog also ships stays the athlete's own."""
    me = athlete(store)
    catalog.exercises(store, None)
    with store.orm() as s, s.begin():
        own = m.Exercise(athlete_id=me, name="Bench Press", kind="strength")
        s.add(own)
        s.flush()
        own_id = own.id
    strength.log_set(store, me, _row(store, own_id), 5, 60.0, ms(2026, 11, 2, 18))
    _store_twice(store)
    catalog.exercises(store, me)
    with store.orm() as s:
        assert s.get(m.Exercise, own_id) is not None
        done = list(s.scalars(select(m.ExerciseSet)))
        assert [r.exercise_id for r in done] == [own_id]
    assert len(_ids(store)) == len(catalog.load_builtin())


def test_a_healthy_catalog_writes_nothing(store) -> None:
    """Each use of the catalog checks for copies with one query, and writes only to merge."""
    me = athlete(store)
    catalog.exercises(store, me)
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement.split()[0].upper())

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        catalog.exercises(store, me)
        GymService(store).choices(me, "bech pres")
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    assert seen and set(seen) == {"SELECT"}


def test_several_first_uses_at_once_merge_once(split) -> None:
    """The GUI's threads open the catalog together: one merges, the others wait and see one
    row per built-in."""
    import threading

    store, me, kept, _copies = split
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def first_use() -> None:
        start.wait()
        try:
            catalog.exercises(store, me)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _ids(store) == kept
    assert {s.exercise_id for s in strength.sets(store, me)} == {
        kept["Bench Press"],
        kept["Back Squat"],
    }


def test_a_read_only_store_lists_what_it_has(split, data_dir) -> None:
    """A folder this process cannot write: the catalog still opens (nothing merged)."""
    from app.store.db import make_read_only_engine

    store, me, _kept, _copies = split
    store.close()
    ro = Store(make_read_only_engine(data_dir / "pulsedeck.db"), data_dir / "pulsedeck.db")
    try:
        assert len(catalog.exercises(ro, me)) == 2 * len(catalog.load_builtin())
    finally:
        ro.close()
