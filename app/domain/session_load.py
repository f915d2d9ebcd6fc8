"""Which load each session carries, one per activity, and strength work logged without a strap.

A session's load, in order of preference (the first it has):
  power_tss     power TSS, when the session has power and the athlete an FTP
  hr_trimp      the session's Banister TRIMP (heart rate)
  session_rpe   Foster's RPE x minutes, the RPE being the mean of the sets logged in it
Two sessions overlapping by at least half of the shorter are one activity (as in the daily
summary): it counts once, with the better method, then the better source, then the older.
Sets logged outside any session with a load ("gym blocks": sets less than GYM_GAP_MS apart)
count as session_rpe over the block's span, when they carry an RPE.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .days import SOURCE_PRIORITY
from .load import power_tss, session_rpe_load

METHODS = ("power_tss", "hr_trimp", "session_rpe")
#: Sets further apart than this are separate workouts.
GYM_GAP_MS = 30 * 60_000
#: No activity lasts longer than this (bounds the search for overlaps).
MAX_SPAN_MS = 48 * 3_600_000
#: A set logged without an end counts this long.
SET_MS = 60_000


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What the load of one stored session is computed from."""

    id: int
    source: str
    started_ms: int
    ended_ms: int
    trimp: float | None
    np_w: float | None  # normalized power, when the session has power
    set_rpe: float | None  # mean RPE of the sets logged in it


@dataclass(frozen=True, slots=True)
class Load:
    """One activity's load: a session's, or a gym block's (session_id None)."""

    session_id: int | None
    started_ms: int
    ended_ms: int
    load: float
    method: str


def session_load(f: SessionFacts, ftp_w: float | None) -> Load | None:
    """The session's load by the first method it has data for; None without any."""
    duration_s = max(0.0, (f.ended_ms - f.started_ms) / 1000.0)
    if f.np_w is not None and ftp_w:
        value, method = power_tss(duration_s, f.np_w, ftp_w), "power_tss"
    elif f.trimp:
        value, method = f.trimp, "hr_trimp"
    elif f.set_rpe is not None:
        value, method = session_rpe_load(f.set_rpe, duration_s / 60.0), "session_rpe"
    else:
        return None
    return Load(f.id, f.started_ms, f.ended_ms, value, method)


def _rank(load: Load, source: str) -> tuple[int, int, int]:
    return (-METHODS.index(load.method), SOURCE_PRIORITY.get(source, 0), -(load.session_id or 0))


def one_per_activity(loads: Sequence[tuple[Load, str]]) -> list[Load]:
    """Loads with overlapping duplicates (overlap >= half the shorter) reduced to the best."""
    ordered = sorted(loads, key=lambda x: (x[0].started_ms, x[0].session_id or 0))
    kept: list[tuple[Load, str]] = []
    for load, source in ordered:
        dup = None
        for i in range(len(kept) - 1, -1, -1):
            other = kept[i][0]
            if other.started_ms < load.started_ms - MAX_SPAN_MS:
                break  # sorted by start: nothing earlier can overlap
            overlap = min(other.ended_ms, load.ended_ms) - max(other.started_ms, load.started_ms)
            shorter = min(other.ended_ms - other.started_ms, load.ended_ms - load.started_ms)
            if overlap > 0 and overlap * 2 >= shorter:
                dup = i
                break
        if dup is None:
            kept.append((load, source))
        elif _rank(load, source) > _rank(*kept[dup]):
            kept[dup] = (load, source)
    return [load for load, _ in kept]


def gym_blocks(sets: Sequence[tuple[int, int | None, float | None]]) -> list[Load]:
    """Session-RPE loads of sets (start, end, RPE) grouped into workouts; time-ordered input.

    A block spans its first start to its last end (a set without an end lasts SET_MS); its
    RPE is the mean of its sets' RPEs; a block without any RPE carries no load.
    """
    out: list[Load] = []
    block: list[tuple[int, int, float | None]] = []

    def close() -> None:
        rpes = [r for _, _, r in block if r is not None]
        if block and rpes:
            start, end = block[0][0], max(e for _, e, _ in block)
            minutes = max(end - start, SET_MS) / 60_000
            rpe = statistics.fmean(rpes)
            out.append(Load(None, start, end, session_rpe_load(rpe, minutes), "session_rpe"))

    for start, end, rpe in sets:
        stop = end if end is not None and end > start else start + SET_MS
        if block and start - max(e for _, e, _ in block) > GYM_GAP_MS:
            close()
            block = []
        block.append((start, stop, rpe))
    close()
    return out
