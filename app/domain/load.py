"""Training load: acute:chronic from daily Banister TRIMP.

acute = mean daily TRIMP over the last 7 days, chronic = mean over the last 28 days (days
without training count as 0), ratio = acute / chronic (None while chronic is 0). A ratio
well above ~1.3 is the usual "ramping up too fast" warning (Gabbett 2016).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

ACUTE_DAYS, CHRONIC_DAYS = 7, 28


@dataclass(frozen=True, slots=True)
class LoadPoint:
    """One day's TRIMP with the acute and chronic means ending that day."""

    day: date
    trimp: float
    acute: float
    chronic: float

    @property
    def ratio(self) -> float | None:
        """acute / chronic; None before any chronic load (no ratio to warn about)."""
        return self.acute / self.chronic if self.chronic > 0 else None


def load_series(daily_trimp: Sequence[tuple[date, float]], first: date) -> list[LoadPoint]:
    """Load points from `first` on; `daily_trimp` must cover the 27 days before `first` too.

    Days missing from `daily_trimp` count as rest (0).
    """
    by_day = dict(daily_trimp)
    if not by_day:
        return []
    last = max(by_day)
    out = []
    d = first
    while d <= last:
        acute = sum(by_day.get(d - timedelta(days=i), 0.0) for i in range(ACUTE_DAYS))
        chronic = sum(by_day.get(d - timedelta(days=i), 0.0) for i in range(CHRONIC_DAYS))
        out.append(LoadPoint(d, by_day.get(d, 0.0), acute / ACUTE_DAYS, chronic / CHRONIC_DAYS))
        d += timedelta(days=1)
    return out
