"""Cadence, speed and distance from two consecutive notifications, rollover-correct.

Counts and event times are cumulative and wrap: deltas are taken modulo 2^16 (crank count,
every event time) or 2^32 (wheel count). CSC and crank event times tick at 1/1024 s; the
Cycling Power wheel event time ticks at 1/2048 s.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Generic, TypeVar

from .decoders import CscMeasurement, CyclingPowerMeasurement, IndoorBikeData, TreadmillData

MOD16 = 1 << 16
MOD32 = 1 << 32
CSC_TICKS_PER_S = 1024
CP_WHEEL_TICKS_PER_S = 2048
CRANK_TICKS_PER_S = 1024

#: Default wheel circumference: 700x25C road tyre (2105 mm), the common trainer default.
DEFAULT_WHEEL_CIRCUMFERENCE_M = 2.105
#: An unchanged event time means "no new revolution": keep showing the last rate this long
#: (a crank at 20 rpm turns every 3 s), then report zero.
HOLD_S = 3.0
#: Faster than this is a glitch or a stale baseline after a reconnect, never a reading.
MAX_CRANK_RPM = 250.0
MAX_WHEEL_RPS = 40.0  # ~300 km/h on a road wheel


def delta16(current: int, previous: int) -> int:
    """Forward difference of a uint16 counter or event time across one wrap."""
    return (current - previous) % MOD16


def delta32(current: int, previous: int) -> int:
    """Forward difference of a uint32 counter across one wrap."""
    return (current - previous) % MOD32


def rate_per_minute(delta_revs: int, delta_ticks: int, ticks_per_s: int) -> float | None:
    """Revolutions per minute, or None when no event time elapsed."""
    if delta_ticks == 0:
        return None
    return 60.0 * delta_revs * ticks_per_s / delta_ticks


@dataclass(frozen=True, slots=True)
class Derived:
    """What two consecutive CSC or CP notifications say together."""

    delta_wheel_revs: int | None = None
    delta_wheel_time_raw: int | None = None
    wheel_ticks_per_s: int = CSC_TICKS_PER_S
    delta_crank_revs: int | None = None
    delta_crank_time_raw_1024: int | None = None
    cadence_rpm: float | None = None
    speed_mps: float | None = None
    distance_delta_m: float | None = None
    total_distance_from_cumulative_revs_m: float | None = None
    gear_ratio: float | None = None

    def as_json(self) -> dict[str, object]:
        """Unit-suffixed keys as `gatt decode --previous` prints them."""
        out: dict[str, object] = {
            "delta_wheel_revs": self.delta_wheel_revs,
            "delta_crank_revs": self.delta_crank_revs,
            "delta_crank_time_raw_1024": self.delta_crank_time_raw_1024,
            "cadence_rpm": self.cadence_rpm,
            "speed_mps": self.speed_mps,
            "distance_m": self.distance_delta_m,
            "distance_delta_m": self.distance_delta_m,
            "total_distance_from_cumulative_revs_m": self.total_distance_from_cumulative_revs_m,
            "gear_ratio": self.gear_ratio,
        }
        wheel_key = f"delta_wheel_time_raw_{self.wheel_ticks_per_s}"
        out[wheel_key] = self.delta_wheel_time_raw
        # One "delta_time" for tools that expect a single one: the crank's when present.
        if self.delta_crank_time_raw_1024 is not None:
            out["delta_time_raw_1024"] = self.delta_crank_time_raw_1024
        elif self.wheel_ticks_per_s == CSC_TICKS_PER_S:
            out["delta_time_raw_1024"] = self.delta_wheel_time_raw
        return out


def _derive(
    wheel: tuple[int, int, int, int] | None,
    crank: tuple[int, int, int, int] | None,
    wheel_ticks: int,
    circumference_m: float,
    cumulative_wheel: int | None,
) -> Derived:
    wheel_revs: int | None = None
    wheel_time: int | None = None
    crank_revs: int | None = None
    crank_time: int | None = None
    distance_m: float | None = None
    speed_mps: float | None = None
    cadence_rpm: float | None = None
    total_m: float | None = None
    gear_ratio: float | None = None
    wheel_rps = crank_rps = None
    if wheel is not None:
        wheel_revs = delta32(wheel[0], wheel[2])
        wheel_time = delta16(wheel[1], wheel[3])
        distance_m = wheel_revs * circumference_m
        if wheel_time:
            wheel_rps = wheel_revs * wheel_ticks / wheel_time
            speed_mps = wheel_rps * circumference_m
    if cumulative_wheel is not None:
        total_m = cumulative_wheel * circumference_m
    if crank is not None:
        crank_revs = delta16(crank[0], crank[2])
        crank_time = delta16(crank[1], crank[3])
        cadence_rpm = rate_per_minute(crank_revs, crank_time, CRANK_TICKS_PER_S)
        if cadence_rpm:
            crank_rps = cadence_rpm / 60
    if wheel_rps is not None and crank_rps:
        gear_ratio = wheel_rps / crank_rps
    return Derived(
        delta_wheel_revs=wheel_revs,
        delta_wheel_time_raw=wheel_time,
        wheel_ticks_per_s=wheel_ticks,
        delta_crank_revs=crank_revs,
        delta_crank_time_raw_1024=crank_time,
        cadence_rpm=cadence_rpm,
        speed_mps=speed_mps,
        distance_delta_m=distance_m,
        total_distance_from_cumulative_revs_m=total_m,
        gear_ratio=gear_ratio,
    )


def derive_csc(
    previous: CscMeasurement,
    current: CscMeasurement,
    circumference_m: float = DEFAULT_WHEEL_CIRCUMFERENCE_M,
) -> Derived:
    """Cadence, speed and distance between two CSC Measurements."""
    wheel = crank = None
    if current.cumulative_wheel_revs is not None and previous.cumulative_wheel_revs is not None:
        assert current.last_wheel_event_time_raw_1024 is not None
        assert previous.last_wheel_event_time_raw_1024 is not None
        wheel = (
            current.cumulative_wheel_revs,
            current.last_wheel_event_time_raw_1024,
            previous.cumulative_wheel_revs,
            previous.last_wheel_event_time_raw_1024,
        )
    if current.cumulative_crank_revs is not None and previous.cumulative_crank_revs is not None:
        assert current.last_crank_event_time_raw_1024 is not None
        assert previous.last_crank_event_time_raw_1024 is not None
        crank = (
            current.cumulative_crank_revs,
            current.last_crank_event_time_raw_1024,
            previous.cumulative_crank_revs,
            previous.last_crank_event_time_raw_1024,
        )
    return _derive(wheel, crank, CSC_TICKS_PER_S, circumference_m, current.cumulative_wheel_revs)


def derive_power(
    previous: CyclingPowerMeasurement,
    current: CyclingPowerMeasurement,
    circumference_m: float = DEFAULT_WHEEL_CIRCUMFERENCE_M,
) -> Derived:
    """Cadence and wheel speed between two Cycling Power Measurements."""
    wheel = crank = None
    if current.cumulative_wheel_revs is not None and previous.cumulative_wheel_revs is not None:
        assert current.last_wheel_event_time_raw_2048 is not None
        assert previous.last_wheel_event_time_raw_2048 is not None
        wheel = (
            current.cumulative_wheel_revs,
            current.last_wheel_event_time_raw_2048,
            previous.cumulative_wheel_revs,
            previous.last_wheel_event_time_raw_2048,
        )
    if current.cumulative_crank_revs is not None and previous.cumulative_crank_revs is not None:
        assert current.last_crank_event_time_raw_1024 is not None
        assert previous.last_crank_event_time_raw_1024 is not None
        crank = (
            current.cumulative_crank_revs,
            current.last_crank_event_time_raw_1024,
            previous.cumulative_crank_revs,
            previous.last_crank_event_time_raw_1024,
        )
    return _derive(
        wheel, crank, CP_WHEEL_TICKS_PER_S, circumference_m, current.cumulative_wheel_revs
    )


class RevolutionRate:
    """A live rate (rev/s) from cumulative (count, event time) pairs.

    Rollover-safe; an unchanged event time holds the last rate for `hold_s`, then zero; a
    counter that runs backwards or implies an impossible rate re-baselines (None).
    """

    def __init__(
        self,
        count_modulus: int,
        ticks_per_s: int,
        *,
        max_rps: float,
        hold_s: float = HOLD_S,
    ) -> None:
        self.count_modulus = count_modulus
        self.ticks_per_s = ticks_per_s
        self.max_rps = max_rps
        self.hold_s = hold_s
        self.reset()

    def reset(self) -> None:
        """Forget the baseline (after a reconnect the sensor's counters may have moved)."""
        self._count: int | None = None
        self._time = 0
        self._changed_s = 0.0
        self._rate: float | None = None

    def update(self, count: int, event_time: int, now_s: float) -> tuple[float | None, int]:
        """(rate in rev/s or None when unknown, new revolutions since the last update)."""
        if self._count is None:
            self._count, self._time, self._changed_s = count, event_time, now_s
            return None, 0
        revs = (count - self._count) % self.count_modulus
        ticks = (event_time - self._time) % MOD16
        if ticks == 0:
            if revs:  # count moved without a new event time: a glitch; keep the baseline
                return self._rate, 0
            if now_s - self._changed_s <= self.hold_s:
                return self._rate, 0
            self._rate = 0.0
            return 0.0, 0
        if revs > self.count_modulus // 2:  # ran backwards: sensor reset
            self.reset()
            return self.update(count, event_time, now_s)
        rate = revs * self.ticks_per_s / ticks
        if rate > self.max_rps:
            self.reset()
            return self.update(count, event_time, now_s)
        self._count, self._time, self._changed_s = count, event_time, now_s
        self._rate = rate
        return rate, revs


FtmsRecord = TypeVar("FtmsRecord", IndoorBikeData, TreadmillData)

#: A record never spans more notifications than this (all FTMS fields fit in ~4 at MTU 23).
MAX_RECORD_PARTS = 8


class RecordAssembler(Generic[FtmsRecord]):
    """Joins the notifications of one FTMS Data Record (More Data = 1 until the last)."""

    def __init__(self) -> None:
        # Values of FtmsRecord's own fields, by name: each goes back into the field it came
        # from, which is more than a static type can say.
        self._parts: dict[str, Any] = {}
        self._count = 0
        self.dropped = 0

    def feed(self, part: FtmsRecord) -> FtmsRecord | None:
        """The whole record when `part` is its last notification, else None."""
        if not part.more_data and not self._count:
            return part  # the usual case: a record in one notification
        self._count += 1
        for f in fields(part):
            value = getattr(part, f.name)
            if value is not None and f.name not in ("more_data", "trailing_octets"):
                self._parts[f.name] = value
        if part.more_data and self._count < MAX_RECORD_PARTS:
            return None
        if part.more_data:  # runaway record: never ended, emit what we have
            self.dropped += 1
        record = replace(part, more_data=False, **self._parts)
        self._parts, self._count = {}, 0
        return record
