"""Banister TRIMP: training impulse from heart-rate reserve, weighted exponentially."""

from __future__ import annotations

import math

from .profile import Sex

#: Banister 1991 sex-specific weighting (a, b) in a x e^(b x HRr).
BANISTER: dict[Sex, tuple[float, float]] = {Sex.MALE: (0.64, 1.92), Sex.FEMALE: (0.86, 1.67)}


def trimp_increment(
    minutes: float, hr: float, resting_hr: int, max_hr: int, sex: Sex | None
) -> float:
    """TRIMP for `minutes` at `hr`: min x HRr x a x e^(b HRr); unknown sex uses male weights."""
    hrr = (hr - resting_hr) / (max_hr - resting_hr)
    hrr = min(max(hrr, 0.0), 1.0)
    a, b = BANISTER[sex or Sex.MALE]
    return minutes * hrr * a * math.exp(b * hrr)
