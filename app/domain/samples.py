"""Typed samples that every source (BLE, feeds, simulator) emits and the recorder stores."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

#: Channels a sample may carry; each is optional (None = not measured in this sample).
CHANNELS: tuple[str, ...] = (
    "hr",
    "cadence",
    "speed",
    "power",
    "distance",
    "lat",
    "lon",
    "altitude",
    "steps",
    "met",
)


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading at one instant; `t_ms` is UTC epoch milliseconds on the source's clock.

    Units: hr bpm, cadence 1/min, speed m/s, power W, distance m (cumulative), lat/lon
    degrees, altitude m, steps (cumulative), met (metabolic equivalents). `rr` holds every
    RR interval (ms) delivered with this reading. `received_ms` is the local arrival time
    when it differs from the device clock (feeds), else None. `source` identifies the sensor
    or feed (BLE address, feed/athlete key); stored as the `device_id` the recorder maps it to.
    """

    t_ms: int
    hr: int | None = None
    cadence: float | None = None
    speed: float | None = None
    power: float | None = None
    distance: float | None = None
    lat: float | None = None
    lon: float | None = None
    altitude: float | None = None
    steps: int | None = None
    met: float | None = None
    rr: tuple[float, ...] = field(default=())
    received_ms: int | None = None
    source: str | None = None

    def row(self, session_id: int, device_id: int | None = None) -> tuple[object, ...]:
        """The sample as a `samples` table row, in the column order of SAMPLE_COLUMNS."""
        return (
            session_id,
            device_id,
            self.t_ms,
            self.hr,
            self.cadence,
            self.speed,
            self.power,
            self.distance,
            self.lat,
            self.lon,
            self.altitude,
            self.steps,
            self.met,
            self.received_ms,
        )


#: Column order used by `Sample.row` and the batched writer.
SAMPLE_COLUMNS: tuple[str, ...] = ("session_id", "device_id", "t_ms", *CHANNELS, "received_ms")


class InvalidSample(ValueError):
    """A sample whose values are outside physical ranges; the recorder counts and drops it."""


#: Inclusive physical ranges; anything outside is a sensor or transport fault, not a reading.
RANGES: dict[str, tuple[float, float]] = {
    "hr": (20, 250),
    "cadence": (0, 300),
    "speed": (0, 40),
    "power": (-2000, 3000),
    "distance": (0, 1_000_000),
    "lat": (-90, 90),
    "lon": (-180, 180),
    "altitude": (-500, 9000),
    "steps": (0, 10_000_000),
    "met": (0, 25),
}
RR_RANGE_MS: tuple[float, float] = (200.0, 3000.0)


def drop_bad_rr(sample: Sample) -> tuple[Sample, int]:
    """The sample without out-of-range RR intervals, and how many were dropped.

    A glitched RR value must not cost the heart-rate reading delivered with it.
    """
    low, high = RR_RANGE_MS
    good = tuple(rr for rr in sample.rr if math.isfinite(rr) and low <= rr <= high)
    if len(good) == len(sample.rr):
        return sample, 0
    return replace(sample, rr=good), len(sample.rr) - len(good)


def validate(sample: Sample) -> Sample:
    """Return the sample unchanged, or raise InvalidSample naming the first bad channel."""
    if sample.t_ms <= 0:
        raise InvalidSample(f"t_ms must be positive, got {sample.t_ms}")
    for name, (low, high) in RANGES.items():
        value = getattr(sample, name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidSample(f"{name} is not a number: {value!r}")
        if not math.isfinite(value) or not low <= value <= high:
            raise InvalidSample(f"{name}={value} outside [{low}, {high}]")
    for rr in sample.rr:
        if not math.isfinite(rr) or not RR_RANGE_MS[0] <= rr <= RR_RANGE_MS[1]:
            raise InvalidSample(f"rr={rr} ms outside {RR_RANGE_MS}")
    return sample
