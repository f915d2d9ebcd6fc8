"""One session's samples as per-channel pieces of time, so overlapping sources can be merged.

A piece is `(start_ms, end_ms, value)`. Held channels (heart rate, MET, the "active"
verdict) hold their last reading until the next reading of the same channel, never longer
than the domain's MAX_HOLD_MS (a longer gap is a drop-out). Counters (steps, distance) turn
two consecutive readings into a rate spread evenly over the time between them, so a day
boundary or an overlapping source can take a proportional share. Holding each channel on its
own (rather than until the next sample of any kind) keeps a strap and a foot pod that
interleave their samples from cutting each other's time.

PieceBuilder makes them one sample at a time (the live dashboard); a Track holds them as
numpy lanes (app.domain.lanes, which also makes them from a whole session at once).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .samples import Sample
from .summary import MAX_HOLD_MS, STOPPED_SPEED, Pause

if TYPE_CHECKING:
    from .lanes import Lane, SampleColumns

#: Channel indexes into a track's `pieces`.
HR, MET, ACTIVE, STEPS, DISTANCE = range(5)
CHANNELS: tuple[str, ...] = ("hr", "met", "active", "steps", "distance")
#: Moderate activity starts at 3 MET (ACSM/WHO); below that a MET-only source is not active.
ACTIVE_MET = 3.0

#: A sample as the builder takes it: t_ms, hr, cadence, speed, distance, steps, met.
Row = tuple[int, float | None, float | None, float | None, float | None, float | None, float | None]
Piece = tuple[int, int, float]


def sample_row(s: Sample) -> Row:
    """The builder's row for a domain Sample."""
    return (s.t_ms, s.hr, s.cadence, s.speed, s.distance, s.steps, s.met)


class PieceBuilder:
    """Builds pieces from time-ordered samples; incremental, so live sessions use it too."""

    def __init__(self, *, distance_from_speed: bool = True, switch: bool = True) -> None:
        """`switch`: stop integrating speed at the first odometer reading (live use)."""
        self.pieces: tuple[list[Piece], ...] = ([], [], [], [], [])
        self._from_speed = distance_from_speed
        self._switch = switch
        self._last_t: int | None = None
        self._verdict = 1.0
        self._hr: tuple[int, float] | None = None
        self._met: tuple[int, float] | None = None
        self._speed_hold: tuple[int, float] | None = None
        self._steps: tuple[int, float] | None = None
        self._dist: tuple[int, float] | None = None
        self._recent: dict[str, tuple[int, float]] = {}

    def _held(
        self, channel: int, prev: tuple[int, float] | None, t: int, scale: float = 1.0
    ) -> None:
        if prev is None:
            return
        t0, value = prev
        end = t0 + min(max(0, t - t0), MAX_HOLD_MS)
        if end > t0:
            value *= scale
            out = self.pieces[channel]
            if out and out[-1][1] == t0 and out[-1][2] == value:
                out[-1] = (out[-1][0], end, value)  # steady HR or verdict: one long piece
            else:
                out.append((t0, end, value))

    def _counter(self, channel: int, prev: tuple[int, float] | None, t: int, value: float) -> None:
        if prev is None or value < prev[1]:
            return  # first reading, or the counter was reset: no delta to spread
        t0, v0 = prev
        end = max(t, t0 + 1)
        if value > v0:
            self.pieces[channel].append((t0, end, (value - v0) / (end - t0)))

    def _verdict_at(self, t: int) -> float:
        """Active (1.0) or not (0.0) from the most telling recent channel."""
        speed = self._recent.get("speed")
        if speed is not None and t - speed[0] <= MAX_HOLD_MS:
            return 1.0 if speed[1] >= STOPPED_SPEED else 0.0
        cadence = self._recent.get("cadence")
        if cadence is not None and t - cadence[0] <= MAX_HOLD_MS:
            return 1.0 if cadence[1] > 0 else 0.0
        met = self._recent.get("met")
        if met is not None and t - met[0] <= MAX_HOLD_MS:
            return 1.0 if met[1] >= ACTIVE_MET else 0.0
        return 1.0  # heart rate only (gym, desk): recorded time counts as active, as in summarize

    def add(self, row: Row) -> None:
        """Take the next sample; pieces that it closes are appended to `pieces`."""
        t, hr, cadence, speed, distance, steps, met = row
        if self._last_t is not None:
            self._held(ACTIVE, (self._last_t, self._verdict), t)
        if hr is not None:
            self._held(HR, self._hr, t)
            self._hr = (t, float(hr))
        if met is not None:
            self._held(MET, self._met, t)
            self._met = (t, float(met))
        if distance is not None:
            if self._from_speed and self._switch:  # an odometer beats integrating speed
                self._held(DISTANCE, self._speed_hold, t, 1 / 1000)
                self._from_speed, self._speed_hold = False, None
            if not self._from_speed:
                self._counter(DISTANCE, self._dist, t, float(distance))
            self._dist = (t, float(distance))
        if speed is not None and self._from_speed:
            self._held(DISTANCE, self._speed_hold, t, 1 / 1000)
            self._speed_hold = (t, float(speed))
        if steps is not None:
            self._counter(STEPS, self._steps, t, float(steps))
            self._steps = (t, float(steps))
        for name, value in (("speed", speed), ("cadence", cadence), ("met", met)):
            if value is not None:
                self._recent[name] = (t, float(value))
        self._verdict = self._verdict_at(t)
        self._last_t = t

    def settle(self, now_ms: int) -> None:
        """Emit now the pieces of held readings older than the hold cap: they cannot change.

        The pieces are the same the next reading would close; they only come out sooner, so a
        channel that stopped reporting does not hold back `cut_ms`.
        """
        if self._hr is not None and now_ms - self._hr[0] >= MAX_HOLD_MS:
            self._held(HR, self._hr, now_ms)
            self._hr = None
        if self._met is not None and now_ms - self._met[0] >= MAX_HOLD_MS:
            self._held(MET, self._met, now_ms)
            self._met = None
        if self._speed_hold is not None and now_ms - self._speed_hold[0] >= MAX_HOLD_MS:
            self._held(DISTANCE, self._speed_hold, now_ms, 1 / 1000)
            self._speed_hold = None

    def cut_ms(self) -> int | None:
        """Earliest start of a heart-rate, MET or active piece still to come.

        Those three channels meet in the energy maths (one per instant); before this time
        their pieces are final, so a summary of the time before it never changes.
        """
        pending = [h[0] for h in (self._hr, self._met) if h is not None]
        if self._last_t is not None:
            pending.append(self._last_t)
        return min(pending) if pending else None

    def take_before(self, cut_ms: int) -> tuple[list[Piece], ...]:
        """Remove and return every channel's pieces before `cut_ms`; a piece across it is split."""
        taken: tuple[list[Piece], ...] = ([], [], [], [], [])
        for channel, out in zip(taken, self.pieces, strict=True):
            keep: list[Piece] = []
            for s, e, v in out:
                if e <= cut_ms:
                    channel.append((s, e, v))
                elif s >= cut_ms:
                    keep.append((s, e, v))
                else:
                    channel.append((s, cut_ms, v))
                    keep.append((cut_ms, e, v))
            out[:] = keep
        return taken

    def size(self) -> int:
        """Pieces held over all channels."""
        return sum(len(out) for out in self.pieces)

    def finish(self, ended_ms: int) -> None:
        """Close the held channels at the session's end (each within the hold cap)."""
        if self._last_t is not None:
            self._held(ACTIVE, (self._last_t, self._verdict), ended_ms)
        self._held(HR, self._hr, ended_ms)
        self._held(MET, self._met, ended_ms)
        if self._from_speed:
            self._held(DISTANCE, self._speed_hold, ended_ms, 1 / 1000)
        self._last_t = self._hr = self._met = self._speed_hold = None


@dataclass(frozen=True, slots=True)
class Track:
    """One session ready for merging: its identity, priority and per-channel lanes."""

    session_id: int
    source: str
    sport: str
    started_ms: int
    ended_ms: int
    pieces: tuple[Lane, ...]  # indexed by HR, MET, ACTIVE, STEPS, DISTANCE
    peak_hr: float | None = None  # stored max HR for summary-only tracks


def coalesce(pieces: Sequence[Piece]) -> list[Piece]:
    """Join touching pieces of equal value (a steady verdict or HR becomes one piece)."""
    out: list[Piece] = []
    if not pieces:
        return out
    s0, e0, v0 = pieces[0]
    for s, e, v in pieces[1:]:
        if s == e0 and v == v0:
            e0 = e
        else:
            out.append((s0, e0, v0))
            s0, e0, v0 = s, e, v
    out.append((s0, e0, v0))
    return out


def lanes_of(pieces: Sequence[Sequence[Piece]]) -> tuple[Lane, ...]:
    """PieceBuilder's lists (one per channel) as the lanes a Track holds."""
    from .lanes import lane_of

    return tuple(lane_of(p) for p in pieces)


def track_from_rows(
    session_id: int,
    source: str,
    sport: str,
    started_ms: int,
    ended_ms: int,
    rows: Iterable[Row],
    pauses: Sequence[Pause] = (),
) -> Track:
    """A track from time-ordered sample rows; paused samples are skipped, as in summarize."""
    from .lanes import pieces_from_rows

    lanes = pieces_from_rows(list(rows), ended_ms, pauses)
    return Track(session_id, source, sport, started_ms, ended_ms, lanes)


def track_from_columns(
    session_id: int,
    source: str,
    sport: str,
    started_ms: int,
    ended_ms: int,
    samples: SampleColumns,
    pauses: Sequence[Pause] = (),
) -> Track:
    """The same track as `track_from_rows` from the samples' columns (an import holds them)."""
    return Track(session_id, source, sport, started_ms, ended_ms, samples.pieces(ended_ms, pauses))


def track_from_summary(
    session_id: int,
    source: str,
    sport: str,
    started_ms: int,
    ended_ms: int,
    *,
    avg_hr: float | None,
    max_hr: float | None,
    moving_s: float | None,
    steps: float | None,
    distance_m: float | None,
) -> Track:
    """A track for a session stored without samples: its totals spread evenly over its span."""
    span = max(1, ended_ms - started_ms)
    pieces: tuple[list[Piece], ...] = ([], [], [], [], [])
    active = 1.0 if moving_s is None else min(1.0, max(0.0, moving_s * 1000 / span))
    pieces[ACTIVE].append((started_ms, started_ms + span, active))
    if avg_hr is not None:
        pieces[HR].append((started_ms, started_ms + span, float(avg_hr)))
    if steps:
        pieces[STEPS].append((started_ms, started_ms + span, steps / span))
    if distance_m:
        pieces[DISTANCE].append((started_ms, started_ms + span, distance_m / span))
    return Track(session_id, source, sport, started_ms, ended_ms, lanes_of(pieces), max_hr)
