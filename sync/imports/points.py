"""Checks every reader applies to each point as it streams: order, positions, numbers, ranges."""

from __future__ import annotations

import math
from dataclasses import replace
from operator import attrgetter

from app.domain.samples import RANGES, RR_RANGE_MS, Sample, drop_bad_rr
from sync.files.common import STEP_CADENCE_SPORTS

from .model import MAX_POINTS, InvalidActivity, UnsafeFile

__all__ = ["PointChecker", "STEP_CADENCE_SPORTS", "number"]

#: Channels whose out-of-range values are dropped (a glitch) rather than refusing the file.
_SOFT = tuple(name for name in RANGES if name not in ("lat", "lon"))
_SOFT_BOUNDS = tuple(RANGES[name] for name in _SOFT)
_soft_values = attrgetter(*_SOFT)
#: The same bounds unrolled for `_all_soft_good` (tests check it covers exactly `_SOFT`).
_UNROLLED = (
    "hr", "cadence", "speed", "power", "distance", "altitude", "steps", "met", "temperature",
)  # fmt: skip
_HR, _CAD, _SPD, _PWR = RANGES["hr"], RANGES["cadence"], RANGES["speed"], RANGES["power"]
_DIST, _ALT, _STEPS, _MET = RANGES["distance"], RANGES["altitude"], RANGES["steps"], RANGES["met"]
_TEMP = RANGES["temperature"]


def number(text: str | None, what: str, where: str) -> float | None:
    """`text` as a finite number (None when absent), else InvalidActivity naming the point."""
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidActivity(f"{where}: {what} {text[:20]!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidActivity(f"{where}: {what} {text[:20]!r} is not a finite number")
    return value


class PointChecker:
    """Collects samples in order; refuses a file whose points cannot be a recording."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.count = 0
        self.dropped = 0  # channel values out of physical range (glitches), dropped
        self._last_t = 0

    def add(self, sample: Sample, kind: str = "point") -> None:
        """Check and keep `sample`; `kind` names it in a refusal ("record 12 (time): ...")."""
        self.count += 1
        t, lat, lon = sample.t_ms, sample.lat, sample.lon
        if (
            t <= 0
            or t < self._last_t
            or (lat is not None and not -90 <= lat <= 90)
            or (lon is not None and not -180 <= lon <= 180)
        ):  # _check_hard's tests, so it is called only to name the problem
            self._check_hard(sample, kind)
        self._last_t = t
        if not _all_soft_good(sample):  # the rare glitch: find and drop each bad value
            bad: dict[str, None] = {}
            for name, (low, high), value in zip(
                _SOFT, _SOFT_BOUNDS, _soft_values(sample), strict=True
            ):
                if value is not None and not low <= value <= high:
                    bad[name] = None
            self.dropped += len(bad)
            sample = replace(sample, **bad)  # type: ignore[arg-type]
        if sample.rr and not _rr_all_good(sample.rr):
            sample, n = drop_bad_rr(sample)
            self.dropped += n
        if (sample.lat is None) != (sample.lon is None):
            sample = replace(sample, lat=None, lon=None)
        self.samples.append(sample)
        if self.count > MAX_POINTS:
            raise UnsafeFile(f"more than {MAX_POINTS} points: not read")

    def _check_hard(self, sample: Sample, kind: str) -> None:
        t, lat, lon = sample.t_ms, sample.lat, sample.lon
        problem = None
        if t <= 0:
            problem = "time before 1970"
        elif t < self._last_t:
            problem = f"timestamps out of order ({_iso(t)} comes after {_iso(self._last_t)})"
        elif lat is not None and not -90 <= lat <= 90:
            problem = f"latitude {lat} outside -90..90"
        elif lon is not None and not -180 <= lon <= 180:
            problem = f"longitude {lon} outside -180..180"
        if problem:
            raise InvalidActivity(f"{kind} {self.count} ({_iso(t) if t > 0 else t}): {problem}")


def _all_soft_good(s: Sample) -> bool:
    """True when no channel value is out of range: the loop over `_SOFT`, unrolled (a third
    of a FIT import's reading time went to that loop)."""
    return (
        (s.hr is None or _HR[0] <= s.hr <= _HR[1])
        and (s.cadence is None or _CAD[0] <= s.cadence <= _CAD[1])
        and (s.speed is None or _SPD[0] <= s.speed <= _SPD[1])
        and (s.power is None or _PWR[0] <= s.power <= _PWR[1])
        and (s.distance is None or _DIST[0] <= s.distance <= _DIST[1])
        and (s.altitude is None or _ALT[0] <= s.altitude <= _ALT[1])
        and (s.steps is None or _STEPS[0] <= s.steps <= _STEPS[1])
        and (s.met is None or _MET[0] <= s.met <= _MET[1])
        and (s.temperature is None or _TEMP[0] <= s.temperature <= _TEMP[1])
    )


def _rr_all_good(rr: tuple[float, ...]) -> bool:
    """True when drop_bad_rr would keep every value: a shortcut for the common case."""
    low, high = RR_RANGE_MS
    try:
        total = sum(rr)  # NaN anywhere makes the sum NaN, which min/max could miss
        return total == total and low <= min(rr) and max(rr) <= high
    except TypeError:  # not all numbers: drop_bad_rr sorts it out
        return False


def _iso(t_ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
