"""Analysis reads, once for both faces: a session's HRV and power, an athlete's trends.

`pulsedeck hrv|power|trends` and the desktop app's Trends screen and session HRV panel call
these; the maths is app.domain (session_hrv, power, trends, goals, strength) and the daily
figures app.training. One `AnalysisService` per process keeps the training caches warm
(daily summaries, normalized power, readiness readings), so reopening Trends is cheap.

Errors: `SessionNotFound` for an unknown session, `NothingToAnalyse` for a session without
what was asked for (no RR intervals, no power); both are LookupErrors (the CLI's exit 4).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING

from app.domain.calendar import day_bounds, local_date
from app.domain.goals import streak
from app.domain.readiness import READINESS_SPORT
from app.domain.strength import epley
from app.domain.trends import WeekRow, monday, weekly
from app.domain.validation import check_day_range

if TYPE_CHECKING:
    from app.domain.days import DaySummary
    from app.domain.load import FitnessPoint
    from app.domain.power import PowerSummary
    from app.domain.readiness import ReadinessPoint
    from app.domain.session_hrv import HrvReport
    from app.domain.session_load import Load
    from app.store.repo import SessionInfo, Store


class SessionNotFound(LookupError):
    """No session with that id."""


class NothingToAnalyse(LookupError):
    """The session exists but has nothing the analysis needs (no RR, no power)."""


class Period(StrEnum):
    """How the Trends screen groups days."""

    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class SessionHrv:
    session: SessionInfo
    report: HrvReport


@dataclass(frozen=True, slots=True)
class SessionPower:
    session: SessionInfo
    summary: PowerSummary
    ftp_w: float | None


@dataclass(frozen=True, slots=True)
class Bucket:
    """One week (Monday) or month (the 1st): sums of the daily figures and sessions."""

    start: date
    sessions: int
    active_min: float
    distance_km: float
    trimp: float
    load: float
    zone_min: tuple[float, float, float, float, float]
    sport_min: dict[str, float]  # minutes per sport, from the sessions' durations


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """One session in the month grid."""

    session_id: int
    day: date
    sport: str
    title: str | None
    minutes: float
    load: float | None


@dataclass(frozen=True, slots=True)
class Trends:
    """Everything the Trends screen draws for one athlete and range (days are local)."""

    athlete_id: int
    first: date
    last: date
    days: list[DaySummary]
    fitness: list[FitnessPoint]  # one per day: load, CTL, ATL (TSB = CTL - ATL)
    readiness: list[ReadinessPoint]  # one per day: ln(RMSSD), its normal band, resting HR
    weeks: list[WeekRow]
    sessions: list[CalendarEntry]
    weight: list[tuple[date, float]]  # body weight in kg, the day's last weighing
    e1rm: dict[str, list[tuple[date, float]]]  # lift -> best estimated 1RM (Epley) per day
    active_weeks: frozenset[date]  # Mondays of weeks with a session (all history)
    streak_targets: tuple[float, ...]  # the athlete's active streak goals, in weeks

    @property
    def empty(self) -> bool:
        """Nothing at all in the range: no session, reading, weighing or set."""
        return not (
            self.sessions
            or self.weight
            or self.e1rm
            or any(p.ln_rmssd is not None or p.resting_hr is not None for p in self.readiness)
        )

    def buckets(self, period: Period) -> list[Bucket]:
        """The days and sessions summed per week or month (every bucket of the range)."""
        key = monday if period is Period.WEEK else (lambda d: d.replace(day=1))
        starts: list[date] = []
        d = key(self.first)
        while d <= self.last:
            starts.append(d)
            d = d + timedelta(days=7) if period is Period.WEEK else _next_month(d)
        acc: dict[date, dict[str, float]] = {s: defaultdict(float) for s in starts}
        zones: dict[date, list[float]] = {s: [0.0] * 5 for s in starts}
        sports: dict[date, dict[str, float]] = {s: defaultdict(float) for s in starts}
        for day in self.days:
            a = acc[key(day.day)]
            a["sessions"] += day.sessions
            a["active_min"] += day.active_s / 60.0
            a["distance_km"] += day.distance_m / 1000.0
            a["trimp"] += day.trimp
            z = zones[key(day.day)]
            for i in range(5):
                z[i] += day.zone_s[i] / 60.0
        for f in self.fitness:
            acc[key(f.day)]["load"] += f.load
        for s in self.sessions:
            sports[key(s.day)][s.sport] += s.minutes
        return [
            Bucket(
                start=s,
                sessions=int(acc[s]["sessions"]),
                active_min=acc[s]["active_min"],
                distance_km=acc[s]["distance_km"],
                trimp=acc[s]["trimp"],
                load=acc[s]["load"],
                zone_min=(zones[s][0], zones[s][1], zones[s][2], zones[s][3], zones[s][4]),
                sport_min=dict(sports[s]),
            )
            for s in starts
        ]

    def streaks(self) -> list[tuple[date, int]]:
        """Per week of the range: the streak (weeks in a row with a session) at its end."""
        out = []
        week = monday(self.first)
        while week <= self.last:
            length, _ = streak(self.active_weeks, week)
            out.append((week, length if week in self.active_weeks else 0))
            week += timedelta(days=7)
        return out


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


class AnalysisService:
    """Session HRV and power, athlete trends; one per process (the caches stay warm)."""

    def __init__(self, store: Store) -> None:
        from app.training.daily import DailyService
        from app.training.load import LoadService
        from app.training.readiness import ReadinessService

        self.store = store
        self.daily = DailyService(store)
        self.load = LoadService(store)
        self.readiness = ReadinessService(store)

    # Sessions ----------------------------------------------------------------------------

    def session(self, session_id: int) -> SessionInfo:
        info = self.store.get_session(session_id)
        if info is None:
            raise SessionNotFound(f"no session {session_id}")
        return info

    def hrv(self, session_id: int) -> SessionHrv:
        """The session's HRV report (tachogram, time/frequency/Poincaré, α1 windows)."""
        from app.domain.session_hrv import hrv_report

        info = self.session(session_id)
        rr = self.store.load_rr(info.id)
        if not rr:
            raise NothingToAnalyse(
                f"session {info.id} has no RR intervals (record with a strap that sends them)"
            )
        samples = self.store.load_samples(info.id)
        first_hr = next((s.t_ms for s in samples if s.hr is not None), info.started_ms)
        power = [(s.t_ms, float(s.power)) for s in samples if s.power is not None]
        return SessionHrv(info, hrv_report(rr, first_hr, power))

    def power_points(self, session_id: int) -> list[tuple[int, float]]:
        """(t_ms, watts) of the session's power readings, in time order."""
        return [
            (s.t_ms, float(s.power))
            for s in self.store.load_samples(session_id)
            if s.power is not None
        ]

    def ftp(self, athlete_id: int) -> float | None:
        """The athlete's FTP (W), if set."""
        with self.store.engine.connect() as conn:
            ftp = conn.exec_driver_sql(
                "SELECT ftp_w FROM athletes WHERE id = ?", (athlete_id,)
            ).scalar()
        return float(ftp) if ftp else None

    def power(
        self,
        session_id: int,
        ftp_w: float | None = None,
        cp_w: float | None = None,
        w_prime_j: float | None = None,
    ) -> SessionPower:
        """NP, IF, TSS, VI, the mean-maximal curve and W′ balance (FTP: the athlete's)."""
        from app.domain.power import summarize_power

        info = self.session(session_id)
        points = self.power_points(info.id)
        if not points:
            raise NothingToAnalyse(f"session {info.id} has no power readings")
        ftp = ftp_w or self.ftp(info.athlete_id)
        duration = (info.ended_ms - info.started_ms) / 1000.0 if info.ended_ms else None
        summary = summarize_power(points, ftp, cp_w, w_prime_j, duration_s=duration)
        assert summary is not None  # points is not empty
        return SessionPower(info, summary, ftp)

    # Trends ------------------------------------------------------------------------------

    def today(self, athlete_id: int) -> date:
        from app.store.repo import now_ms
        from app.training.daily import load_context

        return local_date(now_ms(), load_context(self.store, athlete_id).tz)

    def weekly(self, athlete_id: int, first: date, last: date) -> list[WeekRow]:
        """ISO-week rows from the daily summaries, training load and readiness."""
        days = self.daily.days(athlete_id, first, last)
        fitness = {f.point.day: f.point for f in self.load.fitness(athlete_id, first, last)}
        ready = {p.day: p for p in self.readiness.series(athlete_id, first, last)}
        return weekly(days, fitness, ready)

    def trends(self, athlete_id: int, first: date, last: date) -> Trends:
        """Everything the Trends screen shows for [first, last] (local days)."""
        check_day_range(first, last, "the start", "the end")
        from app.training.daily import load_context

        tz = load_context(self.store, athlete_id).tz
        days = self.daily.days(athlete_id, first, last)
        loads = self.load.loads(athlete_id, day_bounds(last, tz)[1])  # once for both below
        fitness = [f.point for f in self.load.fitness(athlete_id, first, last, loads)]
        ready = self.readiness.series(athlete_id, first, last)
        weeks = weekly(days, {f.day: f for f in fitness}, {p.day: p for p in ready})
        sessions, active = self._sessions(athlete_id, first, last, tz, loads)
        return Trends(
            athlete_id=athlete_id,
            first=first,
            last=last,
            days=days,
            fitness=fitness,
            readiness=ready,
            weeks=weeks,
            sessions=sessions,
            weight=self._weight(athlete_id, first, last, tz),
            e1rm=self._e1rm(athlete_id, first, last, tz),
            active_weeks=frozenset(active),
            streak_targets=self._streak_targets(athlete_id),
        )

    def calendar(self, athlete_id: int, first: date, last: date) -> list[CalendarEntry]:
        """The sessions of [first, last] with sport, minutes and load (the month grid)."""
        from app.training.daily import load_context

        tz = load_context(self.store, athlete_id).tz
        loads = self.load.loads(athlete_id, day_bounds(last, tz)[1])
        return self._sessions(athlete_id, first, last, tz, loads)[0]

    def _sessions(
        self, athlete_id: int, first: date, last: date, tz: tzinfo, all_loads: Sequence[Load]
    ) -> tuple[list[CalendarEntry], set[date]]:
        """Sessions in the range (time order) and the Mondays of every week with one."""
        from app.store.queries import calendar_rows

        loads = {x.session_id: x.load for x in all_loads if x.session_id is not None}
        sessions, active = [], set()
        for sid, sport, status, started_ms, title, duration_s in calendar_rows(
            self.store, athlete_id
        ):
            if sport == READINESS_SPORT or status == "recording":
                continue
            day = local_date(started_ms, tz)
            active.add(monday(day))
            if first <= day <= last:
                minutes = (duration_s or 0.0) / 60.0
                sessions.append(CalendarEntry(sid, day, sport, title, minutes, loads.get(sid)))
        sessions.sort(key=lambda e: (e.day, e.session_id))
        return sessions, active

    def _weight(
        self, athlete_id: int, first: date, last: date, tz: tzinfo
    ) -> list[tuple[date, float]]:
        from app.training.body import metrics

        by_day: dict[date, float] = {}
        for mt in metrics(self.store, athlete_id, "weight_kg"):
            day = local_date(mt.measured_ms, tz)
            if first <= day <= last:
                by_day[day] = mt.value  # oldest first: the day's last weighing stays
        return sorted(by_day.items())

    def _e1rm(
        self, athlete_id: int, first: date, last: date, tz: tzinfo
    ) -> dict[str, list[tuple[date, float]]]:
        from app.training.strength import sets

        best: dict[str, dict[date, float]] = defaultdict(dict)
        for s in sets(self.store, athlete_id):
            day = local_date(s.started_ms, tz)
            if not first <= day <= last or s.weight_kg is None:
                continue
            value = s.e1rm_kg if s.e1rm_kg is not None else epley(s.weight_kg, s.reps)
            if value is None or not math.isfinite(value):
                continue
            per_day = best[s.exercise]
            per_day[day] = max(value, per_day.get(day, 0.0))
        return {name: sorted(v.items()) for name, v in sorted(best.items())}

    def _streak_targets(self, athlete_id: int) -> tuple[float, ...]:
        from app.domain.goals import GoalKind
        from app.training.goals import GoalEngine

        goals = GoalEngine(self.store, self.daily).goals(athlete_id)
        return tuple(g.target for g in goals if g.kind is GoalKind.STREAK)


__all__ = [
    "AnalysisService", "Bucket", "CalendarEntry", "NothingToAnalyse", "Period",
    "SessionHrv", "SessionNotFound", "SessionPower", "Trends",
]  # fmt: skip
