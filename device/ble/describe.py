"""Decoded GATT values as flat JSON objects: the `pulsedeck gatt decode --json` contract."""

from __future__ import annotations

import re
from dataclasses import asdict

from . import uuids as U
from .decoders import (
    CscMeasurement,
    CyclingPowerMeasurement,
    DeviceInfoString,
    GattDecodeError,
    GattValue,
    HeartRateMeasurement,
    decode,
)
from .derive import DEFAULT_WHEEL_CIRCUMFERENCE_M, derive_csc, derive_power

#: Characteristic names for the `characteristic` key, by 16-bit assigned number.
NAMES: dict[int, str] = {
    0x2A37: "heart_rate_measurement",
    0x2A38: "body_sensor_location",
    0x2A19: "battery_level",
    0x2A53: "rsc_measurement",
    0x2A5B: "csc_measurement",
    0x2A63: "cycling_power_measurement",
    0x2AD2: "indoor_bike_data",
    0x2ACD: "treadmill_data",
}

#: Computed properties printed beside the stored fields.
_PROPERTIES: dict[type, tuple[str, ...]] = {
    HeartRateMeasurement: ("rr_intervals_ms",),
    CyclingPowerMeasurement: (
        "accumulated_torque_nm",
        "last_wheel_event_time_s",
        "last_crank_event_time_s",
    ),
}

_HEX_NOISE = re.compile(r"[\s:\-]")


def parse_hex(text: str) -> bytes:
    """Bytes from hex such as `163c1104`, `0x16 3c`, `16:3c:11:04`."""
    t = _HEX_NOISE.sub("", text.strip().lower())
    if t.startswith("0x"):
        t = t[2:]
    t = t.replace("0x", "")
    try:
        return bytes.fromhex(t)
    except ValueError:
        raise GattDecodeError(f"not hexadecimal bytes: {text!r}") from None


def value_json(uuid: str, value: GattValue) -> dict[str, object]:
    """One flat dict of unit-suffixed fields (tuples become lists)."""
    if isinstance(value, DeviceInfoString):
        return {U.DEVICE_INFO_STRINGS.get(uuid, "value"): value.value}
    out: dict[str, object] = {}
    for key, v in asdict(value).items():
        out[key] = list(v) if isinstance(v, tuple) else v
    for prop in _PROPERTIES.get(type(value), ()):
        v = getattr(value, prop)
        out[prop] = list(v) if isinstance(v, tuple) else v
    return out


def describe(
    uuid_text: str,
    payload_hex: str,
    previous_hex: str | None = None,
    wheel_circumference_m: float = DEFAULT_WHEEL_CIRCUMFERENCE_M,
) -> dict[str, object]:
    """Decode a payload (and derived rates against `previous_hex`) into the JSON object.

    Raises InvalidUuid, UnknownCharacteristic or GattDecodeError with a one-line reason.
    """
    uuid = U.normalize_uuid(uuid_text)
    value = decode(uuid, parse_hex(payload_hex))
    short = U.short_form(uuid)
    out: dict[str, object] = {"characteristic": NAMES.get(short or -1), "uuid": uuid}
    if isinstance(value, DeviceInfoString):
        out["characteristic"] = U.DEVICE_INFO_STRINGS[uuid]
    out.update(value_json(uuid, value))
    if previous_hex is not None:
        previous = decode(uuid, parse_hex(previous_hex))
        if isinstance(value, CscMeasurement) and isinstance(previous, CscMeasurement):
            out.update(derive_csc(previous, value, wheel_circumference_m).as_json())
            out["wheel_circumference_m"] = wheel_circumference_m
        elif isinstance(value, CyclingPowerMeasurement) and isinstance(
            previous, CyclingPowerMeasurement
        ):
            out.update(derive_power(previous, value, wheel_circumference_m).as_json())
            out["wheel_circumference_m"] = wheel_circumference_m
    return out
