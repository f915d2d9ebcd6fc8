"""Exercise catalog (fuzzy search quality, user exercises) and sets with personal records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.domain.strength import Lift, Record, brzycki, detect_records, epley, volume
from app.training import catalog, strength
from app.training.catalog import CatalogError, load_builtin, search

from .helpers import athlete, ms

#: (what a user typed, what they meant)
MISSPELLINGS = [
    ("bech pres", "Bench Press"),
    ("bnech press", "Bench Press"),
    ("benchpress", "Bench Press"),
    ("squatt", "Back Squat"),
    ("sqaut", "Back Squat"),
    ("front sqat", "Front Squat"),
    ("deadlfit", "Deadlift"),
    ("dedlift", "Deadlift"),
    ("romanian dl", "Romanian Deadlift"),
    ("rdl", "Romanian Deadlift"),
    ("pullup", "Pull-up"),
    ("chinups", "Chin-up"),
    ("ohp", "Overhead Press"),
    ("overhead pres", "Overhead Press"),
    ("lat pulldwn", "Lat Pulldown"),
    ("latpulldown", "Lat Pulldown"),
    ("bicep curl", "Barbell Curl"),
    ("skul crusher", "Skull Crusher"),
    ("kettlebel swing", "Kettlebell Swing"),
    ("runing", "Running"),
    ("rowing machine", "Rowing"),
    ("farmers walk", "Farmer's Walk"),
    ("incline db press", "Incline Dumbbell Press"),
    ("tricep pushdwn", "Triceps Pushdown"),
    ("leg pres", "Leg Press"),
    ("calf raises", "Calf Raise"),
    ("dumbell row", "Dumbbell Row"),
    ("pushups", "Push-up"),
    ("HIP THRUST", "Hip Thrust"),
]


@pytest.fixture(scope="module")
def builtin() -> list[catalog.ExerciseInfo]:
    return load_builtin()


@pytest.mark.parametrize(("typed", "meant"), MISSPELLINGS)
def test_misspellings_find_the_intended_exercise_first(builtin, typed: str, meant: str) -> None:
    found = search(builtin, typed)
    assert found and found[0].exercise.name == meant


def test_nonsense_finds_nothing(builtin) -> None:
    assert search(builtin, "xqzvv") == []
    assert search(builtin, "   ") == []


def test_catalog_file_is_complete(builtin) -> None:
    assert len(builtin) >= 60
    assert {e.kind for e in builtin} == {"strength", "cardio"}
    assert all(e.muscle_groups and e.equipment for e in builtin)
    assert Path(catalog.RESOURCE).with_suffix(".LICENSE").is_file()


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({"nope": []}),
        json.dumps({"exercises": [{"name": ""}]}),
        json.dumps({"exercises": [{"name": "A", "kind": "dance"}]}),
        json.dumps({"exercises": [{"name": "A"}, {"name": "a"}]}),
    ],
)
def test_a_corrupt_catalog_is_a_clear_error(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "exercises.json"
    bad.write_text(content)
    with pytest.raises(CatalogError, match="exercise"):
        load_builtin(bad)


def test_user_exercises_are_per_athlete_and_searchable(store) -> None:
    me, other = athlete(store), athlete(store, "Client")
    catalog.add_custom(store, me, "Zercher Squat", aliases=["Zercher"], muscle_groups=["quads"])
    with pytest.raises(CatalogError):
        catalog.add_custom(store, me, "bench press")  # a built-in already has that name
    mine = catalog.exercises(store, me)
    assert "Zercher Squat" in {e.name for e in mine}
    assert "Zercher Squat" not in {e.name for e in catalog.exercises(store, other)}
    assert catalog.resolve(store, me, "zercher sqat").name == "Zercher Squat"
    assert catalog.sync_builtin(store) == 0  # idempotent


def test_formulas_by_hand() -> None:
    assert epley(100, 1) == 100
    assert epley(100, 5) == pytest.approx(100 * (1 + 5 / 30))  # 116.67
    assert epley(100, 10) == pytest.approx(133.333, abs=1e-3)
    assert epley(100, 13) is None and epley(0, 5) is None
    assert brzycki(100, 5) == pytest.approx(100 * 36 / 32)  # 112.5
    assert volume(60, 8) == 480 and volume(None, 12) == 0


def test_record_detection_by_hand() -> None:
    history = [Lift(5, 100), Lift(3, 105), Lift(8, 80)]
    # earlier e1RMs: 100 x (1 + 5/30) = 116.67, 105 x 1.1 = 115.5, 80 x (1 + 8/30) = 101.33
    # 5 x 102.5: e1RM 119.58 beats 116.67; the 5-rep max counts sets of >= 5 reps: max(100, 80)
    # = 100 is beaten (105 x 3 is not a 5-rep max); volume 512.5 < 640 (80 x 8) is not.
    got = detect_records(history, Lift(5, 102.5))
    assert [(r.kind, r.reps) for r in got] == [("e1rm", None), ("weight_for_reps", 5)]
    assert got[0].value == pytest.approx(119.5833, abs=1e-4)
    assert got[0].previous == pytest.approx(116.6667, abs=1e-4)
    assert (got[1].value, got[1].previous) == (102.5, 100)
    assert detect_records(history, Lift(4, 90)) == []  # 102 < 116.67; 90 < 100; 360 < 640
    assert [r.kind for r in detect_records([], Lift(5, 60))] == [
        "e1rm",
        "weight_for_reps",
        "volume",
    ]
    assert detect_records([Lift(12, None)], Lift(15, None)) == [Record("max_reps", 15, 15.0, 12)]


def test_sets_records_and_history_in_the_store(store) -> None:
    a = athlete(store)
    log = lambda reps, kg, day: strength.log_set(  # noqa: E731
        store, a, "bech pres", reps, kg, ms(2026, 6, day, 18)
    )
    first = log(5, 100, 1)
    assert first.exercise == "Bench Press" and first.is_pr
    assert first.e1rm_kg == pytest.approx(116.667, abs=1e-3)
    second = log(5, 95, 2)
    assert not second.is_pr
    third = log(3, 110, 3)  # e1RM 121 > 116.67 ; 3-rep max ; volume 330 < 500
    assert {r.kind for r in third.records} == {"e1rm", "weight_for_reps"}
    hist = strength.pr_history(store, a, catalog.resolve(store, a, "Bench Press"))
    assert [(r.kind, r.value) for r in hist if r.kind == "e1rm"] == [
        ("e1rm", pytest.approx(116.667, abs=1e-3)),
        ("e1rm", pytest.approx(121.0)),
    ]
    standing = {(r.kind, r.reps): r.value for r in strength.current_records(hist)}
    assert standing[("e1rm", None)] == pytest.approx(121.0)
    assert standing[("volume", None)] == 500
    bench = catalog.resolve(store, a, "Bench Press")
    assert strength.best_weight_for_reps(store, a, bench, 3) == 110
    assert strength.best_weight_for_reps(store, a, bench, 5) == 100
    with pytest.raises(CatalogError):
        strength.log_set(store, a, "xqzvv", 5, 50, ms(2026, 6, 4, 18))
    with pytest.raises(ValueError):
        strength.log_set(store, a, "Bench Press", 0, 50, ms(2026, 6, 4, 18))


def test_hr_during_a_set_and_recovery(store) -> None:
    from app.domain.samples import Sample

    a = athlete(store)
    t0 = ms(2026, 6, 1, 18)
    sid = store.create_session(a, sport="gym", source="ble", started_ms=t0)
    # HR 100 for 30 s, 140 during the 30-s set, falling to 110 sixty seconds after it
    hr = [100] * 30 + [130 + i // 3 for i in range(30)] + [139] * 30 + [110] * 60
    store.insert_samples(sid, [Sample(t_ms=t0 + i * 1000, hr=h) for i, h in enumerate(hr)])
    s = strength.log_set(
        store, a, "Back Squat", 5, 100, t0 + 30_000, ended_ms=t0 + 59_000, session_id=sid
    )
    assert s.max_hr == 139
    assert s.avg_hr == pytest.approx(sum(hr[30:60]) / 30)
    assert s.hr_recovery == pytest.approx(139 - 110)
    # Moved 30 s earlier (into the HR-100 rest): the span moves along, its HR is read again.
    moved = strength.edit_set(store, a, s.id, started_ms=t0)
    assert (moved.started_ms, moved.ended_ms) == (t0, t0 + 29_000)
    assert (moved.avg_hr, moved.max_hr) == (100, 100)
    assert moved.hr_recovery == pytest.approx(100 - hr[89])


def test_first_use_from_several_threads_stores_the_built_ins_once(tmp_path) -> None:
    """The GUI's background threads search at once on a new database: each saw no built-ins
    and inserted them all, so every suggestion was listed twice and no typo was ever sure."""
    import threading

    from app.store.repo import Store

    wanted = len(catalog.load_builtin())
    errors: list[BaseException] = []
    for round_ in range(3):
        s = Store.open(tmp_path / str(round_))
        start = threading.Barrier(4)

        def first_use(s: Store = s, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                catalog.exercises(s, None)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=first_use) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(catalog.exercises(s, None)) == wanted
        s.close()
