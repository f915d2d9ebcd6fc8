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

__all__ = ["MAX_HOLD_MS", "STOPPED_SPEED", "Pause", "SessionSummary", "summarize"]


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
