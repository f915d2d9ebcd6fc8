"""The SQLite store: migrations, schema agreement, refusal of newer schemas, pragmas, recovery."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app.domain.samples import Sample
from app.store.db import DB_FILENAME, head_revision, open_database
from app.store.errors import DatabaseUnavailable, NewerSchemaError
from app.store.models import Base
from app.store.repo import Store


def test_empty_db_upgrades_to_head(data_dir: Path) -> None:
    engine, path = open_database(data_dir)
    with sqlite3.connect(path) as conn:
        (rev,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert rev == head_revision()
    assert set(Base.metadata.tables) <= tables
    engine.dispose()


def test_schema_head_constant_is_alembics_head() -> None:
    from app.store.db import SCHEMA_HEAD

    assert SCHEMA_HEAD == head_revision(), "update SCHEMA_HEAD in app/store/db.py"


def test_models_and_migrations_agree(data_dir: Path) -> None:
    engine, _ = open_database(data_dir)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations disagree; write a revision: {diff}"


def test_pragmas_on_every_connection(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_newer_schema_is_refused_and_file_untouched(data_dir: Path) -> None:
    engine, path = open_database(data_dir)
    engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    before = path.read_bytes()
    with pytest.raises(NewerSchemaError, match="newer Pulsedeck"):
        open_database(data_dir)
    assert path.read_bytes() == before
    assert not list(data_dir.glob("*.bak"))


def test_not_a_database_is_a_clear_error(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / DB_FILENAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseUnavailable, match="not a Pulsedeck database|corrupt"):
        open_database(data_dir)


def test_foreign_keys_cascade_session_delete(store: Store) -> None:
    a = store.ensure_athlete("Ann")
    sid = store.create_session(a.id, sport="run", source="test", started_ms=1_000)
    store.insert_samples(sid, [Sample(t_ms=1_000, hr=100, rr=(600.0, 610.0))])
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sessions WHERE id = ?", (sid,))
        assert conn.exec_driver_sql("SELECT count(*) FROM samples").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM rr_intervals").scalar() == 0


def test_recover_keeps_samples_and_marks_recovered(store: Store) -> None:
    a = store.default_athlete()
    sid = store.create_session(a.id, sport="run", source="test", started_ms=10_000)
    store.insert_samples(sid, [Sample(t_ms=10_000 + i * 1000, hr=100 + i) for i in range(5)])
    assert store.recover_sessions() == [sid]
    info = store.get_session(sid)
    assert info is not None
    assert info.status == "recovered"
    assert info.samples == 5 and info.max_hr == 104
    assert info.ended_ms == 14_000  # the last committed sample
    assert store.recover_sessions() == []  # idempotent


def test_sample_round_trip_keeps_every_channel(store: Store) -> None:
    a = store.default_athlete()
    sid = store.create_session(a.id, sport="ride", source="test", started_ms=1)
    s = Sample(
        t_ms=5,
        hr=90,
        cadence=80.5,
        speed=7.25,
        power=-3,
        distance=12.5,
        lat=48.1,
        lon=11.5,
        altitude=520.0,
        steps=10,
        met=6.5,
        received_ms=9,
        rr=(700.0,),
    )
    store.insert_samples(sid, [s])
    (back,) = store.load_samples(sid)
    assert back == replace(s, rr=())  # RR intervals live in their own table
    assert store.load_rr(sid) == [700.0]


def test_concurrent_first_opens_migrate_once(tmp_path: Path) -> None:
    """Processes racing to create the same database all succeed (migration is locked)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    code = (
        "import sys; from pathlib import Path; from app.store.repo import Store; "
        "Store.open(Path(sys.argv[1])).close()"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path / "shared")],
            cwd=root,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    with sqlite3.connect(tmp_path / "shared" / DB_FILENAME) as conn:
        (rev,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert rev == head_revision()


def test_stored_time_in_zone_follows_the_athletes_zone_model(store: Store) -> None:
    from app.store import models as m
    from app.store.settings import CUSTOM_ZONES

    a = store.ensure_athlete("Me", is_self=True)
    store.update_profile(a.id, resting_hr=60, max_hr=180)

    def record() -> tuple[float | None, ...]:
        sid = store.create_session(a.id, sport="run", source="ble", started_ms=1_000)
        store.insert_samples(sid, [Sample(t_ms=1_000 + i * 1000, hr=135) for i in range(10)])
        summary = store.finish_session(sid, 11_000)
        return summary.zone_s

    assert record() == (0.0, 10.0, 0.0, 0.0, 0.0)  # Karvonen 60/180: 135 bpm is zone 2
    with store.orm() as s, s.begin():
        s.get(m.Athlete, a.id).zone_model = "custom"  # type: ignore[union-attr]
        s.add(m.Setting(key=CUSTOM_ZONES.storage_key(a.id),
                        value=[80, 90, 100, 110, 125]))  # fmt: skip
    assert record() == (0.0, 0.0, 0.0, 0.0, 10.0)  # the athlete's own bounds: zone 5
    with store.orm() as s, s.begin():
        s.get(m.Setting, CUSTOM_ZONES.storage_key(a.id)).value = [5, 4]  # type: ignore[union-attr]
    assert record() == (0.0, 10.0, 0.0, 0.0, 0.0)  # a bad setting falls back, never fails
