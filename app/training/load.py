"""Training load of an athlete: acute:chronic TRIMP from the daily summary, and fitness /
fatigue / form from per-session loads (maths: app.domain.load, app.domain.session_load).

`LoadService` reads one row per session (its stored TRIMP and span), the sets with their
RPE, and the power samples of sessions with power when the athlete has an FTP. Normalized
power is cached per session (keyed by its end and sample count), so after a new session only
that one is read; everything else is one query per table.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.domain.calendar import day_bounds, local_date
from app.domain.load import (
    CHRONIC_DAYS,
    FitnessPoint,
    LoadPoint,
    fitness_series,
    load_series,
    normalized_power,
)
from app.domain.readiness import READINESS_SPORT
from app.domain.session_load import Load, SessionFacts, gym_blocks, one_per_activity, session_load
from app.store import models as m
from app.store.repo import Store

from .daily import DailyService, load_context

_SESSIONS_SQL = (
    "SELECT s.id, s.source, s.started_ms, coalesce(s.ended_ms, s.started_ms), s.trimp, "
    "s.avg_power, s.sample_count, s.ended_ms, "
    "(SELECT avg(x.rpe) FROM exercise_sets x WHERE x.session_id = s.id AND x.rpe IS NOT NULL) "
    "FROM sessions s WHERE s.athlete_id = ? AND s.deleted_ms IS NULL AND s.sport != ? "
    "AND s.status != 'recording' AND s.started_ms < ? ORDER BY s.started_ms, s.id"
)
_FREE_SETS_SQL = (
    "SELECT started_ms, ended_ms, rpe FROM exercise_sets WHERE athlete_id = ? "
    "AND session_id IS NULL AND started_ms < ? ORDER BY started_ms, id"
)
_POWER_SQL = (
    "SELECT t_ms, power FROM samples WHERE session_id = ? AND power IS NOT NULL ORDER BY t_ms, id"
)


def athlete_load(daily: DailyService, athlete_id: int, first: date, last: date) -> list[LoadPoint]:
    """Daily TRIMP points for [first, last], reading the 27 days before `first` as history."""
    days = daily.days(athlete_id, first - timedelta(days=CHRONIC_DAYS - 1), last)
    return load_series([(d.day, d.trimp) for d in days], first)


@dataclass(frozen=True, slots=True)
class DayLoad:
    """One local day: its fitness point and how its load was measured."""

    point: FitnessPoint
    methods: tuple[str, ...]


class LoadService:
    """Per-session loads and the CTL/ATL/TSB series of an athlete (one per process)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._np: dict[tuple[int, int | None, int | None], float | None] = {}

    def loads(self, athlete_id: int, until_ms: int) -> list[Load]:
        """Every activity's load that started before `until_ms`, one per activity."""
        ftp = self._ftp(athlete_id)
        with self.store.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                _SESSIONS_SQL, (athlete_id, READINESS_SPORT, until_ms)
            ).all()
            free = conn.exec_driver_sql(_FREE_SETS_SQL, (athlete_id, until_ms)).all()
        found: list[tuple[Load, str]] = []
        spans: list[tuple[int, int]] = []
        for sid, source, start, end, trimp, avg_power, n, ended, rpe in rows:
            np_w = self._normalized(sid, ended, n) if ftp and avg_power is not None else None
            load = session_load(SessionFacts(sid, source, start, end, trimp, np_w, rpe), ftp)
            if load is not None:
                found.append((load, source))
                spans.append((start, end))
        spans.sort()
        outside = [(s, e, r) for s, e, r in free if not _inside(spans, s)]
        found += [(b, "manual") for b in gym_blocks(outside)]
        return one_per_activity(found)

    def fitness(
        self, athlete_id: int, first: date, last: date, loads: Sequence[Load] | None = None
    ) -> list[DayLoad]:
        """CTL/ATL/TSB for each day of [first, last] from all the athlete's history.

        `loads`: `self.loads(athlete_id, end of last)` when the caller already has them.
        """
        tz = load_context(self.store, athlete_id).tz
        _, until = day_bounds(last, tz)
        daily: dict[date, float] = defaultdict(float)
        methods: dict[date, set[str]] = defaultdict(set)
        for load in self.loads(athlete_id, until) if loads is None else loads:
            day = local_date(load.started_ms, tz)
            daily[day] += load.load
            methods[day].add(load.method)
        points = fitness_series(daily, first, last)
        return [DayLoad(p, tuple(sorted(methods.get(p.day, ())))) for p in points]

    def _ftp(self, athlete_id: int) -> float | None:
        with self.store.engine.connect() as conn:
            ftp = conn.exec_driver_sql(
                "SELECT ftp_w FROM athletes WHERE id = ?", (athlete_id,)
            ).scalar()
        return float(ftp) if ftp else None

    def _normalized(self, session_id: int, ended: int | None, n: int | None) -> float | None:
        key = (session_id, ended, n)
        if key not in self._np:
            with self.store.engine.connect() as conn:
                points = [
                    (int(t), float(w))
                    for t, w in conn.exec_driver_sql(_POWER_SQL, (session_id,)).all()
                ]
            self._np[key] = normalized_power(points) if points else None
        return self._np[key]


def _inside(spans: list[tuple[int, int]], t: int) -> bool:
    """Whether `t` falls within one of the (sorted) session spans."""
    i = bisect.bisect_right(spans, (t, 2**62)) - 1
    while i >= 0 and spans[i][0] > t - 48 * 3_600_000:
        if spans[i][0] <= t <= spans[i][1]:
            return True
        i -= 1
    return False


def check_thresholds(ftp_w: float | None, threshold_hr: int | None) -> None:
    """Refuse an implausible FTP or threshold HR (ValueError); None is not checked."""
    if ftp_w is not None and not (math.isfinite(ftp_w) and 30 <= ftp_w <= 2000):
        raise ValueError(f"FTP must be 30-2000 W, got {ftp_w!r}")
    if threshold_hr is not None and not 60 <= threshold_hr <= 230:
        raise ValueError(f"threshold HR must be 60-230 bpm, got {threshold_hr!r}")


def set_thresholds(
    store: Store, athlete_id: int, ftp_w: float | None = None, threshold_hr: int | None = None
) -> dict[str, float | int | None]:
    """Set the athlete's FTP and/or threshold HR (None leaves one as is); returns both."""
    check_thresholds(ftp_w, threshold_hr)
    with store.orm() as s, s.begin():
        a = s.get(m.Athlete, athlete_id)
        if a is None:
            raise LookupError(f"no athlete {athlete_id}")
        if ftp_w is not None:
            a.ftp_w = float(ftp_w)
        if threshold_hr is not None:
            a.threshold_hr = threshold_hr
        return {"ftp_w": a.ftp_w, "threshold_hr": a.threshold_hr}
