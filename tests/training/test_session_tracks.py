"""Each session's pieces stored in session_tracks (app.training.track_store): reused instead of
the samples, dropped by every write to the session, recomputed when unreadable (issue 18)."""

from __future__ import annotations

import logging
import sqlite3
from datetime import date

import numpy as np
import pytest

from app.domain.lanes import lane
from app.domain.pieces import Track
from app.services.history import HistoryService
from app.store.db import make_read_only_engine, open_database
from app.store.repo import Store
from app.training import daily, track_store
from app.training.daily import DailyService

from .helpers import athlete, fresh_days, ms, session

JUNE1, JUNE10 = date(2026, 6, 1), date(2026, 6, 10)


def _ten_days(store: Store) -> tuple[int, list[int]]:
    a = athlete(store)
    ids = [
        session(store, a, ms(2026, 6, day, 8), 120, hr=120 + day, speed=2.5) for day in range(1, 11)
    ]
    return a, ids


def _forget_days(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM day_summaries")


def _recompute(store: Store, a: int) -> tuple[DailyService, list[object]]:
    """A new process whose stored days are gone (a profile change): only tracks may help."""
    _forget_days(store)
    svc = DailyService(store)
    return svc, list(svc.days(a, JUNE1, JUNE10))


def _stored(store: Store) -> dict[int, int]:
    with store.engine.connect() as conn:
        return dict(conn.exec_driver_sql("SELECT session_id, rev FROM session_tracks").all())


def test_stored_tracks_are_used_instead_of_the_samples(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, ids = _ten_days(store)
    first = DailyService(store)
    days = first.days(a, JUNE1, JUNE10)
    assert first.computed_tracks == 10 and set(_stored(store)) == set(ids)

    def no_samples(*_args: object) -> None:
        raise AssertionError("the samples were read although the track is stored")

    with monkeypatch.context() as mp:
        mp.setattr(daily, "load_track", no_samples)
        svc, again = _recompute(store, a)
    assert again == days and svc.computed_tracks == 0 and svc.recomputed_days == 10
    assert fresh_days(store, a, JUNE1, JUNE10) == days  # equal to days from the samples


def test_a_sample_edit_recomputes_only_that_sessions_track(store: Store) -> None:
    a, ids = _ten_days(store)
    DailyService(store).days(a, JUNE1, JUNE10)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE samples SET hr = 170 WHERE session_id = ?", (ids[4],))
    svc, days = _recompute(store, a)
    assert svc.computed_tracks == 1
    assert days[4].avg_hr == pytest.approx(170)  # type: ignore[attr-defined]
    assert days == fresh_days(store, a, JUNE1, JUNE10)


def test_a_pause_marker_recomputes_the_track(store: Store) -> None:
    a, ids = _ten_days(store)
    DailyService(store).days(a, JUNE1, JUNE10)
    store.add_marker(ids[0], "pause", ms(2026, 6, 1, 8, 1))
    store.add_marker(ids[0], "resume", ms(2026, 6, 1, 8, 1, 30))
    svc, days = _recompute(store, a)
    assert svc.computed_tracks == 1
    assert days[0].active_s < 100  # type: ignore[attr-defined]
    assert days == fresh_days(store, a, JUNE1, JUNE10)


def test_a_sport_change_recomputes_the_track(store: Store) -> None:
    a, ids = _ten_days(store)
    DailyService(store).days(a, JUNE1, JUNE10)
    HistoryService(store).change_sport(ids[2], "ride")
    svc, days = _recompute(store, a)
    assert svc.computed_tracks == 1
    assert days == fresh_days(store, a, JUNE1, JUNE10)


def test_a_new_pieces_version_recomputes_every_track(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = _ten_days(store)
    days = DailyService(store).days(a, JUNE1, JUNE10)
    monkeypatch.setattr(track_store, "PIECES_VERSION", track_store.PIECES_VERSION + 1)
    svc, again = _recompute(store, a)
    assert svc.computed_tracks == 10 and again == days
    svc, _ = _recompute(store, a)
    assert svc.computed_tracks == 0  # stored again under the new version


def test_a_stored_track_is_deleted_with_its_session(store: Store) -> None:
    a, ids = _ten_days(store)
    DailyService(store).days(a, JUNE1, JUNE10)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sessions WHERE id = ?", (ids[3],))
    assert set(_stored(store)) == set(ids) - {ids[3]}


def test_a_corrupt_blob_is_recomputed_and_counted(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    a, ids = _ten_days(store)
    days = DailyService(store).days(a, JUNE1, JUNE10)
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE session_tracks SET pieces = substr(pieces, 1, 40) WHERE session_id = ?",
            (ids[1],),
        )
        conn.exec_driver_sql(
            "UPDATE session_tracks SET pieces = x'00' WHERE session_id = ?", (ids[2],)
        )
    with caplog.at_level(logging.WARNING, logger="app.training.track_store"):
        svc, again = _recompute(store, a)
    assert again == days
    assert svc.corrupt_tracks == 2 and svc.computed_tracks == 2
    assert sum("unreadable" in r.message for r in caplog.records) == 2
    svc, _ = _recompute(store, a)
    assert svc.corrupt_tracks == 0 and svc.computed_tracks == 0  # written again, readable


def test_a_database_that_cannot_be_written_still_gives_the_days(store: Store) -> None:
    a, _ = _ten_days(store)
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER no_tracks BEFORE INSERT ON session_tracks "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    svc = DailyService(store)
    assert svc.days(a, JUNE1, JUNE10) == fresh_days(store, a, JUNE1, JUNE10)
    assert _stored(store) == {}


def test_a_read_only_database_gives_the_days_from_stored_tracks_and_samples(
    store: Store,
) -> None:
    a, ids = _ten_days(store)
    days = DailyService(store).days(a, JUNE1, JUNE10)
    _forget_days(store)
    with store.engine.begin() as conn:  # one track missing: read from the samples
        conn.exec_driver_sql("DELETE FROM session_tracks WHERE session_id = ?", (ids[0],))
    assert store.path is not None
    reader = Store(make_read_only_engine(store.path), store.path)
    try:
        svc = DailyService(reader)
        assert svc.days(a, JUNE1, JUNE10) == days
        assert svc.computed_tracks == 1
    finally:
        reader.engine.dispose()


def test_a_recording_sessions_track_is_not_stored(store: Store) -> None:
    a = athlete(store)
    done = session(store, a, ms(2026, 6, 1, 8), 60)
    session(store, a, ms(2026, 6, 2, 8), 60, finish=False)
    DailyService(store).days(a, JUNE1, date(2026, 6, 2))
    assert set(_stored(store)) == {done}


def test_encode_decode_round_trip_is_exact() -> None:
    t0 = 1_780_000_000_000
    lanes = (
        lane([t0 - 5000, t0 + 1000], [t0, t0 + 3000], [131.0, 0.1 + 0.2]),
        lane([], [], []),
        lane([t0], [t0 + 40 * 86_400_000], [1.0]),  # longer than int32 milliseconds
        lane([t0, t0, t0 + 7], [t0 + 1, t0 + 7, t0 + 9], [1 / 3, 2 / 7, 1e-300]),
        lane([t0 + 1], [t0 + 2], [np.nextafter(2.5, 3.0)]),
    )
    for peak in (None, 181.0):
        track = Track(7, "ble", "run", t0, t0 + 5000, lanes, peak)
        got = track_store.decode(track_store.encode(track))
        assert got.peak_hr == peak
        assert all(x.same(y) for x, y in zip(got.pieces, lanes, strict=True))


@pytest.mark.parametrize("blob", [b"", b"\x00" * 40, b"\x01" * 45 + b"not zlib"])
def test_decode_refuses_what_encode_did_not_write(blob: bytes) -> None:
    with pytest.raises(track_store.CorruptTrack):
        track_store.decode(blob)


def test_migration_0005_down_and_up(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from app.store.db import alembic_config

    store = Store.open(tmp_path)
    a, ids = _ten_days(store)
    DailyService(store).days(a, JUNE1, JUNE10)
    store.close()
    engine, path = open_database(tmp_path)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004_temperature")
    engine.dispose()
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "session_tracks" not in tables
        assert conn.execute("SELECT count(*) FROM sessions").fetchone() == (10,)
    store = Store.open(tmp_path)  # migrates to 0005_session_tracks again
    try:
        svc = DailyService(store)
        assert svc.days(a, JUNE1, JUNE10) == fresh_days(store, a, JUNE1, JUNE10)
        assert set(_stored(store)) == set(ids)
    finally:
        store.close()
