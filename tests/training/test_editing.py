"""Issue 18 #10: sets, body entries, goals and own exercises edited and deleted from the CLI,
with records and goal achievements recomputed (a no-longer-true achievement is withdrawn)."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.store.repo import Store

from .helpers import athlete


@pytest.fixture
def run(data_dir, capsys):
    def go(*argv: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    s = Store.open(data_dir)
    athlete(s)
    s.close()
    return go


def _prs(run) -> dict[tuple[str, int | None], float]:
    return {(r["kind"], r["reps"]): r["value"] for r in json.loads(run("prs", "--json")[1])}


def test_editing_and_deleting_sets_recomputes_records(run) -> None:
    run("sets", "add", "bench press", "5", "100", "--at", "2026-06-01T18:00")
    run("sets", "add", "bench press", "5", "110", "--at", "2026-06-02T18:00")
    assert _prs(run)[("weight_for_reps", 5)] == 110
    code, out, _ = run("sets", "edit", "2", "--weight", "90", "--rpe", "7")
    assert code == 0 and "RPE 7" in out
    assert _prs(run)[("weight_for_reps", 5)] == 100
    assert run("sets", "delete", "1")[0] == 0
    assert _prs(run)[("weight_for_reps", 5)] == 90  # the remaining set is the record now
    assert run("sets", "delete", "1")[0] == 4
    assert run("sets", "edit", "2", "--reps", "0")[0] == 2


def test_sets_edit_rpe_none_clears_the_rpe_and_a_left_out_option_keeps_it(run) -> None:
    run("sets", "add", "squat", "5", "100", "--rpe", "8", "--at", "2026-06-01T18:00")
    code, out, _ = run("sets", "edit", "1", "--reps", "6")
    assert code == 0 and "RPE 8" in out  # --rpe left out: kept
    code, out, _ = run("sets", "edit", "1", "--rpe", "none")
    assert code == 0 and "RPE" not in out and "6 x 100 kg" in out
    (row,) = json.loads(run("sets", "list", "--json")[1])
    assert row["rpe"] is None and row["reps"] == 6 and row["weight_kg"] == 100
    assert run("sets", "edit", "1", "--weight", "none")[0] == 0  # bodyweight, like 0
    assert json.loads(run("sets", "list", "--json")[1])[0]["weight_kg"] is None
    with pytest.raises(SystemExit) as usage:
        run("sets", "edit", "1", "--rpe", "hard")
    assert usage.value.code == 2


def test_deleting_a_weigh_in_withdraws_the_achievement_it_made(run) -> None:
    run("goals", "add", "weight", "79")
    run("body", "add", "--weight", "78.5")
    progress = json.loads(run("goals", "progress", "--json")[1])
    assert len(progress["new_achievements"]) == 1
    entries = json.loads(run("body", "list", "--entries", "--json")[1])
    code, out, _ = run("body", "edit", str(entries[0]["id"]), "--value", "79.5")
    assert code == 0 and "withdrawn: goal 1" in out
    assert json.loads(run("goals", "progress", "--json")[1])["goals"][0]["met"] is False
    assert run("body", "delete", str(entries[0]["id"]))[0] == 0
    assert run("body", "delete", "999")[0] == 4


def test_editing_a_goal_target_withdraws_what_it_no_longer_supports(run) -> None:
    run("goals", "add", "reps", "20")
    run("sets", "add", "push-up", "25")
    assert len(json.loads(run("goals", "progress", "--json")[1])["new_achievements"]) == 1
    code, out, _ = run("goals", "edit", "1", "--target", "30")
    assert code == 0 and "30 reps" in out
    data = json.loads(run("goals", "progress", "--json")[1])
    assert not data["goals"][0]["met"] and data["goals"][0]["achieved_at"] is None
    assert run("goals", "edit", "1", "--target", "inf")[0] == 2
    assert run("goals", "edit", "9", "--target", "3")[0] == 4


def test_own_exercises_edit_and_delete(run) -> None:
    run("exercises", "add", "Zercher Squat")
    run("sets", "add", "Zercher Squat", "5", "80")
    code, out, _ = run("exercises", "edit", "Zercher Squat", "--name", "Zercher Box Squat")
    assert code == 0
    assert json.loads(run("sets", "list", "--json")[1])[0]["exercise"] == "Zercher Box Squat"
    assert run("exercises", "delete", "Zercher Box Squat")[0] == 2  # it has a set
    assert run("exercises", "edit", "Bench Press", "--name", "Bench")[0] == 2  # built in
    run("sets", "delete", "1")
    assert run("exercises", "delete", "Zercher Box Squat")[0] == 0
