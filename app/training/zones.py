"""HR zone models for the training log: re-exported from app.domain.zones.

The models live in the domain so the store's session summary and the training maths agree
on an athlete's zones; `zones_for` here keeps its old optional `year` (default: this year).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from app.domain.profile import Profile
from app.domain.zones import (
    PERCENT_MAX_FLOORS,
    ZoneModel,
    Zones,
    athlete_zones,
    custom,
    percent_of_max,
)
from app.domain.zones import zones_for as _zones_for

__all__ = [
    "PERCENT_MAX_FLOORS",
    "ZoneModel",
    "athlete_zones",
    "custom",
    "percent_of_max",
    "zones_for",
]


def zones_for(
    profile: Profile,
    model: str | None,
    year: int | None = None,
    custom_floors: Sequence[float] | None = None,
) -> Zones:
    """The athlete's zones for `model` in `year` (default: the current year)."""
    return _zones_for(profile, model, year or datetime.now(UTC).year, custom_floors)
