"""Feed resume points: `feed_cursors` rows and the newest committed samples per remote athlete."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from app.store import models as m
from app.store.repo import Store


@dataclass(frozen=True, slots=True)
class Cursor:
    remote_athlete: str
    athlete_id: int | None
    last_measured_ms: int
    clock_offset_ms: int | None


def load_cursors(store: Store, source: str) -> dict[str, Cursor]:
    """Stored resume points of one feed, per remote athlete."""
    with store.orm() as s:
        rows = s.scalars(select(m.FeedCursor).where(m.FeedCursor.source == source)).all()
        return {
            r.remote_athlete: Cursor(
                r.remote_athlete, r.athlete_id, r.last_measured_ms, r.clock_offset_ms
            )
            for r in rows
        }


def device_prefix(source: str) -> str:
    return f"feed:{hashlib.sha256(source.encode()).hexdigest()[:10]}:"


#: Recent feed sessions per athlete searched for samples newer than the stored cursor.
HEAD_SESSIONS = 3


def committed_heads(store: Store, source: str, ceiling_ms: int) -> dict[str, int]:
    """Newest stored device time per remote athlete of this feed, read from the samples.

    The cursor row is saved about once a second; after a crash the samples may be ahead of
    it. Resuming after max(cursor, head) keeps a killed process from storing anything twice.
    Samples after `ceiling_ms` (future-dated by a bad clock, stored by older versions) are
    ignored so they cannot hide every later sample.
    """
    heads: dict[str, int] = {}
    with store.orm() as s:
        devices = s.execute(
            select(m.Device.id, m.Device.athlete_id, m.Device.info).where(
                m.Device.kind == "feed", m.Device.address.startswith(device_prefix(source))
            )
        ).all()
        for device_id, athlete_id, info in devices:
            remote = (info or {}).get("remote_athlete")
            if not isinstance(remote, str):
                continue
            sessions = s.scalars(
                select(m.Session.id)
                .where(m.Session.athlete_id == athlete_id, m.Session.source == "feed")
                .order_by(m.Session.started_ms.desc(), m.Session.id.desc())
                .limit(HEAD_SESSIONS)
            ).all()
            for session_id in sessions:
                newest = s.execute(
                    select(func.max(m.SampleRow.t_ms)).where(
                        m.SampleRow.session_id == session_id,
                        m.SampleRow.device_id == device_id,
                        m.SampleRow.t_ms <= ceiling_ms,
                    )
                ).scalar()
                if newest is not None and newest > heads.get(remote, 0):
                    heads[remote] = newest
    return heads


#: One upsert per cursor: it only moves forward, except off a stored one after the ceiling
#: (the last parameter), dated in the future by a bad clock; known ids and offsets are kept.
_UPSERT_SQL = (
    "INSERT INTO feed_cursors (source, remote_athlete, athlete_id, last_measured_ms, "
    "clock_offset_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, remote_athlete) DO UPDATE SET "
    "last_measured_ms = CASE WHEN feed_cursors.last_measured_ms > ? "
    "THEN excluded.last_measured_ms "
    "ELSE max(feed_cursors.last_measured_ms, excluded.last_measured_ms) END, "
    "athlete_id = coalesce(excluded.athlete_id, feed_cursors.athlete_id), "
    "clock_offset_ms = coalesce(excluded.clock_offset_ms, feed_cursors.clock_offset_ms)"
)


def save_cursors(store: Store, source: str, cursors: Sequence[Cursor], ceiling_ms: int) -> None:
    """Upsert a feed's cursors in one transaction (a 50-athlete feed saves 50 a second)."""
    if not cursors:
        return
    params = [
        (
            source,
            c.remote_athlete,
            c.athlete_id,
            c.last_measured_ms,
            c.clock_offset_ms,
            ceiling_ms,
        )
        for c in cursors
    ]
    with store.engine.begin() as conn:
        conn.exec_driver_sql(_UPSERT_SQL, params)


def save_cursor(store: Store, source: str, cursor: Cursor, ceiling_ms: int) -> None:
    """Upsert one cursor; it only moves forward, except off a stored one after `ceiling_ms`."""
    save_cursors(store, source, [cursor], ceiling_ms)


def known_remotes(store: Store, source: str) -> set[str]:
    """Remote athletes this feed has already mapped to local ones (its devices and cursors)."""
    with store.orm() as s:
        infos = s.scalars(
            select(m.Device.info).where(
                m.Device.kind == "feed", m.Device.address.startswith(device_prefix(source))
            )
        ).all()
        cursors = s.scalars(
            select(m.FeedCursor.remote_athlete).where(m.FeedCursor.source == source)
        ).all()
    known = {str(r) for r in cursors}
    for info in infos:
        remote = (info or {}).get("remote_athlete")
        if isinstance(remote, str):
            known.add(remote)
    return known
