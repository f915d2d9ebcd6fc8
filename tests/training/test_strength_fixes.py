"""Issue 18 strength and CLI fixes: HR during a set from the CLI, same-day sets in logging
order, look-alike exercise names refused, standing N-rep maxes, RPE shown, bad input as
one-line errors; with a property test of PR monotonicity."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli import main
from app.domain.samples import Sample
from app.store.repo import Store
from app.training import catalog, strength

from .helpers import athlete, ms


@pytest.fixture
def run(data_dir, capsys):
    def go(*argv: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return go


@pytest.fixture
def me(data_dir) -> int:
    s = Store.open(data_dir)
    a = athlete(s)
    s.close()
    return a


# 4. HR during a set logged against a session -----------------------------------------------


def test_sets_add_with_a_session_records_hr_during_and_after_the_set(run, data_dir, me) -> None:
    s = Store.open(data_dir)
    t0 = ms(2026, 6, 1, 18)
    sid = s.create_session(me, sport="gym", source="ble", started_ms=t0)
    hr = [100] * 30 + [120 + i for i in range(30)] + [149] * 30 + [115] * 60
    s.insert_samples(sid, [Sample(t_ms=t0 + i * 1000, hr=h) for i, h in enumerate(hr)])
    s.finish_session(sid, t0 + len(hr) * 1000)
    s.close()
    argv = ["sets", "add", "back squat", "5", "100", "--session", str(sid), "--json"]
    code, out, err = run(*argv, "--at", "2026-06-01T18:00:30", "--end", "2026-06-01T18:00:59")
    assert code == 0, err
    got = json.loads(out)
    assert got["max_hr"] == 149 and got["avg_hr"] == pytest.approx(sum(hr[30:60]) / 30)
    assert got["hr_recovery"] == pytest.approx(149 - 115)
    code, out, _ = run(*argv, "--at", "2026-06-01T18:00:30", "--duration", "29")
    assert code == 0 and json.loads(out)["max_hr"] == 149
    code, out, _ = run("sets", "list")
    assert "/149" in out and "HR 13" in out


# 5. same-day sets are ordered as logged; back-filling keeps the history monotonic ---------


def test_a_lighter_set_logged_later_the_same_day_is_not_a_pr(run, me) -> None:
    assert run("sets", "add", "bench press", "5", "140", "--at", "2026-06-01")[0] == 0
    code, out, _ = run("sets", "add", "bench press", "5", "130", "--at", "2026-06-01", "--json")
    assert code == 0 and json.loads(out)["records"] == [] and not json.loads(out)["is_pr"]
    code, out, _ = run("prs", "--exercise", "bench press", "--history", "--json")
    assert {r["value"] for r in json.loads(out) if r["kind"] == "weight_for_reps"} == {140}


def test_back_filling_a_heavier_set_rewrites_the_later_records(store) -> None:
    a = athlete(store)
    strength.log_set(store, a, "Deadlift", 5, 150, ms(2026, 6, 10, 18))
    strength.log_set(store, a, "Deadlift", 5, 160, ms(2026, 6, 12, 18))
    old = strength.log_set(store, a, "Deadlift", 5, 170, ms(2026, 6, 1, 18))  # back-filled
    assert old.is_pr
    hist = strength.pr_history(store, a, catalog.resolve(store, a, "Deadlift"))
    w5 = [(r.value, r.achieved_ms) for r in hist if r.kind == "weight_for_reps"]
    assert w5 == [(170, ms(2026, 6, 1, 18))]  # 150 and 160 are no longer records
    flags = {x.weight_kg: x.is_pr for x in []}
    with store.orm() as s:
        from app.store import models as m

        flags = {r.weight_kg: r.is_pr for r in s.query(m.ExerciseSet)}
    assert flags == {150: False, 160: False, 170: True}


# 6. a look-alike exercise is suggested, never chosen -----------------------------------------


def test_an_unknown_exercise_is_refused_with_suggestions_or_created(run, me) -> None:
    code, out, err = run("sets", "add", "Zottman Curl", "10", "12")
    assert code == 2 and "did you mean" in err and "Dumbbell Curl" in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert json.loads(run("sets", "list", "--json")[1]) == []
    code, out, err = run("sets", "add", "Zottman Curl", "10", "12", "--create", "--json")
    assert code == 0, err
    assert json.loads(out)["exercise"] == "Zottman Curl"
    code, out, _ = run("prs", "--json")
    assert {r["exercise"] for r in json.loads(out)} == {"Zottman Curl"}
    assert run("sets", "add", "bech pres", "5", "60")[0] == 0  # a sure typo still works
    assert run("prs", "--exercise", "curl")[0] == 2  # ambiguous: refused with suggestions


# 7. the N-rep max is the heaviest weight for at least N reps ------------------------------


def test_a_heavier_set_of_more_reps_is_the_standing_rep_max(run, me) -> None:
    run("sets", "add", "back squat", "8", "92.5", "--at", "2026-06-01T18:00")
    run("sets", "add", "back squat", "15", "95", "--at", "2026-06-08T18:00")
    code, out, _ = run("prs", "--json")
    maxes = {r["reps"]: r["value"] for r in json.loads(out) if r["kind"] == "weight_for_reps"}
    assert maxes == {8: 95, 15: 95}
    code, out, _ = run("prs")
    assert "8-rep max" in out and "92.5" not in out


# 8. RPE shown; bad input is one line and the right exit code ----------------------------------


def test_rpe_is_shown(run, me) -> None:
    code, out, _ = run("sets", "add", "bench press", "5", "100", "--rpe", "8.5")
    assert code == 0 and "RPE 8.5" in out
    assert "8.5" in run("sets", "list")[1]
    assert json.loads(run("sets", "list", "--json")[1])[0]["rpe"] == 8.5


@pytest.mark.parametrize(
    ("argv", "code", "needle"),
    [
        (["sets", "add", "bench press", "5", "100", "--session", "999"], 4, "no session 999"),
        (["goals", "add", "steps", "inf"], 2, "positive number"),
        (["goals", "add", "steps", "nan"], 2, "positive number"),
        (["sets", "add", "bench press", "5", "100", "--at", "9999-12-31"], 2, "year"),
        (["body", "add", "--weight", "80", "--at", "9999-12-31T23:59"], 2, "year"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_code(run, me, argv, code, needle) -> None:
    got, _, err = run(*argv)
    assert got == code and needle in err and err.count("\n") == 1
    assert "Error" not in err and "SELECT" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["summary", "--from", "9999-12-31"],
        ["load", "--to", "9999-12-31"],
        [
            "goals",
            "add",
            "steps",
            "1",
            "--period",
            "range",
            "--from",
            "2026-01-01",
            "--to",
            "9999-12-31",
        ],
    ],
)
def test_year_9999_in_a_date_option_is_a_usage_error(data_dir, me, argv) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "year" in proc.stderr


# Property: PR history is monotonic whatever order sets are logged in ----------------------

LIFT = st.tuples(st.integers(0, 5), st.integers(1, 12), st.sampled_from([None, 40.0, 60.0, 80.0]))


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(lifts=st.lists(LIFT, min_size=1, max_size=10))
def test_property_pr_history_is_monotonic_in_time(lifts) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp))
        try:
            a = athlete(store)
            for day, reps, kg in lifts:  # logged in any order, several on one instant
                strength.log_set(store, a, "Back Squat", reps, kg, ms(2026, 6, 1 + day, 18))
            hist = strength.pr_history(store, a)
            last: dict[tuple[str, int | None], float] = {}
            for r in hist:
                key = (r.kind, r.reps if r.kind == "weight_for_reps" else None)
                assert key not in last or r.value > last[key], (r, last)
                last[key] = r.value
            rows = strength.sets(store, a)
            by_order = sorted(rows, key=lambda x: (x.started_ms, x.id))
            e1 = [x.e1rm_kg for x in by_order if x.e1rm_kg]
            if e1:  # the standing e1RM record is the best set's
                standing = [r for r in strength.current_records(hist) if r.kind == "e1rm"]
                assert standing[0].value == pytest.approx(max(e1))
            for n in {x.reps for x in rows}:
                best = strength.best_weight_for_reps(
                    store, a, catalog.resolve(store, a, "Back Squat"), n
                )
                cur = {
                    r.reps: r.value
                    for r in strength.current_records(hist)
                    if r.kind == "weight_for_reps"
                }
                if n in cur:
                    assert cur[n] == best
        finally:
            store.close()
