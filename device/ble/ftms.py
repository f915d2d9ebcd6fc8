"""Fitness Machine Service (FTMS) decoders: indoor bike and treadmill data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from .layout import (
    Bits,
    Field,
    Layout,
    build_layout,
    field_values,
    read_flags,
    too_short,
)

# FTMS --------------------------------------------------------------------------------------


def _energy() -> tuple[Field, ...]:
    return (
        Field("H", "total_energy_kcal", sentinel=0xFFFF),
        Field("H", "energy_per_hour_kcal", sentinel=0xFFFF),
        Field("B", "energy_per_minute_kcal", sentinel=0xFF),
    )


@dataclass(frozen=True, slots=True)
class IndoorBikeData:
    """0x2AD2. `more_data` True = this notification is not the last of its record."""

    more_data: bool
    instantaneous_speed_kmh: float | None = None
    average_speed_kmh: float | None = None
    instantaneous_cadence_rpm: float | None = None
    average_cadence_rpm: float | None = None
    total_distance_m: int | None = None
    resistance_level: float | None = None
    resistance_level_format: str | None = None
    instantaneous_power_w: int | None = None
    average_power_w: int | None = None
    total_energy_kcal: int | None = None
    energy_per_hour_kcal: int | None = None
    energy_per_minute_kcal: int | None = None
    heart_rate_bpm: int | None = None
    metabolic_equivalent: float | None = None
    elapsed_time_s: int | None = None
    remaining_time_s: int | None = None
    trailing_octets: int = 0


def _ibd_bits(alt: bool) -> Bits:
    resistance = Field("B", "resistance_level", 0.1) if alt else Field("h", "resistance_level")
    return (
        (0x0001, False, (Field("H", "instantaneous_speed_kmh", 100),)),
        (0x0002, True, (Field("H", "average_speed_kmh", 100),)),
        (0x0004, True, (Field("H", "instantaneous_cadence_rpm", 2),)),
        (0x0008, True, (Field("H", "average_cadence_rpm", 2),)),
        (0x0010, True, (Field("3s", "total_distance_m"),)),
        (0x0020, True, (resistance,)),
        (0x0040, True, (Field("h", "instantaneous_power_w"),)),
        (0x0080, True, (Field("h", "average_power_w"),)),
        (0x0100, True, _energy()),
        (0x0200, True, (Field("B", "heart_rate_bpm"),)),
        (0x0400, True, (Field("B", "metabolic_equivalent", 10),)),
        (0x0800, True, (Field("H", "elapsed_time_s"),)),
        (0x1000, True, (Field("H", "remaining_time_s"),)),
    )


_IBD_BITS = {False: _ibd_bits(False), True: _ibd_bits(True)}


@lru_cache(maxsize=2048)
def _ibd_layout(flags: int, alt: bool) -> Layout:
    return build_layout(2, _IBD_BITS[alt], flags)


def _pick_layout(
    what: str, data: bytes, flags: int, layout: Callable[[int, bool], Layout], ambiguous: int
) -> tuple[Layout, bool]:
    """The width most clients use, unless the payload length fits only the other one."""
    n = len(data)
    primary = layout(flags, False)
    if n == primary.need:
        return primary, False
    if flags & ambiguous:
        alt = layout(flags, True)
        if n == alt.need:
            return alt, True
    if n > primary.need:
        return primary, False
    raise too_short(what, flags, 2, primary.need, n)


def decode_indoor_bike_data(data: bytes) -> IndoorBikeData:
    """Decode one Indoor Bike Data notification (bit 0 "More Data" is inverted)."""
    flags = read_flags("Indoor Bike Data", data, 2)
    lay, alt = _pick_layout("Indoor Bike Data", data, flags & 0x1FFF, _ibd_layout, 0x0020)
    values = field_values(lay, data, 2)
    if flags & 0x0020:
        values["resistance_level_format"] = "uint8" if alt else "sint16"
    return IndoorBikeData(
        more_data=bool(flags & 0x0001), trailing_octets=len(data) - lay.need, **values
    )


@dataclass(frozen=True, slots=True)
class TreadmillData:
    """0x2ACD. Pace in 0.1 km/min (uint8) unless the length says uint16 s/500 m."""

    more_data: bool
    instantaneous_speed_kmh: float | None = None
    average_speed_kmh: float | None = None
    total_distance_m: int | None = None
    inclination_percent: float | None = None
    inclination_raw: int | None = None
    ramp_angle_setting_deg: float | None = None
    ramp_angle_setting_raw: int | None = None
    positive_elevation_gain_m: float | None = None
    negative_elevation_gain_m: float | None = None
    instantaneous_pace_km_per_min: float | None = None
    average_pace_km_per_min: float | None = None
    instantaneous_pace_s_per_500m: int | None = None
    average_pace_s_per_500m: int | None = None
    pace_format: str | None = None
    total_energy_kcal: int | None = None
    energy_per_hour_kcal: int | None = None
    energy_per_minute_kcal: int | None = None
    heart_rate_bpm: int | None = None
    metabolic_equivalent: float | None = None
    elapsed_time_s: int | None = None
    remaining_time_s: int | None = None
    force_on_belt_n: int | None = None
    power_output_w: int | None = None
    trailing_octets: int = 0


def _tm_bits(alt: bool) -> Bits:
    if alt:
        inst = Field("H", "instantaneous_pace_s_per_500m")
        avg = Field("H", "average_pace_s_per_500m")
    else:
        inst = Field("B", "instantaneous_pace_km_per_min", 10)
        avg = Field("B", "average_pace_km_per_min", 10)
    na = 0x7FFF
    return (
        (0x0001, False, (Field("H", "instantaneous_speed_kmh", 100),)),
        (0x0002, True, (Field("H", "average_speed_kmh", 100),)),
        (0x0004, True, (Field("3s", "total_distance_m"),)),
        (
            0x0008,
            True,
            (
                Field("h", "inclination_percent", 10, na, "inclination_raw"),
                Field("h", "ramp_angle_setting_deg", 10, na, "ramp_angle_setting_raw"),
            ),
        ),
        (
            0x0010,
            True,
            (
                Field("H", "positive_elevation_gain_m", 10),
                Field("H", "negative_elevation_gain_m", 10),
            ),
        ),
        (0x0020, True, (inst,)),
        (0x0040, True, (avg,)),
        (0x0080, True, _energy()),
        (0x0100, True, (Field("B", "heart_rate_bpm"),)),
        (0x0200, True, (Field("B", "metabolic_equivalent", 10),)),
        (0x0400, True, (Field("H", "elapsed_time_s"),)),
        (0x0800, True, (Field("H", "remaining_time_s"),)),
        (
            0x1000,
            True,
            (Field("h", "force_on_belt_n", sentinel=na), Field("h", "power_output_w", sentinel=na)),
        ),
    )


_TM_BITS = {False: _tm_bits(False), True: _tm_bits(True)}


@lru_cache(maxsize=2048)
def _tm_layout(flags: int, alt: bool) -> Layout:
    return build_layout(2, _TM_BITS[alt], flags)


def decode_treadmill_data(data: bytes) -> TreadmillData:
    """Decode one Treadmill Data notification (bit 0 "More Data" is inverted)."""
    flags = read_flags("Treadmill Data", data, 2)
    lay, alt = _pick_layout("Treadmill Data", data, flags & 0x1FFF, _tm_layout, 0x0060)
    values = field_values(lay, data, 2)
    if flags & 0x0060:
        values["pace_format"] = "uint16_s_per_500m" if alt else "uint8_km_per_min"
    return TreadmillData(
        more_data=bool(flags & 0x0001), trailing_octets=len(data) - lay.need, **values
    )
