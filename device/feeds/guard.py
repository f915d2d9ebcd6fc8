"""Per-athlete ordering: dedupe by (source, athlete, measured_at), monotonic and plausible time."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from app.domain.samples import MAX_CLOCK_AHEAD_MS  # one rule for feeds and recovery

#: Remembered timestamps per athlete: a replay or resent batch within this many recent samples
#: is recognised as a duplicate rather than an out-of-order sample.
RECENT = 4096


class Verdict(Enum):
    ACCEPT = "accept"
    DUPLICATE = "duplicate"  # measured_at already accepted: dropped silently (counted)
    NON_MONOTONIC = "non-monotonic"  # older than the cursor and never seen: rejected
    CLOCK_AHEAD = "clock-ahead"  # later than its arrival + MAX_CLOCK_AHEAD_MS: rejected


@dataclass
class _Track:
    cursor: int
    #: At or below this we have no memory (stored cursor, evicted history): assume delivered.
    floor: int
    recent: deque[int] = field(default_factory=lambda: deque(maxlen=RECENT))
    seen: set[int] = field(default_factory=set)


class SequenceGuard:
    """Accepts each athlete's samples only in strictly increasing `measured_at` order."""

    def __init__(
        self, cursors: Mapping[str, int] | None = None, max_ahead_ms: int = MAX_CLOCK_AHEAD_MS
    ) -> None:
        self.max_ahead_ms = max_ahead_ms
        self._tracks: dict[str, _Track] = {}
        for athlete, cursor in (cursors or {}).items():
            self._tracks[athlete] = _Track(cursor, cursor)

    def check(self, athlete: str, t_ms: int, arrival_ms: int | None = None) -> Verdict:
        """Classify one sample and, if accepted, advance the athlete's cursor to it.

        With `arrival_ms`, a sample dated beyond arrival + max_ahead_ms is refused, so one bad
        device clock never moves the cursor into the future (hiding every later sample).
        """
        if arrival_ms is not None and t_ms > arrival_ms + self.max_ahead_ms:
            return Verdict.CLOCK_AHEAD
        track = self._tracks.get(athlete)
        if track is None:
            track = self._tracks[athlete] = _Track(t_ms, -1)  # no history yet
        elif t_ms <= track.cursor:
            if t_ms <= track.floor or t_ms in track.seen:
                return Verdict.DUPLICATE
            return Verdict.NON_MONOTONIC
        track.cursor = t_ms
        if len(track.recent) == track.recent.maxlen:
            evicted = track.recent[0]
            track.seen.discard(evicted)
            track.floor = max(track.floor, evicted)
        track.recent.append(t_ms)
        track.seen.add(t_ms)
        return Verdict.ACCEPT

    def cursors(self) -> dict[str, int]:
        """Last accepted measured_at per athlete: what to resume after."""
        return {athlete: track.cursor for athlete, track in self._tracks.items()}
