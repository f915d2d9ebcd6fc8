"""Settings screen parts without widgets: zone models, custom-bound checks, name typos."""

from __future__ import annotations

from collections.abc import Sequence

#: Zone models offered here: (value stored in `athletes.zone_model`, label).
ZONE_MODELS: tuple[tuple[str, str], ...] = (
    ("karvonen", "Karvonen (heart-rate reserve)"),
    ("percent_max", "Percent of max HR"),
    ("custom", "Custom bounds"),
)
CUSTOM = "custom"
#: Narrower than this, the profile and the other settings stack in one column.
TWO_COLUMNS_PX = 960
#: Plausible zone lower bounds in bpm: below 40 is rest for anyone, above 240 is a bad strap.
FLOOR_MIN, FLOOR_MAX = 40, 240


def floors_problem(floors: Sequence[int]) -> str | None:
    """Why these custom zone floors cannot be saved, in words for the form; None when fine."""
    if len(floors) != 5:
        return f"Enter five lower bounds, got {len(floors)}."
    for zone, bpm in enumerate(floors, start=1):
        if bpm <= 0:
            return f"Zone {zone} must start above 0 bpm."
        if not FLOOR_MIN <= bpm <= FLOOR_MAX:
            return f"Zone {zone} must start between {FLOOR_MIN} and {FLOOR_MAX} bpm."
    for zone in range(2, 6):
        low, high = floors[zone - 2], floors[zone - 1]
        if high <= low:
            return f"Zone {zone} must start above zone {zone - 1} ({high} ≤ {low} bpm)."
    return None


def similar_names(name: str, known: Sequence[str]) -> list[str]:
    """Existing athletes a typed name may be a typo of (case-insensitive, close spelling)."""
    import difflib

    lowered = {k.lower(): k for k in known}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.75)
    return [lowered[h] for h in hits if lowered[h] != name]
