"""Body metrics (weight, body fat, resting HR, HRV) in the store, with their trends.

The maths (plausible ranges, trends, resting HR) is app.domain.body, HRV app.domain.hrv_analysis.
A morning reading takes resting HR and HRV from a quiet recording and stores them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from app.domain.body import KINDS, MetricError, TrendPoint, check, lowest_window_mean, trend
from app.domain.hrv_analysis import HrvResult, analyse
from app.store import models as m
from app.store.repo import Store

from .daily import load_context

# What app.commands.training reads from here; KINDS, MetricError and check are app.domain.body's.
__all__ = ["KINDS", "MetricError", "add_metric", "check", "measure_session", "metrics", "trends"]


@dataclass(frozen=True, slots=True)
class Metric:
    id: int
    athlete_id: int
    kind: str
    value: float
    measured_ms: int
    source: str


def add_metric(
    store: Store, athlete_id: int, kind: str, value: float, measured_ms: int, source: str = "manual"
) -> Metric:
    check(kind, value)
    with store.orm() as s, s.begin():
        row = m.BodyMetric(
            athlete_id=athlete_id,
            kind=kind,
            value=float(value),
            measured_ms=measured_ms,
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


def trends(store: Store, athlete_id: int) -> dict[str, list[TrendPoint]]:
    """Trend series per metric kind, in the athlete's time zone."""
    tz = load_context(store, athlete_id).tz
    grouped: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for mt in metrics(store, athlete_id):
        grouped[mt.kind].append((mt.measured_ms, mt.value))
    return {kind: trend(pts, tz) for kind, pts in sorted(grouped.items())}


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


def edit_metric(
    store: Store,
    athlete_id: int,
    metric_id: int,
    *,
    value: float | None = None,
    measured_ms: int | None = None,
) -> Metric:
    """Correct a measurement's value or time (checked like a new one)."""
    with store.orm() as s, s.begin():
        row = s.get(m.BodyMetric, metric_id)
        if row is None or row.athlete_id != athlete_id:
            raise LookupError(f"no body entry {metric_id}")
        if value is not None:
            check(row.kind, value)
            row.value = float(value)
        if measured_ms is not None:
            row.measured_ms = measured_ms
        return Metric(row.id, athlete_id, row.kind, row.value, row.measured_ms, row.source)


def delete_metric(store: Store, athlete_id: int, metric_id: int) -> None:
    with store.orm() as s, s.begin():
        row = s.get(m.BodyMetric, metric_id)
        if row is None or row.athlete_id != athlete_id:
            raise LookupError(f"no body entry {metric_id}")
        s.delete(row)
