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
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from . import uuids as U

# Re-exported: the decoders' public face stays this module.
from .ftms import IndoorBikeData as IndoorBikeData
from .ftms import TreadmillData as TreadmillData
from .ftms import decode_indoor_bike_data as decode_indoor_bike_data
from .ftms import decode_treadmill_data as decode_treadmill_data
from .layout import (
    Bits,
    Field,
    Layout,
    build_layout,
    field_values,
    read_flags,
    too_short,
)
from .layout import GattDecodeError as GattDecodeError

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
    flags = read_flags("Heart Rate Measurement", data, 1)
    wide = flags & 0x01
    need = (3 if wide else 2) + (2 if flags & 0x08 else 0)
    if n < need:
        raise too_short("Heart Rate Measurement", flags, 1, need, n)
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
    return build_layout(1, _RSC_BITS, flags)


def decode_rsc(data: bytes) -> RscMeasurement:
    """Decode RSC Measurement (walking/running status is bit 2, mask 0x04)."""
    flags = read_flags("RSC Measurement", data, 1)
    lay = _rsc_layout(flags)
    n = len(data)
    if n < lay.need:
        raise too_short("RSC Measurement", flags, 1, lay.need, n)
    values = field_values(lay, data, 1)
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
    return build_layout(1, _CSC_BITS, flags)


def decode_csc(data: bytes) -> CscMeasurement:
    """Decode CSC Measurement (wheel and/or crank revolution data)."""
    flags = read_flags("CSC Measurement", data, 1)
    lay = _csc_layout(flags)
    n = len(data)
    if n < lay.need:
        raise too_short("CSC Measurement", flags, 1, lay.need, n)
    values = field_values(lay, data, 1)
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
    return build_layout(2, _CP_BITS, flags)


def decode_cycling_power(data: bytes) -> CyclingPowerMeasurement:
    """Decode Cycling Power Measurement: every optional field, in flag order."""
    flags = read_flags("Cycling Power Measurement", data, 2)
    lay = _cp_layout(flags & 0x0FFF)
    n = len(data)
    if n < lay.need:
        raise too_short("Cycling Power Measurement", flags, 2, lay.need, n)
    values = field_values(lay, data, 2)
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
