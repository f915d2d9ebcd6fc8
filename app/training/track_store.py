"""Each session's pieces kept in the database (table session_tracks), so the days of a session
are computed from its few thousand pieces instead of every sample (issue 18).

A row is valid while the session's `rev` (changed by every write to the session, its samples
or its pauses; migration 0003) and PIECES_VERSION are those it was made with. The pieces never
depend on the athlete's profile, zones or time zone, so a change of those, or of the day
rules, recomputes the days from these rows. Like the day cache, writing is best effort: a
read-only or busy database only means the next process reads the samples again, and a row
that does not decode is counted, logged and computed again.

Blob: a fixed header (base time, integer width, stored peak HR, pieces per channel), then
zlib of, per channel, start deltas from the previous start (the first from the base),
durations (int32 when they fit, else int64) and values as float64, so values round-trip
exactly.
"""

from __future__ import annotations

import logging
import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.exc import DBAPIError

from app.domain.lanes import Lane
from app.domain.pieces import Track
from app.store.repo import Store

log = logging.getLogger(__name__)

#: Bump when the piece rules (app.domain.pieces, app.domain.lanes) or this layout change:
#: every stored track is then computed again from its samples, once.
PIECES_VERSION = 1

_HEADER = struct.Struct("<qBd5I")  # base_ms, int width, peak HR (NaN: none), counts
_CHANNELS = 5
_INT32 = np.iinfo(np.int32)
#: Sessions per query (SQLite's bound-parameter limit is 999 in old builds).
_CHUNK = 500
_SAVE_SQL = (
    "INSERT OR REPLACE INTO session_tracks (session_id, rev, version, pieces) VALUES (?, ?, ?, ?)"
)


class CorruptTrack(ValueError):
    """A stored blob that does not decode (truncated, bit rot, another layout)."""


@dataclass(frozen=True, slots=True)
class StoredTrack:
    """What a session_tracks row gives back: the lanes and the stored peak HR."""

    pieces: tuple[Lane, ...]
    peak_hr: float | None


def encode(track: Track) -> bytes:
    """The track's lanes and peak HR as a blob (see the module notes)."""
    base = track.started_ms
    ints = []
    for lane in track.pieces:
        prev = np.concatenate(([base], lane.starts[:-1])) if len(lane) else lane.starts
        ints.append((lane.starts - prev, lane.ends - lane.starts))
    small = all(
        not len(a) or (a.min() >= _INT32.min and a.max() <= _INT32.max)
        for pair in ints
        for a in pair
    )
    dtype = np.int32 if small else np.int64
    body = b"".join(
        d.astype(dtype).tobytes() + w.astype(dtype).tobytes() + lane.values.tobytes()
        for (d, w), lane in zip(ints, track.pieces, strict=True)
    )
    peak = math.nan if track.peak_hr is None else float(track.peak_hr)
    counts = [len(lane) for lane in track.pieces]
    header = _HEADER.pack(base, np.dtype(dtype).itemsize, peak, *counts)
    return header + zlib.compress(body, 6)


def decode(blob: bytes) -> StoredTrack:
    """The lanes `encode` wrote; CorruptTrack when the blob is not one of its blobs."""
    try:
        base, width, peak, *counts = _HEADER.unpack_from(blob)
        body = zlib.decompress(blob[_HEADER.size :])
    except (struct.error, zlib.error) as exc:
        raise CorruptTrack(str(exc)) from exc
    if width not in (4, 8) or len(body) != sum(counts) * (2 * width + 8):
        raise CorruptTrack(f"{len(body)} bytes do not hold {counts} pieces of width {width}")
    dtype = np.int32 if width == 4 else np.int64
    lanes = []
    at = 0
    for n in counts:
        deltas = np.frombuffer(body, dtype, n, at).astype(np.int64)
        widths = np.frombuffer(body, dtype, n, at + n * width).astype(np.int64)
        values = np.frombuffer(body, np.float64, n, at + 2 * n * width)
        at += n * (2 * width + 8)
        starts = np.cumsum(deltas) + base
        if n and (widths.min() <= 0 or (n > 1 and deltas[1:].min() < 0)):
            raise CorruptTrack("pieces out of order or empty")
        lanes.append(Lane(starts, starts + widths, values))
    return StoredTrack(tuple(lanes), None if math.isnan(peak) else peak)


def load(store: Store, stamps: Sequence[tuple[int, int]]) -> tuple[dict[int, StoredTrack], int]:
    """The stored tracks of the sessions `(id, rev)` made at that rev and PIECES_VERSION.

    Returns them by session id, and how many rows did not decode (they count as missing).
    """
    wanted = dict(stamps)
    found: dict[int, StoredTrack] = {}
    corrupt = 0
    if not wanted:
        return found, corrupt
    ids = list(wanted)
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        rows: list[tuple[int, int, int, bytes]] = []
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows += cur.execute(
                "SELECT session_id, rev, version, pieces FROM session_tracks "
                f"WHERE session_id IN ({marks})",
                chunk,
            ).fetchall()
        cur.close()
    finally:
        raw.close()
    for sid, rev, version, blob in rows:
        if version != PIECES_VERSION or wanted.get(sid) != rev:
            continue
        try:
            found[sid] = decode(bytes(blob))
        except CorruptTrack as exc:
            corrupt += 1
            log.warning("stored track of session %s unreadable, computing it again: %s", sid, exc)
    return found, corrupt


def save(store: Store, tracks: Sequence[tuple[int, Track]]) -> bool:
    """Store `(rev, track)` pairs in one transaction; False (logged) when they were not."""
    if not tracks:
        return True
    rows = [(t.session_id, rev, PIECES_VERSION, encode(t)) for rev, t in tracks]
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql(_SAVE_SQL, rows)
    except DBAPIError as exc:  # read-only folder, busy writer, full disk: compute next time
        log.debug("session tracks not written: %s", exc)
        return False
    return True
