"""Athlete profile values the maths needs (zones, calories, TRIMP), and their validation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .validation import InvalidInput, in_range, whole_number


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


class ProfileError(InvalidInput):
    """A profile value out of range or inconsistent with the others (the message says which)."""


#: Accepted ranges, inclusive; wide enough for children and masters, narrow enough to catch
#: typos and unit mistakes (lb for kg, a year of 3000, a max HR below the resting HR).
OLDEST_BIRTH_YEAR = 1900
WEIGHT_KG = (10.0, 400.0)
HEIGHT_CM = (50.0, 280.0)
RESTING_HR = (25, 150)
MAX_HR = (80, 250)
#: Fields of the athlete row that validate_profile checks.
PROFILE_FIELDS = frozenset(
    {"birth_year", "sex", "weight_kg", "height_cm", "resting_hr", "max_hr", "timezone"}
)


def check_timezone(name: str) -> str:
    """`name` if it is an IANA time zone this machine knows (e.g. Europe/Paris)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ProfileError(
            f"unknown time zone {name!r} (an IANA name, e.g. Europe/Paris)"
        ) from None
    return name


def validate_profile(current: Profile, changes: Mapping[str, Any], *, year: int) -> dict[str, Any]:
    """The checked `changes` to an athlete profile, refused as a whole if one is wrong.

    The one place the CLI (`athlete set`), the GUI's profile form and the store
    (`Store.update_profile`) check profiles: ranges, finite numbers, and consistency with the
    values already stored (max HR above resting HR, also when one of them is an estimate).

    Args:
        current: the profile as stored now.
        changes: new values by athlete column name; None clears a value. Keys outside
            PROFILE_FIELDS are passed through unchecked.
        year: the current year (birth years after it are refused).

    Raises:
        ProfileError: the first wrong value, with the accepted range.
    """
    try:
        return _validated(current, changes, year)
    except ProfileError:
        raise
    except InvalidInput as exc:  # from the shared number checks
        raise ProfileError(str(exc)) from None


def _validated(current: Profile, changes: Mapping[str, Any], year: int) -> dict[str, Any]:
    out = dict(changes)
    if changes.get("birth_year") is not None:
        out["birth_year"] = whole_number(
            changes["birth_year"], "birth year", OLDEST_BIRTH_YEAR, year
        )
    if changes.get("sex") is not None:
        try:
            out["sex"] = Sex(str(changes["sex"])).value
        except ValueError:
            raise ProfileError(f"sex must be male or female, not {changes['sex']!r}") from None
    if changes.get("weight_kg") is not None:
        out["weight_kg"] = in_range(changes["weight_kg"], "weight", *WEIGHT_KG, "kg")
    if changes.get("height_cm") is not None:
        out["height_cm"] = in_range(changes["height_cm"], "height", *HEIGHT_CM, "cm")
    if changes.get("resting_hr") is not None:
        out["resting_hr"] = whole_number(changes["resting_hr"], "resting HR", *RESTING_HR, "bpm")
    if changes.get("max_hr") is not None:
        out["max_hr"] = whole_number(changes["max_hr"], "max HR", *MAX_HR, "bpm")
    if changes.get("timezone") is not None:
        out["timezone"] = check_timezone(str(changes["timezone"]))
    numbers = ("birth_year", "resting_hr", "max_hr")  # what the HR consistency depends on
    merged = replace(current, **{k: out[k] for k in numbers if k in out})
    _check_consistent(merged, year)
    return out


def _check_consistent(p: Profile, year: int) -> None:
    """Max HR (entered or estimated from age) must be above resting HR, or zones collapse."""
    if p.max_hr is None and p.resting_hr is None:
        return
    top, rest = effective_max_hr(p, year), effective_resting_hr(p)
    if top > rest:
        return
    if p.max_hr is None:
        raise ProfileError(
            f"resting HR {rest} bpm is not below the max HR estimated from age ({top} bpm): "
            "enter your max HR too"
        )
    raise ProfileError(f"max HR ({top} bpm) must be above resting HR ({rest} bpm)")
