"""Storage faults while recording (issue 16): a full disk stops cleanly with exit 3.

The full disk is SQLite's own: `PRAGMA max_page_count` caps the database file, and SQLite
then fails writes with SQLITE_FULL exactly as on a full filesystem ("database or disk is
full"). Unlike a small tmpfs this needs no root, so it runs everywhere.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from app.cli import main
from app.store.repo import Store


@contextmanager
def capped_disk(data_dir: Path, extra_pages: int) -> Iterator[None]:
    """Every connection opened meanwhile may grow the database by `extra_pages` at most."""
    with sqlite3.connect(data_dir / "pulsedeck.db") as conn:
        cap = conn.execute("PRAGMA page_count").fetchone()[0] + extra_pages

    def on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count = {cap}")

    event.listen(Engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(Engine, "connect", on_connect)


@pytest.fixture
def prepared(data_dir: Path) -> Path:
    store = Store.open(data_dir)
    store.default_athlete()
    store.close()
    return data_dir


def _record(data_dir: Path, seconds: float = 60) -> list[str]:
    argv = ["--data-dir", str(data_dir), "record", "--simulate", "--rate", "400"]
    return [*argv, "--duration", str(seconds), "--seed", "3"]


def test_disk_full_while_recording_stops_with_exit_3_and_keeps_what_was_committed(
    prepared: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    started = time.monotonic()
    with capped_disk(prepared, extra_pages=12):
        code = main(_record(prepared))
    took = time.monotonic() - started
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert len(err) == 1 and "the disk is full" in err[0] and "recording stopped" in err[0]
    assert "Traceback" not in err[0] and "unexpected error" not in err[0]
    assert took < 30  # it stopped at the fault, not at the end of the 60 s
    # No hot loop: the writer gave up at the first "disk full", it did not retry 34 times/s.
    failures = [r for r in caplog.records if "disk is full" in r.getMessage()]
    assert 1 <= len(failures) <= 3

    store = Store.open(prepared)  # space freed (no cap any more)
    try:
        (session,) = store.list_sessions()
        assert session.status == "recovered"
        assert session.samples > 0  # every committed sample is kept
        kept = int(err[0].split(" samples kept")[0].rsplit(" ", 1)[-1])
        assert session.samples == kept
    finally:
        store.close()
    # ...and recording starts again cleanly.
    assert main(_record(prepared, seconds=0.5)) == 0


def test_recording_on_an_already_full_disk_exits_3_without_a_phantom_session(
    prepared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with capped_disk(prepared, extra_pages=0):
        code = main(_record(prepared))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert len(err) == 1 and "the disk is full" in err[0] and "Traceback" not in err[0]
    store = Store.open(prepared)
    try:
        assert store.list_sessions() == []
    finally:
        store.close()


def _session_with_samples(data_dir: Path) -> int:
    store = Store.open(data_dir)
    try:
        me = store.default_athlete()
        sid = store.create_session(me.id, sport="run", source="simulator", started_ms=1_000)
        from device.simulator import SimulatedStrap

        samples = list(SimulatedStrap(seed=1, start_ms=1_000, realtime=False).generate(3000))
        store.insert_samples(sid, samples)
        store.finish_session(sid, samples[-1].t_ms)
        return sid
    finally:
        store.close()


def test_interior_page_corruption_is_exit_3_with_one_line(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = _session_with_samples(data_dir)
    db = data_dir / "pulsedeck.db"
    with sqlite3.connect(db) as conn:  # fold the WAL in, so the pages live in the main file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'samples'").fetchone()
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    with db.open("r+b") as fh:  # scribble over the samples table's pages, not the header
        fh.seek(root[0] * page_size)
        fh.write(b"\xa5" * page_size * 8)
    code = main(["--data-dir", str(data_dir), "export", "session", str(sid), "-o",
                 str(data_dir.parent / "out.csv")])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3, err
    assert len(err) == 1 and "corrupt" in err[0] and "unexpected error" not in err[0]


def test_an_unusable_lock_file_is_exit_3_with_one_line(
    prepared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (prepared / "pulsedeck.lock").mkdir()  # cannot be opened as a file, even by root
    code = main(_record(prepared, seconds=1))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert len(err) == 1 and "cannot open the lock file" in err[0]


def _without_write_permission() -> None:
    """In the child: lose root's power to write where the mode forbids it (CAP_DAC_*)."""
    if os.geteuid() != 0:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for cap in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_a_read_only_data_directory_can_still_be_read(tmp_path: Path) -> None:
    """A coach's USB stick: list and show work; writes are exit 3 with one line."""
    data_dir = tmp_path / "stick"
    sid = _session_with_samples(data_dir)
    before = sorted(p.name for p in data_dir.iterdir())
    for path in data_dir.iterdir():
        path.chmod(0o444)
    data_dir.chmod(0o555)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PULSEDECK_HOME": str(data_dir)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), *args],
            capture_output=True, text=True, env=env, timeout=120,
            preexec_fn=_without_write_permission,
        )  # fmt: skip

    try:
        listed = run("sessions", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [s["id"] for s in json.loads(listed.stdout)] == [sid]
        shown = run("sessions", "show", str(sid), "--json")
        assert shown.returncode == 0 and json.loads(shown.stdout)["samples"] == 3000
        for write in (
            ["record", "--simulate", "--duration", "1"],
            ["athlete", "set", "--weight", "70"],
        ):
            refused = run(*write)
            lines = refused.stderr.strip().splitlines()
            assert refused.returncode == 3, (write, refused.stderr)
            assert len(lines) == 1 and "Traceback" not in refused.stderr, refused.stderr
        assert sorted(p.name for p in data_dir.iterdir()) == before  # nothing was written
    finally:
        data_dir.chmod(0o755)
