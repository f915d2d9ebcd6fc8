"""Values the screens display (frozen dataclasses) and pure formatting with units; no Qt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:  # numpy loads with the first chart, not at start-up
    import numpy as np

METRIC, IMPERIAL = "metric", "imperial"
KM_PER_MILE = 1.609344
LB_PER_KG = 2.2046226218

SCREENS: tuple[str, ...] = (
    "dashboard",
    "devices",
    "gym",
    "history",
    "session",
    "goals",
    "settings",
)
SPORTS: tuple[str, ...] = (
    "run", "walk", "ride", "virtual_ride", "gym", "strength", "row", "swim", "hike", "other",
)  # fmt: skip


# Formatting -------------------------------------------------------------------------------


def hms(seconds: float | None) -> str:
    """1:02:03 or 2:03 (no hours); '-' when unknown."""
    if seconds is None:
        return "-"
    s = int(round(max(0.0, seconds)))
    h, rem = divmod(s, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60}:{rem % 60:02d}"


def distance(meters: float | None, units: str) -> str:
    if meters is None:
        return "-"
    if units == IMPERIAL:
        return f"{meters / 1000 / KM_PER_MILE:.2f} mi"
    return f"{meters / 1000:.2f} km"


def speed(mps: float | None, units: str) -> str:
    if mps is None:
        return "-"
    if units == IMPERIAL:
        return f"{mps * 3.6 / KM_PER_MILE:.1f} mph"
    return f"{mps * 3.6:.1f} km/h"


def weight(kg: float | None, units: str) -> str:
    if kg is None:
        return "-"
    return f"{kg * LB_PER_KG:.1f} lb" if units == IMPERIAL else f"{kg:.1f} kg"


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


# View models ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AthleteItem:
    """An entry of the athlete switcher."""

    id: int
    name: str
    is_self: bool
    read_only: bool
    units: str


@dataclass(frozen=True, slots=True)
class Profile:
    """The settings screen's profile form."""

    athlete_id: int
    name: str
    read_only: bool
    birth_year: int | None
    sex: str | None
    weight_kg: float | None
    resting_hr: int | None
    max_hr: int | None
    units: str
    zone_model: str
    zone_floors: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One line of the history list."""

    id: int
    athlete: str
    started_ms: int
    timezone: str | None
    title: str | None
    sport: str
    status: str
    duration_s: float | None
    distance_m: float | None
    avg_hr: float | None
    kcal: float | None
    sync: str  # "-" | "uploading" | "synced" | "error"

    def matches(self, text: str) -> bool:
        """Free-text search over what the row shows."""
        if not text:
            return True
        hay = " ".join(
            [self.athlete, self.sport, self.title or "", self.status, self.sync, str(self.id)]
        ).lower()
        return all(word in hay for word in text.lower().split())


@dataclass(frozen=True, slots=True)
class SetRow:
    """A gym set as listed in gym mode and the session detail."""

    id: int
    exercise: str
    reps: int | None
    weight_kg: float | None
    rpe: float | None
    started_ms: int
    ended_ms: int | None
    avg_hr: float | None
    max_hr: int | None
    hr_recovery: float | None
    is_pr: bool = False


@dataclass(frozen=True, slots=True)
class Lap:
    number: int
    start_s: float
    duration_s: float
    avg_hr: float | None


@dataclass(frozen=True)
class SessionDetail:
    """Everything the session detail screen shows; arrays are x = seconds since start."""

    row: SessionRow
    athlete_id: int
    read_only: bool
    units: str
    t: np.ndarray
    channels: dict[str, np.ndarray]
    zone_s: tuple[float | None, ...]
    zone_floors: tuple[float, ...]
    laps: tuple[Lap, ...]
    sets: tuple[SetRow, ...]
    moving_s: float | None
    max_hr: int | None
    trimp: float | None
    avg_cadence: float | None
    avg_power: float | None
    avg_speed: float | None
    steps: int | None
    rr_count: int | None
    rmssd_ms: float | None
    rr_t: np.ndarray
    rr_ms: np.ndarray


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
            "streak": "Week streak",
            "weight": "Body weight",
        }
        return f"{self.period.capitalize()} · {names.get(self.kind, self.kind)}"

    def progress_text(self, units: str) -> str:
        if self.kind == "distance":  # goals keep km
            return f"{distance(self.value * 1000, units)} / {distance(self.target * 1000, units)}"
        if self.kind == "weight":
            return f"{weight(self.value, units)} / {weight(self.target, units)}"
        return f"{self.value:.0f} / {self.target:.0f} {self.unit}".rstrip()


@dataclass(frozen=True, slots=True)
class DeviceItem:
    """A sensor in the devices list: seen in a scan, remembered, or both."""

    address: str
    name: str
    kind: str
    rssi: int | None
    battery_pct: int | None
    remembered: bool
    connected: bool = False


@dataclass(frozen=True, slots=True)
class FeedItem:
    id: int
    name: str
    protocol: str
    url: str
    enabled: bool
    has_token: bool


@dataclass(frozen=True, slots=True)
class ExerciseMatch:
    name: str
    score: float
    exercise_id: int | None = None
