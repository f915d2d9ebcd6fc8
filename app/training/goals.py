"""Goals: targets per period, live and stored progress, and "achieved" exactly once.

Exactly once: an achievement is an INSERT ... ON CONFLICT DO NOTHING on the unique key
(goal_id, period_start) of `goal_achievements`; only the caller whose insert created the row
gets the event, so neither a second process nor a restart notifies twice. `notified` marks
events the UI has shown, so one lost to a crash before display is shown after restart.

Goal values, units and the pure maths (periods, streaks, weight progress) are app.domain.goals;
the names that callers import from here are re-exported (`__all__`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert

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
)
from app.store import models as m
from app.store.repo import Store, now_ms

from .daily import DailyService, load_context

# Re-exported for app.ui.goal_progress and app.commands.training, which import them from here.
__all__ = ["Achievement", "GoalEngine", "GoalError", "GoalKind", "GoalProgress", "Period"]


class GoalError(ValueError):
    """A goal that cannot be created as asked; the message says why."""


# The engine ------------------------------------------------------------------------------


def _goal(row: m.Goal) -> Goal:
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
    )


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
    ) -> Goal:
        """Create a goal after checking it makes sense; raises GoalError otherwise."""
        try:
            k, p = GoalKind(kind), Period(period)
        except ValueError as exc:
            raise GoalError(str(exc)) from exc
        if not target > 0:
            raise GoalError("the target must be positive")
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
            )
            s.add(row)
            s.flush()
            return _goal(row)

    def remove(self, goal_id: int) -> bool:
        """Retire a goal (kept with its history, no longer tracked); False if unknown."""
        with self.store.orm() as s, s.begin():
            row = s.get(m.Goal, goal_id)
            if row is None:
                return False
            row.active = False
            return True

    def get(self, goal_id: int) -> Goal | None:
        with self.store.orm() as s:
            row = s.get(m.Goal, goal_id)
            return None if row is None else _goal(row)

    def goals(self, athlete_id: int, *, include_inactive: bool = False) -> list[Goal]:
        q = select(m.Goal).where(m.Goal.athlete_id == athlete_id).order_by(m.Goal.id)
        if not include_inactive:
            q = q.where(m.Goal.active)
        with self.store.orm() as s:
            return [_goal(r) for r in s.scalars(q)]

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
        if goal.kind in SUMMED:
            last = min(end, today)
            if last < start:
                return 0.0
            if memo is not None and start in memo and last in memo:
                days: Iterable[DaySummary] = (memo[d] for d in days_between(start, last))
            else:
                days = self.daily.days(
                    goal.athlete_id, start, last, exclude_session=exclude_session
                )
            return sum(day_value(goal.kind, d, goal.zone) for d in days)
        if goal.kind is GoalKind.WEIGHT:
            return self._latest_weight(goal.athlete_id, start, min(end, today))
        length, _ = self._streak(goal.athlete_id, today, exclude_session)
        return float(length)

    def active_weeks(self, athlete_id: int, exclude_session: int | None = None) -> set[date]:
        """Mondays of the local weeks in which the athlete started at least one session."""
        ctx = load_context(self.store, athlete_id)
        with self.store.orm() as s:
            q = select(m.Session.started_ms).where(
                m.Session.athlete_id == athlete_id, m.Session.deleted_ms.is_(None)
            )
            if exclude_session is not None:
                q = q.where(m.Session.id != exclude_session)
            starts = list(s.scalars(q))
        return {week_start(local_date(t, ctx.tz)) for t in starts}

    def _streak(
        self, athlete_id: int, today: date, exclude_session: int | None = None
    ) -> tuple[int, date | None]:
        return streak(self.active_weeks(athlete_id, exclude_session), week_start(today))

    def _latest_weight(self, athlete_id: int, start: date, end: date) -> float | None:
        ctx = load_context(self.store, athlete_id)
        _, end_ms = day_bounds(end, ctx.tz)
        with self.store.orm() as s:
            return s.scalar(
                select(m.BodyMetric.value)
                .where(
                    m.BodyMetric.athlete_id == athlete_id,
                    m.BodyMetric.kind == "weight_kg",
                    m.BodyMetric.measured_ms < end_ms,
                )
                .order_by(m.BodyMetric.measured_ms.desc(), m.BodyMetric.id.desc())
                .limit(1)
            )

    def weight_baseline(self, goal: Goal) -> float | None:
        """Weight when the goal was set (last before it, else first after, else the profile)."""
        with self.store.orm() as s:
            base = select(m.BodyMetric.value).where(
                m.BodyMetric.athlete_id == goal.athlete_id, m.BodyMetric.kind == "weight_kg"
            )
            before = s.scalar(
                base.where(m.BodyMetric.measured_ms <= goal.created_ms)
                .order_by(m.BodyMetric.measured_ms.desc())
                .limit(1)
            )
            if before is not None:
                return before
            after = s.scalar(base.order_by(m.BodyMetric.measured_ms).limit(1))
            if after is not None:
                return after
            athlete = s.get(m.Athlete, goal.athlete_id)
            return None if athlete is None else athlete.weight_kg

    def period_key(self, goal: Goal, start: date, today: date) -> date:
        """The achievement key: the period start, or the first week of a streak's run."""
        if goal.kind is GoalKind.STREAK:
            _, run = self._streak(goal.athlete_id, today)
            return run or start
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
            spans = [period_of(goal, today)]
            prev = previous_period(goal, spans[0][0])
            if prev is not None:
                spans.append(prev)
            plan.append((goal, spans))
        memo = self._memo(athlete_id, [(g, s, e) for g, sp in plan for s, e in sp], today)
        achieved = self._achieved_map([g for g, _ in plan])
        for goal, spans in plan:
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
