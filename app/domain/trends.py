"""Weekly trends from figures that already exist per day: the daily summary, the training load
(CTL/ATL/TSB) and HRV readiness. Nothing is recomputed from samples here.

A week is an ISO week (Monday to Sunday, local days). Sums: sessions, active minutes,
distance, kcal, TRIMP, load and time in each zone. Means over the days that have a value:
ln(RMSSD), resting HR. End-of-week values: CTL, ATL, TSB and the readiness band (the state
the week ends in, as a PMC chart reads).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from .days import DaySummary
from .load import FitnessPoint
from .readiness import ReadinessPoint


@dataclass(frozen=True, slots=True)
class WeekRow:
    """One ISO week's figures (None where no day of the week had the figure)."""

    week_start: date  # Monday
    sessions: int
    active_min: float
    distance_km: float
    kcal: float | None
    trimp: float
    zone_min: tuple[float, float, float, float, float]
    load: float | None
    ctl: float | None
    atl: float | None
    tsb: float | None
    ln_rmssd: float | None
    band_low: float | None
    band_high: float | None
    resting_hr: float | None

    @property
    def week(self) -> str:
        """ISO week label, e.g. 2026-W07."""
        y, w, _ = self.week_start.isocalendar()
        return f"{y}-W{w:02d}"


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def weekly(
    days: Iterable[DaySummary],
    fitness: Mapping[date, FitnessPoint] | None = None,
    readiness: Mapping[date, ReadinessPoint] | None = None,
) -> list[WeekRow]:
    """One row per ISO week touched by `days` (time order); fitness/readiness keyed by day."""
    by_week: dict[date, list[DaySummary]] = {}
    for d in days:
        by_week.setdefault(monday(d.day), []).append(d)
    fitness = fitness or {}
    readiness = readiness or {}
    out = []
    for start in sorted(by_week):
        group = sorted(by_week[start], key=lambda d: d.day)
        week_days = [start + timedelta(days=i) for i in range(7)]
        fit = [fitness[d] for d in week_days if d in fitness]
        ready = [readiness[d] for d in week_days if d in readiness]
        kcal = [d.kcal for d in group if d.kcal is not None]
        last_fit = fit[-1] if fit else None
        last_band = next((r for r in reversed(ready) if r.band_low is not None), None)
        out.append(
            WeekRow(
                week_start=start,
                sessions=sum(d.sessions for d in group),
                active_min=math.fsum(d.active_s for d in group) / 60.0,
                distance_km=math.fsum(d.distance_m for d in group) / 1000.0,
                kcal=math.fsum(kcal) if kcal else None,
                trimp=math.fsum(d.trimp for d in group),
                zone_min=tuple(  # type: ignore[arg-type]
                    math.fsum(d.zone_s[z] for d in group) / 60.0 for z in range(5)
                ),
                load=math.fsum(f.load for f in fit) if fit else None,
                ctl=last_fit.ctl if last_fit else None,
                atl=last_fit.atl if last_fit else None,
                tsb=last_fit.tsb if last_fit else None,
                ln_rmssd=_mean([r.ln_rmssd for r in ready if r.ln_rmssd is not None]),
                band_low=last_band.band_low if last_band else None,
                band_high=last_band.band_high if last_band else None,
                resting_hr=_mean([r.resting_hr for r in ready if r.resting_hr is not None]),
            )
        )
    return out
