"""HR zone models (percent of max, Karvonen reserve, custom bounds) built on domain Zones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum

from app.domain.profile import Profile, effective_max_hr, effective_resting_hr
from app.domain.zones import ZONE_FLOORS, Zones

#: Lower bounds of zones 1..5 as fractions of max HR (the common 50-60-70-80-90 % model).
PERCENT_MAX_FLOORS: tuple[float, ...] = (0.50, 0.60, 0.70, 0.80, 0.90)


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
    year: int | None = None,
    custom_floors: Sequence[float] | None = None,
) -> Zones:
    """The athlete's zones for `model`; unknown models and missing custom bounds use Karvonen."""
    year = year or datetime.now(UTC).year
    max_hr = effective_max_hr(profile, year)
    if model == ZoneModel.PERCENT_MAX:
        return percent_of_max(max_hr)
    if model == ZoneModel.CUSTOM and custom_floors:
        return custom(custom_floors)
    rest = effective_resting_hr(profile)
    return Zones.karvonen(rest, max(max_hr, rest + 1))
