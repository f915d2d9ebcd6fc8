"""Morning HRV readings from the store and the readiness series (maths: app.domain.readiness).

One reading per local day, the first that exists of:
  1. a readiness recording (`record --readiness`: 2-5 min at rest, sport "readiness"): RMSSD
     of its RR intervals, resting HR its lowest 60-s mean;
  2. body metrics `rmssd` / `resting_hr` (entered, or `body measure`d), the day's first;
  3. the first READING_MS of the day's first session, when its RR give a reliable RMSSD and
     its mean HR is under the athlete's zone-1 floor (still at rest).
Readings from sessions are cached per session revision (`sessions.rev`, changed by every write
to the session, its samples or RR) in memory and in the table session_readings, so a new
process (the roster, the CLI) does not analyse every session's RR again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.exc import DBAPIError

from app.domain.body import lowest_window_mean
from app.domain.calendar import day_bounds, local_date
from app.domain.hrv_analysis import analyse
from app.domain.readiness import (
    BASELINE_DAYS,
    READINESS_SPORT,
    ReadinessPoint,
    readiness_series,
)
from app.store.repo import Store

from .daily import load_context

log = logging.getLogger(__name__)
#: The first minutes of an ordinary session taken as a morning reading when none exists.
READING_MS = 180_000

_SESSIONS_SQL = (
    "SELECT id, sport, started_ms, rev FROM sessions WHERE athlete_id = ? "
    "AND deleted_ms IS NULL AND status != 'recording' AND started_ms >= ? AND started_ms < ? "
    "ORDER BY started_ms, id"
)
_METRICS_SQL = (
    "SELECT kind, value, measured_ms FROM body_metrics WHERE athlete_id = ? "
    "AND kind IN ('rmssd', 'resting_hr') AND measured_ms >= ? AND measured_ms < ? "
    "ORDER BY measured_ms, id"
)
_STORED_SQL = (
    "SELECT r.session_id, r.whole, r.rev, r.rmssd_ms, r.hr FROM session_readings r "
    "JOIN sessions s ON s.id = r.session_id WHERE s.athlete_id = ? AND s.started_ms >= ? "
    "AND s.started_ms < ?"
)
_SAVE_SQL = (
    "INSERT OR REPLACE INTO session_readings (session_id, whole, rev, rmssd_ms, hr) "
    "VALUES (?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class _Figures:
    """What a session's RR and HR give, before the zone-1 ceiling is applied."""

    rmssd_ms: float | None  # None: no RR, or not reliable
    hr: float | None  # lowest 60-s mean (whole) or mean HR (first minutes)


@dataclass(frozen=True, slots=True)
class Reading:
    """One morning's RMSSD and resting HR and where they came from."""

    rmssd_ms: float | None
    resting_hr: float | None
    source: str  # readiness | metric | session


class ReadinessService:
    """Readiness of an athlete from the store (one per process: caches session readings)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[tuple[int, int, bool], _Figures] = {}
        self._fresh: list[tuple[int, bool, int, _Figures]] = []  # computed, not yet stored

    def readings(self, athlete_id: int, first: date, last: date) -> dict[date, Reading]:
        """The morning reading of each local day in [first, last] that has one."""
        ctx = load_context(self.store, athlete_id)
        lo, _ = day_bounds(first, ctx.tz)
        _, hi = day_bounds(last, ctx.tz)
        with self.store.engine.connect() as conn:
            sessions = conn.exec_driver_sql(_SESSIONS_SQL, (athlete_id, lo, hi)).all()
            metrics = conn.exec_driver_sql(_METRICS_SQL, (athlete_id, lo, hi)).all()
            # Sessions not analysed in this process: perhaps by an earlier one.
            if any(
                (sid, rev, sp == READINESS_SPORT) not in self._cache for sid, sp, _, rev in sessions
            ):
                for sid, whole, rev, rmssd, hr in conn.exec_driver_sql(
                    _STORED_SQL, (athlete_id, lo, hi)
                ).all():
                    self._cache[(sid, rev, bool(whole))] = _Figures(rmssd, hr)
        out: dict[date, Reading] = {}
        for sid, sport, start, rev in sessions:  # 1. readiness recordings
            day = local_date(start, ctx.tz)
            if sport == READINESS_SPORT and day not in out:
                got = self._from_session(sid, rev, whole=True, ceiling=None)
                if got is not None:
                    out[day] = got
        by_day: dict[date, dict[str, float]] = {}
        for kind, value, at in metrics:  # 2. body metrics, the day's first of each kind
            by_day.setdefault(local_date(at, ctx.tz), {}).setdefault(kind, float(value))
        for day, kinds in by_day.items():
            if day not in out:
                out[day] = Reading(kinds.get("rmssd"), kinds.get("resting_hr"), "metric")
        ceiling = ctx.zones.floors_bpm[0] if ctx.zones.floors_bpm else None
        seen: set[date] = set()
        for sid, sport, start, rev in sessions:  # 3. the first minutes of the first one
            day = local_date(start, ctx.tz)
            if sport == READINESS_SPORT or day in seen:
                continue
            seen.add(day)
            if day not in out:
                got = self._from_session(sid, rev, whole=False, ceiling=ceiling)
                if got is not None:
                    out[day] = got
        self._save()
        return out

    def series(self, athlete_id: int, first: date, last: date) -> list[ReadinessPoint]:
        """Readiness for each day of [first, last] (the 60 days before it as baseline)."""
        readings = self.readings(athlete_id, first - timedelta(days=BASELINE_DAYS), last)
        rmssd = {d: r.rmssd_ms for d, r in readings.items() if r.rmssd_ms is not None}
        resting = {d: r.resting_hr for d, r in readings.items() if r.resting_hr is not None}
        return readiness_series(rmssd, resting, first, last)

    def _from_session(
        self, sid: int, rev: int, *, whole: bool, ceiling: float | None
    ) -> Reading | None:
        """The session's morning reading: all of it (a readiness recording) or its start."""
        key = (sid, rev, whole)
        figures = self._cache.get(key)
        if figures is None:
            figures = self._cache[key] = self._analyse(sid, whole)
            self._fresh.append((sid, whole, rev, figures))
        if figures.rmssd_ms is None or figures.hr is None:
            return None
        if whole:
            return Reading(figures.rmssd_ms, figures.hr, "readiness")
        if ceiling is None or figures.hr < ceiling:  # still at rest
            return Reading(figures.rmssd_ms, figures.hr, "session")
        return None

    def _analyse(self, sid: int, whole: bool) -> _Figures:
        """RMSSD (when reliable) and HR from the session's RR and samples."""
        limit = "" if whole else " AND t_ms < (SELECT started_ms FROM sessions WHERE id = ?) + ?"
        args: tuple[int, ...] = (sid,) if whole else (sid, sid, READING_MS)
        with self.store.engine.connect() as conn:
            rr = [
                float(x)
                for (x,) in conn.exec_driver_sql(
                    f"SELECT rr_ms FROM rr_intervals WHERE session_id = ?{limit} ORDER BY t_ms, id",
                    args,
                ).all()
            ]
            hr = [
                (int(t), float(h))
                for t, h in conn.exec_driver_sql(
                    "SELECT t_ms, hr FROM samples WHERE session_id = ? AND hr IS NOT NULL"
                    f"{limit} ORDER BY t_ms, id",
                    args,
                ).all()
            ]
        result = analyse(rr) if rr else None
        if result is None or not result.reliable or result.rmssd_ms is None:
            return _Figures(None, None)
        if whole:
            return _Figures(result.rmssd_ms, lowest_window_mean(hr) or result.mean_hr)
        mean = sum(h for _, h in hr) / len(hr) if hr else result.mean_hr
        return _Figures(result.rmssd_ms, mean)

    def _save(self) -> None:
        """Store new figures; failures are logged and forgotten (it is only a cache)."""
        if not self._fresh:
            return
        rows = [(sid, whole, rev, f.rmssd_ms, f.hr) for sid, whole, rev, f in self._fresh]
        self._fresh = []
        try:
            with self.store.engine.begin() as conn:
                conn.exec_driver_sql(_SAVE_SQL, rows)
        except DBAPIError as exc:  # read-only folder, busy writer, full disk: analyse again
            log.debug("session readings not written: %s", exc)
