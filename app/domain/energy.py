"""Energy expenditure: Keytel et al. 2005 (HR-based) or MET-based; both are gross energy.

Gross includes resting energy (about 1 MET); the training log subtracts it for active kcal.
"""

from __future__ import annotations

from .profile import Sex

KJ_PER_KCAL = 4.184

#: Typical MET by sport (Ainsworth 2011 Compendium, moderate effort) when no MET is measured.
SPORT_MET: dict[str, float] = {
    "run": 9.8,
    "walk": 3.5,
    "ride": 7.5,
    "virtual_ride": 7.0,
    "gym": 5.0,
    "strength": 5.0,
    "row": 7.0,
    "swim": 8.0,
    "hike": 6.0,
    "other": 4.0,
}


def keytel_kcal_per_min(hr: float, weight_kg: float, age: float, sex: Sex) -> float:
    """Keytel 2005 (J Sports Sci 23:289) gross kcal/min from HR; never negative.

    Without VO2max: male (-55.0969 + 0.6309 HR + 0.1988 W + 0.2017 A) / 4.184,
    female (-20.4022 + 0.4472 HR - 0.1263 W + 0.074 A) / 4.184.
    """
    if sex is Sex.MALE:
        kj = -55.0969 + 0.6309 * hr + 0.1988 * weight_kg + 0.2017 * age
    else:
        kj = -20.4022 + 0.4472 * hr - 0.1263 * weight_kg + 0.074 * age
    return max(0.0, kj / KJ_PER_KCAL)


def met_kcal(met: float, weight_kg: float, seconds: float) -> float:
    """kcal for `seconds` at `met`: MET x kg x hours (1 MET = 1 kcal/kg/h)."""
    return met * weight_kg * seconds / 3600.0
