"""Athlete profile values the maths needs (zones, calories, TRIMP)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


@dataclass(frozen=True, slots=True)
class Profile:
    """What we know about an athlete; every field may be unknown."""

    birth_year: int | None = None
    sex: Sex | None = None
    weight_kg: float | None = None
    resting_hr: int | None = None
    max_hr: int | None = None

    def age(self, year: int) -> int | None:
        """Age in whole years at `year`, or None if the birth year is unknown."""
        return None if self.birth_year is None else year - self.birth_year


#: Used when the athlete has not entered a resting HR (typical untrained adult).
DEFAULT_RESTING_HR = 60
#: Used when neither max HR nor birth year is known (Tanaka for a 35-year-old, rounded).
DEFAULT_MAX_HR = 184


def effective_max_hr(profile: Profile, year: int) -> int:
    """Entered max HR, else Tanaka 2001 (208 - 0.7 x age), else a population default."""
    if profile.max_hr:
        return profile.max_hr
    age = profile.age(year)
    if age is not None and 5 <= age <= 110:
        return round(208 - 0.7 * age)
    return DEFAULT_MAX_HR


def effective_resting_hr(profile: Profile) -> int:
    """Entered resting HR, else a population default."""
    return profile.resting_hr or DEFAULT_RESTING_HR
