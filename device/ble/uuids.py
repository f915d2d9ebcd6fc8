"""GATT UUIDs as bleak spells them, parsed from the forms users type (2A37, 0x2A37, 128-bit)."""

from __future__ import annotations

import re

#: The Bluetooth base UUID: a 16-bit UUID xxxx is 0000xxxx-0000-1000-8000-00805f9b34fb.
BASE_SUFFIX = "-0000-1000-8000-00805f9b34fb"

_SHORT = re.compile(r"^(?:0x)?([0-9a-f]{4}|[0-9a-f]{8})$")
_LONG = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class InvalidUuid(ValueError):
    """Text that is not a 16-, 32- or 128-bit UUID."""


def uuid16(value: int) -> str:
    """The 128-bit lowercase form bleak uses for a 16-bit assigned number."""
    return f"{value:08x}{BASE_SUFFIX}"


def normalize_uuid(text: str) -> str:
    """Parse `2A37`, `0x2A37`, a 32-bit or a 128-bit UUID into bleak's 128-bit form."""
    t = text.strip().lower()
    short = _SHORT.match(t)
    if short:
        return f"{int(short.group(1), 16):08x}{BASE_SUFFIX}"
    if _LONG.match(t):
        return t
    raise InvalidUuid(f"not a Bluetooth UUID: {text!r} (use 2A37, 0x2A37 or the 128-bit form)")


def short_form(uuid: str) -> int | None:
    """The 16-bit assigned number of a base-derived UUID, else None."""
    u = uuid.lower()
    if u.endswith(BASE_SUFFIX) and u.startswith("0000"):
        return int(u[4:8], 16)
    return None


# Services we scan for.
HEART_RATE_SERVICE = uuid16(0x180D)
RSC_SERVICE = uuid16(0x1814)
CSC_SERVICE = uuid16(0x1816)
CYCLING_POWER_SERVICE = uuid16(0x1818)
FTMS_SERVICE = uuid16(0x1826)
BATTERY_SERVICE = uuid16(0x180F)
DEVICE_INFO_SERVICE = uuid16(0x180A)

# Characteristics we decode.
HEART_RATE_MEASUREMENT = uuid16(0x2A37)
BODY_SENSOR_LOCATION = uuid16(0x2A38)
BATTERY_LEVEL = uuid16(0x2A19)
RSC_MEASUREMENT = uuid16(0x2A53)
CSC_MEASUREMENT = uuid16(0x2A5B)
CYCLING_POWER_MEASUREMENT = uuid16(0x2A63)
TREADMILL_DATA = uuid16(0x2ACD)
INDOOR_BIKE_DATA = uuid16(0x2AD2)

#: Device Information strings: characteristic -> snake_case key.
DEVICE_INFO_STRINGS: dict[str, str] = {
    uuid16(0x2A29): "manufacturer_name",
    uuid16(0x2A24): "model_number",
    uuid16(0x2A25): "serial_number",
    uuid16(0x2A27): "hardware_revision",
    uuid16(0x2A26): "firmware_revision",
    uuid16(0x2A28): "software_revision",
}

#: Sensor kind (the `devices.kind` column) by advertised service, in preference order.
KIND_BY_SERVICE: dict[str, str] = {
    HEART_RATE_SERVICE: "hr",
    CYCLING_POWER_SERVICE: "power",
    FTMS_SERVICE: "ftms",
    CSC_SERVICE: "csc",
    RSC_SERVICE: "rsc",
}

#: Also subscribed when present: a TICKR X (hr) has a foot pod inside, a treadmill (ftms)
#: or a power meter may relay a chest strap.
EXTRA_MEASUREMENTS_BY_KIND: dict[str, tuple[str, ...]] = {
    "hr": (RSC_MEASUREMENT,),
    "rsc": (HEART_RATE_MEASUREMENT,),
    "csc": (HEART_RATE_MEASUREMENT,),
    "power": (HEART_RATE_MEASUREMENT,),
    "ftms": (HEART_RATE_MEASUREMENT,),
}

#: The measurement characteristics to subscribe to for each kind.
MEASUREMENTS_BY_KIND: dict[str, tuple[str, ...]] = {
    "hr": (HEART_RATE_MEASUREMENT,),
    "rsc": (RSC_MEASUREMENT,),
    "csc": (CSC_MEASUREMENT,),
    "power": (CYCLING_POWER_MEASUREMENT,),
    "ftms": (INDOOR_BIKE_DATA, TREADMILL_DATA),
}
