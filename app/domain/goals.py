"""Goals as values and their pure maths: kinds, periods, a day's contribution, streaks.

Units per kind: steps, distance km, active_min minutes, sessions, kcal (active), zone_min
minutes in `zone`, streak weeks in a row with at least one session, weight kg, reps (of one
exercise, or of every set). The store-facing engine (goals from the database, achievements
exactly once) is app.training.goals.

A goal counts from its creation day: a period that ended before it is never credited (the
period it was created in counts whole). A weight goal is a target, not a per-period total: it is
reached once per run of weigh-ins at or past the target, and again only after it was lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from .calendar import month_end, month_start, week_start
from .days import DaySummary


class GoalKind(StrEnum):
    """What a goal counts; the value is what the store and the CLI spell."""

    STEPS = "steps"
    DISTANCE = "distance"
    ACTIVE_MIN = "active_min"
    SESSIONS = "sessions"
    KCAL = "kcal"
    ZONE_MIN = "zone_min"
    STREAK = "streak"
    WEIGHT = "weight"
    REPS = "reps"


class Period(StrEnum):
    """Over what a goal counts: each day, ISO week, month, or one fixed date range."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    RANGE = "range"


UNITS: dict[GoalKind, str] = {
    GoalKind.STEPS: "steps",
    GoalKind.DISTANCE: "km",
    GoalKind.ACTIVE_MIN: "min",
    GoalKind.SESSIONS: "sessions",
    GoalKind.KCAL: "kcal",
    GoalKind.ZONE_MIN: "min",
    GoalKind.STREAK: "weeks",
    GoalKind.WEIGHT: "kg",
    GoalKind.REPS: "reps",
}
#: Kinds whose period value is the sum of the daily summaries' values.
SUMMED = frozenset(UNITS) - {GoalKind.STREAK, GoalKind.WEIGHT, GoalKind.REPS}


@dataclass(frozen=True, slots=True)
class Goal:
    """A target as the athlete set it (a stored row, as a value)."""

    id: int
    athlete_id: int
    kind: GoalKind
    period: Period
    target: float
    zone: int | None
    start_date: date | None
    end_date: date | None
    active: bool
    created_ms: int
    exercise_id: int | None = None  # reps goals: one exercise, or None for every set
    exercise: str | None = None  # its name, for describe()

    @property
    def unit(self) -> str:
        return UNITS[self.kind]

    def describe(self) -> str:
        """E.g. "10000 steps daily", "30 minutes in zone 2 weekly", "body weight 72 kg"."""
        label = {
            GoalKind.STEPS: "steps",
            GoalKind.DISTANCE: "km",
            GoalKind.ACTIVE_MIN: "active minutes",
            GoalKind.SESSIONS: "sessions",
            GoalKind.KCAL: "active kcal",
            GoalKind.ZONE_MIN: f"minutes in zone {self.zone}",
            GoalKind.STREAK: "weeks in a row with a session",
            GoalKind.WEIGHT: "kg body weight",
            GoalKind.REPS: f"reps of {self.exercise}" if self.exercise else "reps",
        }[self.kind]
        what = f"{self.target:g} {label}"
        if self.period is Period.RANGE:
            return f"{what} from {self.start_date} to {self.end_date}"
        if self.kind in (GoalKind.STREAK, GoalKind.WEIGHT):
            return what
        return f"{what} {self.period.value}"


@dataclass(frozen=True, slots=True)
class GoalProgress:
    """A goal's value over one period; `achieved_ms` is set once the achievement is stored."""

    goal: Goal
    period_start: date
    period_end: date
    value: float | None  # None: nothing measured yet (a weight goal without a weighing)
    fraction: float
    met: bool
    achieved_ms: int | None


@dataclass(frozen=True, slots=True)
class Achievement:
    """A goal met for one period, stored once; `notified` once the UI has shown it."""

    id: int
    goal_id: int
    period_start: date
    value: float
    achieved_ms: int
    notified: bool


def period_of(goal: Goal, day: date) -> tuple[date, date]:
    """The period of `goal` containing `day` (a range goal's only period is its range)."""
    if goal.period is Period.DAILY:
        return day, day
    if goal.period is Period.WEEKLY:
        start = week_start(day)
        return start, start + timedelta(days=6)
    if goal.period is Period.MONTHLY:
        return month_start(day), month_end(day)
    assert goal.start_date is not None and goal.end_date is not None
    return goal.start_date, goal.end_date


def previous_period(goal: Goal, start: date) -> tuple[date, date] | None:
    """The period before the one starting at `start`; None for range goals."""
    if goal.period is Period.RANGE:
        return None
    return period_of(goal, start - timedelta(days=1))


def day_value(kind: GoalKind, day: DaySummary, zone: int | None = None) -> float:
    """A summed goal's contribution of one day, in the goal's unit."""
    if kind is GoalKind.STEPS:
        return float(day.steps)
    if kind is GoalKind.DISTANCE:
        return day.distance_m / 1000.0
    if kind is GoalKind.ACTIVE_MIN:
        return day.active_s / 60.0
    if kind is GoalKind.SESSIONS:
        return float(day.sessions)
    if kind is GoalKind.KCAL:
        return day.kcal or 0.0
    if kind is GoalKind.ZONE_MIN:
        assert zone is not None
        return day.zone_s[zone - 1] / 60.0
    raise ValueError(f"{kind} is not a summed goal")


def streak(active_weeks: Iterable[date], current_week: date) -> tuple[int, date | None]:
    """Weeks in a row with a session, ending this week (or last week while this one is empty).

    Returns (length, Monday the run began); (0, None) when the streak is broken.
    """
    weeks = set(active_weeks)
    week = current_week if current_week in weeks else current_week - timedelta(days=7)
    length, start = 0, None
    while week in weeks:
        length, start = length + 1, week
        week -= timedelta(days=7)
    return length, start


def weight_runs(
    readings: Sequence[tuple[int, float]], target: float, baseline: float | None
) -> list[int]:
    """When each run of weigh-ins at or past the target began (readings in time order).

    A run ends at the first weigh-in no longer at the target; the next one that is starts a
    new run, so a target reached, lost and reached again counts twice, never daily.
    """
    starts: list[int] = []
    inside = False
    for at, value in readings:
        met = weight_met(value, target, baseline)
        if met and not inside:
            starts.append(at)
        inside = met
    return starts


def weight_met(value: float | None, target: float, baseline: float | None) -> bool:
    """Reached when at or past the target in the direction from the baseline (losing if unknown)."""
    if value is None:
        return False
    if baseline is not None and baseline < target:
        return value >= target
    return value <= target


def weight_fraction(value: float | None, target: float, baseline: float | None) -> float:
    """Share of the way from the baseline to the target weight, 0 to 1."""
    if value is None or baseline is None or baseline == target:
        return 1.0 if weight_met(value, target, baseline) else 0.0
    return min(1.0, max(0.0, (baseline - value) / (baseline - target)))


def target_fraction(value: float, target: float) -> float:
    """Share of a target reached, capped at 1; a non-positive target counts as reached."""
    return min(1.0, value / target) if target > 0 else 1.0
