"""Checks that a session's stored track is the one its samples make (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.store.repo import Store
from app.training import track_store
from app.training.daily import DailyService
from app.training.tracks import META_COLUMNS, SessionMeta, load_track, session_pauses

from .helpers import fresh_days


def _metas(store: Store) -> list[SessionMeta]:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT {META_COLUMNS} FROM sessions ORDER BY id").all()
    return [SessionMeta(*r) for r in rows]


def assert_tracks_as_from_samples(store: Store) -> None:
    """Every session has a valid stored track, equal to the one made from its samples."""
    metas = _metas(store)
    assert metas
    stored, corrupt = track_store.load(store, [mt.stamp for mt in metas])
    assert corrupt == 0 and set(stored) == {mt.id for mt in metas}
    pauses = session_pauses(store, [mt.id for mt in metas])
    for mt in metas:
        want = load_track(store, mt, pauses.get(mt.id, ()))
        assert want is not None
        got = stored[mt.id]
        assert len(got.pieces) == len(want.pieces) == 5
        assert all(g.same(w) for g, w in zip(got.pieces, want.pieces, strict=True)), mt.id
        assert sum(len(g) for g in got.pieces) > 0
        assert got.peak_hr == want.peak_hr


def assert_days_read_no_samples(store: Store) -> None:
    """A new service over each athlete's whole range computes no track from samples."""
    for a in athletes(store):
        with store.engine.connect() as conn:
            lo, hi = conn.exec_driver_sql(
                "SELECT min(started_ms), max(ended_ms) FROM sessions WHERE athlete_id = ?", (a,)
            ).one()
        first = datetime.fromtimestamp(lo / 1000, UTC).date() - timedelta(days=1)
        last = datetime.fromtimestamp(hi / 1000, UTC).date() + timedelta(days=1)
        svc = DailyService(store)
        days = svc.days(a, first, last)
        assert svc.computed_tracks == 0 and svc.corrupt_tracks == 0
        assert sum(d.sessions for d in days) > 0
        assert days == fresh_days(store, a, first, last)  # the same days from the samples


def athletes(store: Store) -> list[int]:
    with store.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT DISTINCT athlete_id FROM sessions")]
