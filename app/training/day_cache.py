"""Daily summaries kept in the database (table day_summaries), so a new process reuses them.

A row is valid while two things are unchanged: the athlete's context (profile, zones, time
zone and DAY_MATHS, digested) and the stamp of the day, `id:rev` of every session touching it.
`sessions.rev` is changed by triggers on every write to a session, its samples or its pauses
(migration 0003), so an edit, a delete, an import or a lake pull all change the stamp; rows
are never trusted otherwise. Writing the cache is best effort: a read-only or busy database
only means the next process computes the day again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import date

from sqlalchemy.exc import DBAPIError

from app.domain.days import DaySummary
from app.store.repo import Store

log = logging.getLogger(__name__)

#: Bump when the day maths (app.domain.days, pieces, energy, zones) changes its figures: every
#: cached day is then recomputed once.
DAY_MATHS = 1

_LOAD_SQL = (
    "SELECT day, context, stamp, data FROM day_summaries "
    "WHERE athlete_id = ? AND day >= ? AND day <= ?"
)
_SAVE_SQL = (
    "INSERT OR REPLACE INTO day_summaries (athlete_id, day, context, stamp, data) "
    "VALUES (?, ?, ?, ?, ?)"
)


def context_digest(key: tuple[object, ...]) -> str:
    """A short digest of the athlete context (AthleteContext.key) and the maths version."""
    return hashlib.sha256(repr((DAY_MATHS, key)).encode()).hexdigest()[:32]


def stamp_text(stamps: Iterable[tuple[int, int]]) -> str:
    """`id:rev,id:rev` of the sessions touching a day (empty for a day without any)."""
    return ",".join(f"{sid}:{rev}" for sid, rev in stamps)


def encode(s: DaySummary) -> str:
    """The summary as a JSON array in field order (tuples become arrays, the day ISO text)."""
    values = [getattr(s, f.name) for f in fields(DaySummary)]
    values[0] = s.day.isoformat()
    return json.dumps(values, separators=(",", ":"))


def decode(text: str) -> DaySummary:
    """The summary `encode` wrote."""
    (day, start, end, steps, dist, active, avg_hr, max_hr, hr_s, zones, kcal, methods, trimp,
     sessions, ids) = json.loads(text)  # fmt: skip
    z1, z2, z3, z4, z5 = (float(z) for z in zones)
    return DaySummary(
        day=date.fromisoformat(day),
        start_ms=int(start),
        end_ms=int(end),
        steps=int(steps),
        distance_m=float(dist),
        active_s=float(active),
        avg_hr=None if avg_hr is None else float(avg_hr),
        max_hr=None if max_hr is None else int(max_hr),
        hr_s=float(hr_s),
        zone_s=(z1, z2, z3, z4, z5),
        kcal=None if kcal is None else float(kcal),
        kcal_methods=tuple(str(m) for m in methods),
        trimp=float(trimp),
        sessions=int(sessions),
        session_ids=tuple(int(i) for i in ids),
    )


def load(
    store: Store, athlete_id: int, context: str, wanted: dict[date, str]
) -> dict[date, DaySummary]:
    """The stored summaries of the `wanted` days (day -> stamp) whose context and stamp match."""
    if not wanted:
        return {}
    lo, hi = min(wanted).isoformat(), max(wanted).isoformat()
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        rows = cur.execute(_LOAD_SQL, (athlete_id, lo, hi)).fetchall()
        cur.close()
    finally:
        raw.close()
    out: dict[date, DaySummary] = {}
    for day_text, ctx, stamp, data in rows:
        day = date.fromisoformat(day_text)
        if ctx == context and wanted.get(day) == stamp:
            out[day] = decode(data)
    return out


def save(
    store: Store, athlete_id: int, context: str, rows: Sequence[tuple[DaySummary, str]]
) -> None:
    """Store (summary, stamp) pairs; failures are logged and forgotten (it is only a cache)."""
    if not rows:
        return
    values = [(athlete_id, s.day.isoformat(), context, stamp, encode(s)) for s, stamp in rows]
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql(_SAVE_SQL, values)
    except DBAPIError as exc:  # read-only folder, busy writer, full disk: compute next time
        log.debug("day cache not written for athlete %s: %s", athlete_id, exc)
