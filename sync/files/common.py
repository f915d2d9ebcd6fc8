"""Shared helpers for activity file writers: merge samples into track points, units, laps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from app.domain import summary
from app.domain.accumulator import Pause
from app.domain.samples import Sample

#: Sports whose cadence Pulsedeck stores in steps/min; files (and Strava) expect strides/min
#: (one leg), so these are halved on export: Strava's own GPX exports show ~88 for a 176 spm run.
STEP_CADENCE_SPORTS = frozenset({"run", "walk", "hike", "trail_run", "virtual_run"})

#: A heart-rate or cadence reading from a second sensor (a strap beside a GPS source) is
#: attached to a position sample at most this long after it was measured; older is stale.
CARRY_MS = 5000


@dataclass(frozen=True, slots=True)
class Point:
    """One merged track point, values already in file units (cadence per leg for running)."""

    t_ms: int
    lat: float | None
    lon: float | None
    altitude: float | None
    hr: int | None
    cadence: int | None
    distance: float | None
    speed: float | None
    power: int | None
    temperature: float | None = None  # °C; last, so positional construction still holds


#: Sample channels a track point takes, and those a later point without one inherits.
_MERGED = (
    "lat", "lon", "altitude", "hr", "cadence", "distance", "speed", "power", "temperature",
)  # fmt: skip
_CARRIED = ("hr", "cadence", "temperature")


def has_positions(samples: Sequence[Sample]) -> bool:
    """True when at least one sample carries both latitude and longitude."""
    return any(s.lat is not None and s.lon is not None for s in samples)


def utc(t_ms: int) -> datetime:
    return datetime.fromtimestamp(t_ms / 1000, tz=UTC)


def iso(t_ms: int) -> str:
    """ISO 8601 UTC with milliseconds and a Z, the form TCX files from Garmin use."""
    return utc(t_ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t_ms % 1000:03d}Z"


def _hr(value: int | None) -> int | None:
    # Both schemas type HR as a positive byte; 0 means "no contact", not a reading.
    if value is None or value < 1:
        return None
    return min(int(round(value)), 255)


def _cadence(value: float | None, sport: str) -> int | None:
    if value is None:
        return None
    if sport in STEP_CADENCE_SPORTS:
        value = value / 2
    return max(0, min(int(round(value)), 254))  # unsignedByte, max 254 in both schemas


def merge_points(samples: Sequence[Sample], sport: str) -> list[Point]:
    """Samples sharing a timestamp merged into one point, newest value per channel winning.

    HR, cadence and temperature from another sensor are carried forward to later points for
    CARRY_MS so a GPS fix without HR still gets the strap's latest reading.
    """
    ordered = sorted(samples, key=lambda s: s.t_ms)
    # Only channels with a value get a key (ints stay ints: float here is int | float).
    merged: list[dict[str, float]] = []
    for s in ordered:
        if not merged or merged[-1]["t_ms"] != s.t_ms:
            merged.append({"t_ms": s.t_ms})
        row = merged[-1]
        for name in _MERGED:
            value = getattr(s, name)
            if value is not None:
                row[name] = value
    points: list[Point] = []
    last: dict[str, tuple[int, float]] = {}
    for row in merged:
        t = int(row["t_ms"])
        for name in _CARRIED:
            value = row.get(name)
            if value is not None:
                last[name] = (t, float(value))
            elif name in last and t - last[name][0] <= CARRY_MS:
                row[name] = last[name][1]
        lat, lon = row.get("lat"), row.get("lon")
        if (lat is None) != (lon is None):
            lat = lon = None
        power = row.get("power")
        points.append(
            Point(
                t_ms=t,
                lat=None if lat is None else float(lat),
                lon=None if lon is None else float(lon),
                altitude=_float(row.get("altitude")),
                hr=_hr(_int(row.get("hr"))),
                cadence=_cadence(_float(row.get("cadence")), sport),
                distance=_float(row.get("distance")),
                speed=_float(row.get("speed")),
                power=None if power is None else max(0, min(int(round(power)), 65535)),
                temperature=_float(row.get("temperature")),
            )
        )
    return points


def _float(value: float | int | None) -> float | None:
    return None if value is None else float(value)


def _int(value: float | int | None) -> int | None:
    return None if value is None else int(round(value))


def lap_bounds(started_ms: int, ended_ms: int, laps: Iterable[int]) -> list[int]:
    """Lap edges: the start, each lap marker strictly inside the session, the end."""
    ended_ms = max(ended_ms, started_ms)
    inner = sorted(t for t in set(laps) if started_ms < t < ended_ms)
    return [started_ms, *inner, ended_ms]


def paused_ms(start_ms: int, end_ms: int, pauses: Iterable[Pause]) -> int:
    """How much of [start_ms, end_ms) is paused (an open pause lasts to the end)."""
    total = 0
    for p in pauses:
        lo = max(start_ms, p.start_ms)
        hi = min(end_ms, end_ms if p.end_ms is None else p.end_ms)
        total += max(0, hi - lo)
    return total


def lap_distances(
    points: Iterable[Point | Sample], bounds: Sequence[int], pauses: Sequence[Pause] = ()
) -> list[float] | None:
    """Each lap's distance by the session summary's rule (app.domain.summary.lap_distances).

    The same function as the summary, so the laps of every file add up to the session's
    distance, whether it comes from a distance channel or, without one, from speed.
    """
    # Only the two channels distance depends on: HR-only readings cost the rule nothing.
    readings = [
        Sample(p.t_ms, speed=p.speed, distance=p.distance)
        for p in points
        if p.speed is not None or p.distance is not None
    ]
    return summary.lap_distances(readings, bounds, pauses)
