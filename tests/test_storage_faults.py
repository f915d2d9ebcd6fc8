"""Storage faults while recording (issue 16): a full disk stops cleanly with exit 3.

The full disk is SQLite's own: `PRAGMA max_page_count` caps the database file, and SQLite
then fails writes with SQLITE_FULL exactly as on a full filesystem ("database or disk is
full"). Unlike a small tmpfs this needs no root, so it runs everywhere.
"""

from __future__ import annotations

import sqlite3
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
