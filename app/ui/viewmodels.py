"""Values the screens display (frozen dataclasses) and pure formatting with units; no Qt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain.calendar import wall_clock

# The rows the services return; screens keep using them as vm.SessionRow etc.
from app.services.rows import (
    IMPERIAL,
    KM_PER_MILE,
    LB_PER_KG,
    METRIC,
    SPORTS,
    AthleteItem,
    DeviceItem,
    ExerciseChoices,
    ExerciseMatch,
    FeedItem,
    Lap,
    Profile,
    SessionDetail,
    SessionRow,
    SetRow,
    distance,
    goal_progress_text,
    weight,
)

SCREENS: tuple[str, ...] = (
    "dashboard",
    "devices",
    "gym",
    "team",
    "history",
    "trends",
    "session",
    "goals",
    "roster",
    "compare",
    "settings",
)


# Formatting -------------------------------------------------------------------------------


def hms(seconds: float | None) -> str:
    """1:02:03 or 2:03 (no hours); '-' when unknown."""
    if seconds is None:
        return "-"
    s = int(round(max(0.0, seconds)))
    h, rem = divmod(s, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


def speed(mps: float | None, units: str) -> str:
    if mps is None:
        return "-"
    if units == IMPERIAL:
        return f"{mps * 3.6 / KM_PER_MILE:.1f} mph"
    return f"{mps * 3.6:.1f} km/h"


def weight_to_kg(value: float, units: str) -> float:
    """Weight typed by the user in their units, as kg for the store."""
    return value / LB_PER_KG if units == IMPERIAL else value


def number(value: float | None, spec: str = ".0f", unit: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{unit}"


def local_time(ms: int, tz_name: str | None = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    tz = None
    if tz_name:
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            tz = None
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(tz).strftime(fmt)


def wall_time(ms: int, tz: tzinfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant as a clock in `tz` shows it (the athlete's zone, not the computer's)."""
    return wall_clock(ms, tz).strftime(fmt)


def zone_name(tz: tzinfo) -> str:
    """The zone's IANA name ("Pacific/Auckland"), for a label beside times shown in it."""
    return str(getattr(tz, "key", None) or tz)


# View models ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GoalItem:
    """A goal's progress in its current period (value and target in the goal's unit)."""

    id: int
    kind: str
    period: str
    target: float
    value: float
    zone: int | None
    achieved: bool
    unit: str = ""
    description: str = ""

    @property
    def fraction(self) -> float:
        return 0.0 if self.target <= 0 else max(0.0, min(1.0, self.value / self.target))

    def label(self, units: str) -> str:
        names = {
            "steps": "Steps",
            "distance": "Distance",
            "active_min": "Active minutes",
            "sessions": "Sessions",
            "kcal": "Active kcal",
            "zone_min": f"Minutes in zone {self.zone or '?'}",
            "reps": "Repetitions",
            "streak": "Week streak",
            "weight": "Body weight",
        }
        return f"{self.period.capitalize()} · {names.get(self.kind, self.kind)}"

    def progress_text(self, units: str) -> str:
        return goal_progress_text(self.kind, self.value, self.target, self.unit, units)


__all__ = [
    "IMPERIAL", "METRIC", "SCREENS", "SPORTS", "AthleteItem", "DeviceItem", "ExerciseChoices",
    "ExerciseMatch", "FeedItem", "GoalItem", "Lap", "Profile", "SessionDetail", "SessionRow",
    "SetRow", "KM_PER_MILE", "LB_PER_KG", "distance", "hms", "local_time", "number", "speed",
    "wall_time", "weight", "weight_to_kg", "zone_name",
]  # fmt: skip
