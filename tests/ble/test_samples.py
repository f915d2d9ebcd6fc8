"""One sensor's notifications become Samples: identity, units, gaps and bad values."""

from __future__ import annotations

import struct

import pytest

from device.ble import uuids as U
from device.ble.samples import SampleBuilder

T0 = 1_700_000_000_000


def test_heart_rate_contact_rr_filter_and_identity() -> None:
    b = SampleBuilder("HR-1")
    s = b.feed(U.HEART_RATE_MEASUREMENT, struct.pack("<BBHH", 0x16, 64, 1000, 100), T0)
    assert s is not None and (s.hr, s.rr, s.source) == (64, (976.5625,), "HR-1")
    assert b.stats.rr_dropped == 1  # 97.7 ms is not a heartbeat
    assert b.feed(U.HEART_RATE_MEASUREMENT, bytes([0x04, 64]), T0 + 1000) is None
    assert b.stats.no_contact == 1
    s = b.feed(U.HEART_RATE_MEASUREMENT, struct.pack("<BBH", 0x10, 0, 1024), T0 + 2000)
    assert s is not None and s.hr is None and s.rr == (1000.0,)  # RR kept, HR 0 is no reading
    assert b.feed(U.HEART_RATE_MEASUREMENT, bytes([0x00, 0]), T0 + 3000) is None
    assert b.stats.samples == 2 and b.stats.notifications == 4


def test_power_with_wheel_and_crank() -> None:
    b = SampleBuilder("PWR", wheel_circumference_m=2.0)

    def cp(power: int, wheel: int, wt: int, crank: int, ct: int) -> bytes:
        return struct.pack("<HhIHHH", 0x0030, power, wheel, wt, crank, ct)

    s = b.feed(U.CYCLING_POWER_MEASUREMENT, cp(250, 100, 0, 10, 0), T0)
    assert s is not None and (s.power, s.cadence, s.speed, s.distance) == (250, None, None, 0.0)
    s = b.feed(U.CYCLING_POWER_MEASUREMENT, cp(-40, 104, 2048, 11, 683), T0 + 1000)
    assert s is not None and s.power == -40
    assert s.speed == pytest.approx(8.0) and s.distance == 8.0
    assert s.cadence == pytest.approx(60 * 1024 / 683, abs=0.01)


def test_indoor_bike_and_treadmill_records() -> None:
    b = SampleBuilder("BIKE")
    bike = struct.pack("<HHH3shB", 0x0254, 3600, 180, (1000).to_bytes(3, "little"), 210, 0)
    s = b.feed(U.INDOOR_BIKE_DATA, bike, T0)
    assert s is not None
    assert (s.speed, s.cadence, s.power, s.hr, s.distance) == (10.0, 90.0, 210, None, 0.0)
    bike2 = struct.pack("<HHH3shB", 0x0254, 3600, 180, (1010).to_bytes(3, "little"), 215, 130)
    s = b.feed(U.INDOOR_BIKE_DATA, bike2, T0 + 1000)
    assert s is not None and s.distance == 10.0 and s.hr == 130
    # A split record: nothing until its last part.
    assert b.feed(U.INDOOR_BIKE_DATA, struct.pack("<HB", 0x0201, 140), T0 + 1500) is None
    s = b.feed(U.INDOOR_BIKE_DATA, struct.pack("<HH", 0x0000, 3600), T0 + 2000)
    assert s is not None and s.hr == 140

    t = SampleBuilder("TREAD")
    tread = struct.pack("<HHBHh", 0x1200, 1080, 9, 0x7FFF, 180)  # met 0.9, power 180 W
    s = t.feed(U.TREADMILL_DATA, tread + b"", T0)
    assert s is not None
    assert (s.speed, s.met, s.power, s.cadence) == (3.0, 0.9, 180, None)


def test_rsc_distance_from_totals_and_from_speed() -> None:
    b = SampleBuilder("POD")
    with_total = [struct.pack("<BHBI", 0x02, 768, 170, total) for total in (5000, 5030, 10, 40)]
    distances = [
        b.feed(U.RSC_MEASUREMENT, p, T0 + i * 1000).distance for i, p in enumerate(with_total)
    ]  # type: ignore[union-attr]
    assert distances == [0.0, 3.0, 3.0, 6.0]  # a reset (total fell) adds nothing
    jump = struct.pack("<BHBI", 0x02, 768, 170, 10_000_000)
    assert b.feed(U.RSC_MEASUREMENT, jump, T0 + 5000).distance == 6.0  # type: ignore[union-attr]

    p = SampleBuilder("POD2")
    no_total = struct.pack("<BHB", 0x00, 512, 160)  # 2 m/s
    assert p.feed(U.RSC_MEASUREMENT, no_total, T0).distance == 0.0  # type: ignore[union-attr]
    assert p.feed(U.RSC_MEASUREMENT, no_total, T0 + 1000).distance == 2.0  # type: ignore[union-attr]
    # 60 s without notifications: a gap, not a straight line.
    assert p.feed(U.RSC_MEASUREMENT, no_total, T0 + 61_000).distance == 2.0  # type: ignore[union-attr]
    too_fast = struct.pack("<BHB", 0x00, 65535, 160)  # 256 m/s is no runner
    s = p.feed(U.RSC_MEASUREMENT, too_fast, T0 + 62_000)
    assert s is not None and s.speed is None and s.distance == 2.0


def test_characteristics_without_samples_and_rejections() -> None:
    b = SampleBuilder("X")
    assert b.feed(U.BATTERY_LEVEL, b"\x50", T0) is None
    assert b.feed(U.CSC_MEASUREMENT, b"\x03\x00", T0) is None
    assert b.stats.rejected == 1 and b.stats.last_error
    assert b.feed(U.CSC_MEASUREMENT, bytes.fromhex("02c80000000699"), T0) is None  # baseline
    assert b.stats.trailing_octets == 1
