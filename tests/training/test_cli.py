"""The training commands through `pulsedeck`'s real entry point on a real data directory."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest

from app.cli import main
from app.store.repo import Store

from .helpers import PARIS, athlete, ms, session


@pytest.fixture
def run(data_dir, capsys):
    def go(*argv: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return go


@pytest.fixture
def seeded(data_dir) -> int:
    s = Store.open(data_dir)
    a = athlete(s)
    session(s, a, ms(2026, 6, 1, 8), 600, steps_per_s=2)
    session(s, a, ms(2026, 6, 1, 8), 600, steps_per_s=2, source="feed")  # same walk, again
    session(s, a, ms(2026, 6, 2, 23, 30), 3600, steps_per_s=1)  # across midnight
    s.close()
    return a


def test_summary_json_and_csv(run, seeded) -> None:
    code, out, _ = run("summary", "--from", "2026-06-01", "--to", "2026-06-03", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["timezone"] == "Europe/Paris" and "resting" in data["kcal_basis"]
    days = {d["date"]: d for d in data["days"]}
    assert days["2026-06-01"]["steps"] == 1198 and days["2026-06-01"]["sessions"] == 1
    assert days["2026-06-02"]["active_min"] == 30.0 and days["2026-06-03"]["active_min"] == 30.0
    code, out, _ = run("summary", "--from", "2026-06-01", "--to", "2026-06-03", "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["date"] for r in rows] == ["2026-06-01", "2026-06-02", "2026-06-03"]
    assert rows[0]["steps"] == "1198"
    code, out, _ = run("summary", "--from", "2026-06-01", "--to", "2026-06-02")
    assert code == 0 and "2026-06-01" in out


def test_summary_usage_errors(run, seeded) -> None:
    assert run("summary", "--athlete", "Nobody")[0] == 4
    code, _, err = run("summary", "--from", "2026-06-05", "--to", "2026-06-01")
    assert code == 2 and "before" in err
    with pytest.raises(SystemExit):
        run("summary", "--from", "June")


def test_goals_add_list_progress_remove(run, seeded) -> None:
    today = datetime.now(PARIS).date()  # the athlete's today, not the machine's
    code, out, _ = run("goals", "add", "steps", "10000", "--period", "weekly")
    assert code == 0 and out.startswith("goal 1:")
    assert run("goals", "add", "zone_min", "30")[0] == 2  # no --zone
    code, out, _ = run("goals", "list", "--json")
    assert json.loads(out)[0]["kind"] == "steps"
    code, out, _ = run("goals", "progress", "--json", "--history", "2")
    data = json.loads(out)
    assert data["goals"][0]["period_start"] == (today - timedelta(days=today.weekday())).isoformat()
    assert len(data["goals"][0]["history"]) == 2
    assert run("goals", "remove", "1")[0] == 0
    assert run("goals", "remove", "99")[0] == 4
    assert json.loads(run("goals", "list", "--json")[1]) == []


def test_exercises_sets_and_prs(run, seeded) -> None:
    code, out, _ = run("exercises", "search", "bech pres", "--json")
    assert json.loads(out)[0]["name"] == "Bench Press"
    assert run("exercises", "add", "Zercher Squat", "--muscle", "quads")[0] == 0
    assert run("exercises", "add", "Zercher Squat")[0] == 2
    code, out, _ = run("sets", "add", "bench press", "5", "100", "--at", "2026-06-01T18:00")
    assert code == 0 and "PR" in out
    code, out, _ = run(
        "sets", "add", "bench press", "3", "110", "--at", "2026-06-03T18:00", "--json"
    )
    assert {r["kind"] for r in json.loads(out)["records"]} == {"e1rm", "weight_for_reps"}
    assert run("sets", "add", "xqzvv", "5", "50")[0] == 2
    code, out, _ = run("prs", "--exercise", "bech pres", "--json")  # sure: no question
    standing = {(r["kind"], r["reps"]): r["value"] for r in json.loads(out)}
    assert standing[("e1rm", None)] == pytest.approx(121.0)
    code, out, _ = run("prs", "--history")
    assert code == 0 and "Bench Press" in out
    code, out, _ = run("sets", "list", "--json")
    assert [s["reps"] for s in json.loads(out)] == [5, 3]


def test_body_zones_and_load(run, seeded) -> None:
    code, _, _ = run("body", "add", "--weight", "80.5", "--resting-hr", "52", "--at", "2026-06-01")
    assert code == 0
    assert run("body", "add", "--weight", "800")[0] == 2
    assert run("body", "add")[0] == 2
    code, out, _ = run("body", "list", "--json")
    data = json.loads(out)
    assert data["weight_kg"][0]["value"] == 80.5 and data["resting_hr"][0]["avg7"] == 52
    code, out, _ = run("zones", "--model", "custom", "--bounds", "100,120,140,160,175", "--json")
    assert json.loads(out) == {
        "model": "custom",
        "floors_bpm": [100, 120, 140, 160, 175],
        "ftp_w": None,
        "threshold_hr": None,
    }
    assert run("zones", "--model", "custom", "--bounds", "1,2")[0] == 2
    code, out, _ = run("load", "--from", "2026-06-01", "--to", "2026-06-03", "--json")
    points = json.loads(out)
    assert [p["day"] for p in points] == ["2026-06-01", "2026-06-02", "2026-06-03"]
    assert points[0]["trimp"] > 0


def test_summary_defaults_to_the_last_seven_days(run, seeded) -> None:
    code, out, _ = run("summary", "--json")
    days = json.loads(out)["days"]
    assert code == 0 and len(days) == 7
    assert days[-1]["date"] == datetime.now(PARIS).date().isoformat()


def test_body_measure_from_a_morning_recording(run, data_dir) -> None:
    from app.domain.samples import Sample

    s = Store.open(data_dir)
    a = athlete(s)
    t0 = ms(2026, 6, 2, 7)
    sid = s.create_session(a, sport="other", source="ble", started_ms=t0)
    s.insert_samples(
        sid, [Sample(t_ms=t0 + i * 1000, hr=55, rr=(1090.0 + (i % 2) * 20,)) for i in range(90)]
    )
    s.finish_session(sid, t0 + 90_000)
    s.close()
    code, out, _ = run("body", "measure", str(sid), "--json")
    data = json.loads(out)
    assert code == 0 and data["resting_hr"] == 55.0 and data["reliable"]
    assert data["rmssd_ms"] == pytest.approx(20.0)  # every successive difference is 20 ms
    assert sorted(data["stored"]) == ["resting_hr", "rmssd", "sdnn"]
    assert run("body", "measure", "999")[0] == 4
