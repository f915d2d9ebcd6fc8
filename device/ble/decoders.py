"""Pure GATT notification decoders: `bytes -> frozen dataclass`, or one `GattDecodeError`.

Field names are snake_case with a unit suffix (`heart_rate_bpm`, `instantaneous_power_w`), the
same names `pulsedeck gatt decode --json` prints. Rules every decoder follows (see docs/ble.md):
a payload shorter than its flags predict is rejected; surplus trailing octets after a
flag-driven layout are ignored and counted in `trailing_octets`; single-value characteristics
(battery, body sensor location) must have exactly their length; "Data Not Available"
sentinels decode to None.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import uuids as U


class GattDecodeError(ValueError):
    """A payload that cannot be a valid value of its characteristic; the only error raised."""


# Field layouts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """One wire field: struct code (`3s` = uint24), output name, divisor, sentinel, raw name."""

    code: str
    name: str
    div: float = 1
    sentinel: int | None = None
    raw_name: str | None = None


#: (flag mask, present when the bit is set?, fields). Mask 0 = always present.
Bits = tuple[tuple[int, bool, tuple[Field, ...]], ...]


@dataclass(frozen=True, slots=True)
class Layout:
    """The wire layout one flags value selects (cached per flags value)."""

    struct: struct.Struct
    fields: tuple[Field, ...]
    need: int
    #: Names when no field needs scaling, sentinels or uint24 (then a plain zip will do).
    plain_names: tuple[str, ...] | None


def _build_layout(header: int, bits: Bits, flags: int) -> Layout:
    chosen: list[Field] = []
    for mask, when_set, fields in bits:
        if mask == 0 or bool(flags & mask) == when_set:
            chosen.extend(fields)
    st = struct.Struct("<" + "".join(f.code for f in chosen))
    plain = all(
        f.div == 1 and f.sentinel is None and f.raw_name is None and f.code != "3s" for f in chosen
    )
    names = tuple(f.name for f in chosen) if plain else None
    return Layout(st, tuple(chosen), header + st.size, names)


def _values(lay: Layout, data: bytes, offset: int) -> dict[str, Any]:
    raw = lay.struct.unpack_from(data, offset)
    if lay.plain_names is not None:
        return dict(zip(lay.plain_names, raw, strict=True))
    return _convert(lay.fields, raw)


def _convert(fields: Sequence[Field], raw: Sequence[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f, value in zip(fields, raw, strict=True):
        if f.code == "3s":
            value = int.from_bytes(value, "little")
        if f.raw_name is not None:
            out[f.raw_name] = value
        if f.sentinel is not None and value == f.sentinel:
            out[f.name] = None
        elif f.div != 1:
            out[f.name] = value / f.div
        else:
            out[f.name] = value
    return out


def _too_short(what: str, flags: int, width: int, need: int, n: int) -> GattDecodeError:
    return GattDecodeError(
        f"{what}: flags 0x{flags:0{width * 2}x} need {need} octets; only {n} supplied"
    )


def _flags(what: str, data: bytes, width: int) -> int:
    if len(data) < width:
        raise GattDecodeError(f"{what}: empty payload" if not data else f"{what}: no flags")
    return data[0] if width == 1 else data[0] | data[1] << 8


# Heart rate --------------------------------------------------------------------------------

SENSOR_CONTACT = ("not_supported", "not_supported", "supported_not_detected", "detected")


@dataclass(frozen=True, slots=True)
class HeartRateMeasurement:
    """0x2A37. Energy in kJ (see docs/ble.md); RR in 1/1024 s, oldest first."""

    heart_rate_bpm: int
    hr_format: str
    sensor_contact: str
    energy_expended_kj: int | None
    rr_intervals_raw_1024: tuple[int, ...]
    trailing_octets: int = 0

    @property
    def rr_intervals_ms(self) -> tuple[float, ...]:
        return tuple(round(r * 1000 / 1024, 4) for r in self.rr_intervals_raw_1024)


#: ATT caps an attribute value at 512 octets; anything longer is not a notification.
MAX_ATTRIBUTE_OCTETS = 512
_HR_STRUCTS = [struct.Struct(f"<{n}H") for n in range(MAX_ATTRIBUTE_OCTETS // 2 + 1)]


def decode_heart_rate(data: bytes) -> HeartRateMeasurement:
    """Decode a Heart Rate Measurement; every RR interval in it is kept."""
    n = len(data)
    flags = _flags("Heart Rate Measurement", data, 1)
    wide = flags & 0x01
    need = (3 if wide else 2) + (2 if flags & 0x08 else 0)
    if n < need:
        raise _too_short("Heart Rate Measurement", flags, 1, need, n)
    if n > MAX_ATTRIBUTE_OCTETS:
        raise GattDecodeError(f"Heart Rate Measurement: {n} octets exceed the ATT maximum")
    if wide:
        hr, pos = data[1] | data[2] << 8, 3
    else:
        hr, pos = data[1], 2
    energy = None
    if flags & 0x08:
        energy, pos = data[pos] | data[pos + 1] << 8, pos + 2
    rr: tuple[int, ...] = ()
    if flags & 0x10:
        count = (n - pos) // 2
        rr = _HR_STRUCTS[count].unpack_from(data, pos)
        pos += 2 * count
    return HeartRateMeasurement(
        hr,
        "uint16" if wide else "uint8",
        SENSOR_CONTACT[(flags >> 1) & 0x03],
        energy,
        rr,
        n - pos,
    )


# Body sensor location, battery, device information ------------------------------------------

BODY_SENSOR_LOCATIONS = ("Other", "Chest", "Wrist", "Finger", "Hand", "Ear Lobe", "Foot")


@dataclass(frozen=True, slots=True)
class BodySensorLocation:
    """0x2A38; values 7-255 are reserved by the SIG and named "Reserved"."""

    body_sensor_location: int
    body_sensor_location_name: str


def _exactly_one(what: str, data: bytes) -> int:
    if len(data) != 1:
        raise GattDecodeError(f"{what}: length must be exactly 1 octet, got {len(data)}")
    return data[0]


def decode_body_sensor_location(data: bytes) -> BodySensorLocation:
    """Decode Body Sensor Location (one octet)."""
    v = _exactly_one("Body Sensor Location", data)
    name = BODY_SENSOR_LOCATIONS[v] if v < len(BODY_SENSOR_LOCATIONS) else "Reserved"
    return BodySensorLocation(v, name)


@dataclass(frozen=True, slots=True)
class BatteryLevel:
    """0x2A19, percent 0-100."""

    battery_level_percent: int


def decode_battery_level(data: bytes) -> BatteryLevel:
    """Decode Battery Level; values above 100 % are rejected, not clamped."""
    v = _exactly_one("Battery Level", data)
    if v > 100:
        raise GattDecodeError(f"Battery Level: {v} % is outside 0-100 %")
    return BatteryLevel(v)


@dataclass(frozen=True, slots=True)
class DeviceInfoString:
    """A Device Information string (manufacturer, model, serial, revisions)."""

    value: str


def decode_device_info_string(data: bytes) -> DeviceInfoString:
    """UTF-8 with trailing NUL padding removed (many sensors pad to a fixed size)."""
    try:
        text = bytes(data).rstrip(b"\x00").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GattDecodeError(f"Device Information: not UTF-8 text ({exc.reason})") from None
    if any(ord(c) < 0x20 for c in text):
        raise GattDecodeError("Device Information: control characters in text")
    return DeviceInfoString(text.strip())


# RSC ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RscMeasurement:
    """0x2A53. Cadence as the sensor sends it (strides or steps per minute: docs/ble.md)."""

    instantaneous_speed_mps: float
    instantaneous_cadence_per_min: int
    is_running: bool
    stride_length_m: float | None = None
    total_distance_m: float | None = None
    total_distance_raw_dm: int | None = None
    trailing_octets: int = 0


_RSC_BITS: Bits = (
    (
        0,
        True,
        (Field("H", "instantaneous_speed_mps", 256), Field("B", "instantaneous_cadence_per_min")),
    ),
    (0x01, True, (Field("H", "stride_length_m", 100),)),
    (0x02, True, (Field("I", "total_distance_m", 10, raw_name="total_distance_raw_dm"),)),
)


@lru_cache(maxsize=256)
def _rsc_layout(flags: int) -> Layout:
    return _build_layout(1, _RSC_BITS, flags)


def decode_rsc(data: bytes) -> RscMeasurement:
    """Decode RSC Measurement (walking/running status is bit 2, mask 0x04)."""
    flags = _flags("RSC Measurement", data, 1)
    lay = _rsc_layout(flags)
    n = len(data)
    if n < lay.need:
        raise _too_short("RSC Measurement", flags, 1, lay.need, n)
    values = _values(lay, data, 1)
    return RscMeasurement(is_running=bool(flags & 0x04), trailing_octets=n - lay.need, **values)


# CSC ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CscMeasurement:
    """0x2A5B. Event times in 1/1024 s; wheel count uint32, crank count uint16."""

    wheel_present: bool
    crank_present: bool
    cumulative_wheel_revs: int | None = None
    last_wheel_event_time_raw_1024: int | None = None
    cumulative_crank_revs: int | None = None
    last_crank_event_time_raw_1024: int | None = None
    trailing_octets: int = 0


_CSC_BITS: Bits = (
    (
        0x01,
        True,
        (Field("I", "cumulative_wheel_revs"), Field("H", "last_wheel_event_time_raw_1024")),
    ),
    (
        0x02,
        True,
        (Field("H", "cumulative_crank_revs"), Field("H", "last_crank_event_time_raw_1024")),
    ),
)


@lru_cache(maxsize=256)
def _csc_layout(flags: int) -> Layout:
    return _build_layout(1, _CSC_BITS, flags)


def decode_csc(data: bytes) -> CscMeasurement:
    """Decode CSC Measurement (wheel and/or crank revolution data)."""
    flags = _flags("CSC Measurement", data, 1)
    lay = _csc_layout(flags)
    n = len(data)
    if n < lay.need:
        raise _too_short("CSC Measurement", flags, 1, lay.need, n)
    values = _values(lay, data, 1)
    return CscMeasurement(
        wheel_present=bool(flags & 0x01),
        crank_present=bool(flags & 0x02),
        trailing_octets=n - lay.need,
        **values,
    )


# Cycling power -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CyclingPowerMeasurement:
    """0x2A63. Signed power; wheel event time in 1/2048 s, crank event time in 1/1024 s."""

    instantaneous_power_w: int
    pedal_power_balance_percent: float | None = None
    pedal_power_balance_reference: str | None = None
    accumulated_torque_raw: int | None = None
    accumulated_torque_source: str | None = None
    cumulative_wheel_revs: int | None = None
    last_wheel_event_time_raw_2048: int | None = None
    cumulative_crank_revs: int | None = None
    last_crank_event_time_raw_1024: int | None = None
    maximum_force_n: int | None = None
    minimum_force_n: int | None = None
    maximum_torque_nm: float | None = None
    minimum_torque_nm: float | None = None
    maximum_angle_deg: int | None = None
    minimum_angle_deg: int | None = None
    top_dead_spot_angle_deg: int | None = None
    bottom_dead_spot_angle_deg: int | None = None
    accumulated_energy_kj: int | None = None
    offset_compensation_indicator: bool = False
    trailing_octets: int = 0

    @property
    def accumulated_torque_nm(self) -> float | None:
        raw = self.accumulated_torque_raw
        return None if raw is None else raw / 32

    @property
    def last_wheel_event_time_s(self) -> float | None:
        raw = self.last_wheel_event_time_raw_2048
        return None if raw is None else raw / 2048

    @property
    def last_crank_event_time_s(self) -> float | None:
        raw = self.last_crank_event_time_raw_1024
        return None if raw is None else raw / 1024


_CP_BITS: Bits = (
    (0, True, (Field("h", "instantaneous_power_w"),)),
    (0x0001, True, (Field("B", "pedal_power_balance_percent", 2),)),
    (0x0004, True, (Field("H", "accumulated_torque_raw"),)),
    (
        0x0010,
        True,
        (Field("I", "cumulative_wheel_revs"), Field("H", "last_wheel_event_time_raw_2048")),
    ),
    (
        0x0020,
        True,
        (Field("H", "cumulative_crank_revs"), Field("H", "last_crank_event_time_raw_1024")),
    ),
    (0x0040, True, (Field("h", "maximum_force_n"), Field("h", "minimum_force_n"))),
    (0x0080, True, (Field("h", "maximum_torque_nm", 32), Field("h", "minimum_torque_nm", 32))),
    (0x0100, True, (Field("3s", "_angles"),)),
    (0x0200, True, (Field("H", "top_dead_spot_angle_deg"),)),
    (0x0400, True, (Field("H", "bottom_dead_spot_angle_deg"),)),
    (0x0800, True, (Field("H", "accumulated_energy_kj"),)),
)


@lru_cache(maxsize=1024)
def _cp_layout(flags: int) -> Layout:
    return _build_layout(2, _CP_BITS, flags)


def decode_cycling_power(data: bytes) -> CyclingPowerMeasurement:
    """Decode Cycling Power Measurement: every optional field, in flag order."""
    flags = _flags("Cycling Power Measurement", data, 2)
    lay = _cp_layout(flags & 0x0FFF)
    n = len(data)
    if n < lay.need:
        raise _too_short("Cycling Power Measurement", flags, 2, lay.need, n)
    values = _values(lay, data, 2)
    angles = values.pop("_angles", None)
    if angles is not None:  # two uint12 packed in 3 octets: max first
        values["maximum_angle_deg"] = angles & 0x0FFF
        values["minimum_angle_deg"] = angles >> 12
    if flags & 0x0001:
        values["pedal_power_balance_reference"] = "left" if flags & 0x0002 else "unknown"
    if flags & 0x0004:
        values["accumulated_torque_source"] = "crank" if flags & 0x0008 else "wheel"
    return CyclingPowerMeasurement(
        offset_compensation_indicator=bool(flags & 0x1000),
        trailing_octets=n - lay.need,
        **values,
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
    return _build_layout(2, _IBD_BITS[alt], flags)


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
    raise _too_short(what, flags, 2, primary.need, n)


def decode_indoor_bike_data(data: bytes) -> IndoorBikeData:
    """Decode one Indoor Bike Data notification (bit 0 "More Data" is inverted)."""
    flags = _flags("Indoor Bike Data", data, 2)
    lay, alt = _pick_layout("Indoor Bike Data", data, flags & 0x1FFF, _ibd_layout, 0x0020)
    values = _values(lay, data, 2)
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
    return _build_layout(2, _TM_BITS[alt], flags)


def decode_treadmill_data(data: bytes) -> TreadmillData:
    """Decode one Treadmill Data notification (bit 0 "More Data" is inverted)."""
    flags = _flags("Treadmill Data", data, 2)
    lay, alt = _pick_layout("Treadmill Data", data, flags & 0x1FFF, _tm_layout, 0x0060)
    values = _values(lay, data, 2)
    if flags & 0x0060:
        values["pace_format"] = "uint16_s_per_500m" if alt else "uint8_km_per_min"
    return TreadmillData(
        more_data=bool(flags & 0x0001), trailing_octets=len(data) - lay.need, **values
    )


# Dispatch ----------------------------------------------------------------------------------

GattValue = (
    HeartRateMeasurement
    | BodySensorLocation
    | BatteryLevel
    | DeviceInfoString
    | RscMeasurement
    | CscMeasurement
    | CyclingPowerMeasurement
    | IndoorBikeData
    | TreadmillData
)

DECODERS: dict[str, Callable[[bytes], GattValue]] = {
    U.HEART_RATE_MEASUREMENT: decode_heart_rate,
    U.BODY_SENSOR_LOCATION: decode_body_sensor_location,
    U.BATTERY_LEVEL: decode_battery_level,
    U.RSC_MEASUREMENT: decode_rsc,
    U.CSC_MEASUREMENT: decode_csc,
    U.CYCLING_POWER_MEASUREMENT: decode_cycling_power,
    U.INDOOR_BIKE_DATA: decode_indoor_bike_data,
    U.TREADMILL_DATA: decode_treadmill_data,
    **{uuid: decode_device_info_string for uuid in U.DEVICE_INFO_STRINGS},
}


class UnknownCharacteristic(LookupError):
    """A characteristic Pulsedeck has no decoder for."""


def decode(uuid: str, data: bytes) -> GattValue:
    """Decode `data` as the characteristic `uuid` (bleak's 128-bit lowercase form)."""
    try:
        decoder = DECODERS[uuid]
    except KeyError:
        raise UnknownCharacteristic(f"no decoder for characteristic {uuid}") from None
    return decoder(data)
