"""Body-metric maths: plausible ranges, 7- and 28-day trends, resting HR from a recording.

A trend point is the mean of one day's measurements; avg7 and avg28 average the daily means
of the trailing 7 and 28 local days that have a measurement (gaps are skipped, not zeroed).
`drift` = avg7 - avg28: a resting HR drifting up is a classic sign of fatigue or illness.
Resting HR from a quiet recording is its lowest 60-s mean HR.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from .calendar import local_date

#: Accepted kinds and their plausible ranges (outside is a typo, refused with a message).
KINDS: dict[str, tuple[float, float]] = {
    "weight_kg": (20.0, 400.0),
    "body_fat_pct": (2.0, 75.0),
    "resting_hr": (25.0, 120.0),
    "rmssd": (1.0, 300.0),
    "sdnn": (1.0, 400.0),
}
RESTING_WINDOW_MS = 60_000


class MetricError(ValueError):
    """An unknown kind or an implausible value."""


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One measured day: its mean and the trailing 7- and 28-day averages."""

    day: date
    value: float
    avg7: float
    avg28: float

    @property
    def drift(self) -> float:
        """avg7 - avg28: a resting HR drifting up hints at fatigue or illness."""
        return self.avg7 - self.avg28


def check(kind: str, value: float) -> None:
    """Refuse an unknown kind or an implausible value (a typo) before it is stored."""
    if kind not in KINDS:
        raise MetricError(f"unknown body metric {kind!r}; one of {', '.join(KINDS)}")
    low, high = KINDS[kind]
    if not low <= value <= high:
        raise MetricError(f"{kind} {value} is outside the plausible range {low}-{high}")


def trend(points: Sequence[tuple[int, float]], tz: tzinfo) -> list[TrendPoint]:
    """Daily means with trailing 7- and 28-day averages, one point per measured day."""
    by_day: dict[date, list[float]] = defaultdict(list)
    for ms, value in points:
        by_day[local_date(ms, tz)].append(value)
    days = sorted(by_day)
    means = {d: statistics.fmean(by_day[d]) for d in days}
    out = []
    for d in days:
        w7 = [means[x] for x in days if d - timedelta(days=6) <= x <= d]
        w28 = [means[x] for x in days if d - timedelta(days=27) <= x <= d]
        out.append(TrendPoint(d, means[d], statistics.fmean(w7), statistics.fmean(w28)))
    return out


def lowest_window_mean(
    points: Sequence[tuple[int, float]], window_ms: int = RESTING_WINDOW_MS
) -> float | None:
    """Lowest mean HR over any window of `window_ms` fully covered by samples (time-ordered)."""
    best: float | None = None
    j, total = 0, 0.0
    for i in range(len(points)):
        while j < len(points) and points[j][0] < points[i][0] + window_ms:
            total += points[j][1]
            j += 1
        # points[i:j] lie in [t_i, t_i + window); count it when it spans >= 90 % of the window
        if points[j - 1][0] - points[i][0] >= window_ms * 0.9:
            mean = total / (j - i)
            best = mean if best is None or mean < best else best
        total -= points[i][1]
    return best
