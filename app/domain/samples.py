"""Typed samples that every source (BLE, feeds, simulator) emits and the recorder stores."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from operator import attrgetter

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
    "temperature",
)


#: A sample's device time may be at most this far ahead of its arrival (or of this machine's
#: clock). Clocks set by NTP or a phone agree within seconds; five minutes tolerates a badly
#: set watch and bounds what one future-dated sample can cost: feeds reject later ones, and
#: crash recovery ends a session at its newest sample within this bound.
MAX_CLOCK_AHEAD_MS = 5 * 60_000


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading at one instant; `t_ms` is UTC epoch milliseconds on the source's clock.

    Units: hr bpm, cadence 1/min, speed m/s, power W, distance m (cumulative), lat/lon
    degrees, altitude m, steps (cumulative), met (metabolic equivalents), temperature °C
    (last, so positional construction of the older channels is unchanged). `rr` holds every
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
    temperature: float | None = None

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
            self.temperature,
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
    "temperature": (-60, 70),  # air at the body, Antarctic winter to a desert car park
}
RR_RANGE_MS: tuple[float, float] = (200.0, 3000.0)


def drop_bad_rr(sample: Sample) -> tuple[Sample, int]:
    """The sample without out-of-range RR intervals, and how many were dropped.

    A glitched RR value must not cost the heart-rate reading delivered with it.
    """
    if not sample.rr:
        return sample, 0
    low, high = RR_RANGE_MS
    try:
        good = tuple(rr for rr in sample.rr if low <= rr <= high)  # NaN compares false: dropped
    except TypeError:  # a value that is no number at all: drop it too
        good = tuple(rr for rr in sample.rr if _is_number(rr) and low <= rr <= high)
    if len(good) == len(sample.rr):
        return sample, 0
    return replace(sample, rr=good), len(sample.rr) - len(good)


#: (name, low, high) per checked channel, and a getter of those channels' values in that order.
_BOUNDS: tuple[tuple[str, float, float], ...] = tuple((n, lo, hi) for n, (lo, hi) in RANGES.items())
_channel_values = attrgetter(*RANGES)


_NUMBER = frozenset((int, float))
_HR, _CAD, _SPEED, _POWER = RANGES["hr"], RANGES["cadence"], RANGES["speed"], RANGES["power"]
_DIST, _LAT, _LON, _ALT = RANGES["distance"], RANGES["lat"], RANGES["lon"], RANGES["altitude"]
_STEPS, _MET, _TEMP = RANGES["steps"], RANGES["met"], RANGES["temperature"]
_RR_LOW, _RR_HIGH = RR_RANGE_MS


def _plainly_valid(s: Sample) -> bool:
    """The common case in one straight pass (no loop over absent channels); False sends the
    sample through the full check, which names what is wrong. Same rules as RANGES."""
    if not s.t_ms > 0:
        return False
    v: float | None = s.hr
    if v is not None and (v.__class__ not in _NUMBER or not _HR[0] <= v <= _HR[1]):
        return False
    v = s.cadence
    if v is not None and (v.__class__ not in _NUMBER or not _CAD[0] <= v <= _CAD[1]):
        return False
    v = s.speed
    if v is not None and (v.__class__ not in _NUMBER or not _SPEED[0] <= v <= _SPEED[1]):
        return False
    v = s.power
    if v is not None and (v.__class__ not in _NUMBER or not _POWER[0] <= v <= _POWER[1]):
        return False
    v = s.distance
    if v is not None and (v.__class__ not in _NUMBER or not _DIST[0] <= v <= _DIST[1]):
        return False
    v = s.lat
    if v is not None and (v.__class__ not in _NUMBER or not _LAT[0] <= v <= _LAT[1]):
        return False
    v = s.lon
    if v is not None and (v.__class__ not in _NUMBER or not _LON[0] <= v <= _LON[1]):
        return False
    v = s.altitude
    if v is not None and (v.__class__ not in _NUMBER or not _ALT[0] <= v <= _ALT[1]):
        return False
    v = s.steps
    if v is not None and (v.__class__ not in _NUMBER or not _STEPS[0] <= v <= _STEPS[1]):
        return False
    v = s.met
    if v is not None and (v.__class__ not in _NUMBER or not _MET[0] <= v <= _MET[1]):
        return False
    v = s.temperature
    if v is not None and (v.__class__ not in _NUMBER or not _TEMP[0] <= v <= _TEMP[1]):
        return False
    for rr in s.rr:
        if rr.__class__ not in _NUMBER or not _RR_LOW <= rr <= _RR_HIGH:
            return False
    return True


def validate(sample: Sample) -> Sample:
    """Return the sample unchanged, or raise InvalidSample naming the first bad channel.

    Runs for every sample the recorder takes, so it is written for speed: a straight pass
    for the common case, then (only for a sample that fails it) one getter for all channels
    with range checks that also refuse NaN and infinities (they compare false).
    """
    if _plainly_valid(sample):
        return sample
    return checked(sample)


def checked(sample: Sample) -> Sample:
    """The full check, channel by channel: the reason for the first bad value, or the sample."""
    if sample.t_ms <= 0:
        raise InvalidSample(f"t_ms must be positive, got {sample.t_ms}")
    for (name, low, high), value in zip(_BOUNDS, _channel_values(sample), strict=True):
        if value is None:
            continue
        kind = value.__class__
        if kind is not float and kind is not int and not _is_number(value):
            raise InvalidSample(f"{name} is not a number: {value!r}")
        if not low <= value <= high:
            raise InvalidSample(f"{name}={value} outside [{low}, {high}]")
    low, high = RR_RANGE_MS
    for rr in sample.rr:
        kind = rr.__class__
        if kind is not float and kind is not int and not _is_number(rr):
            raise InvalidSample(f"rr is not a number: {rr!r}")
        if not low <= rr <= high:
            raise InvalidSample(f"rr={rr} ms outside {RR_RANGE_MS}")
    return sample


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
