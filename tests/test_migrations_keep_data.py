"""Migrations keep every row: a wave-1 database upgraded to head (and back) loses nothing.

Batch mode rebuilds a table by copying it, dropping the original and renaming the copy. With
foreign keys on, that DROP cascade-deleted the children: upgrading a wave-1 database emptied
goal_achievements (0002 rebuilds `goals`), and a downgrade through 0002 deleted every session,
sample and goal (it rebuilds `athletes`). The rows here are one of each kind a user has.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command

from app.store.db import SCHEMA_HEAD, alembic_config, current_revision, make_engine
from app.store.repo import Store

FIRST = "0001"
ROWS = [
    "INSERT INTO athletes (id, name, is_self, read_only, units, zone_model, created_ms) "
    "VALUES (1, 'me', 1, 0, 'metric', 'karvonen', 0)",
    "INSERT INTO devices (id, athlete_id, address, kind, paired) "
    "VALUES (1, 1, 'C4:7C:8D:6A:1B:22', 'hr', 1)",
    "INSERT INTO sessions (id, uid, athlete_id, sport, source, status, started_ms, ended_ms) "
    "VALUES (1, 'u-1', 1, 'run', 'ble', 'finished', 0, 60000)",
    "INSERT INTO samples (session_id, device_id, t_ms, hr) "
    "VALUES (1, 1, 0, 120), (1, 1, 1000, 121)",
    "INSERT INTO rr_intervals (session_id, t_ms, rr_ms) VALUES (1, 0, 500.0)",
    "INSERT INTO markers (session_id, kind, t_ms) VALUES (1, 'lap', 30000)",
    "INSERT INTO goals (id, athlete_id, kind, period, target, active, created_ms) "
    "VALUES (1, 1, 'steps', 'daily', 9000, 1, 0)",
    "INSERT INTO goal_achievements (goal_id, period_start, value, achieved_ms, notified) "
    "VALUES (1, '2026-01-02', 9500, 1, 1)",
    "INSERT INTO exercises (id, athlete_id, name, kind) VALUES (1, 1, 'Zottman Curl', 'strength')",
    "INSERT INTO exercise_sets (id, athlete_id, session_id, exercise_id, exercise_name, "
    "started_ms, is_pr) VALUES (1, 1, 1, 1, 'Zottman Curl', 1000, 1)",
    "INSERT INTO personal_records (athlete_id, set_id, exercise_id, kind, value, achieved_ms) "
    "VALUES (1, 1, 1, 'e1rm', 40.0, 1000)",
    "INSERT INTO body_metrics (athlete_id, kind, value, measured_ms, source) "
    "VALUES (1, 'weight', 80.0, 0, 'manual')",
]
TABLES = ("athletes", "devices", "sessions", "samples", "rr_intervals", "markers", "goals",
          "goal_achievements", "exercises", "exercise_sets", "personal_records",
          "body_metrics")  # fmt: skip


def _migrate(path: Path, target: str, *, down: bool = False) -> None:
    engine = make_engine(path)
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, target)
    finally:
        engine.dispose()


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.fixture
def wave1(tmp_path: Path) -> Path:
    """A database at the first schema with one row of each kind."""
    path = tmp_path / "pulsedeck.db"
    _migrate(path, FIRST)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys=ON")
        for sql in ROWS:
            conn.execute(sql)
    return path


def test_opening_a_wave1_database_keeps_every_row(wave1: Path) -> None:
    before = _counts(wave1)
    assert all(before.values()), before
    store = Store.open(wave1.parent)  # the app's own path: backup, then migrate to head
    try:
        assert current_revision(store.engine) == SCHEMA_HEAD
        assert _counts(wave1) == before
    finally:
        store.close()


def test_downgrading_to_the_first_schema_keeps_every_row(wave1: Path) -> None:
    before = _counts(wave1)
    _migrate(wave1, "head")
    _migrate(wave1, FIRST, down=True)
    assert _counts(wave1) == before


def test_connections_after_a_migration_enforce_foreign_keys(wave1: Path) -> None:
    """The migration runs with foreign keys off; the store's connections have them back on."""
    store = Store.open(wave1.parent)
    try:
        with store.engine.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            conn.exec_driver_sql("DELETE FROM sessions WHERE id = 1")
        counts = _counts(wave1)
        assert counts["samples"] == counts["rr_intervals"] == counts["markers"] == 0
    finally:
        store.close()
