"""Turn one sensor's decoded notifications into Samples (pure: no bleak, no clock of its own).

One `SampleBuilder` per connected sensor. It keeps the state that spans notifications (crank
and wheel baselines, the session odometer, FTMS record parts) and is `rebaseline()`d after a
reconnect so a stale baseline never invents a revolution burst.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.domain.samples import RANGES, RR_RANGE_MS, Sample

from . import uuids as U
from .decoders import (
    CscMeasurement,
    CyclingPowerMeasurement,
    GattDecodeError,
    HeartRateMeasurement,
    IndoorBikeData,
    RscMeasurement,
    TreadmillData,
    decode,
)
from .derive import (
    CP_WHEEL_TICKS_PER_S,
    CSC_TICKS_PER_S,
    DEFAULT_WHEEL_CIRCUMFERENCE_M,
    MAX_CRANK_RPM,
    MAX_WHEEL_RPS,
    MOD16,
    MOD32,
    RecordAssembler,
    RevolutionRate,
)

log = logging.getLogger(__name__)

#: Longest notification gap over which RSC speed is integrated into distance; a longer gap
#: is a drop-out and must stay a gap, not a straight line.
MAX_INTEGRATION_GAP_S = 5.0


@dataclass
class BuilderStats:
    """Per-sensor counters: nothing is dropped silently."""

    notifications: int = 0
    samples: int = 0
    rejected: int = 0  # payloads that failed to decode
    no_contact: int = 0  # HR notifications while the strap reports no skin contact
    rr_dropped: int = 0  # RR values outside the physical range
    trailing_octets: int = 0  # notifications with surplus octets (ignored)
    last_error: str | None = None


def _in_range(channel: str, value: float | None) -> float | None:
    if value is None:
        return None
    low, high = RANGES[channel]
    return value if low <= value <= high else None


class SampleBuilder:
    """Decoded notifications of one sensor -> Samples stamped with its identity."""

    def __init__(
        self,
        source: str,
        *,
        wheel_circumference_m: float = DEFAULT_WHEEL_CIRCUMFERENCE_M,
    ) -> None:
        self.source = source
        self.circumference = wheel_circumference_m
        self.stats = BuilderStats()
        self.distance_m = 0.0  # session odometer: continues across reconnects
        self._crank = RevolutionRate(MOD16, CSC_TICKS_PER_S, max_rps=MAX_CRANK_RPM / 60)
        self._csc_wheel = RevolutionRate(MOD32, CSC_TICKS_PER_S, max_rps=MAX_WHEEL_RPS)
        self._cp_wheel = RevolutionRate(MOD32, CP_WHEEL_TICKS_PER_S, max_rps=MAX_WHEEL_RPS)
        self._bike: RecordAssembler[IndoorBikeData] = RecordAssembler()
        self._tread: RecordAssembler[TreadmillData] = RecordAssembler()
        self._last_total: float | None = None
        self._last_total_s = 0.0
        self._last_rsc_s: float | None = None

    def rebaseline(self) -> None:
        """After a reconnect: forget counter baselines (the odometer is kept)."""
        self._crank.reset()
        self._csc_wheel.reset()
        self._cp_wheel.reset()
        self._bike = RecordAssembler()
        self._tread = RecordAssembler()
        self._last_total = None
        self._last_rsc_s = None

    def feed(self, uuid: str, data: bytes, t_ms: int) -> Sample | None:
        """The Sample this notification adds, or None (baseline, rejected, partial record)."""
        self.stats.notifications += 1
        try:
            value = decode(uuid, data)
        except GattDecodeError as exc:
            self.stats.rejected += 1
            self.stats.last_error = str(exc)
            if self.stats.rejected <= 3 or self.stats.rejected % 100 == 0:
                log.warning(
                    "%s: rejected notification (%d so far): %s",
                    self.source,
                    self.stats.rejected,
                    exc,
                )
            return None
        if getattr(value, "trailing_octets", 0):
            self.stats.trailing_octets += 1
        now_s = t_ms / 1000
        sample: Sample | None
        if isinstance(value, HeartRateMeasurement):
            sample = self._heart_rate(value, t_ms)
        elif isinstance(value, CscMeasurement):
            sample = self._csc(value, t_ms, now_s)
        elif isinstance(value, CyclingPowerMeasurement):
            sample = self._power(value, t_ms, now_s)
        elif isinstance(value, RscMeasurement):
            sample = self._rsc(value, t_ms, now_s)
        elif isinstance(value, IndoorBikeData):
            bike = self._bike.feed(value)
            sample = None if bike is None else self._ftms(bike, t_ms)
        elif isinstance(value, TreadmillData):
            tread = self._tread.feed(value)
            sample = None if tread is None else self._ftms(tread, t_ms)
        else:
            sample = None
        if sample is not None:
            self.stats.samples += 1
        return sample

    def _heart_rate(self, m: HeartRateMeasurement, t_ms: int) -> Sample | None:
        if m.sensor_contact == "supported_not_detected":
            self.stats.no_contact += 1
            return None
        rr: list[float] = []
        for value in m.rr_intervals_ms:
            if RR_RANGE_MS[0] <= value <= RR_RANGE_MS[1]:
                rr.append(value)
            else:
                self.stats.rr_dropped += 1
        hr = _in_range("hr", m.heart_rate_bpm)
        if hr is None and not rr:
            return None
        return Sample(t_ms, hr=None if hr is None else int(hr), rr=tuple(rr), source=self.source)

    def _odometer(self, revs: int) -> float | None:
        self.distance_m += revs * self.circumference
        return _in_range("distance", round(self.distance_m, 3))

    def _crank_cadence(self, revs: int | None, time_raw: int | None, now_s: float) -> float | None:
        if revs is None or time_raw is None:
            return None
        rps, _ = self._crank.update(revs, time_raw, now_s)
        return None if rps is None else round(rps * 60, 2)

    def _csc(self, m: CscMeasurement, t_ms: int, now_s: float) -> Sample | None:
        speed = distance = None
        if m.cumulative_wheel_revs is not None and m.last_wheel_event_time_raw_1024 is not None:
            rps, revs = self._csc_wheel.update(
                m.cumulative_wheel_revs, m.last_wheel_event_time_raw_1024, now_s
            )
            speed = None if rps is None else round(rps * self.circumference, 3)
            distance = self._odometer(revs)
        cadence = self._crank_cadence(
            m.cumulative_crank_revs, m.last_crank_event_time_raw_1024, now_s
        )
        if cadence is None and speed is None and distance is None:
            return None  # the first crank notification only sets the baseline
        return Sample(t_ms, cadence=cadence, speed=speed, distance=distance, source=self.source)

    def _power(self, m: CyclingPowerMeasurement, t_ms: int, now_s: float) -> Sample:
        speed = distance = None
        if m.cumulative_wheel_revs is not None and m.last_wheel_event_time_raw_2048 is not None:
            rps, revs = self._cp_wheel.update(
                m.cumulative_wheel_revs, m.last_wheel_event_time_raw_2048, now_s
            )
            speed = None if rps is None else round(rps * self.circumference, 3)
            distance = self._odometer(revs)
        cadence = self._crank_cadence(
            m.cumulative_crank_revs, m.last_crank_event_time_raw_1024, now_s
        )
        return Sample(
            t_ms,
            power=_in_range("power", m.instantaneous_power_w),
            cadence=cadence,
            speed=speed,
            distance=distance,
            source=self.source,
        )

    def _total_distance(self, total: float | None, now_s: float) -> float | None:
        """Session distance from a sensor's running total; resets and jumps add nothing."""
        if total is None:
            return None
        last, last_s = self._last_total, self._last_total_s
        if last is not None and total >= last:
            # A total can only grow as fast as the fastest athlete moves (1 s floor: totals
            # have coarse resolution); anything more is a glitch or a sensor reset.
            allowed = RANGES["speed"][1] * max(now_s - last_s, 1.0)
            if total - last <= allowed:
                self.distance_m += total - last
        self._last_total, self._last_total_s = total, now_s
        return _in_range("distance", round(self.distance_m, 3))

    def _rsc(self, m: RscMeasurement, t_ms: int, now_s: float) -> Sample:
        speed = _in_range("speed", m.instantaneous_speed_mps)
        distance = self._total_distance(m.total_distance_m, now_s)
        if m.total_distance_m is None:
            last = self._last_rsc_s
            if speed is not None and last is not None and 0 < now_s - last <= MAX_INTEGRATION_GAP_S:
                self.distance_m += speed * (now_s - last)
            distance = _in_range("distance", round(self.distance_m, 3))
        self._last_rsc_s = now_s
        return Sample(
            t_ms,
            speed=speed,
            cadence=_in_range("cadence", m.instantaneous_cadence_per_min),
            distance=distance,
            source=self.source,
        )

    def _ftms(self, r: IndoorBikeData | TreadmillData, t_ms: int) -> Sample:
        speed = None if r.instantaneous_speed_kmh is None else r.instantaneous_speed_kmh / 3.6
        hr = r.heart_rate_bpm or None  # FTMS sends 0 when it has no heart rate
        power = r.instantaneous_power_w if isinstance(r, IndoorBikeData) else r.power_output_w
        cadence = r.instantaneous_cadence_rpm if isinstance(r, IndoorBikeData) else None
        total = None if r.total_distance_m is None else float(r.total_distance_m)
        return Sample(
            t_ms,
            hr=None if _in_range("hr", hr) is None else hr,
            speed=_in_range("speed", None if speed is None else round(speed, 3)),
            cadence=_in_range("cadence", cadence),
            power=_in_range("power", power),
            distance=self._total_distance(total, t_ms / 1000),
            met=_in_range("met", r.metabolic_equivalent),
            source=self.source,
        )


#: Re-exported so callers subscribe to what the builder understands.
MEASUREMENTS_BY_KIND = U.MEASUREMENTS_BY_KIND
