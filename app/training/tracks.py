"""A session's track (its pieces) for the day maths: from its samples in the store, or from the
columns an import still holds right after writing them (a lake pull, a file import), so a
session pulled or imported in bulk is never read back just to make its pieces (issue 18).

Both paths make the pieces with the same function (app.domain.lanes.pieces_from_columns) from
the same pauses (`session_pauses`), so a track stored by an import is the one DailyService
would compute from the samples, bit for bit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.domain.pieces import Track, track_from_columns, track_from_rows, track_from_summary
from app.domain.summary import Pause
from app.store import models as m
from app.store.repo import STATUS_RECORDING, Store

if TYPE_CHECKING:
    from app.domain.lanes import SampleColumns

log = logging.getLogger(__name__)

#: A session as the day maths sees it (the columns of SessionMeta).
META_COLUMNS = (
    "id, source, sport, status, started_ms, ended_ms, sample_count, avg_hr, max_hr, "
    "moving_s, steps, distance_m, rev"
)
_META_SQL = f"SELECT {META_COLUMNS} FROM sessions WHERE id = ?"
_SAMPLES_SQL = (
    "SELECT t_ms, hr, cadence, speed, distance, steps, met FROM samples "
    "WHERE session_id = ? ORDER BY t_ms, id"
)


@dataclass(frozen=True, slots=True)
class SessionMeta:
    """One `sessions` row: what a track and the day cache's stamps need."""

    id: int
    source: str
    sport: str
    status: str
    started_ms: int
    ended_ms: int | None
    sample_count: int | None
    avg_hr: float | None
    max_hr: float | None
    moving_s: float | None
    steps: float | None
    distance_m: float | None
    rev: int

    @property
    def stamp(self) -> tuple[int, int]:
        return (self.id, self.rev)

    def touches(self, start: int, end: int) -> bool:
        ended = open_end(self)  # a session still recording may reach up to now
        return self.started_ms < end and (ended > start or self.started_ms >= start)


def is_finished(mt: SessionMeta) -> bool:
    """Samples final while `rev` is unchanged: its track may be stored."""
    return mt.ended_ms is not None and mt.status != STATUS_RECORDING


def open_end(mt: SessionMeta) -> int:
    """The session's end, or far in the future while it records."""
    return mt.ended_ms if mt.ended_ms is not None else 2**62


def load_track(store: Store, meta: SessionMeta, pauses: Sequence[Pause]) -> Track | None:
    """A session's track from its samples, or from its stored totals when it has none."""
    raw = store.engine.raw_connection()  # plain sqlite3 tuples: 5x faster than Row objects
    try:
        cur = raw.cursor()
        rows = cur.execute(_SAMPLES_SQL, (meta.id,)).fetchall()
        cur.close()
    finally:
        raw.close()
    if rows:
        ended = meta.ended_ms if meta.ended_ms is not None else rows[-1][0]
        return track_from_rows(
            meta.id, meta.source, meta.sport, meta.started_ms, ended, rows, pauses
        )
    return _summary_track(meta)


def track_of_columns(
    meta: SessionMeta, samples: SampleColumns, pauses: Sequence[Pause]
) -> Track | None:
    """`load_track` from the samples' columns instead of the store."""
    if len(samples):
        ended = meta.ended_ms if meta.ended_ms is not None else int(samples.t_ms.max())
        return track_from_columns(
            meta.id, meta.source, meta.sport, meta.started_ms, ended, samples, pauses
        )
    return _summary_track(meta)


def _summary_track(meta: SessionMeta) -> Track | None:
    if meta.ended_ms is None:
        return None
    return track_from_summary(
        meta.id,
        meta.source,
        meta.sport,
        meta.started_ms,
        meta.ended_ms,
        avg_hr=meta.avg_hr,
        max_hr=meta.max_hr,
        moving_s=meta.moving_s,
        steps=meta.steps,
        distance_m=meta.distance_m,
    )


def session_pauses(store: Store, ids: Sequence[int]) -> dict[int, list[Pause]]:
    """The sessions' pauses from their pause/resume markers (an open pause runs to the end)."""
    out: dict[int, list[Pause]] = {}
    if not ids:
        return out
    with store.orm() as s:
        rows = s.execute(
            select(m.Marker.session_id, m.Marker.kind, m.Marker.t_ms)
            .where(m.Marker.session_id.in_(ids), m.Marker.kind.in_(("pause", "resume")))
            .order_by(m.Marker.session_id, m.Marker.t_ms, m.Marker.id)
        ).all()
    open_at: dict[int, int] = {}
    for sid, kind, t in rows:
        if kind == "pause" and sid not in open_at:
            open_at[sid] = t
        elif kind == "resume" and sid in open_at:
            out.setdefault(sid, []).append(Pause(open_at.pop(sid), t))
    for sid, t in open_at.items():
        out.setdefault(sid, []).append(Pause(t, None))
    return out


def store_track(store: Store, session_id: int, samples: SampleColumns) -> bool:
    """Store the track of a session whose `samples` (all of them) were just committed.

    Call it after the session's last write: the row is stored for the `rev` read here, and
    any later write to the session makes it invalid (computed from the samples next time).
    False when nothing was stored (no such session, still recording, or a database that
    does not take the row). Raises nothing the store does not: callers keep it best effort.
    """
    from . import track_store  # numpy and zlib: only where tracks are made

    with store.engine.connect() as conn:
        row = conn.exec_driver_sql(_META_SQL, (session_id,)).first()
    if row is None:
        return False
    meta = SessionMeta(*row)
    if not is_finished(meta):
        return False
    track = track_of_columns(meta, samples, session_pauses(store, [meta.id]).get(meta.id, ()))
    if track is None:
        return False
    return track_store.save(store, [(meta.rev, track)])


def keep_track(store: Store, session_id: int, samples: Callable[[], SampleColumns]) -> bool:
    """`store_track` as a bulk import's last step: best effort, never raises.

    `samples` makes the columns (inside the guard: a conversion error is caught too). A
    failure is logged and only means the days read the session's samples once, later.
    """
    try:
        return store_track(store, session_id, samples())
    except Exception:  # a lost shortcut must never lose the imported session
        log.warning("pieces of session %s not stored", session_id, exc_info=True)
        return False
