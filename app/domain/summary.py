"""Session summary maths: one pure function used on stop, on crash recovery and on import.

The rules live in `accumulator.SummaryAccumulator`, which the live dashboard drives too, so
the figures shown while recording are the ones saved on stop.
"""

from __future__ import annotations

from collections.abc import Sequence

from .accumulator import MAX_HOLD_MS, STOPPED_SPEED, Pause, SessionSummary, SummaryAccumulator
from .profile import Profile
from .samples import Sample
from .zones import Zones

__all__ = [
    "MAX_HOLD_MS", "STOPPED_SPEED", "Pause", "SessionSummary", "lap_distances", "summarize",
]  # fmt: skip


def summarize(
    samples: Sequence[Sample],
    started_ms: int,
    ended_ms: int,
    profile: Profile,
    sport: str = "other",
    pauses: Sequence[Pause] = (),
    rr_ms: Sequence[float] = (),
    zones: Zones | None = None,
) -> SessionSummary:
    """Summarize time-ordered samples of one session (`zones`: the athlete's; else Karvonen).

    Each channel's value holds until that channel's next reading (at most MAX_HOLD_MS); the
    last one holds until `ended_ms` within the same cap. Paused spans count in duration only.
    Moving time comes from speed if measured, else cadence, else any reading.
    Averages are over unpaused samples; cadence/power averages exclude zeros (coasting).
    """
    acc = SummaryAccumulator(started_ms, profile, sport, zones, pauses)
    for s in samples:
        acc.add(s)
    acc.add_rr(rr_ms)
    return acc.snapshot(ended_ms)


def lap_distances(
    samples: Sequence[Sample], bounds: Sequence[int], pauses: Sequence[Pause] = ()
) -> list[float] | None:
    """Each lap's distance by the summary's own rule, so laps add up to `distance_m`.

    `bounds` are the lap edges (session start, each lap start, session end). The summary is
    read at every edge and the laps are the differences: a distance channel telescopes from
    the last reading before each edge, a speed-only session integrates speed the same way
    (held readings, pauses left out), and the last lap ends on the summary's own figure.
    None when the summary has no distance either (no distance and no speed readings).
    """
    if len(bounds) < 2:
        return None
    acc = SummaryAccumulator(bounds[0], Profile(), pauses=pauses)
    ordered = sorted(samples, key=lambda s: s.t_ms)
    marks: list[float] = []
    i = 0
    for edge in bounds[1:-1]:
        while i < len(ordered) and ordered[i].t_ms < edge:
            acc.add(ordered[i])
            i += 1
        marks.append(acc.snapshot(edge).distance_m or 0.0)
    for s in ordered[i:]:
        acc.add(s)
    total = acc.snapshot(bounds[-1]).distance_m
    if total is None:
        return None
    edges = [0.0, *marks, total]
    return [b - a for a, b in zip(edges, edges[1:], strict=False)]
