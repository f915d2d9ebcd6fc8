"""Training load: acute:chronic from daily Banister TRIMP; fitness, fatigue and form.

acute = mean daily TRIMP over the last 7 days, chronic = mean over the last 28 days (days
without training count as 0), ratio = acute / chronic (None while chronic is 0). A ratio
well above ~1.3 is the usual "ramping up too fast" warning (Gabbett 2016).

Fitness/fatigue/form is Banister's impulse-response model as PMC charts draw it: CTL and ATL
are exponentially weighted daily loads (42 and 7 days), TSB = CTL - ATL. A session's load is
power TSS when it has power and the athlete an FTP, else its HR TRIMP, else Foster's
session-RPE x minutes (see app.training.load for which sessions and sets count).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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


# Fitness, fatigue and form (Banister impulse-response) ----------------------------------

#: Time constants of fitness (chronic training load) and fatigue (acute training load), days.
CTL_DAYS, ATL_DAYS = 42, 7
#: Power is held at most this long between readings (as the session summary holds channels).
POWER_HOLD_S = 5
NP_WINDOW_S = 30


@dataclass(frozen=True, slots=True)
class FitnessPoint:
    """One day's load with fitness (CTL), fatigue (ATL) and form (TSB = CTL - ATL) after it."""

    day: date
    load: float
    ctl: float
    atl: float

    @property
    def tsb(self) -> float:
        return self.ctl - self.atl


def decay(days: int) -> float:
    """The share of the gap to today's load closed per day: 1 - e^(-1/tau) (exact Banister)."""
    return 1.0 - math.exp(-1.0 / days)


def fitness_series(
    daily_load: Mapping[date, float], first: date, last: date, *, since: date | None = None
) -> list[FitnessPoint]:
    """CTL/ATL/TSB for each day of [first, last], starting from zero on `since`.

    `since` defaults to the first day with load; days without load count as 0. Each day:
    x += (load - x) * (1 - e^(-1/tau)) with tau 42 (CTL) and 7 (ATL).
    """
    start = since or min(daily_load, default=first)
    start = min(start, first)
    k_ctl, k_atl = decay(CTL_DAYS), decay(ATL_DAYS)
    ctl = atl = 0.0
    out: list[FitnessPoint] = []
    d = start
    while d <= last:
        load = daily_load.get(d, 0.0)
        ctl += (load - ctl) * k_ctl
        atl += (load - atl) * k_atl
        if d >= first:
            out.append(FitnessPoint(d, load, ctl, atl))
        d += timedelta(days=1)
    return out


def normalized_power(points: Sequence[tuple[int, float]]) -> float | None:
    """Coggan's normalized power: the 4th root of the mean 4th power of 30-s rolling means.

    `points` are (t_ms, watts) in time order; each reading holds until the next for at most
    5 s (a longer gap is left out), on a 1-s grid. Under 30 s of power: the plain mean.
    """
    grid: list[float] = []
    for (t, w), (t_next, _) in zip(points, [*points[1:], (points[-1][0] + 1000, 0.0)], strict=True):
        hold = min(max(round((t_next - t) / 1000), 1), POWER_HOLD_S)
        grid.extend([w] * hold)
    if not grid:
        return None
    if len(grid) < NP_WINDOW_S:
        return sum(grid) / len(grid)
    window = sum(grid[:NP_WINDOW_S])
    fourth = [(window / NP_WINDOW_S) ** 4]
    for i in range(NP_WINDOW_S, len(grid)):
        window += grid[i] - grid[i - NP_WINDOW_S]
        fourth.append((window / NP_WINDOW_S) ** 4)
    return float((sum(fourth) / len(fourth)) ** 0.25)


def power_tss(duration_s: float, np_w: float, ftp_w: float) -> float:
    """Training stress score: hours x IF^2 x 100, IF = NP / FTP (100 = one hour at FTP)."""
    intensity = np_w / ftp_w
    return duration_s / 3600.0 * intensity * intensity * 100.0


def session_rpe_load(rpe: float, minutes: float) -> float:
    """Foster's session-RPE load: RPE (1-10) x minutes, in arbitrary units."""
    return rpe * minutes
