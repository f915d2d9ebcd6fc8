"""Issue 22 #1 (CLI) and #5: `pulsedeck clients` over pulled clients; the roster follows a
client's deletion after the next pull. Real S3 (moto on 127.0.0.1), no mocks."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from app.cli import main
from app.domain.goals import Goal, GoalProgress
from app.domain.samples import Sample
from app.services.history import HistoryService
from app.services.roster import RosterRow, filter_rows, load_flag, on_track, sort_rows
from app.store.repo import Store, now_ms

DAY = 86_400_000
NOW = now_ms()


def _days_ago(d: int) -> int:
    """Calendar days (UTC: the clients have no time zone) from a session d days back."""
    start = NOW - d * DAY - 3_600_000
    return (NOW // DAY) - (start // DAY)


def _session(store: Store, name: str, started_ms: int, minutes: int = 30, hr: int = 150) -> int:
    a = store.ensure_athlete(name, is_self=True)
    sid = store.create_session(a.id, sport="run", source="simulator", started_ms=started_ms)
    samples = [Sample(t_ms=started_ms + i * 1000, hr=hr) for i in range(minutes * 60)]
    store.insert_samples(sid, samples, {})
    store.finish_session(sid, started_ms + minutes * 60_000)
    return sid


def _client(tmp_path: Path, name: str, lake: list[str], days_ago: list[int], hr: int) -> Path:
    """A client's machine: their sessions, pushed."""
    home = tmp_path / name
    store = Store.open(home)
    try:
        store.update_profile(store.ensure_athlete(name, is_self=True).id, birth_year=1990)
        for d in days_ago:
            _session(store, name, NOW - d * DAY - 3_600_000, hr=hr)
    finally:
        store.close()
    assert main(["--data-dir", str(home), "lake", "push", *lake]) == 0
    return home


def _clients(coach: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> list[dict]:
    capsys.readouterr()
    assert main(["--data-dir", str(coach), "clients", "--json", *flags]) == 0
    return json.loads(capsys.readouterr().out)


def test_roster_of_pulled_clients_follows_a_deletion(
    tmp_path: Path, lake: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Ann ramps up (three sessions this week, one in the three weeks before); Bob is idle.
    ann = _client(tmp_path, "Ann", lake, [1, 2, 3, 20], hr=160)
    _client(tmp_path, "Bob", lake, [12, 15, 22, 26], hr=140)
    coach = tmp_path / "coach"
    before = now_ms()
    assert main(["--data-dir", str(coach), "lake", "pull", "--all-clients", *lake]) == 0

    rows = {r["name"]: r for r in _clients(coach, capsys)}
    assert set(rows) == {"Ann", "Bob"}
    assert (rows["Ann"]["sessions"], rows["Ann"]["days_since"]) == (4, _days_ago(1))
    assert rows["Bob"]["days_since"] == _days_ago(12)
    assert rows["Ann"]["ratio"] > 1.5 and rows["Ann"]["load_flag"] == "high"
    assert rows["Bob"]["ratio"] == 0 and rows["Bob"]["load_flag"] == "low"
    assert all(r["client"] and r["last_sync_ms"] >= before for r in rows.values())
    assert [r["name"] for r in _clients(coach, capsys, "--sort", "days", "--desc")] == [
        "Bob",
        "Ann",
    ]
    assert [r["name"] for r in _clients(coach, capsys, "--inactive", "7")] == ["Bob"]
    assert [r["name"] for r in _clients(coach, capsys, "--name", "an")] == ["Ann"]

    # Ann deletes yesterday's session in her app; push; the coach pulls: it is gone.
    store = Store.open(ann)
    try:
        newest = max(store.list_sessions(), key=lambda s: s.started_ms).id
        HistoryService(store).delete(newest)
    finally:
        store.close()
    assert main(["--data-dir", str(ann), "lake", "push", *lake]) == 0
    assert main(["--data-dir", str(coach), "lake", "pull", "--all-clients", *lake]) == 0
    ann_row = next(r for r in _clients(coach, capsys) if r["name"] == "Ann")
    assert (ann_row["sessions"], ann_row["days_since"]) == (3, _days_ago(2))
    assert main(["--data-dir", str(coach), "lake", "pull", "--all-clients", *lake]) == 0
    assert next(r for r in _clients(coach, capsys) if r["name"] == "Ann") | {
        "last_sync_ms": 0
    } == ann_row | {"last_sync_ms": 0}  # a second pull changes nothing but the time

    capsys.readouterr()
    assert main(["--data-dir", str(coach), "clients", "--flagged"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[1:]] == ["Ann", "Bob"]
    assert "! " in out[1] and "v " in out[2]  # ratio flags: high, low


def test_flags_goals_and_sorting() -> None:
    assert (load_flag(1.51), load_flag(1.5), load_flag(0.8), load_flag(0.79)) == (
        "high",
        None,
        None,
        "low",
    )
    assert load_flag(None) is None
    goal = Goal(1, 1, "sessions", "week", 4.0, None, None, None, True, 0)  # type: ignore[arg-type]
    week = (date(2026, 11, 30), date(2026, 12, 6))

    def progress(fraction: float, met: bool = False) -> GoalProgress:
        return GoalProgress(goal, *week, fraction * 4, fraction, met, None)

    wednesday = date(2026, 12, 2)  # 3 of 7 days gone
    assert on_track(progress(0.5), wednesday) and not on_track(progress(0.4), wednesday)
    assert on_track(progress(1.0, met=True), date(2026, 12, 6))

    def row(name: str, ratio: float | None) -> RosterRow:
        return RosterRow(
            1, name, None, True, 0, None, None, 0.0, 0.0, ratio, load_flag(ratio),
            None, None, None, None, None, None, 0, 0, None,
        )  # fmt: skip

    rows = [row("b", None), row("A", 2.0), row("c", 1.0)]
    assert [r.name for r in sort_rows(rows, "ratio")] == ["c", "A", "b"]
    assert [r.name for r in sort_rows(rows, "ratio", descending=True)] == ["A", "c", "b"]
    assert [r.name for r in sort_rows(rows)] == ["A", "b", "c"]
    assert [r.name for r in filter_rows(rows, flagged=True)] == ["A"]
    with pytest.raises(ValueError, match="cannot sort by"):
        sort_rows(rows, "shoe size")
