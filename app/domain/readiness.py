"""HRV readiness: the 7-day mean of ln(RMSSD) against the athlete's 60-day normal band.

Per day (after Plews et al. 2012 and the usual "normal range" of HRV apps):
  mean7      mean of ln(RMSSD) over the days with a reading in the last 7 (at least 3)
  band       mean +/- 1 SD (sample) of ln(RMSSD) over the days with a reading in the last 60
             (at least 14)
  flag       "low" when mean7 is under the band (fatigue, illness, stress), "high" when over
             it (can be parasympathetic saturation in heavy training); None inside it
  resting HR mean over the last 7 days with a reading minus the mean over the last 60: a
             resting HR drifting up goes with a low HRV
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

#: The sport of a morning reading (`record --readiness`): rest, not training or activity.
READINESS_SPORT = "readiness"
SHORT_DAYS, BASELINE_DAYS = 7, 60
MIN_SHORT, MIN_BASELINE = 3, 14


@dataclass(frozen=True, slots=True)
class ReadinessPoint:
    """One day's readiness figures (None where there are too few readings)."""

    day: date
    rmssd_ms: float | None  # that morning's reading
    ln_rmssd: float | None
    mean7: float | None
    band_low: float | None
    band_high: float | None
    flag: str | None  # "low" | "high" | None
    resting_hr: float | None
    resting_hr_7: float | None
    resting_hr_60: float | None

    @property
    def resting_hr_delta(self) -> float | None:
        if self.resting_hr_7 is None or self.resting_hr_60 is None:
            return None
        return self.resting_hr_7 - self.resting_hr_60


class _Days:
    """A map of daily values laid out by day, so a window is one slice (not 60 lookups)."""

    def __init__(self, values: Mapping[date, float], first: date, last: date) -> None:
        self.origin = first.toordinal() - BASELINE_DAYS
        self.values: list[float | None] = [None] * (last.toordinal() - self.origin + 1)
        for d, v in values.items():
            i = d.toordinal() - self.origin
            if 0 <= i < len(self.values):
                self.values[i] = v

    def window(self, day: date, days: int) -> list[float]:
        """The values of `day` and the days-1 days before it that have one."""
        i = day.toordinal() - self.origin
        return [v for v in self.values[i - days + 1 : i + 1] if v is not None]


def readiness_series(
    rmssd_by_day: Mapping[date, float],
    resting_by_day: Mapping[date, float],
    first: date,
    last: date,
) -> list[ReadinessPoint]:
    """Readiness for each day of [first, last]; the maps hold one morning value per day."""
    ln = {d: math.log(v) for d, v in rmssd_by_day.items() if v > 0}
    ln_days, rest_days = _Days(ln, first, last), _Days(resting_by_day, first, last)
    out: list[ReadinessPoint] = []
    d = first
    while d <= last:  # sums with fsum: exact, so the order in a window does not matter
        short = ln_days.window(d, SHORT_DAYS)
        base = ln_days.window(d, BASELINE_DAYS)
        mean7 = math.fsum(short) / len(short) if len(short) >= MIN_SHORT else None
        low = high = None
        if len(base) >= MIN_BASELINE:  # sample SD in floats (statistics.stdev is exact, slow)
            mu = math.fsum(base) / len(base)
            sd = math.sqrt(math.fsum((x - mu) ** 2 for x in base) / (len(base) - 1))
            low, high = mu - sd, mu + sd
        flag = None
        if mean7 is not None and low is not None and high is not None:
            flag = "low" if mean7 < low else "high" if mean7 > high else None
        r7 = rest_days.window(d, SHORT_DAYS)
        r60 = rest_days.window(d, BASELINE_DAYS)
        out.append(
            ReadinessPoint(
                d,
                rmssd_by_day.get(d),
                ln.get(d),
                mean7,
                low,
                high,
                flag,
                resting_by_day.get(d),
                math.fsum(r7) / len(r7) if r7 else None,
                math.fsum(r60) / len(r60) if r60 else None,
            )
        )
        d += timedelta(days=1)
    return out
