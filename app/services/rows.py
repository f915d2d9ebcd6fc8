"""The values the services return (frozen dataclasses) and one mapper per row type.

Imports nothing heavy at run time: the window's first paint loads this module (through the
view models) before SQLAlchemy or numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and the store load with the first query, not at start-up
    import numpy as np

    from app.feeds.stored import FeedInfo
    from app.sensors import RememberedSensor
    from app.store import models as m
    from app.store.repo import AthleteInfo, SessionInfo
    from device.ble.manager import FoundSensor

METRIC, IMPERIAL = "metric", "imperial"
KM_PER_MILE = 1.609344
LB_PER_KG = 2.2046226218


# Figures as both faces show them (the app's screens and the CLI): one rule each -----------


def distance(meters: float | None, units: str) -> str:
    if meters is None:
        return "-"
    if units == IMPERIAL:
        return f"{meters / 1000 / KM_PER_MILE:.2f} mi"
    return f"{meters / 1000:.2f} km"


def weight(kg: float | None, units: str) -> str:
    if kg is None:
        return "-"
    return f"{kg * LB_PER_KG:.1f} lb" if units == IMPERIAL else f"{kg:.1f} kg"


def goal_progress_text(kind: str, value: float, target: float, unit: str, units: str) -> str:
    """`3 / 30 min`, `2.53 km / 5.00 km`: whole units but for distance and body weight."""
    if kind == "distance":  # goals keep km
        return f"{distance(value * 1000, units)} / {distance(target * 1000, units)}"
    if kind == "weight":
        return f"{weight(value, units)} / {weight(target, units)}"
    return f"{value:.0f} / {target:.0f} {unit}".rstrip()


#: The sports a session may be changed to (History, the session detail, the dashboard).
SPORTS: tuple[str, ...] = (
    "run", "walk", "ride", "virtual_ride", "gym", "strength", "row", "swim", "hike", "other",
)  # fmt: skip


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
    ftp_w: float | None = None  # functional threshold power: power TSS in the load model
    threshold_hr: int | None = None  # lactate threshold HR (bpm)


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
    """A lap of the session detail: seconds since the start, average HR over it."""

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
    #: Time with HR below zone 1 (rest), by the summary's hold rule; None without HR.
    rest_s: float | None = None
    #: Whether any sample has a position (GPX needs one).
    has_positions: bool = False
    #: How the session's kcal was worked out ("" when none: see `kcal_missing`).
    kcal_missing: str = ""


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
    """A websocket feed (its token stays in the keyring: only whether there is one)."""

    id: int
    name: str
    protocol: str
    url: str
    enabled: bool
    has_token: bool


@dataclass(frozen=True, slots=True)
class ExerciseMatch:
    """A catalog hit of the gym search, best first."""

    name: str
    score: float
    exercise_id: int | None = None


@dataclass(frozen=True, slots=True)
class ExerciseChoices:
    """What Gym offers for a typed name (app.training.catalog's rule: fuzzy matching
    suggests and never decides below its threshold).

    `sure` is the exercise the name surely means (picked without asking), else None: then
    `matches` are only suggestions and `query` is the name the athlete may create.
    """

    query: str
    matches: tuple[ExerciseMatch, ...]
    sure: ExerciseMatch | None


# Mappers: one per row type, so every place that lists the same thing shows the same fields.


def athlete_item(a: m.Athlete | AthleteInfo) -> AthleteItem:
    """The switcher entry of an athlete row (ORM or AthleteInfo, which has no units)."""
    units = getattr(a, "units", None) or METRIC
    return AthleteItem(a.id, a.name, a.is_self, a.read_only, units)


def session_row(s: SessionInfo, sync: str = "-") -> SessionRow:
    """A history line from the store's session info and its Strava state."""
    return SessionRow(
        s.id, s.athlete, s.started_ms, s.timezone, s.title, s.sport, s.status,
        s.duration_s, s.distance_m, s.avg_hr, s.kcal, sync,
    )  # fmt: skip


def set_row(r: m.ExerciseSet) -> SetRow:
    """A gym set row as Gym and the session detail list it."""
    return SetRow(
        r.id, r.exercise_name, r.reps, r.weight_kg, r.rpe, r.started_ms, r.ended_ms,
        r.avg_hr, r.max_hr, r.hr_recovery, bool(r.is_pr),
    )  # fmt: skip


def remembered_item(d: RememberedSensor) -> DeviceItem:
    """A paired sensor as the devices list shows it (no signal: it was not scanned)."""
    return DeviceItem(d.address, d.name or d.address, d.kind, None, d.battery_pct, True)


def found_item(f: FoundSensor) -> DeviceItem:
    """A sensor from a scan: its signal, no battery yet, not remembered until paired."""
    return DeviceItem(f.address, f.name or f.address, f.kind, f.rssi, None, False)


def feed_item(f: FeedInfo) -> FeedItem:
    """A stored feed as listed: whether it has a token, never the token."""
    return FeedItem(f.id, f.name, f.protocol, f.url, f.enabled, f.has_token)
