"""Live goal progress during a recording, for the GUI: feed samples, read progress, get events.

    tracker = GoalTracker(engine, athlete_id, session_id=sid, sport="run")
    for sample in recording:                 # on the recorder's loop or any one thread
        for event in tracker.feed(sample):   # Achievement, already stored exactly once
            show_toast(event)
    bars = tracker.progress()                # list[GoalProgress], cheap to poll

Live value = the store's value for the period without this session (computed once, at start)
plus this session's own samples, run through the very same day maths as the stored summary,
so the figure does not jump when the session is saved. The live part does not merge with
other sources recording at the same moment; `GoalEngine.evaluate` after the session does.
Achievements go through `GoalEngine.record`, so the later evaluation does not repeat them.

Memory and time stay flat over a long session: once the piece builder holds COMPACT_AT
pieces, everything before its cut (the time before which no piece can change) is summarised
into per-day totals and dropped, so each check summarises only the last minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, tzinfo

from app.domain.calendar import day_bounds, days_between, local_date, week_start
from app.domain.days import DaySummary, combine, summarize_days
from app.domain.goals import (
    SUMMED,
    Achievement,
    Goal,
    GoalKind,
    GoalProgress,
    day_value,
    period_of,
    streak,
)
from app.domain.pieces import STEPS, Piece, PieceBuilder, Track, lanes_of, sample_row
from app.domain.readiness import READINESS_SPORT
from app.domain.samples import Sample

from .daily import load_context
from .goals import GoalEngine

#: How often (in sample time) `feed` re-evaluates goals; `progress()` is always fresh.
CHECK_EVERY_MS = 5_000
#: Pieces the builder may hold before the settled ones are folded into day totals.
COMPACT_AT = 600


def steps_by_day(pieces: Sequence[Piece], days: Sequence[date], tz: tzinfo) -> dict[date, float]:
    """Unrounded steps per local day of a steps channel (rounding halves would drift)."""
    out: dict[date, float] = {}
    for day in days:
        lo, hi = day_bounds(day, tz)
        out[day] = sum(v * (min(e, hi) - max(s, lo)) for s, e, v in pieces if s < hi and e > lo)
    return out


@dataclass(frozen=True, slots=True)
class _Base:
    goal: Goal
    start: date
    end: date
    value: float | None  # the stored value without this session


class GoalTracker:
    """Progress of an athlete's active goals while one session records."""

    def __init__(
        self,
        engine: GoalEngine,
        athlete_id: int,
        *,
        session_id: int | None = None,
        sport: str = "other",
        started_ms: int | None = None,
        check_every_ms: int = CHECK_EVERY_MS,
    ) -> None:
        self.engine = engine
        self.athlete_id = athlete_id
        self.session_id = session_id
        self.sport = sport
        self._ctx = load_context(engine.store, athlete_id)
        self._started_ms = started_ms
        self._check_every = check_every_ms
        self._builder = PieceBuilder()
        self._compact_at = COMPACT_AT
        self._frozen: dict[date, DaySummary] = {}  # days before the builder's cut
        self._frozen_steps: dict[date, float] = {}
        self._first_ms: int | None = None
        self._last_ms: int | None = None
        self._last_check: int | None = None
        self._today = local_date(started_ms or engine.clock(), self._ctx.tz)
        self._weeks = engine.active_weeks(athlete_id, session_id)
        self._bases = [self._baseline(g) for g in engine.goals(athlete_id)]

    def _baseline(self, goal: Goal) -> _Base:
        start, end = period_of(goal, self._today)
        value: float | None = 0.0
        if goal.kind is not GoalKind.STREAK:
            value = self.engine.value(
                goal, start, end, self._today, exclude_session=self.session_id
            )
        return _Base(goal, start, end, value)

    def feed(self, sample: Sample) -> list[Achievement]:
        """Add one sample; returns goals achieved just now (already stored, exactly once)."""
        if self.sport == READINESS_SPORT:
            return []  # a reading at rest is not activity (as the stored days leave it out)
        self._builder.add(sample_row(sample))
        if self._builder.size() >= self._compact_at:
            self._compact(sample.t_ms)
        if self._first_ms is None:
            self._first_ms = sample.t_ms
        self._last_ms = sample.t_ms
        if self._last_check is not None and sample.t_ms - self._last_check < self._check_every:
            return []
        self._last_check = sample.t_ms
        return self.check()

    def check(self) -> list[Achievement]:
        """Store and return achievements of goals met now; each is returned at most once."""
        events: list[Achievement] = []
        for p, key in self._progress():
            if p.met and p.achieved_ms is None:
                got = self.engine.record(p.goal, key, p.value or 0.0)
                if got is not None:
                    events.append(got)
        return events

    def progress(self) -> list[GoalProgress]:
        """Each active goal's live value over its current period."""
        return [p for p, _ in self._progress()]

    def _track(self, ended_ms: int, pieces: tuple[list[Piece], ...]) -> Track:
        started = self._started_ms or self._first_ms or ended_ms
        lanes = lanes_of(pieces)
        return Track(self.session_id or -1, "ble", self.sport, started, ended_ms, lanes)

    def _days(self, first_ms: int, last_ms: int) -> list[date]:
        return days_between(local_date(first_ms, self._ctx.tz), local_date(last_ms, self._ctx.tz))

    def _summaries(self, track: Track, days: list[date]) -> list[DaySummary]:
        return summarize_days([track], days, self._ctx.tz, self._ctx.profile, self._ctx.zones)

    def _compact(self, now_ms: int) -> None:
        """Fold the settled part of the session into per-day totals (see the module notes)."""
        self._builder.settle(now_ms)
        cut = self._builder.cut_ms()
        pieces = self._builder.take_before(cut) if cut is not None else None
        self._compact_at = self._builder.size() + COMPACT_AT
        if cut is None or pieces is None or not any(pieces):
            return  # nothing settled yet
        first = min(ch[0][0] for ch in pieces if ch)
        days = self._days(first, cut - 1)
        for d in self._summaries(self._track(cut, pieces), days):
            d = replace(d, sessions=0)  # the session is counted once, by the live part
            old = self._frozen.get(d.day)
            self._frozen[d.day] = d if old is None else combine(old, d)
        for day, n in steps_by_day(pieces[STEPS], days, self._ctx.tz).items():
            self._frozen_steps[day] = self._frozen_steps.get(day, 0.0) + n

    def _live_days(self) -> dict[date, DaySummary]:
        if self._first_ms is None or self._last_ms is None:
            return {}
        pieces = tuple(list(ch) for ch in self._builder.pieces)
        # From the session's first day on, so the session is counted on the day it began.
        first = min([ch[0][0] for ch in pieces if ch] + [self._first_ms])
        out = dict(self._frozen)
        days = self._days(first, self._last_ms)
        live = self._summaries(self._track(self._last_ms, pieces), days)
        steps = steps_by_day(pieces[STEPS], days, self._ctx.tz)
        for d in live:
            old = out.get(d.day)
            out[d.day] = d if old is None else combine(old, d)
        for day, d in out.items():
            exact = self._frozen_steps.get(day, 0.0) + steps.get(day, 0.0)
            out[day] = replace(d, steps=round(exact))
        return out

    def _progress(self) -> list[tuple[GoalProgress, date]]:
        live = self._live_days()
        this_week = week_start(self._today)
        out: list[tuple[GoalProgress, date]] = []
        for base in self._bases:
            goal, value, key = base.goal, base.value, base.start
            if goal.kind in SUMMED:
                value = (value or 0.0) + sum(
                    day_value(goal.kind, d, goal.zone)
                    for day, d in live.items()
                    if base.start <= day <= base.end
                )
            elif goal.kind is GoalKind.STREAK:
                weeks = self._weeks | {this_week} if live else self._weeks
                length, run = streak(weeks, this_week)
                value, key = float(length), run or base.start
            elif goal.kind in (GoalKind.WEIGHT, GoalKind.REPS):
                value = self.engine.value(goal, base.start, base.end, self._today)
                if goal.kind is GoalKind.WEIGHT:
                    key = self.engine.period_key(goal, base.start, self._today)
            fraction, met = self.engine.assess(goal, value)
            progress = GoalProgress(
                goal,
                base.start,
                base.end,
                value,
                fraction,
                met,
                self.engine.achieved_ms(goal.id, key),
            )
            out.append((progress, key))
        return out
