"""Heart-rate zones: Karvonen (reserve), percent of max, or the athlete's own bounds."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from .profile import Profile, effective_max_hr, effective_resting_hr

#: Lower bounds of zones 1..5 as fractions of heart-rate reserve; below 50 % is "rest".
ZONE_FLOORS: tuple[float, ...] = (0.50, 0.60, 0.70, 0.80, 0.90)
#: Lower bounds of zones 1..5 as fractions of max HR (the common 50-60-70-80-90 % model).
PERCENT_MAX_FLOORS: tuple[float, ...] = (0.50, 0.60, 0.70, 0.80, 0.90)


@dataclass(frozen=True, slots=True)
class Zones:
    """Zone lower bounds in bpm for one athlete (index 0 = zone 1)."""

    floors_bpm: tuple[float, ...]

    @classmethod
    def karvonen(cls, resting_hr: int, max_hr: int) -> Zones:
        """Zones from resting and max HR: floor_i = rest + f_i x (max - rest)."""
        if max_hr <= resting_hr:
            raise ValueError(f"max HR {max_hr} must exceed resting HR {resting_hr}")
        reserve = max_hr - resting_hr
        return cls(tuple(resting_hr + f * reserve for f in ZONE_FLOORS))

    def zone_of(self, hr: float) -> int:
        """Zone number 1..5 for a heart rate, or 0 when below zone 1."""
        zone = 0
        for i, floor in enumerate(self.floors_bpm, start=1):
            if hr >= floor:
                zone = i
        return zone


class ZoneModel(StrEnum):
    """Values stored in `athletes.zone_model`."""

    KARVONEN = "karvonen"
    PERCENT_MAX = "percent_max"
    CUSTOM = "custom"


def percent_of_max(max_hr: float) -> Zones:
    """Zones as fractions of max HR: floor_i = f_i x max."""
    if max_hr <= 0:
        raise ValueError(f"max HR must be positive, got {max_hr}")
    return Zones(tuple(f * max_hr for f in PERCENT_MAX_FLOORS))


def custom(floors_bpm: Sequence[float]) -> Zones:
    """Zones from five strictly increasing lower bounds in bpm, entered by the athlete."""
    floors = tuple(float(f) for f in floors_bpm)
    if len(floors) != len(ZONE_FLOORS):
        raise ValueError(f"custom zones need {len(ZONE_FLOORS)} lower bounds, got {len(floors)}")
    if any(b <= a for a, b in zip(floors, floors[1:], strict=False)) or floors[0] <= 0:
        raise ValueError(f"custom zone bounds must be positive and increasing: {floors}")
    return Zones(floors)


def zones_for(
    profile: Profile,
    model: str | None,
    year: int,
    custom_floors: Sequence[float] | None = None,
) -> Zones:
    """The athlete's zones for `model`; unknown models and missing custom bounds use Karvonen."""
    max_hr = effective_max_hr(profile, year)
    if model == ZoneModel.PERCENT_MAX:
        return percent_of_max(max_hr)
    if model == ZoneModel.CUSTOM and custom_floors:
        return custom(custom_floors)
    rest = effective_resting_hr(profile)
    return Zones.karvonen(rest, max(max_hr, rest + 1))


def athlete_zones(
    profile: Profile, model: str | None, stored_floors: object, year: int
) -> tuple[Zones, str | None]:
    """Zones from what the store holds (floors as a list or JSON text); a bad value gives
    Karvonen and the reason, for the caller to log, so one bad setting never stops a summary."""
    floors = stored_floors
    if isinstance(floors, str):
        try:
            floors = json.loads(floors)
        except ValueError:
            floors = None
    if not isinstance(floors, list):
        floors = None
        if model == ZoneModel.CUSTOM:
            return zones_for(profile, None, year), "no readable custom zones; using Karvonen"
    try:
        return zones_for(profile, model, year, custom_floors=floors), None
    except (TypeError, ValueError) as exc:
        return zones_for(profile, None, year), f"bad custom zones ({exc}); using Karvonen"
