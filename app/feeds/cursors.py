"""Feed resume points: `feed_cursors` rows and the newest committed samples per remote athlete."""

from __future__ import annotations

import hashlib
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


def save_cursor(store: Store, source: str, cursor: Cursor, ceiling_ms: int) -> None:
    """Upsert one cursor; it only moves forward, except off a stored one after `ceiling_ms`."""
    with store.orm() as s, s.begin():
        row = s.scalar(
            select(m.FeedCursor).where(
                m.FeedCursor.source == source,
                m.FeedCursor.remote_athlete == cursor.remote_athlete,
            )
        )
        if row is None:
            s.add(
                m.FeedCursor(
                    source=source,
                    remote_athlete=cursor.remote_athlete,
                    athlete_id=cursor.athlete_id,
                    last_measured_ms=cursor.last_measured_ms,
                    clock_offset_ms=cursor.clock_offset_ms,
                )
            )
            return
        if row.last_measured_ms > ceiling_ms:  # dated in the future by a bad clock: repair
            row.last_measured_ms = cursor.last_measured_ms
        else:
            row.last_measured_ms = max(row.last_measured_ms, cursor.last_measured_ms)
        if cursor.athlete_id is not None:
            row.athlete_id = cursor.athlete_id
        if cursor.clock_offset_ms is not None:
            row.clock_offset_ms = cursor.clock_offset_ms


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
