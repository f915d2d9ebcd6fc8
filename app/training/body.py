"""Body metrics (weight, body fat, resting HR, HRV) with 7- and 28-day trends.

A trend point is the mean of one day's measurements; avg7 and avg28 average the daily means
of the trailing 7 and 28 local days that have a measurement (gaps are skipped, not zeroed).
`drift` = avg7 - avg28: a resting HR drifting up is a classic sign of fatigue or illness.
A morning reading measures resting HR as the lowest 60-s mean HR of a quiet recording and
HRV from its RR intervals (see app.domain.hrv_analysis).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from sqlalchemy import select

from app.domain.calendar import local_date
from app.domain.hrv_analysis import HrvResult, analyse
from app.store import models as m
from app.store.repo import Store

from .daily import load_context

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
class Metric:
    id: int
    athlete_id: int
    kind: str
    value: float
    measured_ms: int
    source: str


@dataclass(frozen=True, slots=True)
class TrendPoint:
    day: date
    value: float
    avg7: float
    avg28: float

    @property
    def drift(self) -> float:
        return self.avg7 - self.avg28


def check(kind: str, value: float) -> None:
    if kind not in KINDS:
        raise MetricError(f"unknown body metric {kind!r}; one of {', '.join(KINDS)}")
    low, high = KINDS[kind]
    if not low <= value <= high:
        raise MetricError(f"{kind} {value} is outside the plausible range {low}-{high}")


def add_metric(
    store: Store, athlete_id: int, kind: str, value: float, measured_ms: int, source: str = "manual"
) -> Metric:
    check(kind, value)
    with store.orm() as s, s.begin():
        row = m.BodyMetric(
            athlete_id=athlete_id, kind=kind, value=float(value), measured_ms=measured_ms,
            source=source[:20],
        )
        s.add(row)
        s.flush()
        return Metric(row.id, athlete_id, kind, row.value, measured_ms, row.source)


def metrics(store: Store, athlete_id: int, kind: str | None = None) -> list[Metric]:
    """Measurements oldest first."""
    q = select(m.BodyMetric).where(m.BodyMetric.athlete_id == athlete_id)
    if kind is not None:
        q = q.where(m.BodyMetric.kind == kind)
    with store.orm() as s:
        rows = s.scalars(q.order_by(m.BodyMetric.measured_ms, m.BodyMetric.id))
        return [Metric(r.id, r.athlete_id, r.kind, r.value, r.measured_ms, r.source) for r in rows]


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


def trends(store: Store, athlete_id: int) -> dict[str, list[TrendPoint]]:
    """Trend series per metric kind, in the athlete's time zone."""
    tz = load_context(store, athlete_id).tz
    grouped: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for mt in metrics(store, athlete_id):
        grouped[mt.kind].append((mt.measured_ms, mt.value))
    return {kind: trend(pts, tz) for kind, pts in sorted(grouped.items())}


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


@dataclass(frozen=True, slots=True)
class MorningReading:
    session_id: int
    resting_hr: float | None
    hrv: HrvResult
    stored: tuple[Metric, ...]


def measure_session(store: Store, session_id: int, *, save: bool = True) -> MorningReading:
    """Resting HR and HRV from a quiet recording; stored as body metrics (source "session")."""
    info = store.get_session(session_id)
    if info is None:
        raise LookupError(f"no session {session_id}")
    samples = [(s.t_ms, float(s.hr)) for s in store.load_samples(session_id) if s.hr is not None]
    result = analyse(store.load_rr(session_id))
    resting = lowest_window_mean(samples)
    if resting is None and result.reliable and result.mean_hr is not None:
        resting = result.mean_hr
    at = info.started_ms
    stored: list[Metric] = []
    if save:
        values = {"resting_hr": resting}
        if result.reliable:
            values |= {"rmssd": result.rmssd_ms, "sdnn": result.sdnn_ms}
        for kind, value in values.items():
            if value is not None:
                try:
                    stored.append(add_metric(store, info.athlete_id, kind, value, at, "session"))
                except MetricError:
                    continue  # implausible (e.g. a strap off): not stored, still reported
    return MorningReading(session_id, resting, result, tuple(stored))

