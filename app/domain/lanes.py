"""Pieces as numpy arrays: the batch maths of the daily summaries over whole sessions.

A Lane is one channel of one track: sorted, disjoint, non-empty spans [start, end) with a
value each (see app.domain.pieces for what the channels mean). The full recompute of an
athlete's days turns millions of samples into pieces and days; done one Python tuple at a
time it cost about eight times reading the samples (issue 18), so the batch paths here work
on whole arrays. The live dashboard keeps building lists with PieceBuilder (one sample at a
time) and converts them with `lane_of`. Imported lazily: a headless `record` needs no numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .pieces import ACTIVE_MET
from .samples import Sample
from .summary import MAX_HOLD_MS, STOPPED_SPEED, Pause

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

_FAR = np.int64(2**62)  # beyond any time in ms


@dataclass(frozen=True, slots=True, eq=False)
class Lane:
    """One channel's pieces: `starts[i]`..`ends[i]` (ms) held `values[i]`, sorted, disjoint."""

    starts: I64
    ends: I64
    values: F64

    def __len__(self) -> int:
        return len(self.starts)

    def pieces(self) -> list[tuple[int, int, float]]:
        """The pieces as `(start_ms, end_ms, value)` tuples (tests, the live tracker)."""
        return list(
            zip(self.starts.tolist(), self.ends.tolist(), self.values.tolist(), strict=True)
        )

    def same(self, other: Lane) -> bool:
        """Equal spans and values, bit for bit."""
        return (
            np.array_equal(self.starts, other.starts)
            and np.array_equal(self.ends, other.ends)
            and np.array_equal(self.values, other.values)
        )


def lane(starts: object, ends: object, values: object) -> Lane:
    """A Lane from anything numpy turns into arrays (copied into the canonical dtypes)."""
    return Lane(
        np.asarray(starts, dtype=np.int64),
        np.asarray(ends, dtype=np.int64),
        np.asarray(values, dtype=np.float64),
    )


EMPTY = lane([], [], [])


def lane_of(pieces: Sequence[tuple[int, int, float]]) -> Lane:
    """A Lane from a list of piece tuples (PieceBuilder's output)."""
    if not pieces:
        return EMPTY
    s, e, v = zip(*pieces, strict=True)
    return lane(s, e, v)


def coalesce(x: Lane) -> Lane:
    """Join touching pieces of equal value (a steady verdict or HR becomes one piece)."""
    if len(x) < 2:
        return x
    joins = (x.starts[1:] == x.ends[:-1]) & (x.values[1:] == x.values[:-1])
    if not joins.any():
        return x
    first = np.flatnonzero(np.concatenate(([True], ~joins)))
    last = np.concatenate((first[1:] - 1, [len(x) - 1]))
    return Lane(x.starts[first], x.ends[last], x.values[first])


def held(ts: I64, vs: F64, ended_ms: int, scale: float = 1.0) -> Lane:
    """Each reading held until the channel's next one (at most MAX_HOLD_MS), as PieceBuilder."""
    if not len(ts):
        return EMPTY
    nxt = np.append(ts[1:], np.int64(ended_ms))
    gap = nxt - ts
    keep = gap > 0
    ends = ts + np.minimum(gap, MAX_HOLD_MS)
    values = vs * scale if scale != 1.0 else vs
    return Lane(ts[keep], ends[keep], values[keep])


def counter(ts: I64, vs: F64) -> Lane:
    """Each rise of a counter spread evenly from one reading to the next (a reset adds none)."""
    if len(ts) < 2:
        return EMPTY
    rise = vs[1:] - vs[:-1]
    t0 = ts[:-1]
    ends = np.where(ts[1:] > t0, ts[1:], t0 + 1)
    keep = rise > 0
    t0, ends = t0[keep], ends[keep]
    return Lane(t0, ends, rise[keep] / (ends - t0).astype(np.float64))


def _last_seen(valid: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
    """For each row, the index of the latest row up to it where `valid` (-1 when none)."""
    idx = np.where(valid, np.arange(len(valid)), -1)
    return np.maximum.accumulate(idx) if len(idx) else idx


def verdicts(ts: I64, cadence: F64, speed: F64, met: F64) -> F64:
    """The active verdict (1.0 or 0.0) at each row, as PieceBuilder._verdict_at decides it."""
    out = np.ones(len(ts))
    decided = np.zeros(len(ts), dtype=bool)
    for col, kind in ((speed, "speed"), (cadence, "cadence"), (met, "met")):
        valid = ~np.isnan(col)
        if not valid.any():
            continue
        last = _last_seen(valid)
        seen = last >= 0
        at = np.where(seen, last, 0)
        fresh = seen & (ts - ts[at] <= MAX_HOLD_MS) & ~decided
        v = col[at[fresh]]
        if kind == "speed":
            active = v >= STOPPED_SPEED
        elif kind == "cadence":
            active = v > 0
        else:
            active = v >= ACTIVE_MET
        out[fresh] = np.where(active, 1.0, 0.0)
        decided |= fresh
    return out


def pieces_from_columns(
    ts: I64,
    hr: F64,
    cadence: F64,
    speed: F64,
    distance: F64,
    steps: F64,
    met: F64,
    ended_ms: int,
    pauses: Sequence[Pause] = (),
) -> tuple[Lane, ...]:
    """All channels' lanes (hr, met, active, steps, distance) of time-ordered columns.

    NaN means "not measured". Same pieces as feeding PieceBuilder(distance_from_speed=<fewer
    than 2 odometer readings>) and coalescing its held channels. Samples inside a pause are
    left out, as in summarize.
    """
    if pauses:
        out = np.zeros(len(ts), dtype=bool)
        for p in pauses:
            out |= (ts >= p.start_ms) & (ts < (_FAR if p.end_ms is None else p.end_ms))
        if out.any():
            keep = ~out
            ts, hr, cadence, speed = ts[keep], hr[keep], cadence[keep], speed[keep]
            distance, steps, met = distance[keep], steps[keep], met[keep]
    if not len(ts):
        return (EMPTY,) * 5

    def col(values: F64) -> tuple[I64, F64]:
        has = ~np.isnan(values)
        return (ts, values) if has.all() else (ts[has], values[has])

    hr_lane = coalesce(held(*col(hr), ended_ms))
    met_lane = coalesce(held(*col(met), ended_ms))
    active = coalesce(held(ts, verdicts(ts, cadence, speed, met), ended_ms))
    dts, dvs = col(distance)
    if len(dts) >= 2:
        dist = counter(dts, dvs)
    else:
        dist = coalesce(held(*col(speed), ended_ms, 1 / 1000))
    # Counters rarely repeat a rate exactly: joining them would cost more than it saves.
    return (hr_lane, met_lane, active, counter(*col(steps)), dist)


def pieces_from_rows(
    rows: Sequence[Sequence[float | None]], ended_ms: int, pauses: Sequence[Pause] = ()
) -> tuple[Lane, ...]:
    """Lanes from time-ordered sample rows `(t_ms, hr, cadence, speed, distance, steps, met)`."""
    if not rows:
        return (EMPTY,) * 5
    table = np.array(rows, dtype=np.float64)  # None becomes NaN
    ts = table[:, 0].astype(np.int64)
    hr, cad, speed, dist, steps, met = (np.ascontiguousarray(table[:, i]) for i in range(1, 7))
    return pieces_from_columns(ts, hr, cad, speed, dist, steps, met, ended_ms, pauses)


@dataclass(frozen=True, slots=True, eq=False)
class SampleColumns:
    """A session's samples as columns, in the order they were written; NaN: not measured.

    What an import still holds after writing the samples, so their pieces need no read back.
    """

    t_ms: I64
    hr: F64
    cadence: F64
    speed: F64
    distance: F64
    steps: F64
    met: F64

    def __len__(self) -> int:
        return len(self.t_ms)

    def pieces(self, ended_ms: int, pauses: Sequence[Pause] = ()) -> tuple[Lane, ...]:
        """The lanes of these samples in time order (ties in written order, as the store reads
        them back: ORDER BY t_ms, id)."""
        ts: I64 = self.t_ms
        cols: list[F64] = [self.hr, self.cadence, self.speed, self.distance, self.steps, self.met]
        if len(ts) > 1 and (ts[1:] < ts[:-1]).any():
            order = np.argsort(ts, kind="stable")
            ts, cols = ts[order], [c[order] for c in cols]
        hr, cad, speed, dist, steps, met = cols
        return pieces_from_columns(ts, hr, cad, speed, dist, steps, met, ended_ms, pauses)


def columns_of(samples: Sequence[Sample]) -> SampleColumns:
    """Domain samples (an import's, in written order) as the columns the pieces are made of."""

    def col(values: Sequence[float | None]) -> F64:
        return np.array(values, dtype=np.float64)  # None becomes NaN

    return SampleColumns(
        np.array([s.t_ms for s in samples], dtype=np.int64),
        col([s.hr for s in samples]),
        col([s.cadence for s in samples]),
        col([s.speed for s in samples]),
        col([s.distance for s in samples]),
        col([s.steps for s in samples]),
        col([s.met for s in samples]),
    )
