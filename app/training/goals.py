"""Goals: targets per period, live and stored progress, and "achieved" exactly once.

Exactly once: an achievement is an INSERT ... ON CONFLICT DO NOTHING on the unique key
(goal_id, period_start) of `goal_achievements`; only the caller whose insert created the row
gets the event, so neither a second process nor a restart notifies twice. `notified` marks
events the UI has shown, so one lost to a crash before display is shown after restart.

Goal values, units and the pure maths (periods, streaks, weight progress) are app.domain.goals;
the names that callers import from here are re-exported (`__all__`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, tzinfo

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session as OrmSession

from app.domain.calendar import day_bounds, days_between, local_date, week_start
from app.domain.days import DaySummary
from app.domain.goals import (
    SUMMED,
    Achievement,
    Goal,
    GoalKind,
    GoalProgress,
    Period,
    day_value,
    period_of,
    previous_period,
    streak,
    target_fraction,
    weight_fraction,
    weight_met,
    weight_runs,
)
from app.domain.readiness import READINESS_SPORT
from app.store import models as m
from app.store.repo import Store, now_ms

from .daily import DailyService, load_context

# Re-exported for app.ui.goal_progress and app.commands.training, which import them from here.
__all__ = ["Achievement", "GoalEngine", "GoalError", "GoalKind", "GoalProgress", "Period"]


class GoalError(ValueError):
    """A goal that cannot be created as asked; the message says why."""


# The engine ------------------------------------------------------------------------------


def _goal(row: m.Goal, exercise: str | None = None) -> Goal:
    return Goal(
        id=row.id,
        athlete_id=row.athlete_id,
        kind=GoalKind(row.kind),
        period=Period(row.period),
        target=row.target,
        zone=row.zone,
        start_date=date.fromisoformat(row.start_date) if row.start_date else None,
        end_date=date.fromisoformat(row.end_date) if row.end_date else None,
        active=row.active,
        created_ms=row.created_ms,
        exercise_id=row.exercise_id,
        exercise=exercise,
    )


def _exercise_names(s: OrmSession, rows: Sequence[m.Goal]) -> dict[int, str]:
    ids = {r.exercise_id for r in rows if r.exercise_id is not None}
    if not ids:
        return {}
    q = select(m.Exercise.id, m.Exercise.name).where(m.Exercise.id.in_(ids))
    return {int(i): str(n) for i, n in s.execute(q).all()}


class GoalEngine:
    """Goals of every athlete, their progress from the store and their achievements."""

    def __init__(
        self,
        store: Store,
        daily: DailyService | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.store = store
        self.daily = daily or DailyService(store)
        self.clock = clock

    # CRUD --------------------------------------------------------------------------------

    def add(
        self,
        athlete_id: int,
        kind: str,
        period: str,
        target: float,
        *,
        zone: int | None = None,
        start: date | None = None,
        end: date | None = None,
        exercise_id: int | None = None,
    ) -> Goal:
        """Create a goal after checking it makes sense; raises GoalError otherwise."""
        try:
            k, p = GoalKind(kind), Period(period)
        except ValueError as exc:
            raise GoalError(str(exc)) from exc
        if not (math.isfinite(target) and target > 0):
            raise GoalError(f"the target must be a positive number, got {target!r}")
        if k is not GoalKind.REPS:
            exercise_id = None
        if k is GoalKind.ZONE_MIN and zone not in (1, 2, 3, 4, 5):
            raise GoalError("a zone goal needs --zone 1..5")
        if k is not GoalKind.ZONE_MIN:
            zone = None
        if k is GoalKind.STREAK:
            p = Period.WEEKLY  # a streak is counted in weeks by definition
        if p is Period.RANGE:
            if start is None or end is None or end < start:
                raise GoalError("a range goal needs --from and --to with from <= to")
        else:
            start = end = None
        with self.store.orm() as s, s.begin():
            if s.get(m.Athlete, athlete_id) is None:
                raise GoalError(f"no athlete {athlete_id}")
            name = None
            if exercise_id is not None:
                ex = s.get(m.Exercise, exercise_id)
                if ex is None:
                    raise LookupError(f"no exercise {exercise_id}")
                name = ex.name
            row = m.Goal(
                athlete_id=athlete_id,
                kind=k.value,
                period=p.value,
                target=float(target),
                zone=zone,
                start_date=start.isoformat() if start else None,
                end_date=end.isoformat() if end else None,
                active=True,
                created_ms=self.clock(),
                exercise_id=exercise_id,
            )
            s.add(row)
            s.flush()
            return _goal(row, name)

    def remove(self, goal_id: int) -> bool:
        """Retire a goal (kept with its history, no longer tracked); False if unknown."""
        with self.store.orm() as s, s.begin():
            row = s.get(m.Goal, goal_id)
            if row is None:
                return False
            row.active = False
            return True

    def edit(self, goal_id: int, target: float) -> Goal:
        """Change a goal's target; achievements the new target no longer supports go."""
        if not (math.isfinite(target) and target > 0):
            raise GoalError(f"the target must be a positive number, got {target!r}")
        with self.store.orm() as s, s.begin():
            row = s.get(m.Goal, goal_id)
            if row is None:
                raise LookupError(f"no goal {goal_id}")
            row.target = float(target)
            athlete_id = row.athlete_id
        self.withdraw_stale(athlete_id)
        goal = self.get(goal_id)
        assert goal is not None
        return goal

    def get(self, goal_id: int) -> Goal | None:
        with self.store.orm() as s:
            row = s.get(m.Goal, goal_id)
            return (
                None
                if row is None
                else _goal(row, _exercise_names(s, [row]).get(row.exercise_id or -1))
            )

    def created_day(self, goal: Goal) -> date:
        """The athlete's local date when the goal was created: it counts from that day."""
        return local_date(goal.created_ms, self._tz(goal.athlete_id))

    def _tz(self, athlete_id: int) -> tzinfo:
        return load_context(self.store, athlete_id).tz

    def goals(self, athlete_id: int, *, include_inactive: bool = False) -> list[Goal]:
        q = select(m.Goal).where(m.Goal.athlete_id == athlete_id).order_by(m.Goal.id)
        if not include_inactive:
            q = q.where(m.Goal.active)
        with self.store.orm() as s:
            rows = list(s.scalars(q))
            names = _exercise_names(s, rows)
            return [_goal(r, names.get(r.exercise_id or -1)) for r in rows]

    # Progress ----------------------------------------------------------------------------

    def today(self, athlete_id: int) -> date:
        """The athlete's local date now."""
        return local_date(self.clock(), load_context(self.store, athlete_id).tz)

    def value(
        self,
        goal: Goal,
        start: date,
        end: date,
        today: date,
        *,
        exclude_session: int | None = None,
        memo: Mapping[date, DaySummary] | None = None,
    ) -> float | None:
        """The goal's value over [start, end] as stored (days after `today` count as zero).

        `memo` holds days already fetched for several goals at once (see `_memo`).
        """
        if goal.kind in SUMMED or goal.kind is GoalKind.REPS:
            first, last = start, min(end, today)
            if last < first:
                return 0.0
            if goal.kind is GoalKind.REPS:
                return self._reps(goal, first, last)
            if memo is not None and first in memo and last in memo:
                days: Iterable[DaySummary] = (memo[d] for d in days_between(first, last))
            else:
                days = self.daily.days(
                    goal.athlete_id, first, last, exclude_session=exclude_session
                )
            return sum(day_value(goal.kind, d, goal.zone) for d in days)
        if goal.kind is GoalKind.WEIGHT:
            return self._latest_weight(goal, min(end, today))
        length, _ = self._streak(goal.athlete_id, today, exclude_session)
        return float(length)

    def active_weeks(self, athlete_id: int, exclude_session: int | None = None) -> set[date]:
        """Mondays of the local weeks in which the athlete started at least one session."""
        ctx = load_context(self.store, athlete_id)
        with self.store.orm() as s:
            q = select(m.Session.started_ms).where(
                m.Session.athlete_id == athlete_id,
                m.Session.deleted_ms.is_(None),
                m.Session.sport != READINESS_SPORT,  # a morning HRV reading is not a session
            )
            if exclude_session is not None:
                q = q.where(m.Session.id != exclude_session)
            starts = list(s.scalars(q))
        return {week_start(local_date(t, ctx.tz)) for t in starts}

    def _streak(
        self, athlete_id: int, today: date, exclude_session: int | None = None
    ) -> tuple[int, date | None]:
        return streak(self.active_weeks(athlete_id, exclude_session), week_start(today))

    def _reps(self, goal: Goal, first: date, last: date) -> float:
        """Reps of the goal's exercise (every set without one) logged from `first` to `last`."""
        tz = self._tz(goal.athlete_id)
        start_ms, _ = day_bounds(first, tz)
        _, end_ms = day_bounds(last, tz)
        q = select(func.coalesce(func.sum(m.ExerciseSet.reps), 0)).where(
            m.ExerciseSet.athlete_id == goal.athlete_id,
            m.ExerciseSet.started_ms >= start_ms,
            m.ExerciseSet.started_ms < end_ms,
        )
        if goal.exercise_id is not None:
            q = q.where(m.ExerciseSet.exercise_id == goal.exercise_id)
        with self.store.orm() as s:
            return float(s.scalar(q) or 0)

    def _weighins(self, goal: Goal, until_day: date | None = None) -> list[tuple[int, float]]:
        """Weigh-ins from the goal's creation on (to the end of `until_day`), oldest first."""
        q = select(m.BodyMetric.measured_ms, m.BodyMetric.value).where(
            m.BodyMetric.athlete_id == goal.athlete_id,
            m.BodyMetric.kind == "weight_kg",
            m.BodyMetric.measured_ms >= goal.created_ms,
        )
        if until_day is not None:
            _, end_ms = day_bounds(until_day, self._tz(goal.athlete_id))
            q = q.where(m.BodyMetric.measured_ms < end_ms)
        q = q.order_by(m.BodyMetric.measured_ms, m.BodyMetric.id)
        with self.store.orm() as s:
            return [(int(t), float(v)) for t, v in s.execute(q).all()]

    def _latest_weight(self, goal: Goal, end: date) -> float | None:
        """The last weigh-in since the goal was set, up to the end of `end`; None before one."""
        readings = self._weighins(goal, end)
        return readings[-1][1] if readings else None

    def weight_baseline(self, goal: Goal) -> float | None:
        """Weight when the goal was set: the last weigh-in before it, else the profile weight.

        Only without either does the first weigh-in after it stand in (its direction unknown).
        """
        with self.store.orm() as s:
            base = select(m.BodyMetric.value).where(
                m.BodyMetric.athlete_id == goal.athlete_id, m.BodyMetric.kind == "weight_kg"
            )
            before = s.scalar(
                base.where(m.BodyMetric.measured_ms <= goal.created_ms)
                .order_by(m.BodyMetric.measured_ms.desc(), m.BodyMetric.id.desc())
                .limit(1)
            )
            if before is not None:
                return before
            athlete = s.get(m.Athlete, goal.athlete_id)
            if athlete is not None and athlete.weight_kg is not None:
                return athlete.weight_kg
            return s.scalar(base.order_by(m.BodyMetric.measured_ms).limit(1))

    def weight_run_days(self, goal: Goal, until_day: date | None = None) -> list[date]:
        """Local days on which a run of weigh-ins at the target began (each is one achievement)."""
        tz = self._tz(goal.athlete_id)
        runs = weight_runs(self._weighins(goal, until_day), goal.target, self.weight_baseline(goal))
        return sorted({local_date(t, tz) for t in runs})

    def period_key(self, goal: Goal, start: date, today: date) -> date:
        """The achievement key: the period start, the first week of a streak's run, or the day
        the current run of weigh-ins at a weight target began."""
        if goal.kind is GoalKind.STREAK:
            _, run = self._streak(goal.athlete_id, today)
            return run or start
        if goal.kind is GoalKind.WEIGHT:
            days = self.weight_run_days(goal, today)
            return days[-1] if days else start
        return start

    def assess(self, goal: Goal, value: float | None) -> tuple[float, bool]:
        """(fraction of the target, met?) for a value in the goal's unit."""
        if goal.kind is GoalKind.WEIGHT:
            base = self.weight_baseline(goal)
            return weight_fraction(value, goal.target, base), weight_met(value, goal.target, base)
        v = value or 0.0
        return target_fraction(v, goal.target), v >= goal.target

    def _memo(
        self, athlete_id: int, spans: Iterable[tuple[Goal, date, date]], today: date
    ) -> dict[date, DaySummary]:
        """Every day the summed goals' spans need, fetched in one call."""
        wanted = [(s, min(e, today)) for g, s, e in spans if g.kind in SUMMED and s <= today]
        if not wanted:
            return {}
        first = min(s for s, _ in wanted)
        last = max(e for _, e in wanted)
        return {d.day: d for d in self.daily.days(athlete_id, first, last)}

    def _achieved_map(self, goals: Sequence[Goal]) -> dict[tuple[int, date], int]:
        """(goal id, period start) -> achieved_ms for these goals, in one query."""
        if not goals:
            return {}
        with self.store.orm() as s:
            rows = s.execute(
                select(
                    m.GoalAchievement.goal_id,
                    m.GoalAchievement.period_start,
                    m.GoalAchievement.achieved_ms,
                ).where(m.GoalAchievement.goal_id.in_([g.id for g in goals]))
            ).all()
        return {(gid, date.fromisoformat(start)): at for gid, start, at in rows}

    def progress_for(
        self,
        goal: Goal,
        today: date,
        start: date,
        end: date,
        memo: Mapping[date, DaySummary] | None = None,
        achieved: Mapping[tuple[int, date], int] | None = None,
    ) -> GoalProgress:
        value = self.value(goal, start, end, today, memo=memo)
        fraction, met = self.assess(goal, value)
        key = self.period_key(goal, start, today) if met else start
        at = (
            achieved.get((goal.id, key)) if achieved is not None else self.achieved_ms(goal.id, key)
        )
        return GoalProgress(goal, start, end, value, fraction, met, at)

    def progress(self, athlete_id: int, today: date | None = None) -> list[GoalProgress]:
        """Each active goal over its current period."""
        today = today or self.today(athlete_id)
        goals = self.goals(athlete_id)
        spans = [(g, *period_of(g, today)) for g in goals]
        memo = self._memo(athlete_id, spans, today)
        achieved = self._achieved_map(goals)
        return [self.progress_for(g, today, s, e, memo, achieved) for g, s, e in spans]

    def history(
        self, goal_id: int, periods: int = 8, today: date | None = None
    ) -> list[GoalProgress]:
        """The goal over its last `periods` periods, newest first (a range goal has one)."""
        goal = self.get(goal_id)
        if goal is None:
            raise LookupError(f"no goal {goal_id}")
        today = today or self.today(goal.athlete_id)
        out: list[GoalProgress] = []
        span: tuple[date, date] | None = period_of(goal, today)
        while span is not None and len(out) < periods:
            out.append(self.progress_for(goal, today, *span))
            if goal.kind is GoalKind.STREAK:
                break  # a streak is one running count, not a series of periods
            span = previous_period(goal, span[0])
        return out

    # Achievements ------------------------------------------------------------------------

    def record(self, goal: Goal, period_start: date, value: float) -> Achievement | None:
        """Store the achievement; the Achievement only if this call created it."""
        at = self.clock()
        stmt = (
            insert(m.GoalAchievement)
            .values(
                goal_id=goal.id,
                period_start=period_start.isoformat(),
                value=value,
                achieved_ms=at,
                notified=False,
            )
            .on_conflict_do_nothing(index_elements=["goal_id", "period_start"])
        )
        with self.store.engine.begin() as conn:
            result = conn.execute(stmt)
            if result.rowcount != 1:
                return None
            new_id = result.inserted_primary_key[0] if result.inserted_primary_key else 0
        return Achievement(int(new_id), goal.id, period_start, value, at, False)

    def evaluate(self, athlete_id: int, today: date | None = None) -> list[Achievement]:
        """Record every goal met in its current or previous period; returns only new ones."""
        today = today or self.today(athlete_id)
        new: list[Achievement] = []
        plan: list[tuple[Goal, list[tuple[date, date]]]] = []
        for goal in self.goals(athlete_id):
            created = self.created_day(goal)
            spans = [period_of(goal, today)]
            prev = previous_period(goal, spans[0][0])
            if prev is not None:
                spans.append(prev)
            # A goal counts from its creation: never for a period that ended before it.
            plan.append((goal, [sp for sp in spans if sp[1] >= created]))
        memo = self._memo(athlete_id, [(g, s, e) for g, sp in plan for s, e in sp], today)
        achieved = self._achieved_map([g for g, _ in plan])
        for goal, spans in plan:
            if goal.kind is GoalKind.WEIGHT:  # a target: once per run at it, not per period
                for day in self.weight_run_days(goal, today):
                    if (goal.id, day) not in achieved:
                        got = self.record(goal, day, self._weight_on(goal, day))
                        if got is not None:
                            new.append(got)
                continue
            for start, end in spans:
                value = self.value(goal, start, end, today, memo=memo)
                _, met = self.assess(goal, value)
                if met:
                    key = self.period_key(goal, start, today)
                    if (goal.id, key) in achieved:
                        continue  # no write transaction in the steady state
                    got = self.record(goal, key, value or 0.0)
                    if got is not None:
                        new.append(got)
                if goal.kind is GoalKind.STREAK:
                    break
        return new

    def _weight_on(self, goal: Goal, day: date) -> float:
        """The last weigh-in of `day` since the goal was set (the value an achievement keeps)."""
        return self._latest_weight(goal, day) or goal.target

    def withdraw_stale(self, athlete_id: int, today: date | None = None) -> list[Achievement]:
        """Delete stored achievements that edited data no longer supports; returns them.

        A summed or reps goal's period is recomputed; a weight goal keeps the days its runs at
        the target began. Streaks are left alone (a run once achieved stays achieved).
        """
        today = today or self.today(athlete_id)
        stale: list[Achievement] = []
        goals = {g.id: g for g in self.goals(athlete_id, include_inactive=True)}
        for a in self.achievements(athlete_id):
            goal = goals.get(a.goal_id)
            if goal is None or goal.kind is GoalKind.STREAK:
                continue
            if goal.kind is GoalKind.WEIGHT:
                still = a.period_start in self.weight_run_days(goal, today)
            else:
                start, end = period_of(goal, a.period_start)
                _, still = self.assess(goal, self.value(goal, start, end, today))
            if not still:
                stale.append(a)
        if stale:
            with self.store.orm() as s, s.begin():
                s.execute(
                    delete(m.GoalAchievement).where(m.GoalAchievement.id.in_([a.id for a in stale]))
                )
        return stale

    def achieved_ms(self, goal_id: int, start: date) -> int | None:
        """When the goal was achieved for the period keyed `start`, or None."""
        with self.store.orm() as s:
            return s.scalar(
                select(m.GoalAchievement.achieved_ms).where(
                    m.GoalAchievement.goal_id == goal_id,
                    m.GoalAchievement.period_start == start.isoformat(),
                )
            )

    def achievements(self, athlete_id: int, *, pending_only: bool = False) -> list[Achievement]:
        """Stored achievements, newest first; `pending_only` keeps those not yet shown."""
        q = (
            select(m.GoalAchievement)
            .join(m.Goal, m.Goal.id == m.GoalAchievement.goal_id)
            .where(m.Goal.athlete_id == athlete_id)
            .order_by(m.GoalAchievement.achieved_ms.desc(), m.GoalAchievement.id.desc())
        )
        if pending_only:
            q = q.where(m.GoalAchievement.notified.is_(False))
        with self.store.orm() as s:
            return [
                Achievement(
                    a.id,
                    a.goal_id,
                    date.fromisoformat(a.period_start),
                    a.value,
                    a.achieved_ms,
                    a.notified,
                )
                for a in s.scalars(q)
            ]

    def mark_notified(self, achievement_ids: Sequence[int]) -> None:
        """The UI showed these; they are no longer pending."""
        if not achievement_ids:
            return
        with self.store.orm() as s, s.begin():
            for a in s.scalars(
                select(m.GoalAchievement).where(m.GoalAchievement.id.in_(achievement_ids))
            ):
                a.notified = True
