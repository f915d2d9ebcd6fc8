"""Issue 15: the daily export and `pulsedeck summary --json` give the same figures per day."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from app.cli import main
from app.store.repo import Store
from sync.exports.daily import summary_rows, write_daily_csv
from tests.lake.factory import record_session
from tests.training.helpers import athlete, ms, session

#: Export column -> summary --json key, for every figure both carry.
SHARED = {
    "total_steps": "steps",
    "distance_m": "distance_km",
    "avg_hr": "avg_hr",
    "kcal": "kcal",
    "active_min": "active_min",
    "sessions": "sessions",
}


@pytest.fixture
def days_recorded(data_dir: Path) -> dict[str, tuple[date, date]]:
    """Sessions over five days for two athletes; per athlete the first and last day touched."""
    s = Store.open(data_dir)
    try:
        me = athlete(s)
        record_session(s, "Me", ms(2026, 6, 1, 8), n=900)  # varied HR, MET, speed, odometer
        session(s, me, ms(2026, 6, 1, 8, 5), 600, source="feed", hr=100)  # overlaps, lower rank
        session(s, me, ms(2026, 6, 1, 18), 1200, hr=150, steps_per_s=2)
        session(s, me, ms(2026, 6, 2, 23, 30), 3600, hr=140)  # across midnight
        session(s, me, ms(2026, 6, 5, 7), 1800, hr=None, steps_per_s=None, speed=4.0)
        zoe = athlete(s, "Zoe", tz="America/New_York")
        session(s, zoe, ms(2026, 6, 3, 12), 900, hr=120, sport="ride")
    finally:
        s.close()
    return {"Me": (date(2026, 6, 1), date(2026, 6, 5)), "Zoe": (date(2026, 6, 3), date(2026, 6, 3))}


def _summary(data_dir: Path, name: str, first: date, last: date, capsys) -> list[dict]:
    argv = ["--data-dir", str(data_dir), "summary", "--json", "--athlete", name,
            "--from", first.isoformat(), "--to", last.isoformat()]  # fmt: skip
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)["days"]


def _number(cell: str) -> float | None:
    return None if cell == "" else float(cell)


def _assert_export_equals_summary(path: Path, data_dir: Path, recorded, capsys) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    wrong = []
    for name, (first, last) in recorded.items():
        summary = _summary(data_dir, name, first, last, capsys)
        mine = {r["date"]: r for r in rows if r["athlete"] == name}
        busy = [d for d in summary if d["active_min"] or d["steps"] or d["avg_hr"] is not None]
        if sorted(mine) != [d["date"] for d in busy]:
            wrong.append((name, "days", sorted(mine), [d["date"] for d in busy]))
        for day in busy:
            row = mine.get(day["date"], {})
            for column, key in SHARED.items():
                got, want = _number(row.get(column, "")), day[key]
                if key == "distance_km" and got is not None:  # 0.1 m in the CSV, 1 m in --json
                    same = got / 1000 == pytest.approx(want, abs=5.5e-4)
                else:
                    same = got == want
                if not same:
                    wrong.append((name, day["date"], column, got, want))
    assert not wrong


def test_cli_daily_export_equals_summary_json(data_dir, days_recorded, tmp_path, capsys):
    out = tmp_path / "daily.csv"
    assert main(["--data-dir", str(data_dir), "export", "daily", "-o", str(out)]) == 0
    capsys.readouterr()
    _assert_export_equals_summary(out, data_dir, days_recorded, capsys)


def test_daily_export_equals_summary_json(data_dir, days_recorded, tmp_path, capsys):
    store = Store.open(data_dir)
    try:
        out = write_daily_csv(summary_rows(store), tmp_path / "daily.csv")
    finally:
        store.close()
    _assert_export_equals_summary(out, data_dir, days_recorded, capsys)


def test_one_athlete_and_a_session_still_recording(store, tmp_path):
    me = athlete(store)
    session(store, me, ms(2026, 6, 1, 8), 600)
    zoe = athlete(store, "Zoe")
    session(store, zoe, ms(2026, 6, 1, 9), 600, finish=False)
    assert [(r.day, r.athlete) for r in summary_rows(store, zoe)] == [(date(2026, 6, 1), "Zoe")]
    assert [r.athlete for r in summary_rows(store)] == ["Me", "Zoe"]
    assert summary_rows(store, 999) == []
