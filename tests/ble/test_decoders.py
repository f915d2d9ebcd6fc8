"""Decoder behaviour beyond the shared vectors: every optional field, widths, sentinels, errors."""

from __future__ import annotations

import struct

import pytest

from device.ble import uuids as U
from device.ble.decoders import (
    GattDecodeError,
    UnknownCharacteristic,
    decode,
    decode_battery_level,
    decode_body_sensor_location,
    decode_csc,
    decode_cycling_power,
    decode_device_info_string,
    decode_heart_rate,
    decode_indoor_bike_data,
    decode_rsc,
    decode_treadmill_data,
)
from device.ble.derive import RecordAssembler
from device.ble.describe import describe, parse_hex


def test_heart_rate_uint16_with_energy_and_every_rr_interval() -> None:
    payload = (
        bytes([0x19]) + struct.pack("<HH", 300, 1234) + struct.pack("<4H", 800, 810, 1024, 700)
    )
    m = decode_heart_rate(payload)
    assert m.heart_rate_bpm == 300 and m.hr_format == "uint16"
    assert m.energy_expended_kj == 1234
    assert m.rr_intervals_raw_1024 == (800, 810, 1024, 700)
    assert m.rr_intervals_ms == (781.25, 791.0156, 1000.0, 683.5938)
    assert m.sensor_contact == "not_supported" and m.trailing_octets == 0


def test_heart_rate_odd_rr_octet_is_counted_not_decoded() -> None:
    m = decode_heart_rate(bytes([0x10, 60, 0x00, 0x04, 0x99]))
    assert m.rr_intervals_raw_1024 == (1024,)
    assert m.trailing_octets == 1


@pytest.mark.parametrize(
    "payload",
    [b"", b"\x00", b"\x01\x3c", b"\x08\x3c\x01", b"\x09\x3c\x00\x01"],
    ids=["empty", "flags-only", "uint16-short", "energy-short", "uint16-energy-short"],
)
def test_heart_rate_short_payloads_are_rejected(payload: bytes) -> None:
    with pytest.raises(GattDecodeError):
        decode_heart_rate(payload)


def test_heart_rate_longer_than_att_maximum_is_rejected() -> None:
    with pytest.raises(GattDecodeError, match="ATT maximum"):
        decode_heart_rate(bytes([0x10, 60]) + b"\x00\x04" * 300)


def test_body_sensor_location_names_and_reserved() -> None:
    assert decode_body_sensor_location(b"\x01").body_sensor_location_name == "Chest"
    assert decode_body_sensor_location(b"\x06").body_sensor_location_name == "Foot"
    assert decode_body_sensor_location(b"\x07").body_sensor_location_name == "Reserved"
    with pytest.raises(GattDecodeError):
        decode_body_sensor_location(b"")


def test_battery_level_bounds() -> None:
    assert decode_battery_level(b"\x64").battery_level_percent == 100
    with pytest.raises(GattDecodeError, match="outside"):
        decode_battery_level(b"\x65")
    with pytest.raises(GattDecodeError, match="exactly 1 octet"):
        decode_battery_level(b"")


def test_device_information_strings() -> None:
    assert decode_device_info_string(b"Polar\x00\x00").value == "Polar"
    assert decode_device_info_string("Wahoo TICKR é".encode()).value == "Wahoo TICKR é"
    with pytest.raises(GattDecodeError, match="UTF-8"):
        decode_device_info_string(b"\xff\xfe")
    with pytest.raises(GattDecodeError, match="control"):
        decode_device_info_string(b"ab\x07")
    out = describe("2A29", "506f6c617200")
    assert out["manufacturer_name"] == "Polar"
    assert out["characteristic"] == "manufacturer_name"


def test_rsc_with_stride_and_distance() -> None:
    payload = struct.pack("<BHBHI", 0x07, 3 * 256, 180, 125, 123456)
    m = decode_rsc(payload)
    assert m.instantaneous_speed_mps == 3.0
    assert m.instantaneous_cadence_per_min == 180
    assert m.stride_length_m == 1.25
    assert m.total_distance_m == 12345.6 and m.total_distance_raw_dm == 123456
    assert m.is_running


def test_csc_surplus_octets_are_ignored_and_counted() -> None:
    m = decode_csc(bytes.fromhex("02c80000000699"))
    assert m.cumulative_crank_revs == 200 and m.trailing_octets == 2


def test_cycling_power_every_optional_field_in_flag_order() -> None:
    flags = 0x1FFF  # every presence bit, balance reference left, torque source crank
    payload = struct.pack(
        "<HhBHIHHHhhhh3sHHH",
        flags,
        -25,  # signed power (back-pedalling)
        101,  # balance 50.5 %
        3200,  # torque 100 Nm
        70000,  # wheel revs
        4096,  # wheel time 2 s (1/2048)
        300,  # crank revs
        2048,  # crank time 2 s (1/1024)
        400,
        -50,  # forces N
        640,
        -64,  # torques 20 / -2 Nm
        bytes([0x68, 0x41, 0x0B]),  # angles: max 0x168 = 360, min 0x0B4 = 180
        90,
        270,  # dead spots
        42,  # energy kJ
    )
    m = decode_cycling_power(payload)
    assert m.instantaneous_power_w == -25
    assert m.pedal_power_balance_percent == 50.5 and m.pedal_power_balance_reference == "left"
    assert m.accumulated_torque_nm == 100.0 and m.accumulated_torque_source == "crank"
    assert m.cumulative_wheel_revs == 70000 and m.last_wheel_event_time_s == 2.0
    assert m.cumulative_crank_revs == 300 and m.last_crank_event_time_s == 2.0
    assert (m.maximum_force_n, m.minimum_force_n) == (400, -50)
    assert (m.maximum_torque_nm, m.minimum_torque_nm) == (20.0, -2.0)
    assert (m.maximum_angle_deg, m.minimum_angle_deg) == (360, 180)
    assert (m.top_dead_spot_angle_deg, m.bottom_dead_spot_angle_deg) == (90, 270)
    assert m.accumulated_energy_kj == 42
    assert m.offset_compensation_indicator
    assert m.trailing_octets == 0
    with pytest.raises(GattDecodeError, match="need 34 octets"):
        decode_cycling_power(payload[:-1])


def test_indoor_bike_resistance_is_sint16_unless_the_length_says_uint8() -> None:
    sint16 = struct.pack("<HHhh", 0x0060, 2500, -3, 150)
    m = decode_indoor_bike_data(sint16)
    assert m.resistance_level == -3 and m.resistance_level_format == "sint16"
    assert m.instantaneous_power_w == 150
    uint8 = struct.pack("<HHBh", 0x0060, 2500, 7, 150)  # GSS width: uint8, x10
    m = decode_indoor_bike_data(uint8)
    assert m.resistance_level == 70 and m.resistance_level_format == "uint8"
    assert m.instantaneous_power_w == 150  # the later field did not shift
    with pytest.raises(GattDecodeError):
        decode_indoor_bike_data(uint8[:-1])


def test_indoor_bike_every_field_and_sentinels() -> None:
    payload = struct.pack(
        "<HHHHH3shhhHHBBBHH",
        0x1FFE,  # all fields, More Data = 0 so instantaneous speed present
        3000,
        2800,
        180,
        170,
        (12345).to_bytes(3, "little"),
        20,
        250,
        230,
        0xFFFF,  # total energy: not available
        600,
        0xFF,  # per minute: not available
        140,
        85,
        600,
        1200,
    )
    m = decode_indoor_bike_data(payload)
    assert m.instantaneous_speed_kmh == 30.0 and m.average_speed_kmh == 28.0
    assert m.instantaneous_cadence_rpm == 90.0 and m.average_cadence_rpm == 85.0
    assert m.total_distance_m == 12345 and m.resistance_level == 20
    assert (m.instantaneous_power_w, m.average_power_w) == (250, 230)
    assert m.total_energy_kcal is None and m.energy_per_hour_kcal == 600
    assert m.energy_per_minute_kcal is None
    assert m.heart_rate_bpm == 140 and m.metabolic_equivalent == 8.5
    assert (m.elapsed_time_s, m.remaining_time_s) == (600, 1200)


def test_treadmill_pace_width_fallback_and_force_sentinels() -> None:
    uint8 = struct.pack("<HHBB", 0x0060, 1000, 60, 55)
    m = decode_treadmill_data(uint8)
    assert (m.instantaneous_pace_km_per_min, m.average_pace_km_per_min) == (6.0, 5.5)
    assert m.pace_format == "uint8_km_per_min"
    uint16 = struct.pack("<HHHH", 0x0060, 1000, 180, 190)
    m = decode_treadmill_data(uint16)
    assert (m.instantaneous_pace_s_per_500m, m.average_pace_s_per_500m) == (180, 190)
    assert m.instantaneous_pace_km_per_min is None
    forces = struct.pack("<HHhh", 0x1000, 1000, 0x7FFF, 120)
    m = decode_treadmill_data(forces)
    assert m.force_on_belt_n is None and m.power_output_w == 120


def test_ftms_record_spanning_three_notifications() -> None:
    assembler: RecordAssembler = RecordAssembler()
    # Part 1: More Data = 1, cadence + power; part 2: More Data = 1, heart rate; last: speed.
    assert assembler.feed(decode_indoor_bike_data(struct.pack("<HHh", 0x0045, 160, 210))) is None
    assert assembler.feed(decode_indoor_bike_data(struct.pack("<HB", 0x0201, 150))) is None
    record = assembler.feed(decode_indoor_bike_data(struct.pack("<HH", 0x0000, 3274)))
    assert record is not None and not record.more_data
    assert record.instantaneous_speed_kmh == 32.74
    assert record.instantaneous_cadence_rpm == 80.0 and record.instantaneous_power_w == 210
    assert record.heart_rate_bpm == 150
    # The next record starts empty.
    nxt = assembler.feed(decode_indoor_bike_data(struct.pack("<HH", 0x0000, 1000)))
    assert nxt is not None and nxt.heart_rate_bpm is None


def test_ftms_record_that_never_ends_is_cut_after_max_parts() -> None:
    assembler: RecordAssembler = RecordAssembler()
    part = decode_treadmill_data(struct.pack("<HB", 0x0101, 120))
    results = [assembler.feed(part) for _ in range(8)]
    assert results[:7] == [None] * 7
    assert results[7] is not None and results[7].heart_rate_bpm == 120
    assert assembler.dropped == 1


def test_uuid_forms() -> None:
    assert U.normalize_uuid("2a37") == U.HEART_RATE_MEASUREMENT
    assert U.normalize_uuid("0x2A37") == U.HEART_RATE_MEASUREMENT
    assert U.normalize_uuid(" 00002A37-0000-1000-8000-00805F9B34FB ") == U.HEART_RATE_MEASUREMENT
    for bad in ("", "2A3", "zz37", "0x2A37x", "1234-5678"):
        with pytest.raises(U.InvalidUuid):
            U.normalize_uuid(bad)
    assert U.short_form(U.CSC_MEASUREMENT) == 0x2A5B
    assert U.short_form("12345678-1234-1234-1234-123456789abc") is None


def test_hex_forms_and_unknown_characteristic() -> None:
    assert parse_hex("16 3c:11-04") == bytes.fromhex("163c1104")
    assert parse_hex("0x163c") == b"\x16\x3c"
    with pytest.raises(GattDecodeError, match="hexadecimal"):
        parse_hex("abc")
    with pytest.raises(UnknownCharacteristic):
        decode(U.uuid16(0x2A00), b"x")


def test_cli_errors_are_json_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    for argv in (
        ["gatt", "decode", "2A37", "", "--json"],
        ["gatt", "decode", "2A00", "00", "--json"],
        ["gatt", "decode", "nope", "00", "--json"],
        ["gatt", "decode", "2A5B", "0201000004", "--previous", "02", "--json"],
    ):
        assert main(argv) == 2
        out = capsys.readouterr().out.strip().splitlines()
        assert len(out) == 1 and list(__import__("json").loads(out[0])) == ["error"]
    assert main(["gatt", "decode", "2A37", "zz"]) == 2
    assert "not hexadecimal" in capsys.readouterr().err
