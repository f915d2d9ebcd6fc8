"""`sessions rename|set|delete` (issue 17 #6): edits on the edge box reach Strava."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import MAX_ID, OWNER_ID, make_sync, run  # noqa: E402
from helpers import make_session  # noqa: E402

from app.cli import main  # noqa: E402
from app.store import models as m  # noqa: E402
from sync.outbox import DONE  # noqa: E402
from sync.strava.engine import KIND_UPDATE  # noqa: E402


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    previous = signal.getsignal(signal.SIGPIPE)
    try:
        code = main(list(args))
    finally:
        signal.signal(signal.SIGPIPE, previous)
    out, err = capsys.readouterr()
    return code, out, err


def _sync(store, config, clock, poll=False):
    async def go(http):
        sync = make_sync(store, http, config, clock)
        report = await sync.run_once(poll=poll)
        for _ in range(5):  # retries that fall due
            due = sync.next_due_s()
            if due is None:
                break
            clock.advance(due + 1)
            await sync.run_once(poll=False)
        return sync, report

    return run(go)


def test_renaming_an_uploaded_session_updates_it_and_copies_to_the_named_child(
    store, emulator, config, clock, family, capsys
) -> None:
    sid = make_session(store, clock() - 600, title="Morning run", sport="run")
    _sync(store, config, clock)
    (owner_act,) = emulator.activities_of(OWNER_ID)
    assert owner_act["name"] == "Morning run" and emulator.activities_of(MAX_ID) == []

    emulator.inject("PUT", r"/activities/\d+$", status=500)  # the first update fails
    code, out, err = cli(capsys, "sessions", "rename", str(sid), "Morning run with Max")
    assert code == 0, err
    assert "1 Strava activity to update" in out and "1 new child copy" in out
    sync, _ = _sync(store, config, clock)
    (owner_act,) = emulator.activities_of(OWNER_ID)
    assert owner_act["name"] == "Morning run with Max" and owner_act["sport_type"] == "Run"
    (copy,) = emulator.activities_of(MAX_ID)
    assert copy["name"] == "Morning run with Max" and copy["sport_type"] == "Run"
    assert all(j.state == DONE for j in sync.outbox.jobs())

    # A second change re-arms the finished update job; nothing is uploaded twice.
    code, out, err = cli(capsys, "sessions", "set", str(sid), "--sport", "hike", "--notes", "steep")
    assert code == 0, err
    _sync(store, config, clock)
    assert [a["sport_type"] for a in emulator.activities_of(OWNER_ID)] == ["Hike"]
    assert [a["sport_type"] for a in emulator.activities_of(MAX_ID)] == ["Hike"]
    assert len(sync.outbox.jobs(kind=KIND_UPDATE)) == 2  # owner and Max, each once
    with store.orm() as s:
        assert s.get(m.Session, sid).notes == "steep"


def test_renaming_before_the_upload_only_changes_the_title(
    store, emulator, config, clock, family, capsys
) -> None:
    sid = make_session(store, clock() - 600, title="Run", sport="run")
    code, out, _ = cli(capsys, "sessions", "rename", str(sid), "Run with Max")
    assert code == 0 and "queued" not in out
    _sync(store, config, clock)
    assert [a["name"] for a in emulator.activities_of(OWNER_ID)] == ["Run with Max"]
    assert [a["name"] for a in emulator.activities_of(MAX_ID)] == ["Run with Max"]


def test_delete_and_the_exit_codes(store, emulator, config, clock, family, capsys) -> None:
    sid = make_session(store, clock() - 600, title="Run", sport="run")
    assert cli(capsys, "sessions", "rename", "999", "x")[0] == 4
    assert cli(capsys, "sessions", "set", "999", "--sport", "run")[0] == 4
    assert cli(capsys, "sessions", "delete", "999")[0] == 4
    code, _, err = cli(capsys, "sessions", "set", str(sid), "--sport", "curling")
    assert code == 2 and "unknown sport" in err and "\n" == err[-1] and err.count("\n") == 1
    assert cli(capsys, "sessions", "set", str(sid))[0] == 2
    code, _, err = cli(capsys, "sessions", "rename", str(sid), "bad\x1b[31m")
    assert code == 2 and "Traceback" not in err
    code, out, err = cli(capsys, "sessions", "delete", str(sid))
    assert code == 0, err
    assert store.get_session(sid) is None or store.get_session(sid).deleted_ms
    code, out, _ = cli(capsys, "sessions", "list", "--json")
    assert str(sid) not in [str(s["id"]) for s in __import__("json").loads(out)]


def test_a_rename_in_the_app_reaches_strava_like_the_cli(store, emulator, config, clock, family):
    """The desktop app's History rename goes through the same service: Strava follows."""
    from app.services.history import HistoryService

    sid = make_session(store, clock() - 600, title="Evening walk", sport="walk")
    _sync(store, config, clock)
    followed = HistoryService(store).rename(sid, "Evening walk with Max")
    assert (followed.strava_updates, followed.strava_copies) == (1, 1)
    _sync(store, config, clock)
    (owner_act,) = emulator.activities_of(OWNER_ID)
    (copy,) = emulator.activities_of(MAX_ID)
    assert owner_act["name"] == copy["name"] == "Evening walk with Max"
    followed = HistoryService(store).change_sport(sid, "hike")
    assert followed.strava_updates == 2 and followed.strava_copies == 0
    _sync(store, config, clock)
    assert [a["sport_type"] for a in emulator.activities_of(MAX_ID)] == ["Hike"]
