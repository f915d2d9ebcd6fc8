"""Heart-rate zones on heart-rate reserve (Karvonen): five zones from 50 % to 100 % HRR."""

from __future__ import annotations

from dataclasses import dataclass

#: Lower bounds of zones 1..5 as fractions of heart-rate reserve; below 50 % is "rest".
ZONE_FLOORS: tuple[float, ...] = (0.50, 0.60, 0.70, 0.80, 0.90)


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
